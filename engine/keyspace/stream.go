package keyspace

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// Stream is a Redis stream: entries ordered by 128-bit ID, grouped as Redis
// groups them in "macro nodes" (a radix tree of listpacks), plus consumer
// groups with their pending entries lists.
//
// The macro nodes are kept because they are observable: XINFO STREAM
// reports their number, and approximate trimming ("MAXLEN ~") removes only
// whole nodes. A node is closed, as in Redis 7.0, when it holds
// StreamNodeMaxEntries entries (live or deleted) or when its listpack
// would reach StreamNodeMaxBytes; its byte size is therefore tracked with
// the listpack encoding's exact element sizes. Nodes live in an ordered
// tree keyed by their first ID, so seeks are O(log n) and appends never
// rewrite anything but the tail node.
type Stream struct {
	nodes idTree[*streamNode]
	// length counts live entries.
	length int64
	// LastID is the greatest ID ever added (or set with XSETID).
	LastID StreamID
	// FirstID is the first live entry's ID, 0-0 when empty.
	FirstID StreamID
	// MaxDeletedID is the greatest ID ever deleted with XDEL.
	MaxDeletedID StreamID
	// EntriesAdded counts every entry ever added.
	EntriesAdded int64
	groups       map[string]*StreamGroup
	// nodeBytes is the nodes' share of Size (their bytes plus 64 each),
	// kept as they change so that Size, called after every write, is O(1).
	nodeBytes int64
}

// StreamID is a stream entry ID: milliseconds and sequence number.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the greatest possible ID.
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or 1 as id is less than, equal to or greater than o.
func (id StreamID) Compare(o StreamID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// IsZero reports whether id is 0-0.
func (id StreamID) IsZero() bool { return id.Ms == 0 && id.Seq == 0 }

// Incr returns the ID after id, and false when id is the greatest one
// (the result then wraps to 0-0, as streamIncrID does).
func (id StreamID) Incr() (StreamID, bool) {
	if id.Seq == math.MaxUint64 {
		if id.Ms == math.MaxUint64 {
			return StreamID{}, false
		}
		return StreamID{id.Ms + 1, 0}, true
	}
	return StreamID{id.Ms, id.Seq + 1}, true
}

// Decr returns the ID before id, and false when id is 0-0.
func (id StreamID) Decr() (StreamID, bool) {
	if id.Seq == 0 {
		if id.Ms == 0 {
			return MaxStreamID, false
		}
		return StreamID{id.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{id.Ms, id.Seq - 1}, true
}

// String formats id as Redis does: "ms-seq".
func (id StreamID) String() string { return string(id.Append(nil)) }

// Append appends the text form of id to b.
func (id StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, id.Seq, 10)
}

// Stream node limits: Redis 7.0's defaults of stream-node-max-bytes and
// stream-node-max-entries.
const (
	StreamNodeMaxBytes   = 4096
	StreamNodeMaxEntries = 100
)

// streamNode is one macro node: the entries of one listpack.
type streamNode struct {
	master  StreamID
	fields  []string // the master entry's fields
	entries []streamEntry
	live    int
	deleted int
	// bytes is the size the node's listpack would have in Redis.
	bytes int
}

// StreamEntry is a stream entry as read: its ID and its field/value pairs
// in order (field, value, field, value...). The strings are the stream's.
type StreamEntry struct {
	ID     StreamID
	Fields []string
}

type streamEntry struct {
	id      StreamID
	fv      []string
	deleted bool
	same    bool // same fields as the master entry (SAMEFIELDS flag)
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Type implements Value.
func (s *Stream) Type() string { return "stream" }

// Encoding implements Value.
func (s *Stream) Encoding(Limits) string { return "stream" }

// Len returns the number of live entries.
func (s *Stream) Len() int64 { return s.length }

// Nodes returns the number of macro nodes (XINFO's radix-tree-keys).
func (s *Stream) Nodes() int { return s.nodes.Len() }

// RaxNodes returns the number of nodes Redis's radix tree would have for
// the macro nodes' keys (XINFO's radix-tree-nodes).
func (s *Stream) RaxNodes() int {
	var keys [][16]byte
	s.nodes.Ascend(StreamID{}, func(k StreamID, _ *streamNode) bool {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], k.Ms)
		binary.BigEndian.PutUint64(b[8:], k.Seq)
		keys = append(keys, b)
		return true
	})
	return raxCount(keys, 0)
}

// raxCount counts the nodes of a compressed radix tree holding keys
// (sorted, equal length) from byte depth on.
func raxCount(keys [][16]byte, depth int) int {
	if len(keys) == 0 {
		return 1
	}
	if depth == 16 {
		return 1
	}
	// Longest common prefix from depth: one compressed node.
	first, last := keys[0], keys[len(keys)-1]
	l := depth
	for l < 16 && first[l] == last[l] {
		l++
	}
	n := 0
	if l > depth {
		n++ // compressed node for the shared run
		if l == 16 {
			return n + 1
		}
	}
	// A branching node, then each child subtree after its edge byte.
	n++
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j][l] == keys[i][l] {
			j++
		}
		n += raxCount(keys[i:j], l+1) - 0
		i = j
	}
	return n
}

