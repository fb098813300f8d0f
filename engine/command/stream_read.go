package command

import (
	"fmt"
	"math"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// XREAD and XREADGROUP. Both serve at once what they can and otherwise,
// with BLOCK, wait with Ctx.Block; the engine runs them again when one of
// their streams changes. Before blocking, XREAD's "$" IDs are rewritten
// to the last ID they meant, so that the run again reads what arrived
// since (Redis keeps the resolved IDs in the blocked client the same way).

func init() {
	register("xread", func(c *Ctx) { xreadCmd(c, false) })
	register("xreadgroup", func(c *Ctx) { xreadCmd(c, true) })
}

const (
	errXreadGroupOption = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errXreadNoack       = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	errXreadMissGroup   = "ERR Missing GROUP option for XREADGROUP"
	errXreadDollar      = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	errXreadGreater     = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	errXreadTimeoutInt  = "ERR timeout is not an integer or out of range"
	errXreadUnbalanced  = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	errXreadKeyGone     = "UNBLOCKED the stream key no longer exists"
	errXreadGroupGone   = "NOGROUP the consumer group this client was blocked on no longer exists"
)

// xreadBlockedCount is XREAD_BLOCKED_DEFAULT_COUNT: what a blocked read
// without COUNT returns at most when it is served.
const xreadBlockedCount = 1000

// xreadReply is what one stream contributes to the reply.
type xreadReply struct {
	key     string
	entries []keyspace.StreamEntry
	// missing marks history entries whose data is gone (nil fields).
	missing []bool
}

func xreadCmd(c *Ctx, group bool) {
	timeout := int64(-1)
	var count int64
	streamsArg := 0
	noack := false
	var groupName, consumerName string
	groupArg := 0 // index of the group name, 0 when no GROUP
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.ArgIs(i, "BLOCK") && more > 0:
			i++
			v, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error(errXreadTimeoutInt)
				return
			}
			if v < 0 {
				c.Error(errTimeoutNegative)
				return
			}
			timeout = v
		case c.ArgIs(i, "COUNT") && more > 0:
			i++
			v, ok := c.Int(i)
			if !ok {
				return
			}
			count = max(v, 0)
		case c.ArgIs(i, "STREAMS") && more > 0:
			streamsArg = i + 1
			if (len(c.Args)-streamsArg)%2 != 0 {
				c.Error(errXreadUnbalanced)
				return
			}
			i = len(c.Args)
		case c.ArgIs(i, "GROUP") && more >= 2:
			if !group {
				c.Error(errXreadGroupOption)
				return
			}
			groupName, consumerName = c.Arg(i+1), c.Arg(i+2)
			groupArg = i + 1
			i += 2
		case c.ArgIs(i, "NOACK"):
			if !group {
				c.Error(errXreadNoack)
				return
			}
			noack = true
		default:
			c.ErrSyntax()
			return
		}
	}
	if streamsArg == 0 {
		c.ErrSyntax()
		return
	}
	if group && groupArg == 0 {
		c.Error(errXreadMissGroup)
		return
	}
	n := (len(c.Args) - streamsArg) / 2
	keys := make([]string, n)
	ids := make([]keyspace.StreamID, n)
	newOnly := make([]bool, n) // ">"
	groups := make([]*keyspace.StreamGroup, n)
	streams := make([]*keyspace.Stream, n)
	var rewritten [][]byte
	for k := 0; k < n; k++ {
		keys[k] = c.Key(streamsArg + k)
		arg := c.Args[streamsArg+n+k]
		var s *keyspace.Stream
		if e := c.Lookup(keys[k]); e != nil {
			var isStream bool
			if s, isStream = e.Value.(*keyspace.Stream); !isStream {
				switch {
				case c.reprocessing && group:
					c.Error(errXreadKeyGone)
				case c.reprocessing:
					// XREAD is served only from streams: wait on.
					continue
				default:
					c.ErrWrongType()
				}
				return
			}
		}
		streams[k] = s
		if group {
			if s != nil {
				groups[k] = s.Group(groupName)
			}
			if groups[k] == nil {
				switch {
				case c.reprocessing && s == nil:
					c.Error(errXreadKeyGone)
				case c.reprocessing:
					c.Error(errXreadGroupGone)
				default:
					c.Error(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option", keys[k], groupName))
				}
				return
			}
		}
		switch string(arg) {
		case "$":
			if group {
				c.Error(errXreadDollar)
				return
			}
			if s != nil {
				ids[k] = s.LastID
			}
			if rewritten == nil {
				rewritten = append([][]byte(nil), c.Args...)
			}
			rewritten[streamsArg+n+k] = fxID(ids[k])
			continue
		case ">":
			if !group {
				c.Error(errXreadGreater)
				return
			}
			ids[k] = keyspace.MaxStreamID
			newOnly[k] = true
			continue
		}
		id, _, ok := parseID(c, arg, 0, idSyntax{strict: true})
		if !ok {
			return
		}
		ids[k] = id
	}
	if c.reprocessing && count == 0 {
		count = xreadBlockedCount
	}
	var replies []xreadReply
	for k := 0; k < n; k++ {
		s := streams[k]
		if s == nil {
			continue
		}
		if group {
			if r, ok := xreadGroupServe(c, groupArg, keys[k], s, groups[k], consumerName, ids[k], newOnly[k], count, noack); ok {
				replies = append(replies, r)
			}
			continue
		}
		if s.Len() == 0 || s.LastValidID().Compare(ids[k]) <= 0 {
			continue
		}
		start, _ := ids[k].Incr()
		replies = append(replies, xreadReply{key: keys[k], entries: rangeEntries(s, start, keyspace.MaxStreamID, false, count)})
	}
	if len(replies) > 0 {
		if c.W.Proto == 3 {
			c.W.Map(len(replies))
		} else {
			c.W.Array(len(replies))
		}
		for _, r := range replies {
			if c.W.Proto != 3 {
				c.W.Array(2)
			}
			c.W.BulkString(r.key)
			c.W.Array(len(r.entries))
			for i, e := range r.entries {
				if r.missing != nil && r.missing[i] {
					c.W.Array(2)
					writeStreamID(c.W, e.ID)
					c.W.NullArray()
					continue
				}
				writeEntry(c.W, e)
			}
		}
		return
	}
	if timeout == -1 {
		c.W.NullArray()
		return
	}
	var deadline int64
	if timeout > 0 {
		deadline = c.Now + timeout
		if timeout > math.MaxInt64-c.Now {
			deadline = math.MaxInt64
		}
	}
	if rewritten != nil {
		c.Args = rewritten
	}
	c.Block(keys, deadline, func(w *resp.Writer) { w.NullArray() })
}

