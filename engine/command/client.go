package command

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/resp"
)

// Reply modes set by CLIENT REPLY.
const (
	replyOn = iota
	replyOff
	replySkipNext
	replySkip
)

// Client is one connection's state as the engine sees it.
//
// Fields without a note are owned by the connection's goroutine and read by
// others only under the engine lock, while the connection is in Execute or
// blocked.
type Client struct {
	ID int64
	// W receives the replies of the client's own commands.
	W *resp.Writer
	// Addr and LAddr are the peer and local addresses, as CLIENT LIST
	// shows them.
	Addr, LAddr string
	// Closer closes the connection; safe from any goroutine. Set by the
	// server.
	Closer func()

	created         time.Time
	lastInteraction atomic.Int64 // Unix ms
	name            string
	libName, libVer string
	lastCmd         string
	replyMode       int
	noEvict         bool
	// CloseAfterReply asks the server to flush and close (QUIT, RESET
	// errors, protocol errors).
	CloseAfterReply bool
	killed          atomic.Bool

	acl clientACL // who the client is; acl.go

	multi    *multiState
	watched  map[string]*watchedKey
	dirtyCAS bool

	channels map[string]struct{}
	patterns map[string]struct{}

	block *blockState
	// preBlock holds the replies sent before a command that blocked, and
	// preBlockMarks the commits they wait for.
	preBlock      []byte
	preBlockMarks []replyMark
	// marks are the reply ranges in W that wait for a commit.
	marks []replyMark

	// async output: once a client subscribes, everything it is sent goes
	// through pushW so messages from publishers and its own replies keep
	// their order. amu guards pushW.
	amu     sync.Mutex
	pushW   *resp.Writer
	async   bool // set under the engine lock, read by the server after Execute
	Notify  chan struct{}
	outSize atomic.Int64
	// olim applies client-output-buffer-limit (outbuf.go).
	olim outputLimit

	ctx Ctx
}

// Async reports whether the client's output goes through the push buffer
// (see TakeOutput). The server starts a writer for it when it turns true.
func (c *Client) Async() bool { return c.async }

// Proto returns the client's protocol version.
func (c *Client) Proto() int { return c.W.Proto }

// TakeOutput moves the client's pending replies to its push buffer and
// returns everything ready to send, emptying the buffer. Only for async
// clients; the caller owns the returned slice.
func (c *Client) TakeOutput() []byte {
	c.amu.Lock()
	defer c.amu.Unlock()
	if c.pushW.Len() == 0 {
		return nil
	}
	out := append([]byte(nil), c.pushW.Bytes()...)
	c.pushW.Reset()
	c.outSize.Store(0)
	return out
}

// QueueOutput moves the bytes in W to the push buffer and wakes the writer.
func (c *Client) QueueOutput() {
	c.QueueBytes(c.W.Bytes())
	c.W.Reset()
}

// QueueBytes appends encoded replies to the push buffer and wakes the
// writer.
func (c *Client) QueueBytes(b []byte) {
	if len(b) == 0 {
		return
	}
	c.amu.Lock()
	c.pushW.Raw(b)
	c.outSize.Store(int64(c.pushW.Len()))
	c.amu.Unlock()
	c.wake()
}

func (c *Client) wake() {
	select {
	case c.Notify <- struct{}{}:
	default:
	}
}

// push writes an out-of-band message (pub/sub) to the client from another
// client's command. It disconnects a client whose unsent output passes its
// class's output buffer limit (outbuf.go), so a subscriber that cannot
// keep up never holds more than that.
func (c *Client) push(write func(w *resp.Writer)) {
	if c.Killed() {
		return
	}
	c.amu.Lock()
	c.pushW.Proto = c.W.Proto
	write(c.pushW)
	n := c.pushW.Len()
	c.outSize.Store(int64(n))
	c.amu.Unlock()
	if c.pushOverLimit(int64(n)) {
		c.Kill()
		return
	}
	c.wake()
}

// Kill closes the client's connection.
func (c *Client) Kill() {
	if c.killed.CompareAndSwap(false, true) && c.Closer != nil {
		c.Closer()
	}
}

// Killed reports whether the client was killed.
func (c *Client) Killed() bool { return c.killed.Load() }

// Touch records activity for CLIENT LIST idle and the idle timeout.
func (c *Client) Touch(now time.Time) { c.lastInteraction.Store(now.UnixMilli()) }

// IdleSince returns the time of the client's last command.
func (c *Client) IdleSince() time.Time { return time.UnixMilli(c.lastInteraction.Load()) }

// Blocked reports whether the client waits in a blocking command.
func (c *Client) Blocked() bool { return c.block != nil }

// subscriptions returns the number of channels and patterns subscribed.
func (c *Client) subscriptions() int { return len(c.channels) + len(c.patterns) }