// Clone implements Value.
func (s *Stream) Clone() Value {
	c := &Stream{length: s.length, LastID: s.LastID, FirstID: s.FirstID,
		MaxDeletedID: s.MaxDeletedID, EntriesAdded: s.EntriesAdded, nodeBytes: s.nodeBytes}
	s.nodes.Ascend(StreamID{}, func(k StreamID, n *streamNode) bool {
		nn := *n
		nn.fields = append([]string(nil), n.fields...)
		nn.entries = append([]streamEntry(nil), n.entries...)
		c.nodes.Set(k, &nn)
		return true
	})
	for name, g := range s.groups {
		c.group(name, g.clone())
	}
	return c
}

// Size implements Value: the listpacks' bytes plus tree overhead, and the
// groups' PELs.
func (s *Stream) Size() int64 {
	n := 96 + s.nodeBytes
	for name, g := range s.groups {
		n += int64(len(name)) + 96 + int64(g.PEL.Len())*80
		for cn := range g.consumers {
			n += int64(len(cn)) + 64
		}
	}
	return n
}

// Listpack element sizes, as listpack.c encodes them.

func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func lpIntSize(v int64) int {
	var enc int
	switch {
	case v >= 0 && v <= 127:
		enc = 1
	case v >= -4096 && v <= 4095:
		enc = 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		enc = 3
	case v >= -8388608 && v <= 8388607:
		enc = 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		enc = 5
	default:
		enc = 9
	}
	return enc + lpBacklenSize(enc)
}

// lpStrSize is the size of string s in a listpack, where a string that is
// the canonical form of a 64-bit integer is stored as that integer.
func lpStrSize(s string) int {
	if len(s) > 0 && len(s) <= 20 {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(v, 10) == s {
			return lpIntSize(v)
		}
	}
	var enc int
	switch l := len(s); {
	case l < 64:
		enc = 1 + l
	case l < 4096:
		enc = 2 + l
	default:
		enc = 5 + l
	}
	return enc + lpBacklenSize(enc)
}

// entryBytes is the listpack size of entry e in node n.
func (n *streamNode) entryBytes(e *streamEntry) int {
	flags := int64(0)
	if e.same {
		flags = 2
	}
	b := lpIntSize(flags) + lpIntSize(int64(e.id.Ms-n.master.Ms)) + lpIntSize(int64(e.id.Seq-n.master.Seq))
	nf := len(e.fv) / 2
	if e.same {
		for i := 1; i < len(e.fv); i += 2 {
			b += lpStrSize(e.fv[i])
		}
		return b + lpIntSize(int64(nf+3))
	}
	b += lpIntSize(int64(nf))
	for _, x := range e.fv {
		b += lpStrSize(x)
	}
	return b + lpIntSize(int64(2*nf+4))
}

