package keyspace

// ZSet is a sorted set: a skiplist ordered by (score, member bytes) for
// ranges and ranks in O(log n), plus a map from member to score for O(1)
// lookups, the two structures of Redis's skiplist encoding.
//
// Mnemo always uses this representation; the encoding OBJECT ENCODING
// reports is tracked separately so that it follows Redis's rules: a set
// starts as "listpack" and turns "skiplist" for good once it outgrows the
// listpack limits (Redis converts on insertion and never back, except when
// a command builds a new set from scratch).
type ZSet struct {
	dict map[string]float64
	sl   *skiplist
	// skiplistEnc is set once the set outgrew the listpack limits.
	skiplistEnc bool
	// memberBytes sums the members' lengths, for Size.
	memberBytes int64
}

// NewZSet returns an empty sorted set in the listpack encoding.
func NewZSet() *ZSet {
	return &ZSet{dict: make(map[string]float64), sl: newSkiplist()}
}

// Type implements Value.
func (z *ZSet) Type() string { return "zset" }

// Encoding implements Value. The encoding is decided when members are
// added (NoteInsert, FitEncoding), as Redis decides it, not from the
// limits in force when OBJECT ENCODING asks.
func (z *ZSet) Encoding(Limits) string {
	if z.skiplistEnc {
		return "skiplist"
	}
	return "listpack"
}

// IsListpack reports whether the set is in the listpack encoding; ZSCAN
// then returns every element in one call, as Redis does.
func (z *ZSet) IsListpack() bool { return !z.skiplistEnc }

// NoteInsert applies Redis's conversion rule after member was inserted:
// more than ZsetMaxListpackEntries elements, or a member longer than
// ZsetMaxListpackValue bytes, turns the set into the skiplist encoding.
func (z *ZSet) NoteInsert(l Limits, member string) {
	if !z.skiplistEnc && (int64(z.Len()) > l.ZsetMaxListpackEntries || int64(len(member)) > l.ZsetMaxListpackValue) {
		z.skiplistEnc = true
	}
}

// FitEncoding picks the encoding of a set a command built from scratch
// (ZUNIONSTORE and friends): listpack when it is within both limits. It
// is O(n), as the building was.
func (z *ZSet) FitEncoding(l Limits) {
	z.skiplistEnc = int64(z.Len()) > l.ZsetMaxListpackEntries
	for n := z.First(); n != nil && !z.skiplistEnc; n = n.Next() {
		if int64(len(n.member)) > l.ZsetMaxListpackValue {
			z.skiplistEnc = true
		}
	}
}

// Clone implements Value.
func (z *ZSet) Clone() Value {
	c := NewZSet()
	for n := z.First(); n != nil; n = n.Next() {
		c.Add(n.member, n.score)
	}
	c.skiplistEnc = z.skiplistEnc
	return c
}

// Size implements Value: members, scores, map and skiplist overhead.
func (z *ZSet) Size() int64 {
	// Roughly: a map slot (member header + score), a node (header, score,
	// backward, level slice) and 1.33 levels of 16 bytes on average.
	const perElement = 24 + 8 + 16 + 8 + 8 + 24 + 22
	return z.memberBytes + int64(z.Len())*perElement + 64
}

// Len returns the number of elements.
func (z *ZSet) Len() int { return len(z.dict) }

// Score returns member's score.
func (z *ZSet) Score(member string) (float64, bool) {
	s, ok := z.dict[member]
	return s, ok
}

// Add sets member's score, inserting it if needed, and reports whether it
// was inserted. Adding the same score again changes nothing. member is
// kept: pass a string the caller owns.
func (z *ZSet) Add(member string, score float64) (inserted bool) {
	if score == 0 && !z.skiplistEnc {
		// A listpack stores scores as text, where Redis writes -0 as 0.
		score = 0
	}
	old, ok := z.dict[member]
	if ok {
		if old != score {
			z.sl.updateScore(old, member, score)
			z.dict[member] = score
		}
		return false
	}
	z.sl.insert(score, member)
	z.dict[member] = score
	z.memberBytes += int64(len(member))
	return true
}

