package command

import (
	"math/bits"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("setbit", setbitCmd)
	register("getbit", getbitCmd)
	register("bitcount", bitcountCmd)
	register("bitpos", bitposCmd)
	register("bitop", bitopCmd)
	register("bitfield", func(c *Ctx) { bitfieldGeneric(c, false) })
	register("bitfield_ro", func(c *Ctx) { bitfieldGeneric(c, true) })
}

// Error texts of the bitmap commands, as Redis 7.0's bitops.c sends them.
const (
	errBitOffset     = "ERR bit offset is not an integer or out of range"
	errBitValue      = "ERR bit is not an integer or out of range"
	errBitposBit     = "ERR The bit argument must be 1 or 0."
	errBitopNot      = "ERR BITOP NOT must be called with a single source key."
	errBitfieldType  = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitfieldOflow = "ERR Invalid OVERFLOW type specified"
	errBitfieldRO    = "ERR BITFIELD_RO only supports the GET subcommand"
)

// bitOffset parses a bit offset as Redis's getBitOffsetFromArgument does:
// with hash set and width bits > 0, "#N" means N*bits; the offset must
// address a byte below proto-max-bulk-len.
func bitOffset(c *Ctx, arg []byte, hash bool, width int) (uint64, bool) {
	useHash := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	v, ok := parseIntArg(arg)
	if ok && useHash {
		v *= int64(width)
	}
	if !ok || v < 0 || v>>3 >= c.E.cfg.Int("proto-max-bulk-len") {
		c.Error(errBitOffset)
		return 0, false
	}
	return uint64(v), true
}

// lookupBitString returns key's string for a bit write reaching bit
// maxbit, creating it or zero-padding it as needed (Redis's
// lookupStringForBitCommand); grown reports whether it was created or
// lengthened. Like Redis, the value is "raw" from then on.
func lookupBitString(c *Ctx, key string, maxbit uint64) (s *keyspace.String, grown, ok bool) {
	s, ok = c.lookupStringWrite(key)
	if !ok {
		return nil, false, false
	}
	need := int(maxbit>>3) + 1
	if s == nil {
		s = &keyspace.String{B: make([]byte, need)}
		c.DB.Set(key, s).Access = c.Now
		grown = true
	} else if len(s.B) < need {
		s.B = append(s.B, make([]byte, need-len(s.B))...)
		grown = true
	}
	s.Raw, s.NoInt, s.Copied = true, false, false
	return s, grown, true
}

func setbitCmd(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	on, ok := parseIntArg(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Error(errBitValue)
		return
	}
	key := c.Key(1)
	s, grown, ok := lookupBitString(c, key, off)
	if !ok {
		return
	}
	i, mask := off>>3, byte(1)<<(7-off&7)
	old := s.B[i]&mask != 0
	if grown || old != (on == 1) {
		if on == 1 {
			s.B[i] |= mask
		} else {
			s.B[i] &^= mask
		}
		c.Modified(key)
	}
	c.W.Int(b2i(old))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func getbitCmd(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	s, ok := c.lookupString(c.Key(1))
	if !ok {
		return
	}
	if s == nil || off>>3 >= uint64(len(s.B)) {
		c.W.Int(0)
		return
	}
	c.W.Int(b2i(s.B[off>>3]&(1<<(7-off&7)) != 0))
}

// bitRange is a BITCOUNT/BITPOS range resolved to bytes, with the masks
// of the bits outside it in the first and last byte (BIT unit).
type bitRange struct {
	start, end          int64
	firstMask, lastMask byte
}

// resolveBitRange turns start and end (in bytes, or bits when isBit) into
// a byte range of a string of n bytes, as bitcountCommand does; empty
// reports start > end.
func resolveBitRange(start, end, n int64, isBit bool) (r bitRange, empty bool) {
	total := n
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if isBit && start <= end {
		r.firstMask = ^byte((1 << (8 - start&7)) - 1)
		r.lastMask = byte((1 << (7 - end&7)) - 1)
		start >>= 3
		end >>= 3
	}
	r.start, r.end = start, end
	return r, start > end
}

// bitUnit parses the optional BYTE|BIT argument i, reporting whether it
// says BIT.
func bitUnit(c *Ctx, i int) (isBit, ok bool) {
	if i >= len(c.Args) {
		return false, true
	}
	switch {
	case c.ArgIs(i, "BIT"):
		return true, true
	case c.ArgIs(i, "BYTE"):
		return false, true
	}
	c.ErrSyntax()
	return false, false
}

func bitcountCmd(c *Ctx) {
	// Redis 7.0 looks the key up before parsing the range: a missing key
	// answers 0 whatever follows.
	s, ok := c.lookupString(c.Key(1))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	r := bitRange{start: 0, end: int64(len(s.B)) - 1}
	switch len(c.Args) {
	case 2:
	case 4, 5:
		start, ok := c.Int(2)
		if !ok {
			return
		}
		end, ok := c.Int(3)
		if !ok {
			return
		}
		isBit, ok := bitUnit(c, 4)
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0)
			return
		}
		r, _ = resolveBitRange(start, end, int64(len(s.B)), isBit)
	default:
		c.ErrSyntax()
		return
	}
	if r.start > r.end {
		c.W.Int(0)
		return
	}
	n := popcount(s.B[r.start : r.end+1])
	n -= int64(bits.OnesCount8(s.B[r.start]&r.firstMask) + bits.OnesCount8(s.B[r.end]&r.lastMask))
	c.W.Int(n)
}