// setCounts changes the node's live and deleted counters, keeping its
// byte size exact (the counters are listpack integers of varying size).
func (n *streamNode) setCounts(live, deleted int) {
	n.bytes += lpIntSize(int64(live)) - lpIntSize(int64(n.live)) +
		lpIntSize(int64(deleted)) - lpIntSize(int64(n.deleted))
	n.live, n.deleted = live, deleted
}

func newStreamNode(id StreamID, fv []string) *streamNode {
	n := &streamNode{master: id}
	n.fields = make([]string, 0, len(fv)/2)
	for i := 0; i < len(fv); i += 2 {
		n.fields = append(n.fields, fv[i])
	}
	// Listpack header and end byte, then the master entry: count,
	// deleted, number of fields, the fields, a zero terminator.
	n.bytes = 7 + lpIntSize(0) + lpIntSize(0) + lpIntSize(int64(len(n.fields))) + lpIntSize(0)
	for _, f := range n.fields {
		n.bytes += lpStrSize(f)
	}
	return n
}

// Append adds an entry with id, which must be greater than LastID, and
// the given field/value pairs (copied).
func (s *Stream) Append(id StreamID, fv [][]byte) {
	own := make([]string, len(fv))
	total := 0
	for i, b := range fv {
		own[i] = string(b)
		total += len(b)
	}
	_, n, ok := s.nodes.Max()
	if ok && (n.bytes+total >= StreamNodeMaxBytes || n.live+n.deleted >= StreamNodeMaxEntries) {
		ok = false
	}
	e := streamEntry{id: id, fv: own}
	if !ok {
		n = newStreamNode(id, own)
		s.nodes.Set(id, n)
		s.nodeBytes += int64(n.bytes) + 64
		e.same = true
	} else if len(n.fields) == len(own)/2 {
		e.same = true
		for i, f := range n.fields {
			if own[2*i] != f {
				e.same = false
				break
			}
		}
	}
	before := n.bytes
	n.setCounts(n.live+1, n.deleted)
	n.bytes += n.entryBytes(&e)
	s.nodeBytes += int64(n.bytes - before)
	n.entries = append(n.entries, e)
	s.length++
	s.EntriesAdded++
	s.LastID = id
	if s.length == 1 {
		s.FirstID = id
	}
}

// find returns the node holding id and its index there, or nil.
func (s *Stream) find(id StreamID) (*streamNode, int) {
	_, n, ok := s.nodes.Floor(id)
	if !ok {
		return nil, 0
	}
	i := n.search(id)
	if i < len(n.entries) && n.entries[i].id == id {
		return n, i
	}
	return nil, 0
}

