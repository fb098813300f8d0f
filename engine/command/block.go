package command

import (
	"slices"
	"time"

	"github.com/mnemo-dev/mnemo/engine/resp"
)

// blockState is what a blocked client waits for.
type blockState struct {
	keys      []string
	deadline  int64 // Unix ms, 0 for never
	onTimeout func(w *resp.Writer)
	cmd       *Command
	args      [][]byte // copied: the connection's buffer moves on
	// done is closed when the client is served or unblocked.
	done chan struct{}
}

func newWriter() *resp.Writer { return resp.NewWriter() }

// block parks client c on keys (called from Ctx.Block, under the lock).
func (e *Engine) block(c *Client, keys []string, deadline int64, onTimeout func(w *resp.Writer), cmd *Command, args [][]byte) {
	own := make([][]byte, len(args))
	for i, a := range args {
		own[i] = append([]byte(nil), a...)
	}
	c.block = &blockState{keys: keys, deadline: deadline, onTimeout: onTimeout, cmd: cmd, args: own, done: make(chan struct{})}
	for _, k := range keys {
		if !slices.Contains(e.blockedOn[k], c) {
			e.blockedOn[k] = append(e.blockedOn[k], c)
		}
	}
}

// unblockDeferred is unblock for a client served under the lock: it is
// woken by commitGroup, once its reply is marked with the batch it waits
// for.
func (e *Engine) unblockDeferred(c *Client) {
	e.fx.wake = append(e.fx.wake, e.dequeue(c))
}

// unblock removes c from the wait queues and wakes its connection.
func (e *Engine) unblock(c *Client) {
	close(e.dequeue(c))
}

// dequeue removes c from the wait queues and returns the channel that
// wakes it.
func (e *Engine) dequeue(c *Client) chan struct{} {
	b := c.block
	for _, k := range b.keys {
		q := e.blockedOn[k]
		if i := slices.Index(q, c); i >= 0 {
			q = slices.Delete(q, i, i+1)
		}
		if len(q) == 0 {
			delete(e.blockedOn, k)
		} else {
			e.blockedOn[k] = q
		}
	}
	c.block = nil
	return b.done
}

// serveBlocked runs the commands of clients blocked on keys that were
// touched, in the order the clients blocked (Redis's fair wake-up order),
// until no touched key is left. A command that finds nothing again stays
// blocked in its place.
func (e *Engine) serveBlocked() {
	for len(e.readyKeys) > 0 {
		keys := e.readyKeys
		e.readyKeys = nil
		clear(e.readySet)
		for _, k := range keys {
			queue := slices.Clone(e.blockedOn[k])
			for _, bc := range queue {
				if bc.block == nil {
					continue
				}
				b := bc.block
				ctx := &Ctx{E: e, C: bc, Cmd: b.cmd, Args: b.args, W: bc.W, DB: e.db,
					Now: e.now().UnixMilli(), reprocessing: true}
				mark := bc.W.Len()
				dirtyBefore := e.dirty
				b.cmd.Handler(ctx)
				if ctx.blockedAgain {
					bc.W.Truncate(mark)
					continue
				}
				e.collect(ctx, dirtyBefore)
				b.cmd.Calls++
				e.stats.totalCommands++
				// The client wakes when the group its pop belongs to is
				// committed to the batch (commitGroup), not before.
				e.unblockDeferred(bc)
				if e.log != nil {
					e.fx.marks = append(e.fx.marks, pendingMark{bc, 0, bc.W.Len()})
				}
			}
		}
	}
}

// WaitBlocked waits, without the lock, until blocked client c is served,
// times out, or its connection goes away (gone yields an error). It
// returns false when the client went away.
func (e *Engine) WaitBlocked(c *Client, gone <-chan error) bool {
	e.mu.Lock()
	b := c.block
	e.mu.Unlock()
	if b == nil {
		return true
	}
	var timeout <-chan time.Time
	if b.deadline != 0 {
		t := time.NewTimer(time.Until(time.UnixMilli(b.deadline)))
		defer t.Stop()
		timeout = t.C
	}
	for {
		select {
		case <-b.done:
			return true
		case <-timeout:
			e.mu.Lock()
			if c.block == b {
				e.unblock(c)
				b.onTimeout(c.W)
			}
			e.mu.Unlock()
			return true
		case err := <-gone:
			if err == nil {
				// More commands arrived; they wait their turn.
				gone = nil
				continue
			}
			e.mu.Lock()
			if c.block == b {
				e.unblock(c)
			}
			e.mu.Unlock()
			return false
		}
	}
}

// Unblock ends a blocked command as if it timed out (CLIENT UNBLOCK).
func (e *Engine) unblockWithTimeout(c *Client) {
	b := c.block
	e.unblock(c)
	b.onTimeout(c.W)
}
