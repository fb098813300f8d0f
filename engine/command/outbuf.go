package command

import (
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// Output buffer limits (client-output-buffer-limit), as Redis's
// checkClientOutputBufferLimits: a client whose unsent output reaches its
// class's hard limit, or stays at or above the soft limit for longer than
// the soft seconds, is disconnected. A subscriber's output is its push
// buffer, filled by publishers while the client may not be reading; a
// normal client's is the replies one round of commands produced, checked
// by the server before it writes them (a normal client that does not read
// blocks only its own connection, so its output is never more than one
// round's).

// outputLimit is a client's soft-limit clock. Safe for concurrent use:
// publishers check it under the engine lock, the connection without it.
type outputLimit struct {
	cfg *config.Config
	// softSince is when the output first reached the soft limit (Unix
	// seconds), 0 while it is under.
	softSince atomic.Int64
}

// replyChunk is the output that does not count against the limits, as
// Redis's 16 KiB static reply buffer (PROTO_REPLY_CHUNK_BYTES) does not:
// only what overflows it does, so small replies never close a client
// whatever the limits say.
const replyChunk = 16 << 10

// over reports whether n bytes of pending output break limit l at now.
func (o *outputLimit) over(l config.ClassLimit, n int64, now time.Time) bool {
	n = max(n-replyChunk, 0)
	if l.Hard > 0 && n >= l.Hard {
		return true
	}
	if l.Soft == 0 || n < l.Soft {
		o.softSince.Store(0)
		return false
	}
	since := o.softSince.Load()
	if since == 0 {
		o.softSince.Store(now.Unix())
		return false
	}
	return now.Unix()-since > l.SoftSeconds
}

// pushOverLimit checks a client's push buffer of n bytes against the
// limits of its class, under the engine lock: pubsub while it has subscriptions, as in Redis,
// else normal. A client killed already is over: nothing more is queued
// for it while its connection closes.
func (c *Client) pushOverLimit(n int64) bool {
	if c.Killed() {
		return true
	}
	if c.olim.cfg == nil {
		return false
	}
	limits := c.olim.cfg.OutputBufferLimits()
	l := limits.Normal
	if c.subscriptions() > 0 {
		l = limits.PubSub
	}
	return c.olim.over(l, n, time.Now())
}

// ReplyOverLimit reports whether n bytes of replies waiting to be written
// to a normal client break the normal class's limits; the server then
// closes the client instead of writing them, as Redis does.
func (c *Client) ReplyOverLimit(n int) bool {
	if c.olim.cfg == nil {
		return false
	}
	return c.olim.over(c.olim.cfg.OutputBufferLimits().Normal, int64(n), time.Now())
}