// search returns the index of the first entry with an ID >= id.
func (n *streamNode) search(id StreamID) int {
	lo, hi := 0, len(n.entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.entries[m].id.Compare(id) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Exists reports whether a live entry has id.
func (s *Stream) Exists(id StreamID) bool {
	n, i := s.find(id)
	return n != nil && !n.entries[i].deleted
}

// Get returns the live entry with id.
func (s *Stream) Get(id StreamID) (StreamEntry, bool) {
	n, i := s.find(id)
	if n == nil || n.entries[i].deleted {
		return StreamEntry{}, false
	}
	return StreamEntry{id, n.entries[i].fv}, true
}

// Delete marks the entry with id deleted (XDEL) and reports whether it was
// live. A node left without live entries goes, as in Redis; FirstID and
// MaxDeletedID are the caller's to update (XDEL does it once for all IDs).
func (s *Stream) Delete(id StreamID) bool {
	n, i := s.find(id)
	if n == nil || n.entries[i].deleted {
		return false
	}
	s.length--
	if n.live == 1 {
		s.nodes.Delete(n.master)
		s.nodeBytes -= int64(n.bytes) + 64
		return true
	}
	n.entries[i].deleted = true
	before := n.bytes
	n.setCounts(n.live-1, n.deleted+1)
	s.nodeBytes += int64(n.bytes - before)
	return true
}

// RefreshFirstID sets FirstID to the first live entry's ID, 0-0 if none.
func (s *Stream) RefreshFirstID() {
	s.FirstID = StreamID{}
	s.Range(StreamID{}, MaxStreamID, false, func(e StreamEntry) bool {
		s.FirstID = e.ID
		return false
	})
}

// LastValidID returns the last live entry's ID, 0-0 if none.
func (s *Stream) LastValidID() StreamID {
	var id StreamID
	s.Range(StreamID{}, MaxStreamID, true, func(e StreamEntry) bool {
		id = e.ID
		return false
	})
	return id
}

// Range calls fn for each live entry with an ID in [start, end], in
// ascending order or descending when rev is set, until fn returns false.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(StreamEntry) bool) {
	if start.Compare(end) > 0 {
		return
	}
	if !rev {
		k, n, ok := s.nodes.Floor(start)
		if !ok {
			k, n, ok = s.nodes.Min()
		}
		for ok {
			for i := n.search(start); i < len(n.entries); i++ {
				e := &n.entries[i]
				if e.id.Compare(end) > 0 {
					return
				}
				if !e.deleted && !fn(StreamEntry{e.id, e.fv}) {
					return
				}
			}
			k, n, ok = s.nodes.Higher(k)
		}
		return
	}
	k, n, ok := s.nodes.Floor(end)
	for ok {
		i := n.search(end)
		if i == len(n.entries) || n.entries[i].id.Compare(end) > 0 {
			i--
		}
		for ; i >= 0; i-- {
			e := &n.entries[i]
			if e.id.Compare(start) < 0 {
				return
			}
			if !e.deleted && !fn(StreamEntry{e.id, e.fv}) {
				return
			}
		}
		k, n, ok = s.nodes.Lower(k)
	}
}

// Trim strategies.
const (
	TrimMaxLen = iota + 1
	TrimMinID
)

// TrimArgs are XADD's and XTRIM's trimming options.
type TrimArgs struct {
	Strategy int // 0 for none
	MaxLen   int64
	MinID    StreamID
	Approx   bool
	Limit    int64 // 0 for no limit
}

// Trim removes entries from the head as streamTrim does in Redis 7.0 and
// returns how many. Whole nodes go first; an approximate trim stops at
// the first node it cannot remove whole, an exact one marks entries of
// that node deleted.
func (s *Stream) Trim(a TrimArgs) int64 {
	if a.Strategy == 0 {
		return 0
	}
	var deleted int64
	for {
		if a.Strategy == TrimMaxLen && s.length <= a.MaxLen {
			break
		}
		k, n, ok := s.nodes.Min()
		if !ok {
			break
		}
		entries := int64(n.live)
		if a.Limit != 0 && deleted+entries > a.Limit {
			break
		}
		var remove bool
		if a.Strategy == TrimMaxLen {
			remove = s.length-entries >= a.MaxLen
		} else {
			remove = n.entries[len(n.entries)-1].id.Compare(a.MinID) < 0
		}
		if remove {
			s.nodes.Delete(k)
			s.nodeBytes -= int64(n.bytes) + 64
			s.length -= entries
			deleted += entries
			continue
		}
		if a.Approx {
			break
		}
		var fromNode int
		for i := range n.entries {
			e := &n.entries[i]
			if a.Strategy == TrimMaxLen {
				if s.length <= a.MaxLen {
					break
				}
			} else if e.id.Compare(a.MinID) >= 0 {
				break
			}
			if !e.deleted {
				e.deleted = true
				fromNode++
				s.length--
			}
		}
		before := n.bytes
		n.setCounts(n.live-fromNode, n.deleted+fromNode)
		s.nodeBytes += int64(n.bytes - before)
		deleted += int64(fromNode)
		break
	}
	if deleted > 0 {
		s.RefreshFirstID()
	}
	return deleted
}

// SetLastID changes LastID (XSETID).
func (s *Stream) SetLastID(id StreamID) { s.LastID = id }

// HasTombstones reports whether a deleted entry may lie in [start, end]
// (streamRangeHasTombstones).
func (s *Stream) HasTombstones(start, end StreamID) bool {
	if s.length == 0 || s.MaxDeletedID.IsZero() {
		return false
	}
	if s.FirstID.Compare(s.MaxDeletedID) > 0 {
		return false
	}
	return start.Compare(s.MaxDeletedID) <= 0 && s.MaxDeletedID.Compare(end) <= 0
}

// EntriesReadInvalid marks a group's entries-read counter as unknown.
const EntriesReadInvalid = -1

// EstimateDistance returns the logical position of id among every entry
// ever added, or EntriesReadInvalid when it cannot be known
// (streamEstimateDistanceFromFirstEverEntry).
func (s *Stream) EstimateDistance(id StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Compare(s.LastID) < 1 {
		return s.EntriesAdded
	}
	cmpLast := id.Compare(s.LastID)
	if cmpLast == 0 {
		return s.EntriesAdded
	} else if cmpLast > 0 {
		return EntriesReadInvalid
	}
	cmpFirst := id.Compare(s.FirstID)
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Compare(s.FirstID) < 0 {
		if cmpFirst < 0 {
			return s.EntriesAdded - s.length
		} else if cmpFirst == 0 {
			return s.EntriesAdded - s.length + 1
		}
	}
	return EntriesReadInvalid
}

// Lag returns a group's lag (XINFO GROUPS), and false when it is unknown.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != EntriesReadInvalid && !s.HasTombstones(g.LastID, MaxStreamID) {
		return s.EntriesAdded - g.EntriesRead, true
	}
	if r := s.EstimateDistance(g.LastID); r != EntriesReadInvalid {
		return s.EntriesAdded - r, true
	}
	return 0, false
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	LastID      StreamID
	EntriesRead int64
	// PEL holds the entries delivered and not yet acknowledged.
	PEL       idTree[*StreamNACK]
	consumers map[string]*StreamConsumer
}

