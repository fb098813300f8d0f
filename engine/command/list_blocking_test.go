package command

import (
	"errors"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// blockingHarness drives an Engine directly, without sockets, for the
// blocking cases a transcript cannot express (a client that goes away).
type blockingHarness struct {
	t *testing.T
	e *Engine
}

func newBlockingHarness(t *testing.T) *blockingHarness {
	return &blockingHarness{t: t, e: New(config.New())}
}

func (h *blockingHarness) client() *Client {
	return h.e.NewClient("127.0.0.1:1", "127.0.0.1:2", func() {})
}

// do runs a command on c and returns what it was sent, and whether it
// blocked.
func (h *blockingHarness) do(c *Client, args ...string) (string, bool) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	blocked := h.e.Execute(c, bs)
	out := string(c.W.Bytes())
	c.W.Reset()
	return out, blocked
}

func (h *blockingHarness) expect(c *Client, want string, args ...string) {
	h.t.Helper()
	if got, blocked := h.do(c, args...); got != want || blocked {
		h.t.Fatalf("%v = %q (blocked %v), want %q", args, got, blocked, want)
	}
}

// block runs a command that must block, and starts waiting for it as the
// server does; the returned channel yields WaitBlocked's result, and gone
// stands for the connection.
func (h *blockingHarness) block(c *Client, args ...string) (result <-chan bool, gone chan<- error) {
	h.t.Helper()
	if got, blocked := h.do(c, args...); !blocked || got != "" {
		h.t.Fatalf("%v did not block: %q", args, got)
	}
	res := make(chan bool, 1)
	g := make(chan error, 1)
	go func() { res <- h.e.WaitBlocked(c, g) }()
	return res, g
}

func waitResult(t *testing.T, res <-chan bool) bool {
	t.Helper()
	select {
	case ok := <-res:
		return ok
	case <-time.After(5 * time.Second):
		t.Fatal("blocked client never woke")
		return false
	}
}

// A client whose connection goes away while blocked must not take an
// element pushed afterwards: it would be lost.
func TestBlockedClientDisconnects(t *testing.T) {
	for _, cmd := range [][]string{
		{"BLPOP", "{t}k", "0"},
		{"BRPOP", "{t}other", "{t}k", "0"},
		{"BLMOVE", "{t}k", "{t}d", "LEFT", "RIGHT", "0"},
		{"BRPOPLPUSH", "{t}k", "{t}d", "0"},
		{"BLMPOP", "0", "1", "{t}k", "LEFT", "COUNT", "5"},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			h := newBlockingHarness(t)
			c1, c2 := h.client(), h.client()
			res, gone := h.block(c1, cmd...)
			gone <- errors.New("connection reset")
			if waitResult(t, res) {
				t.Fatal("WaitBlocked reported a served client after its connection went")
			}
			h.e.RemoveClient(c1)
			h.expect(c2, ":2\r\n", "RPUSH", "{t}k", "a", "b")
			h.expect(c2, ":2\r\n", "LLEN", "{t}k")
			h.expect(c2, ":0\r\n", "LLEN", "{t}d")
			if out := c1.W.Bytes(); len(out) != 0 {
				t.Fatalf("disconnected client was sent %q", out)
			}
		})
	}
}

// The server removes a client that closes while blocked; a push then goes
// to the next client in line.
func TestRemovedBlockedClientLeavesQueue(t *testing.T) {
	h := newBlockingHarness(t)
	c1, c2, c3 := h.client(), h.client(), h.client()
	h.block(c1, "BLPOP", "k", "0")
	res, _ := h.block(c2, "BLPOP", "k", "0")
	h.e.RemoveClient(c1)
	h.expect(c3, ":1\r\n", "RPUSH", "k", "v")
	if !waitResult(t, res) {
		t.Fatal("second client not served")
	}
	if got := string(c2.W.Bytes()); got != "*2\r\n$1\r\nk\r\n$1\r\nv\r\n" {
		t.Fatalf("second client got %q", got)
	}
	h.expect(c3, ":0\r\n", "LLEN", "k")
}

// A pipelined command behind a blocked one does not end the wait.
func TestBlockedClientKeepsWaitingOnInput(t *testing.T) {
	h := newBlockingHarness(t)
	c1, c2 := h.client(), h.client()
	res, gone := h.block(c1, "BRPOP", "k", "0")
	gone <- nil
	select {
	case <-res:
		t.Fatal("more input ended the wait")
	case <-time.After(50 * time.Millisecond):
	}
	h.expect(c2, ":2\r\n", "RPUSH", "k", "a", "b")
	if !waitResult(t, res) {
		t.Fatal("client not served")
	}
	if got := string(c1.W.Bytes()); got != "*2\r\n$1\r\nk\r\n$1\r\nb\r\n" {
		t.Fatalf("got %q", got)
	}
}

// Timing out sends the null array in both protocols, for BLMOVE too.
func TestBlockedListTimeout(t *testing.T) {
	for _, tc := range []struct {
		proto int
		cmd   []string
		want  string
	}{
		{2, []string{"BLPOP", "k", "0.02"}, "*-1\r\n"},
		{3, []string{"BLPOP", "k", "0.02"}, "_\r\n"},
		{2, []string{"BLMOVE", "{t}k", "{t}d", "LEFT", "LEFT", "0.02"}, "*-1\r\n"},
		{3, []string{"BRPOPLPUSH", "{t}k", "{t}d", "0.02"}, "_\r\n"},
		{2, []string{"BLMPOP", "0.02", "1", "k", "LEFT"}, "*-1\r\n"},
	} {
		h := newBlockingHarness(t)
		c := h.client()
		c.W.Proto = tc.proto
		res, _ := h.block(c, tc.cmd...)
		if !waitResult(t, res) {
			t.Fatalf("%v: WaitBlocked failed", tc.cmd)
		}
		if got := string(c.W.Bytes()); got != tc.want {
			t.Errorf("%v in RESP%d = %q, want %q", tc.cmd, tc.proto, got, tc.want)
		}
	}
}
