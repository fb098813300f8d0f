package command

import (
	"fmt"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("pfadd", pfaddCmd)
	register("pfcount", pfcountCmd)
	register("pfmerge", pfmergeCmd)
	register("pfdebug", pfdebugCmd)
	register("pfselftest", pfselftestCmd)
}

// Error texts of the HyperLogLog commands, as Redis 7.0's hyperloglog.c
// sends them.
const (
	errHLLInvalid    = "INVALIDOBJ Corrupted HLL object detected"
	errHLLWrongType  = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errHLLNoKey      = "ERR The specified key does not exist"
	errHLLNotSparse  = "ERR HLL encoding is not sparse"
	errHLLUnknownSub = "ERR Unknown PFDEBUG subcommand '%s'"
)

// hllSparseMax is the size past which a sparse HyperLogLog turns dense
// (hll-sparse-max-bytes).
func hllSparseMax(c *Ctx) int { return int(c.E.cfg.Int("hll-sparse-max-bytes")) }

// asHLL returns the HyperLogLog string of an entry, writing WRONGTYPE
// (Redis's two variants) when it is another type or not a HyperLogLog.
func asHLL(c *Ctx, e *keyspace.Entry) (*keyspace.String, bool) {
	s, ok := e.Value.(*keyspace.String)
	if !ok {
		c.ErrWrongType()
		return nil, false
	}
	if !isHLL(s.B) {
		c.Error(errHLLWrongType)
		return nil, false
	}
	return s, true
}

// unshare marks a HyperLogLog changed in place, which Redis's
// dbUnshareStringValue makes "raw".
func unshare(s *keyspace.String) { s.Raw, s.NoInt, s.Copied = true, false, false }

func pfaddCmd(c *Ctx) {
	key := c.Key(1)
	e := c.LookupWrite(key)
	updated := 0
	var s *keyspace.String
	if e == nil {
		s = &keyspace.String{B: newHLL(), Raw: true}
		c.DB.Set(key, s).Access = c.Now
		updated++
	} else {
		var ok bool
		if s, ok = asHLL(c, e); !ok {
			return
		}
		unshare(s)
	}
	maxSparse := hllSparseMax(c)
	for _, ele := range c.Args[2:] {
		var r int
		s.B, r = hllAdd(s.B, ele, maxSparse)
		if r < 0 {
			if updated > 0 {
				// Redis keeps what the earlier elements changed; log the
				// command so a replay reaches the same bytes.
				c.Modified(key)
			}
			c.Error(errHLLInvalid)
			return
		}
		updated += r
	}
	if updated > 0 {
		hllInvalidate(s.B)
		c.Modified(key)
	}
	c.W.Int(b2i(updated > 0))
}

func pfcountCmd(c *Ctx) {
	if len(c.Args) > 2 {
		// The cardinality of the union, in a scratch register array.
		max := make([]uint8, hllRegisters)
		for i := 1; i < len(c.Args); i++ {
			e := c.Lookup(c.Key(i))
			if e == nil {
				continue
			}
			s, ok := asHLL(c, e)
			if !ok {
				return
			}
			if !hllMergeInto(max, s.B) {
				c.Error(errHLLInvalid)
				return
			}
		}
		h := rawHisto(max)
		c.W.Int(int64(hllEstimate(&h)))
		return
	}
	key := c.Key(1)
	e := c.Lookup(key)
	if e == nil {
		c.W.Int(0)
		return
	}
	s, ok := asHLL(c, e)
	if !ok {
		return
	}
	unshare(s)
	if hllCacheValid(s.B) {
		c.W.Int(int64(hllCachedCard(s.B)))
		return
	}
	h, valid := hllHisto(s.B)
	if !valid {
		c.Error(errHLLInvalid)
		return
	}
	card := hllEstimate(&h)
	hllSetCard(s.B, card)
	// Refreshing the cache changes the value: Redis signals the key
	// modified, and the log must carry it so a replay caches it too.
	c.Modified(key)
	c.W.Int(int64(card))
}

