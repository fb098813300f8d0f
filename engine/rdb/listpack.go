package rdb

import (
	"encoding/binary"
	"strconv"
)

// A listpack (Redis's listpack.c) is
//
//	total bytes (uint32 LE) | element count (uint16 LE, 65535 = unknown) |
//	entries | 0xFF
//
// and each entry is an encoding byte (with its data) followed by a
// backward length of 1 to 5 bytes:
//
//	0xxxxxxx                 integer 0..127
//	10xxxxxx + bytes         string of up to 63 bytes
//	110xxxxx yyyyyyyy        13-bit signed integer
//	1110xxxx yyyyyyyy + bytes string of up to 4095 bytes
//	0xF0 + 4 bytes + bytes   longer string
//	0xF1/F2/F3/F4 + 2/3/4/8 bytes  16/24/32/64-bit signed integer

const lpHeaderSize = 6

// listpack builds a listpack.
type listpack struct {
	buf []byte
	n   int
}

func newListpack() *listpack {
	return &listpack{buf: make([]byte, lpHeaderSize, 64)}
}

// appendString appends s, as an integer when it reads as one.
func (lp *listpack) appendString(s string) {
	if v, ok := parseInt(s); ok {
		lp.appendInt(v)
		return
	}
	start := len(lp.buf)
	switch n := len(s); {
	case n < 64:
		lp.buf = append(lp.buf, 0x80|byte(n))
	case n < 4096:
		lp.buf = append(lp.buf, 0xE0|byte(n>>8), byte(n))
	default:
		lp.buf = append(lp.buf, 0xF0)
		lp.buf = binary.LittleEndian.AppendUint32(lp.buf, uint32(n))
	}
	lp.buf = append(lp.buf, s...)
	lp.backlen(len(lp.buf) - start)
}

func (lp *listpack) appendInt(v int64) {
	start := len(lp.buf)
	switch {
	case v >= 0 && v <= 127:
		lp.buf = append(lp.buf, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		lp.buf = append(lp.buf, 0xC0|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		lp.buf = append(lp.buf, 0xF1, byte(v), byte(v>>8))
	case v >= -8388608 && v <= 8388607:
		lp.buf = append(lp.buf, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= -2147483648 && v <= 2147483647:
		lp.buf = append(lp.buf, 0xF3)
		lp.buf = binary.LittleEndian.AppendUint32(lp.buf, uint32(v))
	default:
		lp.buf = append(lp.buf, 0xF4)
		lp.buf = binary.LittleEndian.AppendUint64(lp.buf, uint64(v))
	}
	lp.backlen(len(lp.buf) - start)
}

// backlen appends the backward length of an entry of l bytes.
func (lp *listpack) backlen(l int) {
	switch {
	case l <= 127:
		lp.buf = append(lp.buf, byte(l))
	case l < 16383:
		lp.buf = append(lp.buf, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		lp.buf = append(lp.buf, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		lp.buf = append(lp.buf, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	default:
		lp.buf = append(lp.buf, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	lp.n++
}

// size is the listpack's size once finished.
func (lp *listpack) size() int { return len(lp.buf) + 1 }

// bytes finishes the listpack and returns it.
func (lp *listpack) bytes() []byte {
	b := append(lp.buf, 0xFF)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], uint16(min(lp.n, 65535)))
	return b
}

// lpEach calls fn with each element of listpack b, integers in decimal. It
// reports false when b is malformed (checking what Redis's shallow
// validation and its reads check: sizes, bounds, the terminator).
func lpEach(b []byte, fn func(s string) bool) bool {
	if len(b) < lpHeaderSize+1 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0xFF {
		return false
	}
	count := int(binary.LittleEndian.Uint16(b[4:]))
	p, seen := lpHeaderSize, 0
	for p < len(b)-1 {
		c := b[p]
		var s string
		var entry int
		switch {
		case c&0x80 == 0:
			s, entry = strconv.Itoa(int(c)), 1
		case c&0xC0 == 0x80:
			n := int(c & 0x3F)
			if p+1+n > len(b) {
				return false
			}
			s, entry = string(b[p+1:p+1+n]), 1+n
		case c&0xE0 == 0xC0:
			if p+2 > len(b) {
				return false
			}
			u := int64(c&0x1F)<<8 | int64(b[p+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			s, entry = strconv.FormatInt(u, 10), 2
		case c&0xF0 == 0xE0:
			if p+2 > len(b) {
				return false
			}
			n := int(c&0x0F)<<8 | int(b[p+1])
			if p+2+n > len(b) {
				return false
			}
			s, entry = string(b[p+2:p+2+n]), 2+n
		case c == 0xF0:
			if p+5 > len(b) {
				return false
			}
			n := int(binary.LittleEndian.Uint32(b[p+1:]))
			if n < 0 || p+5+n > len(b) {
				return false
			}
			s, entry = string(b[p+5:p+5+n]), 5+n
		case c >= 0xF1 && c <= 0xF4:
			w := [...]int{2, 3, 4, 8}[c-0xF1]
			if p+1+w > len(b) {
				return false
			}
			var u uint64
			for i := w - 1; i >= 0; i-- {
				u = u<<8 | uint64(b[p+1+i])
			}
			shift := uint(64 - 8*w)
			s, entry = strconv.FormatInt(int64(u<<shift)>>shift, 10), 1+w
		default:
			return false
		}
		p += entry
		bl := backlenSize(entry)
		if p+bl > len(b)-1 {
			return false
		}
		p += bl
		seen++
		if !fn(s) {
			return true
		}
	}
	if p != len(b)-1 || (count != 65535 && count != seen) {
		return false
	}
	return true
}

// backlenSize is the size of the backward length of an entry of l bytes.
func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// parseInt parses s with Redis's string2ll rules: at most 20 characters,
// an optional '-', no leading zeros, no "-0", no overflow.
func parseInt(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	d := s
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
