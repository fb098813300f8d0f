package compat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// endMarker is sent after a case's bytes when the server must keep the
// connection: its reply tells where the case's replies end, so no case has
// to wait out a silence.
const endMarker = "*2\r\n$4\r\nECHO\r\n$13\r\nbadinput:done\r\n"

const endReply = "$13\r\nbadinput:done\r\n"

// rawReply is what a server sent back for one raw request.
type rawReply struct {
	data   string
	closed bool
}

// exchange sends payload on a connection of its own and collects the
// replies: until the connection closes when wantClose, else until the end
// marker's reply (which is cut off).
func exchange(t *testing.T, addr string, setup []string, payload string, wantClose bool) rawReply {
	t.Helper()
	c, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, cmd := range setup {
		args, _ := splitTranscriptArgs(cmd)
		if _, err := c.do(args...); err != nil {
			t.Fatalf("%s: setup %q: %v", addr, cmd, err)
		}
	}
	if !wantClose {
		payload += endMarker
	}
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.nc, payload); err != nil {
		t.Fatalf("%s: write: %v", addr, err)
	}
	var buf bytes.Buffer
	chunk := make([]byte, 64*1024)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.nc.SetReadDeadline(deadline)
		n, err := c.r.Read(chunk)
		buf.Write(chunk[:n])
		if !wantClose && strings.HasSuffix(buf.String(), endReply) {
			return rawReply{data: strings.TrimSuffix(buf.String(), endReply)}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return rawReply{data: buf.String()}
			}
			return rawReply{data: buf.String(), closed: true}
		}
	}
}

// splitTranscriptArgs splits a command written as in the transcripts.
func splitTranscriptArgs(s string) ([]string, bool) {
	l, err := parseLine(0, s)
	return l.args, err == nil
}

// witness is a connection opened before the bad input, that must keep
// getting correct replies after each case.
type witness struct {
	c *conn
	n int
}