func pfmergeCmd(c *Ctx) {
	max := make([]uint8, hllRegisters)
	dense := false
	for i := 1; i < len(c.Args); i++ {
		e := c.Lookup(c.Key(i))
		if e == nil {
			continue
		}
		s, ok := asHLL(c, e)
		if !ok {
			return
		}
		if s.B[4] == hllDense {
			dense = true
		}
		if !hllMergeInto(max, s.B) {
			c.Error(errHLLInvalid)
			return
		}
	}
	key := c.Key(1)
	var s *keyspace.String
	if e := c.LookupWrite(key); e == nil {
		s = &keyspace.String{B: newHLL(), Raw: true}
		c.DB.Set(key, s).Access = c.Now
	} else {
		// Checked as a source above.
		s = e.Value.(*keyspace.String)
		unshare(s)
	}
	if dense {
		d, ok := sparseToDense(s.B)
		if !ok {
			c.Error(errHLLInvalid)
			return
		}
		s.B = d
	}
	maxSparse := hllSparseMax(c)
	for i, v := range max {
		if v != 0 {
			// Like Redis, a corrupt destination is not reported here.
			s.B, _ = hllSet(s.B, i, v, maxSparse)
		}
	}
	hllInvalidate(s.B)
	c.Modified(key)
	c.W.OK()
}

func pfdebugCmd(c *Ctx) {
	key := c.Key(2)
	e := c.LookupWrite(key)
	if e == nil {
		c.Error(errHLLNoKey)
		return
	}
	s, ok := asHLL(c, e)
	if !ok {
		return
	}
	unshare(s)
	switch {
	case c.ArgIs(1, "GETREG"):
		if !pfdebugToDense(c, key, s) {
			return
		}
		c.W.Array(hllRegisters)
		for i := range hllRegisters {
			c.W.Int(int64(denseGet(s.B[hllHdrSize:], i)))
		}
	case c.ArgIs(1, "DECODE"):
		if s.B[4] != hllSparse {
			c.Error(errHLLNotSparse)
			return
		}
		var sb strings.Builder
		for p := hllHdrSize; p < len(s.B); {
			span, val, oplen := sparseOp(s.B[p:])
			switch {
			case val != 0:
				fmt.Fprintf(&sb, "v:%d,%d ", val, span)
			case oplen == 2:
				fmt.Fprintf(&sb, "Z:%d ", span)
			default:
				fmt.Fprintf(&sb, "z:%d ", span)
			}
			p += oplen
		}
		c.W.BulkString(strings.TrimRight(sb.String(), " "))
	case c.ArgIs(1, "ENCODING"):
		if s.B[4] == hllDense {
			c.W.Status("dense")
		} else {
			c.W.Status("sparse")
		}
	case c.ArgIs(1, "TODENSE"):
		conv := s.B[4] == hllSparse
		if !pfdebugToDense(c, key, s) {
			return
		}
		c.W.Int(b2i(conv))
	default:
		c.Error(fmt.Sprintf(errHLLUnknownSub, c.Arg(1)))
	}
}

// pfdebugToDense converts a sparse value to dense for PFDEBUG, logging
// the change (Redis propagates it).
func pfdebugToDense(c *Ctx, key string, s *keyspace.String) bool {
	if s.B[4] != hllSparse {
		return true
	}
	d, ok := sparseToDense(s.B)
	if !ok {
		c.Error(errHLLInvalid)
		return false
	}
	s.B = d
	c.Modified(key)
	return true
}

// pfselftestCmd checks the register and sparse coding as Redis's
// PFSELFTEST does (a lighter version of its checks), answering +OK.
func pfselftestCmd(c *Ctx) {
	d := make([]byte, hllDenseSize)
	r := d[hllHdrSize:]
	for i := range hllRegisters {
		denseSet(r, i, uint8((i*7+3)&hllRegMax))
	}
	for i := range hllRegisters {
		if got, want := denseGet(r, i), uint8((i*7+3)&hllRegMax); got != want {
			c.Error(fmt.Sprintf("ERR TESTFAILED Register %d should be %d but is %d", i, want, got))
			return
		}
	}
	c.W.OK()
}
