package command

import (
	"math"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// Sorted set error texts, as Redis 7.0's t_zset.c sends them.
const (
	errZaddXXNX        = "ERR XX and NX options at the same time are not compatible"
	errZaddGTLTNX      = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZaddIncrPair    = "ERR INCR option supports a single increment-element pair"
	errZMinMaxFloat    = "ERR min or max is not a float"
	errZMinMaxLex      = "ERR min or max not valid string range item"
	errZLimitRank      = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZWithscoresLex  = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZWeightNotFloat = "ERR weight value is not a float"
	errZLimitNegative  = "ERR LIMIT can't be negative"
	errZNumkeys        = "ERR numkeys should be greater than 0"
	errZCount          = "ERR count should be greater than 0"
	errZRandOutOfRange = "ERR value is out of range"
	errZRandCountRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

func init() {
	register("zadd", zaddCmd)
	register("zincrby", zincrbyCmd)
	register("zrem", zremCmd)
	register("zcard", zcardCmd)
	register("zscore", zscoreCmd)
	register("zmscore", zmscoreCmd)
	register("zrank", func(c *Ctx) { zrankCmd(c, false) })
	register("zrevrank", func(c *Ctx) { zrankCmd(c, true) })
	register("zcount", zcountCmd)
	register("zlexcount", zlexcountCmd)
}

// lookupZSet returns key's sorted set for reading, nil if the key does not
// exist, and ok=false (after writing WRONGTYPE) if it holds another type.
func (c *Ctx) lookupZSet(key string) (z *keyspace.ZSet, ok bool) {
	return asZSet(c, c.Lookup(key))
}

// lookupZSetWrite is lookupZSet for a command that may change the set.
func (c *Ctx) lookupZSetWrite(key string) (z *keyspace.ZSet, ok bool) {
	return asZSet(c, c.LookupWrite(key))
}

func asZSet(c *Ctx, e *keyspace.Entry) (*keyspace.ZSet, bool) {
	if e == nil {
		return nil, true
	}
	z, ok := e.Value.(*keyspace.ZSet)
	if !ok {
		c.ErrWrongType()
	}
	return z, ok
}

// zsetLimits returns the listpack thresholds in force, which decide a set's
// encoding when members are inserted.
func zsetLimits(c *Ctx) keyspace.Limits {
	return keyspace.Limits{
		ZsetMaxListpackEntries: c.E.cfg.Int("zset-max-listpack-entries"),
		ZsetMaxListpackValue:   c.E.cfg.Int("zset-max-listpack-value"),
	}
}

// zsetDeleteIfEmpty removes key when its set became empty, as Redis never
// keeps an empty collection.
func zsetDeleteIfEmpty(c *Ctx, key string, z *keyspace.ZSet) {
	if z.Len() == 0 {
		c.DB.Delete(key)
	}
}

// replyScored writes the header of a reply of n members, each followed by
// its score when withScores is set: a flat array in RESP2, an array of
// [member, score] pairs in RESP3.
func replyScoredHeader(w *resp.Writer, n int, withScores bool) {
	if withScores && w.Proto == 2 {
		w.Array(2 * n)
		return
	}
	w.Array(n)
}

// replyScored writes one element of a replyScoredHeader reply.
func replyScored(w *resp.Writer, member string, score float64, withScores bool) {
	if !withScores {
		w.BulkString(member)
		return
	}
	if w.Proto == 3 {
		w.Array(2)
	}
	w.BulkString(member)
	w.Double(score)
}

// zaddOpts are ZADD's parsed flags and elements.
type zaddOpts struct {
	nx, xx, gt, lt, ch, incr bool
	scores                   []float64
	members                  []string
}

// parseZadd parses ZADD's arguments from index 2, in the order Redis
// checks them, writing the error reply on failure.
func parseZadd(c *Ctx) (o zaddOpts, ok bool) {
	i := 2
	for ; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "NX"):
			o.nx = true
		case c.ArgIs(i, "XX"):
			o.xx = true
		case c.ArgIs(i, "GT"):
			o.gt = true
		case c.ArgIs(i, "LT"):
			o.lt = true
		case c.ArgIs(i, "CH"):
			o.ch = true
		case c.ArgIs(i, "INCR"):
			o.incr = true
		default:
			goto elements
		}
	}