func newWitness(t *testing.T) *witness {
	c, err := dial(mnemoAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return &witness{c: c}
}

// check runs a SET and a GET of a fresh value and fails the test unless
// both answer correctly.
func (w *witness) check(t *testing.T) {
	t.Helper()
	w.n++
	val := "witness-" + strconv.Itoa(w.n)
	if v, err := w.c.do("SET", "badinput:witness", val); err != nil || v.String() != "+OK" {
		t.Fatalf("witness SET after bad input: %v %v", v, err)
	}
	if v, err := w.c.do("GET", "badinput:witness"); err != nil || v.str != val {
		t.Fatalf("witness GET after bad input: %v %v, want %q", v, err, val)
	}
}

// TestBadInput sends malformed or refused requests to both servers on
// connections of their own and requires Mnemo to answer exactly as Redis
// does (protocol errors close the connection after "-ERR Protocol error:
// ..."), while an already open client keeps working.
func TestBadInput(t *testing.T) {
	w := newWitness(t)
	big := strings.Repeat("1", 70000)
	cases := []struct {
		name      string
		setup     []string // commands run first on the same connection
		payload   string
		wantClose bool
	}{
		{name: "unknown command inline", payload: "FOO bar\r\n"},
		{name: "unknown command multibulk", payload: "*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n"},
		{name: "unknown command long", payload: "*2\r\n$200\r\n" + strings.Repeat("x", 200) + "\r\n$200\r\n" + strings.Repeat("y", 200) + "\r\n"},
		{name: "wrong arity", payload: "*1\r\n$3\r\nGET\r\n*4\r\n$3\r\nGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		{name: "unknown subcommand", payload: "CLIENT NOSUCH\r\nCLIENT\r\n"},
		{name: "wrong type", setup: []string{"DEL badinput:list", "RPUSH badinput:list a"}, payload: "GET badinput:list\r\nSET badinput:list v GET\r\n"},
		{name: "syntax error", payload: "SET k v NX XX\r\nSET k v BADOPT\r\nSET k v EX 10 PX 10\r\n"},
		{name: "not an integer", payload: "SET k v EX abc\r\nSET k v EX 1.5\r\nSET k v EX \" 1\"\r\nSET k v EX +1\r\nSET k v EX 01\r\n"},
		{name: "not a float", setup: []string{"SET badinput:f 1"}, payload: "INCRBYFLOAT badinput:f abc\r\nINCRBYFLOAT badinput:f nan\r\nINCRBYFLOAT badinput:f \"1 \"\r\n"},
		{name: "out of range", payload: "SET k v EX 99999999999999999999\r\nSET k v PX 9223372036854775807\r\nSET k v EX -1\r\nSET k v EX 0\r\nSELECT 99999999999999999999\r\n"},
		{name: "null multibulk is skipped", payload: "*-1\r\nPING\r\n"},
		{name: "negative multibulk is skipped", payload: "*-5\r\n*0\r\nPING\r\n"},
		{name: "empty lines are skipped", payload: "\r\n\n\r\nPING\r\n"},
		{name: "bare LF ends inline commands", payload: "PING\nECHO a\n"},
		{name: "multibulk length too big", payload: "*2147483648\r\n", wantClose: true},
		{name: "multibulk length overflow", payload: "*99999999999999999999999\r\n", wantClose: true},
		{name: "multibulk length not a number", payload: "*abc\r\n", wantClose: true},
		{name: "multibulk length empty", payload: "*\r\n", wantClose: true},
		{name: "null bulk in a request", payload: "*1\r\n$-1\r\n", wantClose: true},
		{name: "negative bulk length", payload: "*1\r\n$-5\r\n", wantClose: true},
		{name: "huge bulk length", payload: "*1\r\n$9999999999999\r\n", wantClose: true},
		{name: "bulk over proto-max-bulk-len", payload: "*1\r\n$536870913\r\n", wantClose: true},
		{name: "bulk length not a number", payload: "*1\r\n$abc\r\n", wantClose: true},
		{name: "bulk length empty", payload: "*1\r\n$\r\n", wantClose: true},
		{name: "missing dollar", payload: "*1\r\nxyz\r\n", wantClose: true},
		{name: "replies before a protocol error are sent", payload: "PING\r\nSET k v\r\n*1\r\n$-5\r\nPING\r\n", wantClose: true},
		{name: "bulk longer than announced", payload: "*2\r\n$4\r\nECHO\r\n$3\r\nabcdef\r\n"},
		{name: "unbalanced double quote", payload: "SET \"abc\r\n", wantClose: true},
		{name: "unbalanced single quote", payload: "SET 'abc\r\n", wantClose: true},
		{name: "closing quote not followed by space", payload: "SET \"a\"b\r\n", wantClose: true},
		{name: "quoted escapes", payload: "ECHO \"\\x41\\n\\t\\\\\" 'it\\'s'\r\nECHO \"\\x4\"\r\n"},
		{name: "inline too big", payload: strings.Repeat("x", 70000), wantClose: true},
		{name: "multibulk count line too big", payload: "*" + big, wantClose: true},
		{name: "bulk count line too big", payload: "*1\r\n$" + big, wantClose: true},
		{name: "long inline argument", payload: "ECHO " + strings.Repeat("a", 60000) + "\r\n"},
		{name: "garbage bytes", payload: "\xff\xfe\x01 garbage \x7f\r\n"},
		{name: "vertical tab is not a separator", payload: "GET\vk\r\n"},
		{name: "NUL ends an inline command", payload: "PING a\x00b\r\nGET \"a\x00b\"\r\n"},
		{name: "TLS handshake on the plain port", payload: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := exchange(t, redisAddr, tc.setup, tc.payload, tc.wantClose)
			got := exchange(t, mnemoAddr, tc.setup, tc.payload, tc.wantClose)
			if want.closed != tc.wantClose {
				t.Fatalf("redis closed=%v, the case expects %v (reply %q)", want.closed, tc.wantClose, want.data)
			}
			if got != want {
				t.Errorf("replies differ\n redis: %q closed=%v\n mnemo: %q closed=%v",
					clip(want.data), want.closed, clip(got.data), got.closed)
			}
			if tc.wantClose && !strings.Contains(got.data, "-ERR Protocol error: ") {
				t.Errorf("mnemo closed without a protocol error: %q", clip(got.data))
			}
			w.check(t)
		})
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// TestDisconnectMidCommand closes connections at every point of a
// command: nothing of the command runs, and the server goes on.
func TestDisconnectMidCommand(t *testing.T) {
	w := newWitness(t)
	cmd := "*3\r\n$3\r\nSET\r\n$14\r\nbadinput:mid:k\r\n$5\r\nvalue\r\n"
	for cut := 1; cut < len(cmd); cut++ {
		c, err := dial(mnemoAddr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c.nc, cmd[:cut])
		c.close()
	}
	// The server notices the closes asynchronously; give it a moment.
	time.Sleep(100 * time.Millisecond)
	w.check(t)
	if v, err := w.c.do("GET", "badinput:mid:k"); err != nil || !v.null {
		t.Fatalf("a command cut short ran: GET = %v %v", v, err)
	}
}

// TestStalledBigBulk starts a large SET, sends half its value and stalls:
// the server must neither block other clients nor run the command.
func TestStalledBigBulk(t *testing.T) {
	w := newWitness(t)
	const size = 8 << 20
	stalled, err := dial(mnemoAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.close()
	head := fmt.Sprintf("*3\r\n$3\r\nSET\r\n$16\r\nbadinput:stalled\r\n$%d\r\n", size)
	stalled.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(stalled.nc, head+strings.Repeat("v", size/2)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		w.check(t)
	}
	other := exchange(t, mnemoAddr, nil, "GET badinput:stalled\r\n", false)
	if other.data != "$-1\r\n" {
		t.Fatalf("GET of the half-sent key = %q, want a null bulk", other.data)
	}
	// Finishing the value completes the command normally.
	if _, err := io.WriteString(stalled.nc, strings.Repeat("v", size-size/2)+"\r\n"); err != nil {
		t.Fatal(err)
	}
	if v, err := stalled.read(); err != nil || v.String() != "+OK" {
		t.Fatalf("completed SET = %v %v", v, err)
	}
	if v, err := w.c.do("GET", "badinput:stalled"); err != nil || len(v.str) != size {
		t.Fatalf("GET after the completed SET: %d bytes, %v", len(v.str), err)
	}
	w.c.do("SET", "badinput:stalled", "")
}

// clientCount returns the number of lines of CLIENT LIST.
func clientCount(t *testing.T, c *conn) int {
	t.Helper()
	v, err := c.do("CLIENT", "LIST")
	if err != nil || (v.kind != '$' && v.kind != '=') {
		t.Fatalf("CLIENT LIST: %v %v", v, err)
	}
	return strings.Count(v.str, "\n")
}

// TestManyConnections opens and closes many connections concurrently, some
// idle, some mid-command, some after a reply, and checks that the server
// still answers and forgets every one of them.
func TestManyConnections(t *testing.T) {
	w := newWitness(t)
	before := clientCount(t, w.c)
	const workers, each = 16, 25
	var failures atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				c, err := dial(mnemoAddr)
				if err != nil {
					failures.Add(1)
					continue
				}
				switch (g + i) % 4 {
				case 0: // close at once
				case 1:
					if v, err := c.do("PING"); err != nil || v.str != "PONG" {
						failures.Add(1)
					}
				case 2:
					io.WriteString(c.nc, "*2\r\n$3\r\nGET\r\n")
				case 3:
					c.do("SUBSCRIBE", "badinput:chan")
				}
				c.close()
			}
		}(g)
	}
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d connections failed to connect or to PING", n)
	}
	w.check(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := clientCount(t, w.c)
		if n <= before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CLIENT LIST shows %d clients after the churn, %d before", n, before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, err := w.c.do("PUBSUB", "NUMSUB", "badinput:chan"); err != nil || len(v.elems) != 2 || v.elems[1].str != "0" {
		t.Errorf("closed subscribers still counted: %v %v", v, err)
	}
}

// TestSlowReader has a client pipeline large replies and never read them,
// while another client keeps working.
func TestSlowReader(t *testing.T) {
	w := newWitness(t)
	if v, err := w.c.do("SET", "badinput:big", strings.Repeat("b", 256<<10)); err != nil || v.kind != '+' {
		t.Fatalf("SET big: %v %v", v, err)
	}
	slow, err := dial(mnemoAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.close()
	// 4000 replies of 256 KiB is far more than the socket buffers hold:
	// the server has to stop reading this client, not stop serving the
	// others. The writer gives up after a bounded time.
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := []byte(strings.Repeat("GET badinput:big\r\n", 100))
		slow.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
		for i := 0; i < 40; i++ {
			if _, err := slow.nc.Write(req); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	for i := 0; i < 200; i++ {
		w.check(t)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("200 round trips took %v while a client did not read", d)
	}
	<-done
	slow.close()
	w.check(t)
	w.c.do("SET", "badinput:big", "")
}
