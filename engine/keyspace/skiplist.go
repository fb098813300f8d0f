package keyspace

import (
	"math/rand/v2"
	"strings"
)

// The skiplist of a sorted set, after Redis's t_zset.c (itself after
// William Pugh's paper): nodes ordered by (score, member bytes), with a
// span on every forward link counting the nodes it skips, so that the rank
// of a node and the node at a rank are found in O(log n).

const (
	// zslMaxLevel is enough for 2^64 elements with p = 1/4.
	zslMaxLevel = 32
	// zslP is the probability that a node of level l also has level l+1.
	zslP = 0.25
)

// ZNode is one element of a sorted set, in its order. It stays valid until
// the element is removed or its score changes.
type ZNode struct {
	member   string
	score    float64
	backward *ZNode
	level    []zslLevel
}

type zslLevel struct {
	forward *ZNode
	span    int // nodes from this one to forward (forward included)
}

// Member returns the element's member.
func (n *ZNode) Member() string { return n.member }

// Score returns the element's score.
func (n *ZNode) Score() float64 { return n.score }

// Next returns the following element (higher in order), or nil.
func (n *ZNode) Next() *ZNode { return n.level[0].forward }

// Prev returns the preceding element, or nil.
func (n *ZNode) Prev() *ZNode { return n.backward }

type skiplist struct {
	header *ZNode // sentinel with zslMaxLevel levels; holds no element
	tail   *ZNode
	length int
	level  int // levels in use, at least 1
}

func newSkiplist() *skiplist {
	return &skiplist{header: &ZNode{level: make([]zslLevel, zslMaxLevel)}, level: 1}
}

func zslRandomLevel() int {
	l := 1
	for l < zslMaxLevel && rand.Float64() < zslP {
		l++
	}
	return l
}

// zslLess reports whether (s1, m1) sorts before (s2, m2).
func zslLess(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// insert adds an element the caller knows is not there yet.
func (sl *skiplist) insert(score float64, member string) *ZNode {
	var update [zslMaxLevel]*ZNode
	var rank [zslMaxLevel]int
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		if i != sl.level-1 {
			rank[i] = rank[i+1]
		}
		for y := x.level[i].forward; y != nil && zslLess(y.score, y.member, score, member); y = x.level[i].forward {
			rank[i] += x.level[i].span
			x = y
		}
		update[i] = x
	}
	lvl := zslRandomLevel()
	if lvl > sl.level {
		for i := sl.level; i < lvl; i++ {
			rank[i] = 0
			update[i] = sl.header
			update[i].level[i].span = sl.length
		}
		sl.level = lvl
	}
	x = &ZNode{member: member, score: score, level: make([]zslLevel, lvl)}
	for i := 0; i < lvl; i++ {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < sl.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != sl.header {
		x.backward = update[0]
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x
	} else {
		sl.tail = x
	}
	sl.length++
	return x
}

// findUpdate fills update with the last node before (score, member) on
// every level and returns the node at or after it on level 0.
func (sl *skiplist) findUpdate(score float64, member string, update *[zslMaxLevel]*ZNode) *ZNode {
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for y := x.level[i].forward; y != nil && zslLess(y.score, y.member, score, member); y = x.level[i].forward {
			x = y
		}
		update[i] = x
	}
	return x.level[0].forward
}

// unlink removes x given the update vector findUpdate built for it.
func (sl *skiplist) unlink(x *ZNode, update *[zslMaxLevel]*ZNode) {
	for i := 0; i < sl.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if x.level[0].forward != nil {
		x.level[0].forward.backward = x.backward
	} else {
		sl.tail = x.backward
	}
	for sl.level > 1 && sl.header.level[sl.level-1].forward == nil {
		sl.level--
	}
	sl.length--
}