elements:
	n := len(c.Args) - i
	switch {
	case n == 0 || n%2 != 0:
		c.ErrSyntax()
		return o, false
	case o.nx && o.xx:
		c.Error(errZaddXXNX)
		return o, false
	case (o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt):
		c.Error(errZaddGTLTNX)
		return o, false
	case o.incr && n > 2:
		c.Error(errZaddIncrPair)
		return o, false
	}
	for ; i < len(c.Args); i += 2 {
		s, ok := parseScore(c.Args[i])
		if !ok {
			c.Error(errNotFloat)
			return o, false
		}
		o.scores = append(o.scores, s)
		o.members = append(o.members, string(c.Args[i+1]))
	}
	return o, true
}

func zaddCmd(c *Ctx) {
	o, ok := parseZadd(c)
	if ok {
		zaddApply(c, c.Key(1), &o)
	}
}

func zincrbyCmd(c *Ctx) {
	s, ok := parseScore(c.Args[2])
	if !ok {
		c.Error(errNotFloat)
		return
	}
	zaddApply(c, c.Key(1), &zaddOpts{incr: true, scores: []float64{s}, members: []string{c.Arg(3)}})
}

// zaddApply is ZADD once its arguments are known valid (Redis's
// zaddGenericCommand and zsetAdd).
func zaddApply(c *Ctx, key string, o *zaddOpts) {
	z, ok := c.lookupZSetWrite(key)
	if !ok {
		return
	}
	if z == nil {
		if o.xx {
			zaddReply(c, o, 0, 0, false, 0)
			return
		}
		z = keyspace.NewZSet()
		c.DB.Set(key, z).Access = c.Now
	}
	limits := zsetLimits(c)
	var added, updated int64
	processed := false
	var newScore float64
	for i, m := range o.members {
		score := o.scores[i]
		cur, exists := z.Score(m)
		switch {
		case exists:
			if o.nx {
				continue
			}
			if o.incr {
				score += cur
				if math.IsNaN(score) {
					if added+updated > 0 {
						c.Modified(key)
					}
					c.Error(errNaN)
					return
				}
			}
			if (o.lt && score >= cur) || (o.gt && score <= cur) {
				continue
			}
			newScore, processed = score, true
			if score != cur {
				z.Add(m, score)
				updated++
			}
		case !o.xx:
			z.Add(m, score)
			z.NoteInsert(limits, m)
			newScore, processed = score, true
			added++
		}
	}
	if added+updated > 0 {
		c.Modified(key)
	}
	zaddReply(c, o, added, updated, processed, newScore)
}

func zaddReply(c *Ctx, o *zaddOpts, added, updated int64, processed bool, newScore float64) {
	switch {
	case o.incr && processed:
		c.W.Double(newScore)
	case o.incr:
		c.W.Null()
	case o.ch:
		c.W.Int(added + updated)
	default:
		c.W.Int(added)
	}
}

func zremCmd(c *Ctx) {
	key := c.Key(1)
	z, ok := c.lookupZSetWrite(key)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	var n int64
	for i := 2; i < len(c.Args); i++ {
		if z.Remove(string(c.Args[i])) {
			n++
		}
	}
	if n > 0 {
		zsetDeleteIfEmpty(c, key, z)
		c.Modified(key)
	}
	c.W.Int(n)
}

func zcardCmd(c *Ctx) {
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.Len()))
}

func zscoreCmd(c *Ctx) {
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	s, found := z.Score(string(c.Args[2]))
	if !found {
		c.W.Null()
		return
	}
	c.W.Double(s)
}

func zmscoreCmd(c *Ctx) {
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for i := 2; i < len(c.Args); i++ {
		if z == nil {
			c.W.Null()
			continue
		}
		if s, found := z.Score(string(c.Args[i])); found {
			c.W.Double(s)
		} else {
			c.W.Null()
		}
	}
}

func zrankCmd(c *Ctx, rev bool) {
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	r, found := z.Rank(string(c.Args[2]), rev)
	if !found {
		c.W.Null()
		return
	}
	c.W.Int(int64(r))
}

func zcountCmd(c *Ctx) {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Error(errZMinMaxFloat)
		return
	}
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.CountInScore(&r)))
}

func zlexcountCmd(c *Ctx) {
	r, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Error(errZMinMaxLex)
		return
	}
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.CountInLex(&r)))
}
