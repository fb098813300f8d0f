package command

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

func init() {
	register("zrandmember", zrandmemberCmd)
	register("zscan", zscanCmd)
}

// zrandmemberCmd is ZRANDMEMBER key [count [WITHSCORES]].
func zrandmemberCmd(c *Ctx) {
	if len(c.Args) == 2 {
		z, ok := c.lookupZSet(c.Key(1))
		if !ok {
			return
		}
		if z == nil {
			c.W.Null()
			return
		}
		c.W.BulkString(z.ByRank(rand.IntN(z.Len())).Member())
		return
	}
	l, ok := c.Int(2)
	if !ok {
		return
	}
	if l == math.MinInt64 {
		c.Error(errZRandCountRange)
		return
	}
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.ArgIs(3, "WITHSCORES")) {
		c.ErrSyntax()
		return
	}
	withScores := len(c.Args) == 4
	if withScores && (l < -math.MaxInt64/2 || l > math.MaxInt64/2) {
		c.Error(errZRandOutOfRange)
		return
	}
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil || l == 0 {
		c.W.Array(0)
		return
	}
	size := int64(z.Len())
	switch {
	case l < 0 || l == 1:
		// Repeats allowed: independent picks, O(log n) each.
		n := l
		if n < 0 {
			n = -n
		}
		replyScoredHeader(c.W, int(n), withScores)
		for ; n > 0; n-- {
			x := z.ByRank(rand.IntN(int(size)))
			replyScored(c.W, x.Member(), x.Score(), withScores)
		}
	case l >= size:
		replyScoredHeader(c.W, int(size), withScores)
		for x := z.First(); x != nil; x = x.Next() {
			replyScored(c.W, x.Member(), x.Score(), withScores)
		}
	default:
		// Distinct ranks by Floyd's algorithm: l draws, no rejection loop.
		picked := make(map[int]bool, l)
		order := make([]int, 0, l)
		for j := size - l; j < size; j++ {
			r := rand.IntN(int(j + 1))
			if picked[r] {
				r = int(j)
			}
			picked[r] = true
			order = append(order, r)
		}
		rand.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		replyScoredHeader(c.W, len(order), withScores)
		for _, r := range order {
			x := z.ByRank(r)
			replyScored(c.W, x.Member(), x.Score(), withScores)
		}
	}
}

// ZSCAN cursors of skiplist-encoded sets are scores, mapped to integers in
// an order-preserving way: a scan resumes at the first element whose score
// is not below the cursor's, so elements present for the whole scan are
// returned whatever is added or removed meanwhile. Elements sharing a
// score are always returned in the same call, so a run of equal scores is
// never split.

// scoreCursor maps a score to a non-zero cursor preserving order.
func scoreCursor(s float64) uint64 {
	if s == 0 {
		s = 0 // -0 and 0 are one score
	}
	b := math.Float64bits(s)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// cursorScore is scoreCursor's inverse.
func cursorScore(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// zscanCmd is ZSCAN key cursor [MATCH pattern] [COUNT count].
func zscanCmd(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Error(errInvalidCursor)
		return
	}
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil {
		replyEmptyScan(c)
		return
	}
	count := int64(10)
	pattern, usePattern := "", false
	for i := 3; i < len(c.Args); i++ {
		left := len(c.Args) - i
		switch {
		case c.ArgIs(i, "COUNT") && left >= 2:
			v, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if v < 1 {
				c.ErrSyntax()
				return
			}
			count = v
			i++
		case c.ArgIs(i, "MATCH") && left >= 2:
			pattern = c.Arg(i + 1)
			usePattern = pattern != "*"
			i++
		default:
			c.ErrSyntax()
			return
		}
	}
	var from *keyspace.ZNode
	var next uint64
	all := z.IsListpack()
	switch {
	case all || cursor == 0:
		// A listpack-encoded set is returned whole, as Redis does.
		from = z.First()
	default:
		from = z.ScanFrom(cursorScore(cursor))
	}
	var found []*keyspace.ZNode
	x := from
	for taken := int64(0); x != nil && (all || taken < count || x.Score() == x.Prev().Score()); x = x.Next() {
		taken++
		if !usePattern || glob.Match(pattern, x.Member()) {
			found = append(found, x)
		}
	}
	if x != nil {
		next = scoreCursor(x.Score())
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(2 * len(found))
	var buf [32]byte
	for _, n := range found {
		c.W.BulkString(n.Member())
		c.W.Bulk(resp.AppendDouble(buf[:0], n.Score()))
	}
}