// delete removes the element (score, member) and reports whether it was
// there.
func (sl *skiplist) delete(score float64, member string) bool {
	var update [zslMaxLevel]*ZNode
	x := sl.findUpdate(score, member, &update)
	if x == nil || x.score != score || x.member != member {
		return false
	}
	sl.unlink(x, &update)
	return true
}

// updateScore moves the element (old, member), which must exist, to score
// nu. When its place in the order does not change, the node is reused.
func (sl *skiplist) updateScore(old float64, member string, nu float64) *ZNode {
	var update [zslMaxLevel]*ZNode
	x := sl.findUpdate(old, member, &update)
	if (x.backward == nil || x.backward.score < nu) &&
		(x.level[0].forward == nil || x.level[0].forward.score > nu) {
		x.score = nu
		return x
	}
	sl.unlink(x, &update)
	return sl.insert(nu, member)
}

// rank returns the 1-based rank of (score, member), 0 when absent.
func (sl *skiplist) rank(score float64, member string) int {
	x := sl.header
	rank := 0
	for i := sl.level - 1; i >= 0; i-- {
		for y := x.level[i].forward; y != nil && !zslLess(score, member, y.score, y.member); y = x.level[i].forward {
			rank += x.level[i].span
			x = y
		}
		if x != sl.header && x.member == member && x.score == score {
			return rank
		}
	}
	return 0
}

// byRank returns the node at 1-based rank r, or nil.
func (sl *skiplist) byRank(r int) *ZNode {
	if r < 1 || r > sl.length {
		return nil
	}
	x := sl.header
	traversed := 0
	for i := sl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span <= r {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		if traversed == r {
			return x
		}
	}
	return nil
}

// ScoreRange is a score interval, as ZRANGEBYSCORE's min and max give it.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool // exclusive bounds
}

func (r *ScoreRange) gteMin(v float64) bool {
	if r.MinEx {
		return v > r.Min
	}
	return v >= r.Min
}

func (r *ScoreRange) lteMax(v float64) bool {
	if r.MaxEx {
		return v < r.Max
	}
	return v <= r.Max
}

// Empty reports whether no score can be in the range.
func (r *ScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// Contains reports whether v is in the range.
func (r *ScoreRange) Contains(v float64) bool { return r.gteMin(v) && r.lteMax(v) }

// LexBound is one end of a lexicographic range: a member, or -inf / +inf
// (Redis's "-" and "+").
type LexBound struct {
	S  string
	Ex bool // exclusive
	// Inf is -1 for "-" (before every member), +1 for "+" (after every
	// member), 0 for a member bound.
	Inf int8
}

// LexRange is a member interval, as ZRANGEBYLEX's min and max give it.
type LexRange struct{ Min, Max LexBound }

// cmpValue compares member v with bound b.
func (b *LexBound) cmpValue(v string) int {
	switch b.Inf {
	case -1:
		return 1
	case 1:
		return -1
	}
	return strings.Compare(v, b.S)
}

func (r *LexRange) gteMin(v string) bool {
	c := r.Min.cmpValue(v)
	return c > 0 || (c == 0 && !r.Min.Ex)
}

func (r *LexRange) lteMax(v string) bool {
	c := r.Max.cmpValue(v)
	return c < 0 || (c == 0 && !r.Max.Ex)
}

// Empty reports whether no member can be in the range.
func (r *LexRange) Empty() bool {
	var c int
	switch {
	case r.Min.Inf == r.Max.Inf && r.Min.Inf != 0:
		c = 0
	case r.Min.Inf == -1 || r.Max.Inf == 1:
		c = -1
	case r.Min.Inf == 1 || r.Max.Inf == -1:
		c = 1
	default:
		c = strings.Compare(r.Min.S, r.Max.S)
	}
	return c > 0 || (c == 0 && (r.Min.Ex || r.Max.Ex))
}

// Contains reports whether member v is in the range.
func (r *LexRange) Contains(v string) bool { return r.gteMin(v) && r.lteMax(v) }

// firstWhere returns the first node for which pastMin holds (pastMin must
// be monotonic in the order), or nil.
func (sl *skiplist) firstWhere(pastMin func(*ZNode) bool) *ZNode {
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !pastMin(x.level[i].forward) {
			x = x.level[i].forward
		}
	}
	return x.level[0].forward
}