// StreamNACK is a pending entry: delivered to Consumer, not acknowledged.
type StreamNACK struct {
	DeliveryTime  int64
	DeliveryCount int64
	Consumer      *StreamConsumer
}

// StreamConsumer is a consumer of a group, with its own PEL (a subset of
// the group's, sharing the NACKs).
type StreamConsumer struct {
	Name     string
	SeenTime int64
	PEL      idTree[*StreamNACK]
}

func (g *StreamGroup) clone() *StreamGroup {
	c := &StreamGroup{LastID: g.LastID, EntriesRead: g.EntriesRead, consumers: map[string]*StreamConsumer{}}
	for name, co := range g.consumers {
		c.consumers[name] = &StreamConsumer{Name: name, SeenTime: co.SeenTime}
	}
	g.PEL.Ascend(StreamID{}, func(id StreamID, n *StreamNACK) bool {
		nn := &StreamNACK{n.DeliveryTime, n.DeliveryCount, c.consumers[n.Consumer.Name]}
		c.PEL.Set(id, nn)
		nn.Consumer.PEL.Set(id, nn)
		return true
	})
	return c
}

func (s *Stream) group(name string, g *StreamGroup) {
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	s.groups[name] = g
}

// Group returns the consumer group name, or nil.
func (s *Stream) Group(name string) *StreamGroup { return s.groups[name] }

// CreateGroup adds a group starting after lastID and reports whether it
// did (false: the name is taken).
func (s *Stream) CreateGroup(name string, lastID StreamID, entriesRead int64) bool {
	if _, ok := s.groups[name]; ok {
		return false
	}
	s.group(name, &StreamGroup{LastID: lastID, EntriesRead: entriesRead, consumers: map[string]*StreamConsumer{}})
	return true
}

