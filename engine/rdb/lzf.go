package rdb

import "sync"

// LZF, as liblzf 3.6 in Redis: lzf_c.c built with HLOG 16 and VERY_FAST.
// The compressed form is a sequence of
//
//	000LLLLL <L+1 bytes>          literal run of 1..32 bytes
//	LLLooooo oooooooo             back reference, length L+2 (3..8)
//	111ooooo LLLLLLLL oooooooo    back reference, length L+9
//
// with offset o+1 back from the current output position.
//
// Redis's compressor keeps its hash table on the stack without clearing
// it; this one starts from an empty table, which is what Redis's table
// amounts to for a buffer it has not compressed at that address before.

const (
	lzfHLog   = 16
	lzfHSize  = 1 << lzfHLog
	lzfMaxLit = 1 << 5
	lzfMaxOff = 1 << 13
	lzfMaxRef = (1 << 8) + (1 << 3)
)

func lzfIdx(h uint32) uint32 { return ((h >> (3*8 - lzfHLog)) - h*5) & (lzfHSize - 1) }

// lzfTable is a compressor's hash table, reused through lzfTables: a
// fresh 256 KB table per string made DUMP of a short value allocate (and
// clear) far more than the value itself. used lists the slots written, so
// that a short input clears only those before the table goes back.
type lzfTable struct {
	h    [lzfHSize]int32
	used []uint32
}

var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

func (t *lzfTable) set(slot uint32, v int32) {
	if t.h[slot] == 0 {
		t.used = append(t.used, slot)
	}
	t.h[slot] = v
}

// release empties the table and returns it to the pool.
func (t *lzfTable) release() {
	if len(t.used) > lzfHSize/16 {
		clear(t.h[:])
	} else {
		for _, s := range t.used {
			t.h[s] = 0
		}
	}
	t.used = t.used[:0]
	lzfTables.Put(t)
}

// lzfCompress compresses in into at most outLen bytes and returns the
// result, or nil when it does not fit (lzf_compress returning 0).
func lzfCompress(in []byte, outLen int) []byte {
	n := len(in)
	if n == 0 || outLen == 0 {
		return nil
	}
	// Slots hold position+1; 0 is an empty slot.
	t := lzfTables.Get().(*lzfTable)
	defer t.release()
	htab := &t.h
	out := make([]byte, outLen+lzfMaxLit+8)
	ip, op := 0, 0
	lit := 0
	op++ // start run
	frst := func(p int) uint32 { return uint32(in[p])<<8 | uint32(in[p+1]) }
	next := func(v uint32, p int) uint32 { return v<<8 | uint32(in[p+2]) }
	boolInt := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	hval := frst(ip)
	for ip < n-2 {
		hval = next(hval, ip)
		slot := lzfIdx(hval)
		ref := int(htab[slot]) - 1
		t.set(slot, int32(ip+1))
		var off int
		if ref > 0 && ref < ip {
			off = ip - ref - 1
		} else {
			off = lzfMaxOff
		}
		if off < lzfMaxOff && in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			length := 2
			maxlen := n - ip - length
			if maxlen > lzfMaxRef {
				maxlen = lzfMaxRef
			}
			if op+3+1 >= outLen && op-boolInt(lit == 0)+3+1 >= outLen {
				return nil
			}
			out[op-lit-1] = byte(lit - 1) // stop run
			op -= boolInt(lit == 0)       // undo run if length is zero
			for {
				if maxlen > 16 {
					mismatch := false
					for k := 0; k < 16; k++ {
						length++
						if in[ref+length] != in[ip+length] {
							mismatch = true
							break
						}
					}
					if mismatch {
						break
					}
				}
				for {
					length++
					if !(length < maxlen && in[ref+length] == in[ip+length]) {
						break
					}
				}
				break
			}
			length -= 2 // now the number of bytes - 1
			ip++
			if length < 7 {
				out[op] = byte((off >> 8) + (length << 5))
				op++
			} else {
				out[op] = byte((off >> 8) + (7 << 5))
				out[op+1] = byte(length - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // start run
			ip += length + 1
			if ip >= n-2 {
				break
			}
			ip -= 2
			hval = frst(ip)
			hval = next(hval, ip)
			t.set(lzfIdx(hval), int32(ip+1))
			ip++
			hval = next(hval, ip)
			t.set(lzfIdx(hval), int32(ip+1))
			ip++
		} else {
			if op >= outLen {
				return nil
			}
			lit++
			out[op] = in[ip]
			op++
			ip++
			if lit == lzfMaxLit {
				out[op-lit-1] = byte(lit - 1)
				lit = 0
				op++
			}
		}
	}
	if op+3 > outLen {
		return nil
	}
	for ip < n {
		lit++
		out[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1)
	op -= boolInt(lit == 0)
	return out[:op]
}

// lzfDecompress expands in, which must decode to exactly outLen bytes.
func lzfDecompress(in []byte, outLen int) ([]byte, bool) {
	out := make([]byte, 0, outLen)
	ip := 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 {
			ctrl++
			if len(out)+ctrl > outLen || ip+ctrl > len(in) {
				return nil, false
			}
			out = append(out, in[ip:ip+ctrl]...)
			ip += ctrl
			continue
		}
		length := ctrl >> 5
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1
		if length == 7 {
			if ip >= len(in) {
				return nil, false
			}
			length += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return nil, false
		}
		ref -= int(in[ip])
		ip++
		length += 2
		if len(out)+length > outLen || ref < 0 {
			return nil, false
		}
		for i := 0; i < length; i++ {
			out = append(out, out[ref+i])
		}
	}
	if len(out) != outLen {
		return nil, false
	}
	return out, true
}
