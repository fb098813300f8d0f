package command

import (
	"fmt"
	"math"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
//
// Delivery times and idle filters make these commands depend on the
// clock, so the ones that move pending entries log what they did as
// Redis propagates it: one "XCLAIM key group consumer 0 id TIME t
// RETRYCOUNT n FORCE JUSTID LASTID id" per entry touched, which replays
// to the same PEL whatever the replaying clock says.

func init() {
	register("xgroup|create", xgroupCreateCmd)
	register("xgroup|setid", xgroupSetidCmd)
	register("xgroup|destroy", xgroupDestroyCmd)
	register("xgroup|createconsumer", xgroupCreateConsumerCmd)
	register("xgroup|delconsumer", xgroupDelConsumerCmd)
	register("xack", xackCmd)
	register("xpending", xpendingCmd)
	register("xclaim", xclaimCmd)
	register("xautoclaim", xautoclaimCmd)
}

const (
	errXgroupNoKey       = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errBusyGroup         = "BUSYGROUP Consumer Group name already exists"
	errEntriesRead       = "ERR value for ENTRIESREAD must be positive or -1"
	errXclaimMinIdle     = "ERR Invalid min-idle-time argument for XCLAIM"
	errXclaimIdle        = "ERR Invalid IDLE option argument for XCLAIM"
	errXclaimTime        = "ERR Invalid TIME option argument for XCLAIM"
	errXclaimRetry       = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	errXautoclaimMinIdle = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	errXautoclaimCount   = "ERR COUNT must be > 0"
)

// errNoGroup is the NOGROUP error of XGROUP's subcommands.
func errNoGroup(group, key string) string {
	return fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", group, key)
}

// errNoKeyOrGroup is the NOGROUP error of XPENDING, XCLAIM, XAUTOCLAIM.
func errNoKeyOrGroup(key, group string) string {
	return fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'", key, group)
}

// errXgroupSyntax is XGROUP's addReplySubcommandSyntaxError.
func errXgroupSyntax(c *Ctx) string {
	return errSubcommandSyntax(string(c.Args[1]), strings.ToUpper(string(c.Args[0])))
}

// xgroupLookup is the common part of the XGROUP subcommands: the stream
// must exist (unless MKSTREAM), and the group for all but CREATE.
func xgroupLookup(c *Ctx, mkstream, needGroup bool) (s *keyspace.Stream, g *keyspace.StreamGroup, ok bool) {
	key := c.Key(2)
	if s, ok = lookupStream(c, key, true); !ok {
		return nil, nil, false
	}
	if mkstream {
		return s, nil, true
	}
	if s == nil {
		c.Error(errXgroupNoKey)
		return nil, nil, false
	}
	g = s.Group(c.Arg(3))
	if g == nil && needGroup {
		c.Error(errNoGroup(c.Arg(3), key))
		return nil, nil, false
	}
	return s, g, true
}

// parseEntriesRead parses an ENTRIESREAD value.
func parseEntriesRead(c *Ctx, i int) (int64, bool) {
	v, ok := c.Int(i)
	if !ok {
		return 0, false
	}
	if v < 0 && v != keyspace.EntriesReadInvalid {
		c.Error(errEntriesRead)
		return 0, false
	}
	return v, true
}

func xgroupCreateCmd(c *Ctx) {
	mkstream := false
	entriesRead := int64(keyspace.EntriesReadInvalid)
	for i := 5; i < len(c.Args); {
		switch {
		case c.ArgIs(i, "MKSTREAM"):
			mkstream = true
			i++
		case c.ArgIs(i, "ENTRIESREAD") && i+1 < len(c.Args):
			v, ok := parseEntriesRead(c, i+1)
			if !ok {
				return
			}
			entriesRead = v
			i += 2
		default:
			c.Error(errXgroupSyntax(c))
			return
		}
	}
	s, _, ok := xgroupLookup(c, mkstream, false)
	if !ok {
		return
	}
	if len(c.Args) > 8 {
		c.Error(errXgroupSyntax(c))
		return
	}
	var id keyspace.StreamID
	if c.Arg(4) == "$" {
		if s != nil {
			id = s.LastID
		}
	} else if id, _, ok = parseID(c, c.Args[4], 0, idSyntax{strict: true}); !ok {
		return
	}
	key := c.Key(2)
	if s == nil {
		s = keyspace.NewStream()
		c.DB.Set(key, s).Access = c.Now
		c.Modified(key)
	}
	if !s.CreateGroup(c.Arg(3), id, entriesRead) {
		c.Error(errBusyGroup)
		return
	}
	// "$" resolved: log the ID it meant.
	c.Effect(bXGROUP, []byte("CREATE"), []byte(key), c.Args[3], fxID(id), []byte("MKSTREAM"), bENTRIESREAD, fxInt(entriesRead))
	c.Modified(key)
	c.W.OK()
}

func xgroupSetidCmd(c *Ctx) {
	s, g, ok := xgroupLookup(c, false, true)
	if !ok {
		return
	}
	if len(c.Args) != 5 && len(c.Args) != 7 {
		c.Error(errXgroupSyntax(c))
		return
	}
	var id keyspace.StreamID
	if c.Arg(4) == "$" {
		id = s.LastID
	} else if id, _, ok = parseID(c, c.Args[4], 0, idSyntax{}); !ok {
		return
	}
	entriesRead := int64(keyspace.EntriesReadInvalid)
	if len(c.Args) == 7 {
		if !c.ArgIs(5, "ENTRIESREAD") {
			c.Error(errXgroupSyntax(c))
			return
		}
		if entriesRead, ok = parseEntriesRead(c, 6); !ok {
			return
		}
	}
	g.LastID, g.EntriesRead = id, entriesRead
	c.Effect(bXGROUP, bSETID, c.Args[2], c.Args[3], fxID(id), bENTRIESREAD, fxInt(entriesRead))
	c.Modified(c.Key(2))
	c.W.OK()
}

func xgroupDestroyCmd(c *Ctx) {
	s, g, ok := xgroupLookup(c, false, false)
	if !ok {
		return
	}
	if g == nil {
		c.W.Int(0)
		return
	}
	s.DestroyGroup(c.Arg(3))
	// Wakes XREADGROUP clients blocked on the group, which then fail.
	c.Modified(c.Key(2))
	c.W.Int(1)
}

func xgroupCreateConsumerCmd(c *Ctx) {
	_, g, ok := xgroupLookup(c, false, true)
	if !ok {
		return
	}
	if _, created := g.CreateConsumer(c.Arg(4), c.Now); !created {
		c.W.Int(0)
		return
	}
	c.Modified(c.Key(2))
	c.W.Int(1)
}

func xgroupDelConsumerCmd(c *Ctx) {
	_, g, ok := xgroupLookup(c, false, true)
	if !ok {
		return
	}
	n := g.DeleteConsumer(c.Arg(4))
	if n < 0 {
		c.W.Int(0)
		return
	}
	c.Modified(c.Key(2))
	c.W.Int(int64(n))
}

// lookupGroup finds key's stream and group for XACK-like commands; s is
// nil (and no error written) when either is missing.
func lookupGroup(c *Ctx, key, group string) (s *keyspace.Stream, g *keyspace.StreamGroup, ok bool) {
	s, ok = lookupStream(c, key, false)
	if !ok || s == nil {
		return nil, nil, ok
	}
	if g = s.Group(group); g == nil {
		return nil, nil, true
	}
	return s, g, true
}

func xackCmd(c *Ctx) {
	key := c.Key(1)
	s, g, ok := lookupGroup(c, key, c.Arg(2))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	ids := make([]keyspace.StreamID, 0, len(c.Args)-3)
	for j := 3; j < len(c.Args); j++ {
		id, _, ok := parseID(c, c.Args[j], 0, idSyntax{strict: true})
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	var n int64
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	if n > 0 {
		c.Modified(key)
	}
	c.W.Int(n)
}

func xpendingCmd(c *Ctx) {
	argc := len(c.Args)
	if argc != 3 && (argc < 6 || argc > 9) {
		c.ErrSyntax()
		return
	}
	var start, end keyspace.StreamID
	var count, minIdle int64
	consumer := ""
	hasConsumer := false
	if argc >= 6 {
		si := 3
		if c.ArgIs(3, "IDLE") {
			v, ok := c.Int(4)
			if !ok {
				return
			}
			minIdle = v
			if argc < 8 {
				c.ErrSyntax()
				return
			}
			si += 2
		}
		v, ok := c.Int(si + 2)
		if !ok {
			return
		}
		count = max(v, 0)
		if start, end, ok = parseRange(c, c.Args[si], c.Args[si+1]); !ok {
			return
		}
		if si+3 < argc {
			consumer, hasConsumer = c.Arg(si+3), true
		}
	}
	key, group := c.Key(1), c.Arg(2)
	s, g, ok := lookupGroup(c, key, group)
	if !ok {
		return
	}
	if s == nil {
		c.Error(errNoKeyOrGroup(key, group))
		return
	}
	if argc == 3 {
		xpendingSummary(c, g)
		return
	}
	pel := &g.PEL
	if hasConsumer {
		co := g.Consumer(consumer)
		if co == nil {
			c.W.Array(0)
			return
		}
		pel = &co.PEL
	}
	type row struct {
		id   keyspace.StreamID
		nack *keyspace.StreamNACK
	}
	var rows []row
	pel.Ascend(start, func(id keyspace.StreamID, n *keyspace.StreamNACK) bool {
		if count == 0 || id.Compare(end) > 0 {
			return false
		}
		if minIdle != 0 && c.Now-n.DeliveryTime < minIdle {
			return true
		}
		rows = append(rows, row{id, n})
		count--
		return true
	})
	c.W.Array(len(rows))
	for _, r := range rows {
		c.W.Array(4)
		writeStreamID(c.W, r.id)
		c.W.BulkString(r.nack.Consumer.Name)
		c.W.Int(max(c.Now-r.nack.DeliveryTime, 0))
		c.W.Int(r.nack.DeliveryCount)
	}
}

func xpendingSummary(c *Ctx, g *keyspace.StreamGroup) {
	c.W.Array(4)
	c.W.Int(int64(g.PEL.Len()))
	if g.PEL.Len() == 0 {
		c.W.Null()
		c.W.Null()
		c.W.NullArray()
		return
	}
	first, _, _ := g.PEL.Min()
	last, _, _ := g.PEL.Max()
	writeStreamID(c.W, first)
	writeStreamID(c.W, last)
	var names []string
	var counts []int
	for _, name := range g.Consumers() {
		if n := g.Consumer(name).PEL.Len(); n > 0 {
			names = append(names, name)
			counts = append(counts, n)
		}
	}
	c.W.Array(len(names))
	for i, name := range names {
		c.W.Array(2)
		c.W.BulkString(name)
		c.W.BulkInt(int64(counts[i]))
	}
}

// claimEffect logs the idempotent XCLAIM that gives id's pending entry n
// the state it has now, as streamPropagateXCLAIM does.
func claimEffect(c *Ctx, key, group []byte, id keyspace.StreamID, n *keyspace.StreamNACK, consumer string, lastID keyspace.StreamID) {
	c.Effect(bXCLAIM, key, group, []byte(consumer), bZero, fxID(id),
		bTIME, fxInt(n.DeliveryTime), bRETRYCOUNT, fxInt(n.DeliveryCount),
		bFORCE, bJUSTID, bLASTID, fxID(lastID))
}

// xclaimOpts are XCLAIM's options.
type xclaimOpts struct {
	minIdle      int64
	ids          []keyspace.StreamID
	retryCount   int64 // -1: not given
	deliveryTime int64 // -1: not given
	force        bool
	justID       bool
	lastID       keyspace.StreamID
}

func parseXclaim(c *Ctx) (o xclaimOpts, ok bool) {
	o.retryCount, o.deliveryTime = -1, -1
	v, parsed := resp.ParseInt(c.Args[4])
	if !parsed {
		c.Error(errXclaimMinIdle)
		return o, false
	}
	o.minIdle = max(v, 0)
	j := 5
	for ; j < len(c.Args); j++ {
		id, _, ok := parseID(nil, c.Args[j], 0, idSyntax{strict: true})
		if !ok {
			break
		}
		o.ids = append(o.ids, id)
	}
	for ; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.ArgIs(j, "FORCE"):
			o.force = true
		case c.ArgIs(j, "JUSTID"):
			o.justID = true
		case c.ArgIs(j, "IDLE") && more > 0:
			j++
			v, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error(errXclaimIdle)
				return o, false
			}
			o.deliveryTime = c.Now - v
		case c.ArgIs(j, "TIME") && more > 0:
			j++
			v, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error(errXclaimTime)
				return o, false
			}
			o.deliveryTime = v
		case c.ArgIs(j, "RETRYCOUNT") && more > 0:
			j++
			v, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error(errXclaimRetry)
				return o, false
			}
			o.retryCount = v
		case c.ArgIs(j, "LASTID") && more > 0:
			j++
			id, _, ok := parseID(c, c.Args[j], 0, idSyntax{strict: true})
			if !ok {
				return o, false
			}
			o.lastID = id
		default:
			c.Error(fmt.Sprintf("ERR Unrecognized XCLAIM option '%s'", cString(c.Args[j])))
			return o, false
		}
	}
	return o, true
}