// Remove deletes member and reports whether it was there.
func (z *ZSet) Remove(member string) bool {
	s, ok := z.dict[member]
	if !ok {
		return false
	}
	z.sl.delete(s, member)
	z.forget(member)
	return true
}

func (z *ZSet) forget(member string) {
	delete(z.dict, member)
	z.memberBytes -= int64(len(member))
}

// Rank returns member's 0-based rank, counted from the highest score when
// rev is set.
func (z *ZSet) Rank(member string, rev bool) (int, bool) {
	s, ok := z.dict[member]
	if !ok {
		return 0, false
	}
	r := z.sl.rank(s, member) - 1
	if rev {
		r = z.Len() - 1 - r
	}
	return r, true
}

// NodeRank returns the 0-based rank of n, which must be in the set.
func (z *ZSet) NodeRank(n *ZNode) int { return z.sl.rank(n.score, n.member) - 1 }

// ByRank returns the element at 0-based rank i in ascending order, or nil.
func (z *ZSet) ByRank(i int) *ZNode { return z.sl.byRank(i + 1) }

// First returns the element with the lowest score, or nil.
func (z *ZSet) First() *ZNode { return z.sl.header.level[0].forward }

// Last returns the element with the highest score, or nil.
func (z *ZSet) Last() *ZNode { return z.sl.tail }

// FirstInScore returns the lowest element with a score in r, or nil.
func (z *ZSet) FirstInScore(r *ScoreRange) *ZNode { return z.sl.firstInScore(r) }

// LastInScore returns the highest element with a score in r, or nil.
func (z *ZSet) LastInScore(r *ScoreRange) *ZNode { return z.sl.lastInScore(r) }

// FirstInLex returns the lowest element with a member in r, or nil. Lex
// ranges only make sense when all scores are equal, as in Redis.
func (z *ZSet) FirstInLex(r *LexRange) *ZNode { return z.sl.firstInLex(r) }

// LastInLex returns the highest element with a member in r, or nil.
func (z *ZSet) LastInLex(r *LexRange) *ZNode { return z.sl.lastInLex(r) }

// CountInScore counts the elements with a score in r in O(log n).
func (z *ZSet) CountInScore(r *ScoreRange) int {
	first := z.sl.firstInScore(r)
	if first == nil {
		return 0
	}
	last := z.sl.lastInScore(r)
	return z.NodeRank(last) - z.NodeRank(first) + 1
}

// CountInLex counts the elements with a member in r in O(log n).
func (z *ZSet) CountInLex(r *LexRange) int {
	first := z.sl.firstInLex(r)
	if first == nil {
		return 0
	}
	last := z.sl.lastInLex(r)
	return z.NodeRank(last) - z.NodeRank(first) + 1
}

// RemoveRangeByScore deletes the elements with a score in r and returns
// how many there were.
func (z *ZSet) RemoveRangeByScore(r *ScoreRange) int {
	return z.sl.deleteRangeByScore(r, func(n *ZNode) { z.forget(n.member) })
}

// RemoveRangeByLex deletes the elements with a member in r and returns how
// many there were.
func (z *ZSet) RemoveRangeByLex(r *LexRange) int {
	return z.sl.deleteRangeByLex(r, func(n *ZNode) { z.forget(n.member) })
}

// RemoveRangeByRank deletes the elements of 0-based ranks start..end
// (inclusive, already clamped to the set) and returns how many there were.
func (z *ZSet) RemoveRangeByRank(start, end int) int {
	return z.sl.deleteRangeByRank(start+1, end+1, func(n *ZNode) { z.forget(n.member) })
}

// ScanFrom returns the lowest element with a score not below s, or nil.
// ZSCAN resumes from a score, which stays valid whatever is added or
// removed meanwhile.
func (z *ZSet) ScanFrom(s float64) *ZNode {
	return z.sl.firstWhere(func(n *ZNode) bool { return n.score >= s })
}
