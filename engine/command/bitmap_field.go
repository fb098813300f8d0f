package command

import (
	"math"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// BITFIELD opcodes and overflow behaviours.
const (
	bfGet = iota
	bfSet
	bfIncrBy
)

const (
	bfWrap = iota
	bfSat
	bfFail
)

// bitfieldOp is one parsed BITFIELD operation.
type bitfieldOp struct {
	opcode, overflow int
	offset           uint64
	bits             uint
	signed           bool
	value            int64
}

// parseBitfield parses BITFIELD's operations, as bitfieldGeneric does
// before touching the key; readonly reports whether all are GETs.
func parseBitfield(c *Ctx) (ops []bitfieldOp, readonly bool, ok bool) {
	overflow := bfWrap
	readonly = true
	for j := 2; j < len(c.Args); j++ {
		rem := len(c.Args) - j - 1
		var op bitfieldOp
		switch {
		case c.ArgIs(j, "GET") && rem >= 2:
			op.opcode = bfGet
		case c.ArgIs(j, "SET") && rem >= 3:
			op.opcode = bfSet
		case c.ArgIs(j, "INCRBY") && rem >= 3:
			op.opcode = bfIncrBy
		case c.ArgIs(j, "OVERFLOW") && rem >= 1:
			j++
			switch {
			case c.ArgIs(j, "WRAP"):
				overflow = bfWrap
			case c.ArgIs(j, "SAT"):
				overflow = bfSat
			case c.ArgIs(j, "FAIL"):
				overflow = bfFail
			default:
				c.Error(errBitfieldOflow)
				return nil, false, false
			}
			continue
		default:
			c.ErrSyntax()
			return nil, false, false
		}
		var good bool
		if op.signed, op.bits, good = bitfieldType(c.Args[j+1]); !good {
			c.Error(errBitfieldType)
			return nil, false, false
		}
		if op.offset, good = bitOffset(c, c.Args[j+2], true, int(op.bits)); !good {
			return nil, false, false
		}
		if op.opcode != bfGet {
			readonly = false
			if op.value, good = c.Int(j + 3); !good {
				return nil, false, false
			}
		}
		op.overflow = overflow
		ops = append(ops, op)
		if op.opcode == bfGet {
			j += 2
		} else {
			j += 3
		}
	}
	return ops, readonly, true
}

// bitfieldType parses a type such as i16 or u8: signed up to 64 bits,
// unsigned up to 63 (a u64 could not be returned as a RESP integer); the
// letter is lower case only, as Redis 7.0 has it.
func bitfieldType(b []byte) (signed bool, bits uint, ok bool) {
	if len(b) == 0 {
		return false, 0, false
	}
	switch b[0] {
	case 'i':
		signed = true
	case 'u':
	default:
		return false, 0, false
	}
	n, ok := parseIntArg(b[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, uint(n), true
}

func bitfieldGeneric(c *Ctx, roCmd bool) {
	ops, readonly, ok := parseBitfield(c)
	if !ok {
		return
	}
	key := c.Key(1)
	var s *keyspace.String
	if readonly {
		if s, ok = c.lookupString(key); !ok {
			return
		}
	} else {
		if roCmd {
			c.Error(errBitfieldRO)
			return
		}
		var highest uint64
		for _, op := range ops {
			if op.opcode != bfGet {
				highest = max(highest, op.offset+uint64(op.bits)-1)
			}
		}
		if s, _, ok = lookupBitString(c, key, highest); !ok {
			return
		}
	}
	c.W.Array(len(ops))
	for _, op := range ops {
		if op.opcode == bfGet {
			// Read through a zero-padded window of 9 bytes, as Redis does,
			// so fields past the end of the string read as zeros.
			var buf [9]byte
			var src []byte
			if s != nil {
				src = s.B
			}
			at := op.offset >> 3
			if at < uint64(len(src)) {
				copy(buf[:], src[at:])
			}
			c.W.Int(bitfieldGet(buf[:], op.offset&7, op.bits, op.signed))
			continue
		}
		old := bitfieldGet(s.B, op.offset, op.bits, op.signed)
		var nv, ret int64
		var over bool
		if op.signed {
			if op.opcode == bfIncrBy {
				var wrapped int64
				over, wrapped = signedOverflow(old, op.value, op.bits, op.overflow)
				nv = old + op.value
				if over {
					nv = wrapped
				}
				ret = nv
			} else {
				var wrapped int64
				nv = op.value
				if over, wrapped = signedOverflow(nv, 0, op.bits, op.overflow); over {
					nv = wrapped
				}
				ret = old
			}
		} else {
			if op.opcode == bfIncrBy {
				var wrapped uint64
				nu := uint64(old) + uint64(op.value)
				if over, wrapped = unsignedOverflow(uint64(old), op.value, op.bits, op.overflow); over {
					nu = wrapped
				}
				nv, ret = int64(nu), int64(nu)
			} else {
				var wrapped uint64
				nu := uint64(op.value)
				if over, wrapped = unsignedOverflow(nu, 0, op.bits, op.overflow); over {
					nu = wrapped
				}
				nv, ret = int64(nu), old
			}
		}
		if over && op.overflow == bfFail {
			c.W.Null()
			continue
		}
		c.W.Int(ret)
		bitfieldSet(s.B, op.offset, op.bits, uint64(nv))
	}
	if !readonly {
		// Redis counts a change for every write operation, failed ones
		// included.
		c.Modified(key)
	}
}

// bitfieldGet reads the bits-wide field at bit offset of p, most
// significant bit first, sign-extending it when signed.
func bitfieldGet(p []byte, offset uint64, bits uint, signed bool) int64 {
	var v uint64
	for j := uint(0); j < bits; j++ {
		v = v<<1 | uint64(p[offset>>3]>>(7-offset&7))&1
		offset++
	}
	if signed && bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= math.MaxUint64 << bits
	}
	return int64(v)
}

// bitfieldSet writes the low bits of v at bit offset of p.
func bitfieldSet(p []byte, offset uint64, bits uint, v uint64) {
	for j := uint(0); j < bits; j++ {
		mask := byte(1) << (7 - offset&7)
		if v&(1<<(bits-1-j)) != 0 {
			p[offset>>3] |= mask
		} else {
			p[offset>>3] &^= mask
		}
		offset++
	}
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: whether
// value+incr leaves the range of a bits-wide unsigned field, and the value
// to store instead under WRAP and SAT.
func unsignedOverflow(value uint64, incr int64, bits uint, owtype int) (bool, uint64) {
	maxv := uint64(math.MaxUint64)
	if bits < 64 {
		maxv = 1<<bits - 1
	}
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	wrap := func() (bool, uint64) {
		return true, (value + uint64(incr)) &^ (math.MaxUint64 << bits)
	}
	if value > maxv || (incr > 0 && incr > maxincr) {
		if owtype == bfWrap {
			return wrap()
		}
		return true, maxv
	}
	if incr < 0 && incr < minincr {
		if owtype == bfWrap {
			return wrap()
		}
		return true, 0
	}
	return false, 0
}

// signedOverflow is Redis's checkSignedBitfieldOverflow for a bits-wide
// signed field.
func signedOverflow(value, incr int64, bits uint, owtype int) (bool, int64) {
	maxv := int64(math.MaxInt64)
	if bits < 64 {
		maxv = 1<<(bits-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() (bool, int64) {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return true, int64(c)
	}
	if value > maxv || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
		if owtype == bfWrap {
			return wrap()
		}
		return true, maxv
	}
	if value < minv || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
		if owtype == bfWrap {
			return wrap()
		}
		return true, minv
	}
	return false, 0
}