// cString is how Redis prints an argument with %s: up to its first NUL.
func cString(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s
}

func xclaimCmd(c *Ctx) {
	key, group := c.Key(1), c.Arg(2)
	s, g, ok := lookupGroup(c, key, group)
	if !ok {
		return
	}
	if s == nil {
		c.Error(errNoKeyOrGroup(key, group))
		return
	}
	o, ok := parseXclaim(c)
	if !ok {
		return
	}
	changed := false
	if o.lastID.Compare(g.LastID) > 0 {
		g.LastID = o.lastID
		changed = true
	}
	// A replayed XCLAIM must keep the logged time, whatever the clock.
	if o.deliveryTime == -1 || (!c.E.replaying && (o.deliveryTime < 0 || o.deliveryTime > c.Now)) {
		o.deliveryTime = c.Now
	}
	name := c.Arg(3)
	var consumer *keyspace.StreamConsumer
	type claimed struct {
		id keyspace.StreamID
		e  keyspace.StreamEntry
	}
	var out []claimed
	for _, id := range o.ids {
		n, pending := g.PEL.Get(id)
		e, exists := s.Get(id)
		if !exists {
			if pending {
				claimEffect(c, c.Args[1], c.Args[2], id, n, n.Consumer.Name, g.LastID)
				g.Ack(id)
				changed = true
			}
			continue
		}
		if o.force && !pending {
			n = &keyspace.StreamNACK{}
			g.PEL.Set(id, n)
			pending = true
		}
		if !pending {
			continue
		}
		if n.Consumer != nil && o.minIdle != 0 && c.Now-n.DeliveryTime < o.minIdle {
			continue
		}
		if consumer == nil {
			consumer, _ = g.CreateConsumer(name, c.Now)
			consumer.SeenTime = c.Now
		}
		g.Claim(id, n, consumer)
		n.DeliveryTime = o.deliveryTime
		if o.retryCount >= 0 {
			n.DeliveryCount = o.retryCount
		} else if !o.justID {
			n.DeliveryCount++
		}
		out = append(out, claimed{id, e})
		claimEffect(c, c.Args[1], c.Args[2], id, n, name, g.LastID)
		changed = true
	}
	if changed {
		if len(out) == 0 {
			c.Effect(bXGROUP, bSETID, c.Args[1], c.Args[2], fxID(g.LastID), bENTRIESREAD, fxInt(g.EntriesRead))
		}
		c.Modified(key)
	} else {
		c.NoEffect()
	}
	c.W.Array(len(out))
	for _, x := range out {
		if o.justID {
			writeStreamID(c.W, x.id)
		} else {
			writeEntry(c.W, x.e)
		}
	}
}

