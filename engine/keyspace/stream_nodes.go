package keyspace

// Access to a stream's macro nodes as they are, tombstones included, for
// the RDB codec (engine/rdb): Redis's RDB holds a stream as its listpack
// nodes, so writing and loading one node for node keeps DUMP, snapshots
// and RDB files identical to Redis's.

// StreamNodeEntry is one entry of a macro node.
type StreamNodeEntry struct {
	ID StreamID
	// Fields are the field/value pairs in order.
	Fields []string
	// Deleted marks a tombstone (XDEL, or an exact trim inside the node).
	Deleted bool
	// Same says the entry has its node's master fields (SAMEFIELDS).
	Same bool
}

// StreamNode is a macro node: its master entry and its entries.
type StreamNode struct {
	Master StreamID
	// Fields are the master entry's fields.
	Fields  []string
	Entries []StreamNodeEntry
}

// EachNode calls fn for each macro node in ID order until it returns
// false. The node is a copy; its strings are the stream's.
func (s *Stream) EachNode(fn func(n StreamNode) bool) {
	s.nodes.Ascend(StreamID{}, func(_ StreamID, n *streamNode) bool {
		out := StreamNode{Master: n.master, Fields: n.fields, Entries: make([]StreamNodeEntry, len(n.entries))}
		for i, e := range n.entries {
			out.Entries[i] = StreamNodeEntry{ID: e.id, Fields: e.fv, Deleted: e.deleted, Same: e.same}
		}
		return fn(out)
	})
}

// LoadNode adds a node as read from an RDB file, after the stream's last
// node: the entries keep their flags, so the node is the one Redis held.
// It counts live entries into the stream's length; LastID, FirstID,
// MaxDeletedID and EntriesAdded are the loader's to set.
func (s *Stream) LoadNode(n StreamNode) {
	nd := newStreamNode(n.Master, nil)
	nd.fields = n.Fields
	nd.bytes = 7 + lpIntSize(0) + lpIntSize(0) + lpIntSize(int64(len(n.Fields))) + lpIntSize(0)
	for _, f := range n.Fields {
		nd.bytes += lpStrSize(f)
	}
	live, deleted := 0, 0
	for _, e := range n.Entries {
		se := streamEntry{id: e.ID, fv: e.Fields, deleted: e.Deleted, same: e.Same}
		nd.bytes += nd.entryBytes(&se)
		nd.entries = append(nd.entries, se)
		if e.Deleted {
			deleted++
		} else {
			live++
		}
	}
	nd.setCounts(live, deleted)
	s.nodes.Set(n.Master, nd)
	s.nodeBytes += int64(nd.bytes) + 64
	s.length += int64(live)
}

// LoadGroup adds a consumer group as read from an RDB file; the PEL and
// consumers follow with LoadNACK and LoadConsumer.
func (s *Stream) LoadGroup(name string, lastID StreamID, entriesRead int64) *StreamGroup {
	g := &StreamGroup{LastID: lastID, EntriesRead: entriesRead, consumers: map[string]*StreamConsumer{}}
	s.group(name, g)
	return g
}

// LoadConsumer adds a consumer with its seen time.
func (g *StreamGroup) LoadConsumer(name string, seen int64) *StreamConsumer {
	c := &StreamConsumer{Name: name, SeenTime: seen}
	g.consumers[name] = c
	return c
}
