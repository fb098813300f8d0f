package keyspace

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Set is a set of strings.
//
// Members live in a dense slice, so that a uniformly random member (SPOP,
// SRANDMEMBER) is one random index away, and are chained by hash into a
// power-of-two table of buckets, so that membership is O(1) expected and
// SSCAN can walk the buckets with Redis's reverse-binary cursor: a scan
// returns every member present during the whole scan, even when the table
// grows or shrinks between calls. A Go map offers neither random access
// nor a stable cursor, hence this small table of our own.
//
// Removal moves the last member into the hole, so indexes are not stable;
// nothing outside this file holds one across a change.
type Set struct {
	members []string
	hashes  []uint64 // hashes[i] is the hash of members[i]
	next    []int32  // next[i] is the index+1 of the next member in i's bucket, 0 at the end
	buckets []int32  // index+1 of each bucket's first member, 0 when empty

	// intsOnly and peak remember what Redis 7.0 would have done with the
	// set's encoding: it starts as an intset and converts to a hashtable,
	// for good, once a member that is not an integer is added or the set
	// grows beyond set-max-intset-entries. intsOnly is cleared by the first
	// non-integer added; peak is the largest size reached.
	intsOnly bool
	peak     int
}

// minBuckets is the smallest table, as Redis's DICT_HT_INITIAL_SIZE.
const minBuckets = 4

// maxIntsetEntries caps set-max-intset-entries as Redis does (intset
// internals limit it to 1G entries).
const maxIntsetEntries = 1 << 30

// NewSet returns an empty set, which Redis would create as an intset.
func NewSet() *Set { return &Set{intsOnly: true} }

// Type implements Value.
func (s *Set) Type() string { return "set" }

// Encoding implements Value: "intset" while every member ever added was an
// integer in canonical form and the set never held more than
// set-max-intset-entries members, else "hashtable" (Redis 7.0 has no
// listpack sets).
func (s *Set) Encoding(l Limits) string {
	if s.isIntset(l) {
		return "intset"
	}
	return "hashtable"
}

func (s *Set) isIntset(l Limits) bool {
	return s.intsOnly && int64(s.peak) <= min(l.SetMaxIntsetEntries, maxIntsetEntries)
}

// Clone implements Value. The copy keeps the encoding, as Redis's COPY
// does.
func (s *Set) Clone() Value {
	return &Set{
		members:  slices.Clone(s.members),
		hashes:   slices.Clone(s.hashes),
		next:     slices.Clone(s.next),
		buckets:  slices.Clone(s.buckets),
		intsOnly: s.intsOnly,
		peak:     s.peak,
	}
}

// Size implements Value: the members' bytes plus the string header, hash,
// chain link and bucket share each member costs.
func (s *Set) Size() int64 {
	n := int64(64 + 4*len(s.buckets))
	for _, m := range s.members {
		n += int64(len(m)) + 16 + 8 + 4
	}
	return n
}

// Len returns the number of members.
func (s *Set) Len() int { return len(s.members) }

// Has reports whether m is a member.
func (s *Set) Has(m string) bool {
	return s.find(m, s.hash(m)) >= 0
}

// Add adds m and reports whether it was not a member yet. The set keeps m,
// so it must not alias memory the caller reuses.
func (s *Set) Add(m string) bool {
	h := s.hash(m)
	if s.find(m, h) >= 0 {
		return false
	}
	if len(s.members) >= len(s.buckets) {
		s.resize(max(2*len(s.buckets), minBuckets))
	}
	i := len(s.members)
	s.members = append(s.members, m)
	s.hashes = append(s.hashes, h)
	b := h & uint64(len(s.buckets)-1)
	s.next = append(s.next, s.buckets[b])
	s.buckets[b] = int32(i + 1)
	if s.intsOnly && !IsSetInt(m) {
		s.intsOnly = false
	}
	s.peak = max(s.peak, len(s.members))
	return true
}

// Remove removes m and reports whether it was a member.
func (s *Set) Remove(m string) bool {
	i := s.find(m, s.hash(m))
	if i < 0 {
		return false
	}
	s.removeAt(i)
	return true
}

// Random returns a uniformly random member. The set must not be empty.
func (s *Set) Random() string { return s.members[rand.IntN(len(s.members))] }

// Pop removes and returns a uniformly random member. The set must not be
// empty.
func (s *Set) Pop() string {
	i := rand.IntN(len(s.members))
	m := s.members[i]
	s.removeAt(i)
	return m
}

// Sample returns n distinct random members in random order, n at most
// Len, in O(n) time whatever the set's size (Floyd's algorithm, then a
// shuffle, since Floyd's picks come out in a biased order).
func (s *Set) Sample(n int) []string {
	size := len(s.members)
	picked := make(map[int]struct{}, n)
	out := make([]string, 0, n)
	for j := size - n; j < size; j++ {
		t := rand.IntN(j + 1)
		if _, dup := picked[t]; dup {
			t = j
		}
		picked[t] = struct{}{}
		out = append(out, s.members[t])
	}
	rand.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}