// DestroyGroup removes group name and reports whether it existed.
func (s *Stream) DestroyGroup(name string) bool {
	if _, ok := s.groups[name]; !ok {
		return false
	}
	delete(s.groups, name)
	return true
}

// Groups returns the group names in Redis's (byte-wise) order.
func (s *Stream) Groups() []string { return sortedKeys(s.groups) }

// GroupCount returns the number of groups.
func (s *Stream) GroupCount() int { return len(s.groups) }

// Consumer returns the consumer name, or nil.
func (g *StreamGroup) Consumer(name string) *StreamConsumer { return g.consumers[name] }

// CreateConsumer adds consumer name, seen at now, and returns it; ok is
// false when it existed already (it is returned as is).
func (g *StreamGroup) CreateConsumer(name string, now int64) (c *StreamConsumer, ok bool) {
	if c := g.consumers[name]; c != nil {
		return c, false
	}
	c = &StreamConsumer{Name: name, SeenTime: now}
	g.consumers[name] = c
	return c, true
}

// DeleteConsumer removes consumer name and its pending entries from the
// group, returning how many it had, or -1 when there was no such consumer.
func (g *StreamGroup) DeleteConsumer(name string) int {
	c := g.consumers[name]
	if c == nil {
		return -1
	}
	n := c.PEL.Len()
	c.PEL.Ascend(StreamID{}, func(id StreamID, _ *StreamNACK) bool {
		g.PEL.Delete(id)
		return true
	})
	delete(g.consumers, name)
	return n
}

// Consumers returns the consumer names in byte-wise order.
func (g *StreamGroup) Consumers() []string { return sortedKeys(g.consumers) }

// ConsumerCount returns the number of consumers.
func (g *StreamGroup) ConsumerCount() int { return len(g.consumers) }

// Deliver records that id was delivered to c at now: a new pending entry,
// or one moved from another consumer with its count reset to one.
func (g *StreamGroup) Deliver(id StreamID, c *StreamConsumer, now int64) *StreamNACK {
	if n, ok := g.PEL.Get(id); ok {
		n.Consumer.PEL.Delete(id)
		n.Consumer, n.DeliveryTime, n.DeliveryCount = c, now, 1
		c.PEL.Set(id, n)
		return n
	}
	n := &StreamNACK{DeliveryTime: now, DeliveryCount: 1, Consumer: c}
	g.PEL.Set(id, n)
	c.PEL.Set(id, n)
	return n
}

// Ack removes id from the PELs and reports whether it was pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	n, ok := g.PEL.Get(id)
	if !ok {
		return false
	}
	g.PEL.Delete(id)
	n.Consumer.PEL.Delete(id)
	return true
}

// Claim gives pending entry n (of id) to consumer c.
func (g *StreamGroup) Claim(id StreamID, n *StreamNACK, c *StreamConsumer) {
	if n.Consumer == c {
		return
	}
	if n.Consumer != nil {
		n.Consumer.PEL.Delete(id)
	}
	n.Consumer = c
	c.PEL.Set(id, n)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	// Go's string order is Redis's memcmp order of rax keys.
	slices.Sort(ks)
	return ks
}

// idTree is an ordered map keyed by stream ID: a treap whose priorities
// are a hash of the key, so it stays balanced (O(log n) expected per
// operation) for the monotonic keys streams insert, with no randomness
// that would make two replicas differ.
type idTree[V any] struct {
	root *idNode[V]
	n    int
}

type idNode[V any] struct {
	key         StreamID
	val         V
	prio        uint64
	left, right *idNode[V]
}

