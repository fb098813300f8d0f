package command

import "github.com/mnemo-dev/mnemo/engine/keyspace"

// XINFO STREAM, GROUPS and CONSUMERS.

func init() {
	register("xinfo|stream", xinfoStreamCmd)
	register("xinfo|groups", xinfoGroupsCmd)
	register("xinfo|consumers", xinfoConsumersCmd)
}

// xinfoLookup returns the stream of argument 2, which must exist.
func xinfoLookup(c *Ctx) (*keyspace.Stream, bool) {
	s, ok := lookupStream(c, c.Key(2), false)
	if !ok {
		return nil, false
	}
	if s == nil {
		c.Error(errNoSuchKey)
		return nil, false
	}
	return s, true
}

func xinfoConsumersCmd(c *Ctx) {
	s, ok := xinfoLookup(c)
	if !ok {
		return
	}
	g := s.Group(c.Arg(3))
	if g == nil {
		c.Error(errNoGroup(c.Arg(3), c.Key(2)))
		return
	}
	names := g.Consumers()
	c.W.Array(len(names))
	for _, name := range names {
		co := g.Consumer(name)
		c.W.Map(3)
		c.W.BulkString("name")
		c.W.BulkString(name)
		c.W.BulkString("pending")
		c.W.Int(int64(co.PEL.Len()))
		c.W.BulkString("idle")
		c.W.Int(max(c.Now-co.SeenTime, 0))
	}
}

// writeLag writes a group's lag, null when unknown.
func writeLag(c *Ctx, s *keyspace.Stream, g *keyspace.StreamGroup) {
	if lag, ok := s.Lag(g); ok {
		c.W.Int(lag)
	} else {
		c.W.Null()
	}
}

func writeEntriesRead(c *Ctx, g *keyspace.StreamGroup) {
	if g.EntriesRead == keyspace.EntriesReadInvalid {
		c.W.Null()
	} else {
		c.W.Int(g.EntriesRead)
	}
}

func xinfoGroupsCmd(c *Ctx) {
	s, ok := xinfoLookup(c)
	if !ok {
		return
	}
	names := s.Groups()
	c.W.Array(len(names))
	for _, name := range names {
		g := s.Group(name)
		c.W.Map(6)
		c.W.BulkString("name")
		c.W.BulkString(name)
		c.W.BulkString("consumers")
		c.W.Int(int64(g.ConsumerCount()))
		c.W.BulkString("pending")
		c.W.Int(int64(g.PEL.Len()))
		c.W.BulkString("last-delivered-id")
		writeStreamID(c.W, g.LastID)
		c.W.BulkString("entries-read")
		writeEntriesRead(c, g)
		c.W.BulkString("lag")
		writeLag(c, s, g)
	}
}

func xinfoStreamCmd(c *Ctx) {
	s, ok := xinfoLookup(c)
	if !ok {
		return
	}
	full := false
	count := int64(10)
	switch extra := len(c.Args) - 3; extra {
	case 0:
	case 1, 3:
		if !c.ArgIs(3, "FULL") {
			c.Error(errSubcommandSyntax(c.Arg(1), "XINFO"))
			return
		}
		full = true
		if extra == 3 {
			if !c.ArgIs(4, "COUNT") {
				c.Error(errSubcommandSyntax(c.Arg(1), "XINFO"))
				return
			}
			v, ok := c.Int(5)
			if !ok {
				return
			}
			if v < 0 {
				v = 10
			}
			count = v
		}
	default:
		c.Error(errSubcommandSyntax(c.Arg(1), "XINFO"))
		return
	}
	if full {
		c.W.Map(9)
	} else {
		c.W.Map(10)
	}
	c.W.BulkString("length")
	c.W.Int(s.Len())
	c.W.BulkString("radix-tree-keys")
	c.W.Int(int64(s.Nodes()))
	c.W.BulkString("radix-tree-nodes")
	c.W.Int(int64(s.RaxNodes()))
	c.W.BulkString("last-generated-id")
	writeStreamID(c.W, s.LastID)
	c.W.BulkString("max-deleted-entry-id")
	writeStreamID(c.W, s.MaxDeletedID)
	c.W.BulkString("entries-added")
	c.W.Int(s.EntriesAdded)
	c.W.BulkString("recorded-first-entry-id")
	writeStreamID(c.W, s.FirstID)
	if !full {
		c.W.BulkString("groups")
		c.W.Int(int64(s.GroupCount()))
		for _, rev := range []bool{false, true} {
			if rev {
				c.W.BulkString("last-entry")
			} else {
				c.W.BulkString("first-entry")
			}
			if es := rangeEntries(s, keyspace.StreamID{}, keyspace.MaxStreamID, rev, 1); len(es) > 0 {
				writeEntry(c.W, es[0])
			} else {
				c.W.Null()
			}
		}
		return
	}
	c.W.BulkString("entries")
	writeEntries(c.W, rangeEntries(s, keyspace.StreamID{}, keyspace.MaxStreamID, false, count))
	c.W.BulkString("groups")
	names := s.Groups()
	c.W.Array(len(names))
	for _, name := range names {
		xinfoFullGroup(c, s, name, count)
	}
}

// xinfoFullGroup writes one group of XINFO STREAM FULL; count bounds the
// PELs listed (0: all).
func xinfoFullGroup(c *Ctx, s *keyspace.Stream, name string, count int64) {
	g := s.Group(name)
	c.W.Map(7)
	c.W.BulkString("name")
	c.W.BulkString(name)
	c.W.BulkString("last-delivered-id")
	writeStreamID(c.W, g.LastID)
	c.W.BulkString("entries-read")
	writeEntriesRead(c, g)
	c.W.BulkString("lag")
	writeLag(c, s, g)
	c.W.BulkString("pel-count")
	c.W.Int(int64(g.PEL.Len()))
	c.W.BulkString("pending")
	type pend struct {
		id keyspace.StreamID
		n  *keyspace.StreamNACK
	}
	collect := func(pel interface {
		Ascend(keyspace.StreamID, func(keyspace.StreamID, *keyspace.StreamNACK) bool)
		Len() int
	}) []pend {
		var out []pend
		pel.Ascend(keyspace.StreamID{}, func(id keyspace.StreamID, n *keyspace.StreamNACK) bool {
			if count != 0 && int64(len(out)) >= count {
				return false
			}
			out = append(out, pend{id, n})
			return true
		})
		return out
	}
	ps := collect(&g.PEL)
	c.W.Array(len(ps))
	for _, p := range ps {
		c.W.Array(4)
		writeStreamID(c.W, p.id)
		c.W.BulkString(p.n.Consumer.Name)
		c.W.Int(p.n.DeliveryTime)
		c.W.Int(p.n.DeliveryCount)
	}
	c.W.BulkString("consumers")
	consumers := g.Consumers()
	c.W.Array(len(consumers))
	for _, cn := range consumers {
		co := g.Consumer(cn)
		c.W.Map(4)
		c.W.BulkString("name")
		c.W.BulkString(cn)
		c.W.BulkString("seen-time")
		c.W.Int(co.SeenTime)
		c.W.BulkString("pel-count")
		c.W.Int(int64(co.PEL.Len()))
		c.W.BulkString("pending")
		ps := collect(&co.PEL)
		c.W.Array(len(ps))
		for _, p := range ps {
			c.W.Array(3)
			writeStreamID(c.W, p.id)
			c.W.Int(p.n.DeliveryTime)
			c.W.Int(p.n.DeliveryCount)
		}
	}
}