// xreadGroupServe serves one stream of an XREADGROUP: the consumer's
// history from id, or with ">" the entries after the group's last ID.
// ok is false when there is nothing to serve (">" with no new entries).
func xreadGroupServe(c *Ctx, groupArg int, key string, s *keyspace.Stream, g *keyspace.StreamGroup, name string,
	id keyspace.StreamID, newOnly bool, count int64, noack bool) (r xreadReply, ok bool) {
	if newOnly && (s.Len() == 0 || s.LastValidID().Compare(g.LastID) <= 0) {
		return r, false
	}
	r.key = key
	bkey := []byte(key)
	consumer, created := g.CreateConsumer(name, c.Now)
	consumer.SeenTime = c.Now
	if created {
		c.Effect(bXGROUP, bCREATECONSUMER, bkey, c.Args[groupArg], c.Args[groupArg+1])
	}
	changed := created
	if !newOnly {
		// History is read after the ID given, as new entries are.
		start, _ := id.Incr()
		consumer.PEL.Ascend(start, func(pid keyspace.StreamID, n *keyspace.StreamNACK) bool {
			if count != 0 && int64(len(r.entries)) >= count {
				return false
			}
			e, exists := s.Get(pid)
			if !exists {
				r.entries = append(r.entries, keyspace.StreamEntry{ID: pid})
				if r.missing == nil {
					r.missing = make([]bool, len(r.entries)-1, len(r.entries))
				}
				r.missing = append(r.missing, true)
				return true
			}
			n.DeliveryTime = c.Now
			n.DeliveryCount++
			claimEffect(c, bkey, c.Args[groupArg], pid, n, name, g.LastID)
			changed = true
			r.entries = append(r.entries, e)
			if r.missing != nil {
				r.missing = append(r.missing, false)
			}
			return true
		})
	} else {
		start, _ := g.LastID.Incr()
		before := g.LastID
		r.entries = rangeEntries(s, start, keyspace.MaxStreamID, false, count)
		for _, e := range r.entries {
			if e.ID.Compare(g.LastID) > 0 {
				if g.EntriesRead != keyspace.EntriesReadInvalid && !s.HasTombstones(e.ID, keyspace.MaxStreamID) {
					g.EntriesRead++
				} else if s.EntriesAdded != 0 {
					g.EntriesRead = s.EstimateDistance(e.ID)
				}
				g.LastID = e.ID
			}
			if !noack {
				n := g.Deliver(e.ID, consumer, c.Now)
				claimEffect(c, bkey, c.Args[groupArg], e.ID, n, name, g.LastID)
			}
		}
		if g.LastID != before {
			c.Effect(bXGROUP, bSETID, bkey, c.Args[groupArg], fxID(g.LastID), bENTRIESREAD, fxInt(g.EntriesRead))
		}
		changed = true
	}
	if changed {
		c.Modified(key)
	}
	return r, true
}