// lastWhere returns the last node for which inMax holds (inMax must hold
// for a prefix of the order), or nil.
func (sl *skiplist) lastWhere(inMax func(*ZNode) bool) *ZNode {
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && inMax(x.level[i].forward) {
			x = x.level[i].forward
		}
	}
	if x == sl.header {
		return nil
	}
	return x
}

func (sl *skiplist) firstInScore(r *ScoreRange) *ZNode {
	if r.Empty() {
		return nil
	}
	x := sl.firstWhere(func(n *ZNode) bool { return r.gteMin(n.score) })
	if x == nil || !r.lteMax(x.score) {
		return nil
	}
	return x
}

func (sl *skiplist) lastInScore(r *ScoreRange) *ZNode {
	if r.Empty() {
		return nil
	}
	x := sl.lastWhere(func(n *ZNode) bool { return r.lteMax(n.score) })
	if x == nil || !r.gteMin(x.score) {
		return nil
	}
	return x
}

func (sl *skiplist) firstInLex(r *LexRange) *ZNode {
	if r.Empty() {
		return nil
	}
	x := sl.firstWhere(func(n *ZNode) bool { return r.gteMin(n.member) })
	if x == nil || !r.lteMax(x.member) {
		return nil
	}
	return x
}

func (sl *skiplist) lastInLex(r *LexRange) *ZNode {
	if r.Empty() {
		return nil
	}
	x := sl.lastWhere(func(n *ZNode) bool { return r.lteMax(n.member) })
	if x == nil || !r.gteMin(x.member) {
		return nil
	}
	return x
}

// deleteFrom removes, starting at first (whose update vector is update),
// the run of nodes for which keep holds, calling removed for each; it
// returns how many it removed. O(number removed) after the O(log n) search.
func (sl *skiplist) deleteFrom(update *[zslMaxLevel]*ZNode, keep func(*ZNode) bool, removed func(*ZNode)) int {
	n := 0
	x := update[0].level[0].forward
	for x != nil && keep(x) {
		next := x.level[0].forward
		sl.unlink(x, update)
		removed(x)
		n++
		x = next
	}
	return n
}

// deleteRangeByScore removes the nodes in r.
func (sl *skiplist) deleteRangeByScore(r *ScoreRange, removed func(*ZNode)) int {
	if r.Empty() {
		return 0
	}
	var update [zslMaxLevel]*ZNode
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !r.gteMin(x.level[i].forward.score) {
			x = x.level[i].forward
		}
		update[i] = x
	}
	return sl.deleteFrom(&update, func(n *ZNode) bool { return r.lteMax(n.score) }, removed)
}

// deleteRangeByLex removes the nodes in r.
func (sl *skiplist) deleteRangeByLex(r *LexRange, removed func(*ZNode)) int {
	if r.Empty() {
		return 0
	}
	var update [zslMaxLevel]*ZNode
	x := sl.header
	for i := sl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !r.gteMin(x.level[i].forward.member) {
			x = x.level[i].forward
		}
		update[i] = x
	}
	return sl.deleteFrom(&update, func(n *ZNode) bool { return r.lteMax(n.member) }, removed)
}

// deleteRangeByRank removes the nodes of 1-based ranks start..end.
func (sl *skiplist) deleteRangeByRank(start, end int, removed func(*ZNode)) int {
	var update [zslMaxLevel]*ZNode
	x := sl.header
	traversed := 0
	for i := sl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span < start {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		update[i] = x
	}
	rank := traversed
	return sl.deleteFrom(&update, func(*ZNode) bool { rank++; return rank <= end }, removed)
}
