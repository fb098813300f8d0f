package rdb

import (
	"encoding/binary"
	"strconv"
)

// Encodings of Redis before 7.0, which RESTORE still accepts.
//
// A ziplist is zlbytes (uint32 LE) | zltail (uint32 LE) | zllen (uint16
// LE) | entries | 0xFF, each entry being its predecessor's length (1 byte,
// or 0xFE + uint32 LE), an encoding and the data:
//
//	00xxxxxx / 01xxxxxx x / 0x80 + uint32 BE   string of that length
//	0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8 (LE)
//	0xF1..0xFD                                 immediate 0..12

// zlEach calls fn with each element of ziplist b; false when malformed.
func zlEach(b []byte, fn func(s string) bool) bool {
	if len(b) < 11 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0xFF {
		return false
	}
	p := 10
	for p < len(b)-1 {
		if b[p] == 0xFE {
			p += 5
		} else {
			p++
		}
		if p >= len(b)-1 {
			return false
		}
		c := b[p]
		var s string
		switch {
		case c>>6 == 0:
			n := int(c & 0x3F)
			if p+1+n > len(b)-1 {
				return false
			}
			s, p = string(b[p+1:p+1+n]), p+1+n
		case c>>6 == 1:
			if p+2 > len(b)-1 {
				return false
			}
			n := int(c&0x3F)<<8 | int(b[p+1])
			if p+2+n > len(b)-1 {
				return false
			}
			s, p = string(b[p+2:p+2+n]), p+2+n
		case c == 0x80:
			if p+5 > len(b)-1 {
				return false
			}
			n := int(binary.BigEndian.Uint32(b[p+1:]))
			if n < 0 || p+5+n > len(b)-1 {
				return false
			}
			s, p = string(b[p+5:p+5+n]), p+5+n
		case c >= 0xF1 && c <= 0xFD:
			s, p = strconv.Itoa(int(c&0x0F)-1), p+1
		default:
			var w int
			switch c {
			case 0xFE:
				w = 1
			case 0xC0:
				w = 2
			case 0xF0:
				w = 3
			case 0xD0:
				w = 4
			case 0xE0:
				w = 8
			default:
				return false
			}
			if p+1+w > len(b)-1 {
				return false
			}
			var u uint64
			for i := w - 1; i >= 0; i-- {
				u = u<<8 | uint64(b[p+1+i])
			}
			shift := uint(64 - 8*w)
			s, p = strconv.FormatInt(int64(u<<shift)>>shift, 10), p+1+w
		}
		if !fn(s) {
			return true
		}
	}
	return p == len(b)-1
}

// zipmapEach calls fn with each field and value of zipmap b (Redis 2.x
// small hashes): a count byte, then entries of length (1 byte, or 0xFE
// + uint32 LE), field, length, free byte, value, free bytes; 0xFF ends.
func zipmapEach(b []byte, fn func(f, v string)) bool {
	if len(b) < 2 || b[len(b)-1] != 0xFF {
		return false
	}
	p := 1
	readLen := func() (int, bool) {
		if p >= len(b) {
			return 0, false
		}
		if b[p] < 254 {
			p++
			return int(b[p-1]), true
		}
		if b[p] != 254 || p+5 > len(b) {
			return 0, false
		}
		n := int(binary.LittleEndian.Uint32(b[p+1:]))
		p += 5
		return n, n >= 0
	}
	for p < len(b) && b[p] != 0xFF {
		fl, ok := readLen()
		if !ok || p+fl > len(b) {
			return false
		}
		f := string(b[p : p+fl])
		p += fl
		vl, ok := readLen()
		if !ok || p >= len(b) {
			return false
		}
		free := int(b[p])
		p++
		if p+vl+free > len(b) {
			return false
		}
		fn(f, string(b[p:p+vl]))
		p += vl + free
	}
	return p == len(b)-1
}

// An intset is encoding (uint32 LE: 2, 4 or 8, the width of each
// element) | length (uint32 LE) | the elements, sorted, little-endian.

// intsetBytes encodes sorted integers as an intset of the narrowest width
// that holds them all.
func intsetBytes(vals []int64) []byte {
	w := 2
	for _, v := range vals {
		switch {
		case v < -1<<31 || v > 1<<31-1:
			w = 8
		case (v < -1<<15 || v > 1<<15-1) && w < 4:
			w = 4
		}
	}
	b := make([]byte, 8, 8+w*len(vals))
	binary.LittleEndian.PutUint32(b, uint32(w))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(vals)))
	for _, v := range vals {
		switch w {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// intsetEach calls fn with each element of intset b; false when
// malformed (wrong width or size, unsorted or repeated elements).
func intsetEach(b []byte, fn func(v int64)) bool {
	if len(b) < 8 {
		return false
	}
	w := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if (w != 2 && w != 4 && w != 8) || n < 0 || len(b)-8 != n*w || n == 0 {
		return false
	}
	var prev int64
	for i := 0; i < n; i++ {
		q := b[8+i*w:]
		var v int64
		switch w {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(q)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(q)))
		default:
			v = int64(binary.LittleEndian.Uint64(q))
		}
		if i > 0 && v <= prev {
			return false
		}
		prev = v
		fn(v)
	}
	return true
}
