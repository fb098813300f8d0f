package command

import (
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// zrangeKind is how ZRANGE's min and max are read.
type zrangeKind int

const (
	zrangeAuto zrangeKind = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// zrangeDir is ZRANGE's direction; auto until REV is seen or implied.
type zrangeDir int

const (
	zdirAuto zrangeDir = iota
	zdirForward
	zdirReverse
)

func init() {
	register("zrange", func(c *Ctx) { zrangeGeneric(c, 1, false, zrangeAuto, zdirAuto) })
	register("zrangestore", func(c *Ctx) { zrangeGeneric(c, 2, true, zrangeAuto, zdirAuto) })
	register("zrevrange", func(c *Ctx) { zrangeGeneric(c, 1, false, zrangeRank, zdirReverse) })
	register("zrangebyscore", func(c *Ctx) { zrangeGeneric(c, 1, false, zrangeScore, zdirForward) })
	register("zrevrangebyscore", func(c *Ctx) { zrangeGeneric(c, 1, false, zrangeScore, zdirReverse) })
	register("zrangebylex", func(c *Ctx) { zrangeGeneric(c, 1, false, zrangeLex, zdirForward) })
	register("zrevrangebylex", func(c *Ctx) { zrangeGeneric(c, 1, false, zrangeLex, zdirReverse) })
	register("zremrangebyrank", func(c *Ctx) { zremrangeGeneric(c, zrangeRank) })
	register("zremrangebyscore", func(c *Ctx) { zremrangeGeneric(c, zrangeScore) })
	register("zremrangebylex", func(c *Ctx) { zremrangeGeneric(c, zrangeLex) })
}

// zrangeOpts is a parsed ZRANGE-family command.
type zrangeOpts struct {
	kind       zrangeKind
	rev        bool
	withScores bool
	// offset and count are LIMIT's; count -1 means no limit.
	offset, count int64
	start, end    int64 // rank range
	score         keyspace.ScoreRange
	lex           keyspace.LexRange
}

// parseZrange parses a ZRANGE-family command whose source key is argument
// first, following zrangeGenericCommand's order of checks.
func parseZrange(c *Ctx, first int, store bool, kind zrangeKind, dir zrangeDir) (o zrangeOpts, ok bool) {
	o.count = -1
	for j := first + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case !store && c.ArgIs(j, "WITHSCORES"):
			o.withScores = true
		case c.ArgIs(j, "LIMIT") && left >= 2:
			if o.offset, ok = c.Int(j + 1); !ok {
				return o, false
			}
			if o.count, ok = c.Int(j + 2); !ok {
				return o, false
			}
			j += 2
		case dir == zdirAuto && c.ArgIs(j, "REV"):
			dir = zdirReverse
		case kind == zrangeAuto && c.ArgIs(j, "BYLEX"):
			kind = zrangeLex
		case kind == zrangeAuto && c.ArgIs(j, "BYSCORE"):
			kind = zrangeScore
		default:
			c.ErrSyntax()
			return o, false
		}
	}
	if kind == zrangeAuto {
		kind = zrangeRank
	}
	o.kind, o.rev = kind, dir == zdirReverse
	// Redis takes "LIMIT x -1" for no LIMIT at all.
	if o.count != -1 && kind == zrangeRank {
		c.Error(errZLimitRank)
		return o, false
	}
	if o.withScores && kind == zrangeLex {
		c.Error(errZWithscoresLex)
		return o, false
	}
	minArg, maxArg := c.Args[first+1], c.Args[first+2]
	if o.rev && kind != zrangeRank {
		// Reverse score and lex ranges are given as max, min.
		minArg, maxArg = maxArg, minArg
	}
	switch kind {
	case zrangeRank:
		if o.start, ok = c.Int(first + 1); !ok {
			return o, false
		}
		if o.end, ok = c.Int(first + 2); !ok {
			return o, false
		}
	case zrangeScore:
		if o.score, ok = parseScoreRange(minArg, maxArg); !ok {
			c.Error(errZMinMaxFloat)
			return o, false
		}
	case zrangeLex:
		if o.lex, ok = parseLexRange(minArg, maxArg); !ok {
			c.Error(errZMinMaxLex)
			return o, false
		}
	}
	return o, true
}

// zrangeGeneric runs ZRANGE, ZRANGESTORE, ZREVRANGE and the BYSCORE and
// BYLEX variants.
func zrangeGeneric(c *Ctx, first int, store bool, kind zrangeKind, dir zrangeDir) {
	o, ok := parseZrange(c, first, store, kind, dir)
	if !ok {
		return
	}
	z, ok := c.lookupZSet(c.Key(first))
	if !ok {
		return
	}
	var nodes []*keyspace.ZNode
	if z != nil {
		nodes = zrangeSelect(z, &o)
	}
	if store {
		zrangeStore(c, c.Key(1), nodes)
		return
	}
	replyScoredHeader(c.W, len(nodes), o.withScores)
	for _, n := range nodes {
		replyScored(c.W, n.Member(), n.Score(), o.withScores)
	}
}

