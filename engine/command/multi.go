package command

import "time"

// multiState is an open MULTI: the queued commands and whether the
// transaction is doomed by an error at queue time.
type multiState struct {
	cmds  []queuedCmd
	dirty bool
}

type queuedCmd struct {
	cmd  *Command
	args [][]byte
}

// queue copies a command into the transaction; the connection's buffer
// will be reused before EXEC.
func (m *multiState) queue(cmd *Command, args [][]byte) {
	own := make([][]byte, len(args))
	for i, a := range args {
		own[i] = append([]byte(nil), a...)
	}
	m.cmds = append(m.cmds, queuedCmd{cmd, own})
}

// watchedKey is one WATCHed key of a client. expired records that the key
// had already expired at WATCH time, so its later removal is no change.
type watchedKey struct {
	expired bool
}

func init() {
	register("multi", multiCmd)
	register("exec", execCmd)
	register("discard", discardCmd)
	register("watch", watchCmd)
	register("unwatch", unwatchCmd)
}

func multiCmd(c *Ctx) {
	if c.C.multi != nil {
		c.Error(errNoMultiNesting)
		return
	}
	c.C.multi = &multiState{}
	c.W.OK()
}

func discardCmd(c *Ctx) {
	if c.C.multi == nil {
		c.Error(errDiscardNoMulti)
		return
	}
	c.C.multi = nil
	c.E.unwatchAll(c.C)
	c.W.OK()
}

func execCmd(c *Ctx) {
	cl, e := c.C, c.E
	m := cl.multi
	if m == nil {
		c.Error(errExecNoMulti)
		return
	}
	cl.multi = nil
	// The queued commands log their own effects, one group in all.
	c.NoEffect()
	if m.dirty {
		e.unwatchAll(cl)
		c.Error(errExecAbort)
		return
	}
	if cl.dirtyCAS || e.watchedKeyExpired(cl, c.Now) {
		e.unwatchAll(cl)
		c.W.NullArray()
		return
	}
	// A transaction's keys must all live in one slot, like a single
	// command's.
	slot := -1
	for _, q := range m.cmds {
		for _, p := range q.cmd.KeyPositions(q.args, nil) {
			s := keySlot(q.args[p])
			if slot == -1 {
				slot = s
			} else if s != slot {
				e.unwatchAll(cl)
				c.Error(errCrossSlot)
				return
			}
		}
	}
	e.unwatchAll(cl)
	c.W.Array(len(m.cmds))
	for _, q := range m.cmds {
		if msg := e.aclExecDenied(cl, q.cmd, q.args, time.UnixMilli(c.Now)); msg != "" {
			c.Error(msg)
			continue
		}
		e.call(cl, q.cmd, q.args, time.UnixMilli(c.Now), time.Now(), true)
	}
}

func watchCmd(c *Ctx) {
	if c.C.multi != nil {
		c.Error(errWatchInMulti)
		return
	}
	for i := 1; i < len(c.Args); i++ {
		c.E.watch(c.C, c.Key(i), c.Now)
	}
	c.W.OK()
}

func unwatchCmd(c *Ctx) {
	c.E.unwatchAll(c.C)
	c.W.OK()
}

func (e *Engine) watch(c *Client, key string, now int64) {
	if c.watched == nil {
		c.watched = map[string]*watchedKey{}
	}
	if _, ok := c.watched[key]; ok {
		return
	}
	ent := e.db.Peek(key)
	c.watched[key] = &watchedKey{expired: ent != nil && ent.ExpireAt != 0 && ent.ExpireAt <= now}
	ws := e.watchers[key]
	if ws == nil {
		ws = map[*Client]struct{}{}
		e.watchers[key] = ws
	}
	ws[c] = struct{}{}
}

func (e *Engine) unwatchAll(c *Client) {
	for key := range c.watched {
		if ws := e.watchers[key]; ws != nil {
			delete(ws, c)
			if len(ws) == 0 {
				delete(e.watchers, key)
			}
		}
	}
	c.watched = nil
	c.dirtyCAS = false
}

// watchedKeyExpired reports whether a watched key that was alive at WATCH
// time has expired since, which counts as a change.
func (e *Engine) watchedKeyExpired(c *Client, now int64) bool {
	for key, wk := range c.watched {
		if wk.expired {
			continue
		}
		if ent := e.db.Peek(key); ent != nil && ent.ExpireAt != 0 && ent.ExpireAt <= now {
			return true
		}
	}
	return false
}

// touchWatchers marks the clients watching key as dirty, except where the
// key was already expired when watched and is merely gone now.
func (e *Engine) touchWatchers(key string) {
	for c := range e.watchers[key] {
		if wk := c.watched[key]; wk != nil && wk.expired && e.db.Peek(key) == nil {
			wk.expired = false
			continue
		}
		c.dirtyCAS = true
	}
}
