package command

import (
	"math"
	"slices"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// zsetOp is the operation of ZUNION, ZINTER and ZDIFF.
type zsetOp int

const (
	zopUnion zsetOp = iota
	zopInter
	zopDiff
)

// zaggregate is AGGREGATE's choice.
type zaggregate int

const (
	zaggSum zaggregate = iota
	zaggMin
	zaggMax
)

func init() {
	register("zunion", func(c *Ctx) { zsetOpGeneric(c, false, zopUnion, false) })
	register("zinter", func(c *Ctx) { zsetOpGeneric(c, false, zopInter, false) })
	register("zdiff", func(c *Ctx) { zsetOpGeneric(c, false, zopDiff, false) })
	register("zunionstore", func(c *Ctx) { zsetOpGeneric(c, true, zopUnion, false) })
	register("zinterstore", func(c *Ctx) { zsetOpGeneric(c, true, zopInter, false) })
	register("zdiffstore", func(c *Ctx) { zsetOpGeneric(c, true, zopDiff, false) })
	register("zintercard", func(c *Ctx) { zsetOpGeneric(c, false, zopInter, true) })
}

// zsetOpSrc is one input of a set operation. Missing keys are empty
// inputs (z == nil).
//
// Redis also accepts plain sets (every member scoring 1); Mnemo's set type
// is not in this package yet, so they get WRONGTYPE for now.
type zsetOpSrc struct {
	z      *keyspace.ZSet
	weight float64
}

func (s *zsetOpSrc) len() int {
	if s.z == nil {
		return 0
	}
	return s.z.Len()
}

// zsetOpArgs are the parsed arguments of a set operation.
type zsetOpArgs struct {
	srcs       []zsetOpSrc
	agg        zaggregate
	withScores bool
	limit      int64 // ZINTERCARD's LIMIT, 0 for none
}

// parseZsetOp reads the inputs and options of a set operation whose
// numkeys is argument nk, in Redis's order: the input keys are looked up
// (and type-checked) before the options are parsed.
func parseZsetOp(c *Ctx, nk int, store bool, op zsetOp, cardOnly bool) (a zsetOpArgs, ok bool) {
	n, ok := c.Int(nk)
	if !ok {
		return a, false
	}
	if n < 1 {
		c.Error("ERR at least 1 input key is needed for '" + c.Cmd.Name + "' command")
		return a, false
	}
	if n > int64(len(c.Args)-nk-1) {
		c.ErrSyntax()
		return a, false
	}
	a.srcs = make([]zsetOpSrc, n)
	j := nk + 1
	for i := range a.srcs {
		z, ok := c.lookupZSet(c.Key(j))
		if !ok {
			return a, false
		}
		a.srcs[i] = zsetOpSrc{z: z, weight: 1}
		j++
	}
	for j < len(c.Args) {
		left := len(c.Args) - j
		switch {
		case op != zopDiff && !cardOnly && left >= len(a.srcs)+1 && c.ArgIs(j, "WEIGHTS"):
			j++
			for i := range a.srcs {
				w, ok := parseScore(c.Args[j])
				if !ok {
					c.Error(errZWeightNotFloat)
					return a, false
				}
				a.srcs[i].weight = w
				j++
			}
		case op != zopDiff && !cardOnly && left >= 2 && c.ArgIs(j, "AGGREGATE"):
			switch {
			case c.ArgIs(j+1, "SUM"):
				a.agg = zaggSum
			case c.ArgIs(j+1, "MIN"):
				a.agg = zaggMin
			case c.ArgIs(j+1, "MAX"):
				a.agg = zaggMax
			default:
				c.ErrSyntax()
				return a, false
			}
			j += 2
		case !store && !cardOnly && c.ArgIs(j, "WITHSCORES"):
			a.withScores = true
			j++
		case cardOnly && left >= 2 && c.ArgIs(j, "LIMIT"):
			v, ok := resp.ParseInt(c.Args[j+1])
			if !ok || v < 0 {
				c.Error(errZLimitNegative)
				return a, false
			}
			a.limit = v
			j += 2
		default:
			c.ErrSyntax()
			return a, false
		}
	}
	return a, true
}

// aggregate folds v into *acc; a NaN sum (inf + -inf) becomes 0, as in
// Redis.
func (agg zaggregate) apply(acc *float64, v float64) {
	switch agg {
	case zaggSum:
		*acc += v
		if math.IsNaN(*acc) {
			*acc = 0
		}
	case zaggMin:
		*acc = min(*acc, v)
	case zaggMax:
		*acc = max(*acc, v)
	}
}

// weighted returns score times weight, 0 for NaN (0 * inf).
func weighted(score, weight float64) float64 {
	v := score * weight
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// zsetOpGeneric runs ZUNION, ZINTER, ZDIFF, their STORE forms and
// ZINTERCARD (Redis's zunionInterDiffGenericCommand).
func zsetOpGeneric(c *Ctx, store bool, op zsetOp, cardOnly bool) {
	nk := 1
	if store {
		nk = 2
	}
	a, ok := parseZsetOp(c, nk, store, op, cardOnly)
	if !ok {
		return
	}
	if op != zopDiff {
		// Smallest first: intersection probes the others for each member
		// of the smallest. Stable, so equal sizes keep their order and
		// sums add up in the same order as in Redis.
		slices.SortStableFunc(a.srcs, func(x, y zsetOpSrc) int { return x.len() - y.len() })
	}
	if cardOnly {
		c.W.Int(zinterCard(a.srcs, a.limit))
		return
	}
	var dst *keyspace.ZSet
	switch op {
	case zopInter:
		dst = zinter(a.srcs, a.agg)
	case zopUnion:
		dst = zunion(a.srcs, a.agg)
	default:
		dst = zdiff(a.srcs)
	}
	if store {
		key := c.Key(1)
		if dst.Len() == 0 {
			if c.DB.Delete(key) {
				c.Modified(key)
			}
			c.W.Int(0)
			return
		}
		dst.FitEncoding(zsetLimits(c))
		c.DB.Set(key, dst).Access = c.Now
		c.Modified(key)
		c.W.Int(int64(dst.Len()))
		return
	}
	replyScoredHeader(c.W, dst.Len(), a.withScores)
	for n := dst.First(); n != nil; n = n.Next() {
		replyScored(c.W, n.Member(), n.Score(), a.withScores)
	}
}

func zinter(srcs []zsetOpSrc, agg zaggregate) *keyspace.ZSet {
	dst := keyspace.NewZSet()
	if srcs[0].len() == 0 {
		return dst
	}
next:
	for n := srcs[0].z.First(); n != nil; n = n.Next() {
		score := weighted(n.Score(), srcs[0].weight)
		for _, s := range srcs[1:] {
			v, found := s.z.Score(n.Member())
			if !found {
				continue next
			}
			agg.apply(&score, weighted(v, s.weight))
		}
		dst.Add(n.Member(), score)
	}
	return dst
}

func zinterCard(srcs []zsetOpSrc, limit int64) int64 {
	if srcs[0].len() == 0 {
		return 0
	}
	var card int64
next:
	for n := srcs[0].z.First(); n != nil; n = n.Next() {
		for _, s := range srcs[1:] {
			if _, found := s.z.Score(n.Member()); !found {
				continue next
			}
		}
		card++
		if limit > 0 && card >= limit {
			break
		}
	}
	return card
}

func zunion(srcs []zsetOpSrc, agg zaggregate) *keyspace.ZSet {
	acc := make(map[string]float64, srcs[len(srcs)-1].len())
	for _, s := range srcs {
		if s.z == nil {
			continue
		}
		for n := s.z.First(); n != nil; n = n.Next() {
			v := weighted(n.Score(), s.weight)
			if cur, found := acc[n.Member()]; found {
				agg.apply(&cur, v)
				acc[n.Member()] = cur
			} else {
				acc[n.Member()] = v
			}
		}
	}
	dst := keyspace.NewZSet()
	for m, s := range acc {
		dst.Add(m, s)
	}
	return dst
}

// zdiff keeps the members of the first input found in no other, with
// their scores.
func zdiff(srcs []zsetOpSrc) *keyspace.ZSet {
	dst := keyspace.NewZSet()
	if srcs[0].len() == 0 {
		return dst
	}
next:
	for n := srcs[0].z.First(); n != nil; n = n.Next() {
		for _, s := range srcs[1:] {
			if s.z == nil {
				continue
			}
			if _, found := s.z.Score(n.Member()); found {
				continue next
			}
		}
		dst.Add(n.Member(), n.Score())
	}
	return dst
}