// popcount counts the set bits of b.
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

func bitposCmd(c *Ctx) {
	bit, ok := c.Int(2)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Error(errBitposBit)
		return
	}
	e := c.Lookup(c.Key(1))
	if e == nil {
		// A missing key is an endless run of zero bits.
		c.W.Int(-bit) // 0 for a clear bit, -1 for a set one
		return
	}
	s, isStr := e.Value.(*keyspace.String)
	if !isStr {
		c.ErrWrongType()
		return
	}
	n := int64(len(s.B))
	r := bitRange{start: 0, end: n - 1}
	endGiven := false
	switch len(c.Args) {
	case 3:
	case 4, 5, 6:
		start, ok := c.Int(3)
		if !ok {
			return
		}
		isBit, ok := bitUnit(c, 5)
		if !ok {
			return
		}
		end := n - 1
		if isBit {
			end = n<<3 + 7
		}
		if len(c.Args) >= 5 {
			if end, ok = c.Int(4); !ok {
				return
			}
			endGiven = true
		}
		r, _ = resolveBitRange(start, end, n, isBit)
	default:
		c.ErrSyntax()
		return
	}
	if r.start > r.end {
		c.W.Int(-1)
		return
	}
	pos := findBit(s.B, r, bit == 1)
	if pos < 0 && bit == 0 && !endGiven {
		// Without an explicit end the string is zero-padded on the right.
		pos = (r.end + 1) << 3
	}
	c.W.Int(pos)
}

// findBit returns the position of the first bit equal to want in the byte
// range r, ignoring the bits its masks exclude, or -1.
func findBit(b []byte, r bitRange, want bool) int64 {
	for i := r.start; i <= r.end; i++ {
		x := b[i]
		var out byte // bits outside the range
		if i == r.start {
			out |= r.firstMask
		}
		if i == r.end {
			out |= r.lastMask
		}
		if !want {
			x = ^x
		}
		x &^= out
		if x == 0 {
			continue
		}
		return i<<3 + int64(bits.LeadingZeros8(x))
	}
	return -1
}

// Bit operations of BITOP.
const (
	bitopAnd = iota
	bitopOr
	bitopXor
	bitopNot
)

func bitopCmd(c *Ctx) {
	var op int
	switch {
	case c.ArgIs(1, "AND"):
		op = bitopAnd
	case c.ArgIs(1, "OR"):
		op = bitopOr
	case c.ArgIs(1, "XOR"):
		op = bitopXor
	case c.ArgIs(1, "NOT"):
		op = bitopNot
	default:
		c.ErrSyntax()
		return
	}
	if op == bitopNot && len(c.Args) != 4 {
		c.Error(errBitopNot)
		return
	}
	srcs := make([][]byte, 0, len(c.Args)-3)
	maxLen := 0
	for i := 3; i < len(c.Args); i++ {
		s, ok := c.lookupString(c.Key(i))
		if !ok {
			return
		}
		var b []byte
		if s != nil {
			b = s.B
		}
		srcs = append(srcs, b)
		maxLen = max(maxLen, len(b))
	}
	dst := c.Key(2)
	if maxLen == 0 {
		if c.DB.Delete(dst) {
			c.Modified(dst)
		}
		c.W.Int(0)
		return
	}
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	switch op {
	case bitopNot:
		for i := range res {
			res[i] = ^res[i]
		}
	case bitopAnd:
		for _, src := range srcs[1:] {
			for i := range res {
				if i < len(src) {
					res[i] &= src[i]
				} else {
					res[i] = 0
				}
			}
		}
	default:
		for _, src := range srcs[1:] {
			for i, x := range src {
				if op == bitopOr {
					res[i] |= x
				} else {
					res[i] ^= x
				}
			}
		}
	}
	c.DB.Set(dst, &keyspace.String{B: res, Raw: true}).Access = c.Now
	c.Modified(dst)
	c.W.Int(int64(maxLen))
}