func idPrio(k StreamID) uint64 {
	x := k.Ms*0x9E3779B97F4A7C15 ^ k.Seq
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

// Len returns the number of keys.
func (t *idTree[V]) Len() int { return t.n }

// Get returns the value of k.
func (t *idTree[V]) Get(k StreamID) (V, bool) {
	for n := t.root; n != nil; {
		switch c := k.Compare(n.key); {
		case c < 0:
			n = n.left
		case c > 0:
			n = n.right
		default:
			return n.val, true
		}
	}
	var zero V
	return zero, false
}

// Set inserts or replaces k's value.
func (t *idTree[V]) Set(k StreamID, v V) { t.root = t.insert(t.root, k, v) }

func (t *idTree[V]) insert(n *idNode[V], k StreamID, v V) *idNode[V] {
	if n == nil {
		t.n++
		return &idNode[V]{key: k, val: v, prio: idPrio(k)}
	}
	switch c := k.Compare(n.key); {
	case c < 0:
		n.left = t.insert(n.left, k, v)
		if n.left.prio > n.prio {
			l := n.left
			n.left, l.right = l.right, n
			return l
		}
	case c > 0:
		n.right = t.insert(n.right, k, v)
		if n.right.prio > n.prio {
			r := n.right
			n.right, r.left = r.left, n
			return r
		}
	default:
		n.val = v
	}
	return n
}

// Delete removes k and reports whether it was there.
func (t *idTree[V]) Delete(k StreamID) bool {
	link := &t.root
	for n := *link; n != nil; n = *link {
		switch c := k.Compare(n.key); {
		case c < 0:
			link = &n.left
		case c > 0:
			link = &n.right
		default:
			*link = idMerge(n.left, n.right)
			t.n--
			return true
		}
	}
	return false
}

// idMerge joins two treaps whose keys are all less in a than in b.
func idMerge[V any](a, b *idNode[V]) *idNode[V] {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	if a.prio > b.prio {
		a.right = idMerge(a.right, b)
		return a
	}
	b.left = idMerge(a, b.left)
	return b
}

// Min returns the smallest key.
func (t *idTree[V]) Min() (StreamID, V, bool) {
	n := t.root
	if n == nil {
		var zero V
		return StreamID{}, zero, false
	}
	for n.left != nil {
		n = n.left
	}
	return n.key, n.val, true
}

// Max returns the greatest key.
func (t *idTree[V]) Max() (StreamID, V, bool) {
	n := t.root
	if n == nil {
		var zero V
		return StreamID{}, zero, false
	}
	for n.right != nil {
		n = n.right
	}
	return n.key, n.val, true
}

// seek finds the nearest key to k: the least key >= k (or > k when
// strict) going up, the greatest key <= k (or < k) going down.
func (t *idTree[V]) seek(k StreamID, up, strict bool) (StreamID, V, bool) {
	var best *idNode[V]
	for n := t.root; n != nil; {
		c := n.key.Compare(k)
		if c == 0 && !strict {
			return n.key, n.val, true
		}
		if up {
			if c > 0 {
				best, n = n, n.left
			} else {
				n = n.right
			}
		} else {
			if c < 0 {
				best, n = n, n.right
			} else {
				n = n.left
			}
		}
	}
	if best == nil {
		var zero V
		return StreamID{}, zero, false
	}
	return best.key, best.val, true
}

// Ceil returns the least key >= k.
func (t *idTree[V]) Ceil(k StreamID) (StreamID, V, bool) { return t.seek(k, true, false) }

// Higher returns the least key > k.
func (t *idTree[V]) Higher(k StreamID) (StreamID, V, bool) { return t.seek(k, true, true) }

// Floor returns the greatest key <= k.
func (t *idTree[V]) Floor(k StreamID) (StreamID, V, bool) { return t.seek(k, false, false) }

// Lower returns the greatest key < k.
func (t *idTree[V]) Lower(k StreamID) (StreamID, V, bool) { return t.seek(k, false, true) }

// Ascend calls fn for each key >= from in order until fn returns false.
func (t *idTree[V]) Ascend(from StreamID, fn func(StreamID, V) bool) {
	k, v, ok := t.Ceil(from)
	for ok {
		if !fn(k, v) {
			return
		}
		k, v, ok = t.Higher(k)
	}
}