// zrangeSelect returns the elements a parsed range selects, in reply
// order. Finding the start is O(log n) (LIMIT's offset included, through
// ranks), then O(1) per element.
func zrangeSelect(z *keyspace.ZSet, o *zrangeOpts) []*keyspace.ZNode {
	step := (*keyspace.ZNode).Next
	if o.rev {
		step = (*keyspace.ZNode).Prev
	}
	if o.kind == zrangeRank {
		n := int64(z.Len())
		start, end := o.start, o.end
		if start < 0 {
			start += n
		}
		if end < 0 {
			end += n
		}
		start = max(start, 0)
		if start > end || start >= n {
			return nil
		}
		end = min(end, n-1)
		rank := start
		if o.rev {
			rank = n - 1 - start
		}
		out := make([]*keyspace.ZNode, 0, end-start+1)
		for x := z.ByRank(int(rank)); len(out) < cap(out); x = step(x) {
			out = append(out, x)
		}
		return out
	}
	if o.offset < 0 || (o.offset > 0 && o.offset >= int64(z.Len())) {
		// Redis walks a negative offset off the end of the set.
		return nil
	}
	var x *keyspace.ZNode
	var in func(*keyspace.ZNode) bool
	switch {
	case o.kind == zrangeScore && o.rev:
		x = z.LastInScore(&o.score)
		in = func(n *keyspace.ZNode) bool { return o.score.Contains(n.Score()) }
	case o.kind == zrangeScore:
		x = z.FirstInScore(&o.score)
		in = func(n *keyspace.ZNode) bool { return o.score.Contains(n.Score()) }
	case o.rev:
		x = z.LastInLex(&o.lex)
		in = func(n *keyspace.ZNode) bool { return o.lex.Contains(n.Member()) }
	default:
		x = z.FirstInLex(&o.lex)
		in = func(n *keyspace.ZNode) bool { return o.lex.Contains(n.Member()) }
	}
	if x != nil && o.offset > 0 {
		r := int64(z.NodeRank(x))
		if o.rev {
			r -= o.offset
		} else {
			r += o.offset
		}
		x = nil
		if r >= 0 && r < int64(z.Len()) {
			x = z.ByRank(int(r))
		}
	}
	var out []*keyspace.ZNode
	for ; x != nil && o.count != 0 && in(x); x = step(x) {
		out = append(out, x)
		o.count--
	}
	return out
}

// zrangeStore writes ZRANGESTORE's result: a new set, or no key at all
// when the range is empty.
func zrangeStore(c *Ctx, dst string, nodes []*keyspace.ZNode) {
	if len(nodes) == 0 {
		if c.DB.Delete(dst) {
			c.Modified(dst)
		}
		c.W.Int(0)
		return
	}
	limits := zsetLimits(c)
	z := keyspace.NewZSet()
	for _, n := range nodes {
		z.Add(n.Member(), n.Score())
		z.NoteInsert(limits, n.Member())
	}
	c.DB.Set(dst, z).Access = c.Now
	c.Modified(dst)
	c.W.Int(int64(len(nodes)))
}

// zremrangeGeneric runs ZREMRANGEBYRANK, ZREMRANGEBYSCORE and
// ZREMRANGEBYLEX.
func zremrangeGeneric(c *Ctx, kind zrangeKind) {
	var o zrangeOpts
	var ok bool
	switch kind {
	case zrangeRank:
		if o.start, ok = c.Int(2); !ok {
			return
		}
		if o.end, ok = c.Int(3); !ok {
			return
		}
	case zrangeScore:
		if o.score, ok = parseScoreRange(c.Args[2], c.Args[3]); !ok {
			c.Error(errZMinMaxFloat)
			return
		}
	case zrangeLex:
		if o.lex, ok = parseLexRange(c.Args[2], c.Args[3]); !ok {
			c.Error(errZMinMaxLex)
			return
		}
	}
	key := c.Key(1)
	z, ok := c.lookupZSetWrite(key)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	var n int
	switch kind {
	case zrangeRank:
		size := int64(z.Len())
		start, end := o.start, o.end
		if start < 0 {
			start += size
		}
		if end < 0 {
			end += size
		}
		start = max(start, 0)
		if start > end || start >= size {
			c.W.Int(0)
			return
		}
		end = min(end, size-1)
		n = z.RemoveRangeByRank(int(start), int(end))
	case zrangeScore:
		n = z.RemoveRangeByScore(&o.score)
	case zrangeLex:
		n = z.RemoveRangeByLex(&o.lex)
	}
	if n > 0 {
		zsetDeleteIfEmpty(c, key, z)
		c.Modified(key)
	}
	c.W.Int(int64(n))
}
