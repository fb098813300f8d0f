package command

import (
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// The blocking list commands. Each serves at once when one of its lists
// has elements and otherwise blocks with Ctx.Block; the engine runs the
// handler again, in blocking order, each time a key it waits on changes.
// A handler run again (c.reprocessing) treats a key that now holds another
// type as empty rather than failing: Redis 7.0 serves blocked list clients
// only from keys holding lists and leaves them waiting otherwise.

func init() {
	register("blpop", func(c *Ctx) { bpopCmd(c, true) })
	register("brpop", func(c *Ctx) { bpopCmd(c, false) })
	register("blmove", blmoveCmd)
	register("brpoplpush", brpoplpushCmd)
	register("blmpop", blmpopCmd)
}

// replyListTimeout is what every blocking list command answers when its
// time runs out: a null array, even for BLMOVE and BRPOPLPUSH, whose
// served reply is a bulk string (Redis's replyToBlockedClientTimedOut).
func replyListTimeout(w *resp.Writer) { w.NullArray() }

// bpopCmd is BLPOP and BRPOP: the timeout first, then the keys in order,
// the first non-empty list serving.
func bpopCmd(c *Ctx, left bool) {
	last := len(c.Args) - 1
	deadline, ok := c.Timeout(last)
	if !ok {
		return
	}
	for i := 1; i < last; i++ {
		key := c.Key(i)
		e := c.LookupWrite(key)
		if e == nil {
			continue
		}
		l, isList := e.Value.(*keyspace.List)
		if !isList {
			if c.reprocessing {
				continue
			}
			c.ErrWrongType()
			return
		}
		c.W.Array(2)
		c.W.BulkString(key)
		c.W.Bulk(listPop(l, left))
		c.listPopped(key, l)
		// The log records the plain pop of the key that served.
		if left {
			c.Effect(bLPOP, []byte(key))
		} else {
			c.Effect(bRPOP, []byte(key))
		}
		return
	}
	keys := make([]string, 0, last-1)
	for i := 1; i < last; i++ {
		keys = append(keys, c.Key(i))
	}
	c.Block(keys, deadline, replyListTimeout)
}

func blmoveCmd(c *Ctx) {
	from, ok := parseWhere(c, 3)
	if !ok {
		return
	}
	to, ok := parseWhere(c, 4)
	if !ok {
		return
	}
	blmove(c, from, to, 5)
}

func brpoplpushCmd(c *Ctx) { blmove(c, false, true, 3) }

// blmove is BLMOVE and BRPOPLPUSH once their directions are parsed; the
// timeout is argument at.
func blmove(c *Ctx, from, to bool, at int) {
	deadline, ok := c.Timeout(at)
	if !ok {
		return
	}
	src, dst := c.Key(1), c.Key(2)
	e := c.LookupWrite(src)
	if e != nil {
		if _, isList := e.Value.(*keyspace.List); isList {
			// Logged as the plain move, if it moved anything.
			before := c.E.dirty
			lmove(c, src, dst, from, to)
			if c.E.dirty != before {
				c.Effect(bLMOVE, c.Args[1], c.Args[2], whereWord(from), whereWord(to))
			} else {
				c.NoEffect()
			}
			return
		}
		if !c.reprocessing {
			c.ErrWrongType()
			return
		}
	}
	if c.inExec {
		// Inside MULTI Redis answers an empty source as LMOVE would, with
		// a null bulk, not with the null array of a timeout.
		c.W.Null()
		return
	}
	c.Block([]string{src}, deadline, replyListTimeout)
}

func blmpopCmd(c *Ctx) {
	a, ok := parseLmpop(c, 2)
	if !ok {
		return
	}
	deadline, ok := c.Timeout(1)
	if !ok {
		return
	}
	if lmpopServe(c, a) {
		return
	}
	c.Block(a.keys, deadline, replyListTimeout)
}

// whereWord is the LMOVE argument for a direction.
func whereWord(left bool) []byte {
	if left {
		return bLEFT
	}
	return bRIGHT
}