func xautoclaimCmd(c *Ctx) {
	minIdle, ok := resp.ParseInt(c.Args[4])
	if !ok {
		c.Error(errXautoclaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	start, excl, ok := parseIntervalID(c, c.Args[5], 0)
	if !ok {
		return
	}
	if excl {
		if start, ok = start.Incr(); !ok {
			c.Error(errIntervalStart)
			return
		}
	}
	count := int64(100)
	justID := false
	const attemptsFactor = 10
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch {
		case c.ArgIs(j, "COUNT") && more > 0:
			v, ok := resp.ParseInt(c.Args[j+1])
			if !ok || v < 1 || v > math.MaxInt64/16 {
				c.Error(errXautoclaimCount)
				return
			}
			count = v
			j++
		case c.ArgIs(j, "JUSTID"):
			justID = true
		default:
			c.ErrSyntax()
			return
		}
	}
	key, group := c.Key(1), c.Arg(2)
	s, g, ok := lookupGroup(c, key, group)
	if !ok {
		return
	}
	if s == nil {
		c.Error(errNoKeyOrGroup(key, group))
		return
	}
	attempts := count * attemptsFactor
	name := c.Arg(3)
	var consumer *keyspace.StreamConsumer
	var claimed []keyspace.StreamEntry
	var deleted []keyspace.StreamID
	cur, n, more := g.PEL.Ceil(start)
	for ; attempts > 0 && count > 0 && more; cur, n, more = g.PEL.Higher(cur) {
		attempts--
		e, exists := s.Get(cur)
		if !exists {
			claimEffect(c, c.Args[1], c.Args[2], cur, n, n.Consumer.Name, g.LastID)
			g.Ack(cur)
			deleted = append(deleted, cur)
			count--
			continue
		}
		if minIdle != 0 && c.Now-n.DeliveryTime < minIdle {
			continue
		}
		if consumer == nil {
			consumer, _ = g.CreateConsumer(name, c.Now)
			consumer.SeenTime = c.Now
		}
		g.Claim(cur, n, consumer)
		n.DeliveryTime = c.Now
		if !justID {
			n.DeliveryCount++
		}
		claimed = append(claimed, e)
		count--
		claimEffect(c, c.Args[1], c.Args[2], cur, n, name, g.LastID)
	}
	// The cursor is the entry after the last one examined.
	var next keyspace.StreamID
	if more {
		next = cur
	}
	if len(claimed) > 0 || len(deleted) > 0 {
		c.Modified(key)
	} else {
		c.NoEffect()
	}
	c.W.Array(3)
	writeStreamID(c.W, next)
	c.W.Array(len(claimed))
	for _, e := range claimed {
		if justID {
			writeStreamID(c.W, e.ID)
		} else {
			writeEntry(c.W, e)
		}
	}
	c.W.Array(len(deleted))
	for _, id := range deleted {
		writeStreamID(c.W, id)
	}
}