// Members returns the members in the order Redis 7.0 lists them: ascending
// integer order while the set is an intset, else the table's order.
func (s *Set) Members(l Limits) []string {
	if !s.isIntset(l) {
		return slices.Clone(s.members)
	}
	vals := make([]int64, len(s.members))
	for i, m := range s.members {
		vals[i], _ = strconv.ParseInt(m, 10, 64)
	}
	slices.Sort(vals)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strconv.FormatInt(v, 10)
	}
	return out
}

// Each calls fn for every member, in no particular order, until fn returns
// false. fn must not change the set.
func (s *Set) Each(fn func(m string) bool) {
	for _, m := range s.members {
		if !fn(m) {
			return
		}
	}
}

// Rebuilt resets the encoding record as if the set had just been built
// from its current members, which is what Redis's SPOP does when it pops
// most of a set: it copies the few remaining members into a new set.
func (s *Set) Rebuilt() {
	s.intsOnly = true
	for _, m := range s.members {
		if !IsSetInt(m) {
			s.intsOnly = false
			break
		}
	}
	s.peak = len(s.members)
}

// Scan calls fn for the members of the buckets from cursor on, in
// reverse-binary bucket order, until at least count members were visited,
// 10*count buckets were looked at, or the table was walked through; it
// returns the cursor to continue from, 0 when done. This is Redis's
// dictScan loop in SSCAN: every member present from the first call to the
// last is visited at least once, whatever resizing happens in between.
func (s *Set) Scan(cursor uint64, count int, fn func(m string)) uint64 {
	if len(s.members) == 0 {
		return 0
	}
	mask := uint64(len(s.buckets) - 1)
	maxBuckets := count * 10
	if maxBuckets/10 != count {
		maxBuckets = int(^uint(0) >> 1)
	}
	visited := 0
	for {
		for p := s.buckets[cursor&mask]; p != 0; p = s.next[p-1] {
			fn(s.members[p-1])
			visited++
		}
		// Increment the cursor's masked bits from the top down, so that
		// buckets split by a grow are visited right after their parent.
		cursor |= ^mask
		cursor = bits.Reverse64(bits.Reverse64(cursor) + 1)
		maxBuckets--
		if cursor == 0 || maxBuckets <= 0 || visited >= count {
			return cursor
		}
	}
}

func (s *Set) hash(m string) uint64 { return hashString(m) }

// find returns the index of m, whose hash is h, or -1.
func (s *Set) find(m string, h uint64) int {
	if len(s.buckets) == 0 {
		return -1
	}
	for p := s.buckets[h&uint64(len(s.buckets)-1)]; p != 0; p = s.next[p-1] {
		if s.hashes[p-1] == h && s.members[p-1] == m {
			return int(p - 1)
		}
	}
	return -1
}

// link returns the slot that points at member i: its bucket head or its
// predecessor's next.
func (s *Set) link(i int) *int32 {
	p := &s.buckets[s.hashes[i]&uint64(len(s.buckets)-1)]
	for int(*p) != i+1 {
		p = &s.next[*p-1]
	}
	return p
}

// removeAt unlinks member i and moves the last member into its place.
func (s *Set) removeAt(i int) {
	*s.link(i) = s.next[i]
	last := len(s.members) - 1
	if i != last {
		*s.link(last) = int32(i + 1)
		s.members[i] = s.members[last]
		s.hashes[i] = s.hashes[last]
		s.next[i] = s.next[last]
	}
	s.members[last] = "" // let the string be collected
	s.members = s.members[:last]
	s.hashes = s.hashes[:last]
	s.next = s.next[:last]
	// Shrink when less than an eighth full, like Redis's 10% rule with
	// some slack so that add/remove at the boundary does not thrash.
	if len(s.buckets) > minBuckets && len(s.members)*8 < len(s.buckets) {
		s.resize(max(minBuckets, 1<<bits.Len(uint(len(s.members)))))
	}
	if len(s.members) == 0 {
		s.members, s.hashes, s.next = nil, nil, nil
	}
}

// resize rebuilds the bucket chains over n buckets (a power of two).
func (s *Set) resize(n int) {
	s.buckets = make([]int32, n)
	mask := uint64(n - 1)
	for i, h := range s.hashes {
		b := h & mask
		s.next[i] = s.buckets[b]
		s.buckets[b] = int32(i + 1)
	}
}

// IsSetInt reports whether m is an integer Redis would store in an intset:
// a 64-bit integer written the way string2ll accepts it (no sign other
// than a leading '-', no leading zeros, no "-0", no spaces).
func IsSetInt(m string) bool {
	if len(m) == 0 || len(m) > 20 {
		return false
	}
	if m == "0" {
		return true
	}
	d := m
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return false
	}
	_, err := strconv.ParseInt(m, 10, 64)
	return err == nil
}
