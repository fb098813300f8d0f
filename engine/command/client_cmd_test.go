package command

import (
	"strconv"
	"strings"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// blockOn parks cl as a blocking command would (no blocking command is
// needed for CLIENT UNBLOCK to be tested).
func blockOn(e *Engine, cl *Client, key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.block(cl, []string{key}, 0, func(w *resp.Writer) { w.NullArray() },
		e.tab.Lookup("get"), [][]byte{[]byte("get"), []byte(key)})
}

func TestClientUnblock(t *testing.T) {
	for _, tc := range []struct {
		name        string
		args        []string // after CLIENT UNBLOCK <id>
		block       bool
		reply       string
		blockedGets string
	}{
		{"timeout by default", nil, true, ":1\r\n", "*-1\r\n"},
		{"timeout", []string{"TIMEOUT"}, true, ":1\r\n", "*-1\r\n"},
		{"error", []string{"error"}, true, ":1\r\n", "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"},
		{"not blocked", nil, false, ":0\r\n", ""},
		{"not blocked, error", []string{"ERROR"}, false, ":0\r\n", ""},
		{"bad reason", []string{"LATER"}, true, "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(config.New())
			blocked := e.NewClient("127.0.0.1:1", "127.0.0.1:6379", nil)
			admin := e.NewClient("127.0.0.1:2", "127.0.0.1:6379", nil)
			if tc.block {
				blockOn(e, blocked, "k")
			}
			args := append([]string{"CLIENT", "UNBLOCK", strconv.FormatInt(blocked.ID, 10)}, tc.args...)
			if got := run(e, admin, args...); got != tc.reply {
				t.Fatalf("CLIENT UNBLOCK = %q, want %q", got, tc.reply)
			}
			if got := string(blocked.W.Bytes()); got != tc.blockedGets {
				t.Errorf("blocked client got %q, want %q", got, tc.blockedGets)
			}
			if tc.block && tc.blockedGets != "" {
				if blocked.Blocked() || len(e.blockedOn["k"]) != 0 {
					t.Errorf("client still blocked after CLIENT UNBLOCK")
				}
			}
		})
	}
}

func TestClientKillDetaches(t *testing.T) {
	e := New(config.New())
	killed := 0
	victim := e.NewClient("127.0.0.1:1", "127.0.0.1:6379", func() { killed++ })
	admin := e.NewClient("127.0.0.1:2", "127.0.0.1:6379", nil)
	run(e, victim, "SUBSCRIBE", "ch")
	run(e, victim, "WATCH", "k")
	if got := run(e, admin, "CLIENT", "KILL", "127.0.0.1:1"); got != "+OK\r\n" {
		t.Fatalf("CLIENT KILL addr = %q", got)
	}
	if killed != 1 || !victim.Killed() {
		t.Fatalf("victim not closed (closer called %d times)", killed)
	}
	if got := run(e, admin, "PUBLISH", "ch", "x"); got != ":0\r\n" {
		t.Errorf("PUBLISH after kill = %q, want :0", got)
	}
	if len(e.watchers["k"]) != 0 {
		t.Errorf("killed client still watches k")
	}
	list := run(e, admin, "CLIENT", "LIST")
	if strings.Contains(list, "addr=127.0.0.1:1 ") {
		t.Errorf("CLIENT LIST still shows the killed client:\n%s", list)
	}
	if got := run(e, admin, "CLIENT", "KILL", "ID", strconv.FormatInt(admin.ID, 10), "SKIPME", "no"); got != ":1\r\n" || !admin.CloseAfterReply {
		t.Errorf("killing yourself = %q, close after reply %v", got, admin.CloseAfterReply)
	}
}

func TestClientListLine(t *testing.T) {
	e := New(config.New())
	a := e.NewClient("127.0.0.1:1", "127.0.0.1:6379", nil)
	b := e.NewClient("127.0.0.1:2", "127.0.0.1:6379", nil)
	run(e, b, "CLIENT", "SETNAME", "bee")
	run(e, b, "CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.26)")
	run(e, b, "MULTI")
	run(e, b, "SET", "k", "v")
	got := run(e, a, "CLIENT", "LIST", "ID", strconv.FormatInt(b.ID, 10))
	for _, want := range []string{" name=bee ", " flags=x ", " multi=1 ", " multi-mem=5 ",
		" user=default ", " resp=2 ", " lib-name=go-redis(,go1.26) lib-ver=\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("CLIENT LIST line lacks %q:\n%s", want, got)
		}
	}
	fields := strings.Fields(strings.TrimPrefix(got, "$"+strings.SplitN(got[1:], "\r\n", 2)[0]+"\r\n"))
	var names []string
	for _, f := range fields {
		k, _, _ := strings.Cut(f, "=")
		names = append(names, k)
	}
	want := "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp lib-name lib-ver"
	if strings.Join(names, " ") != want {
		t.Errorf("CLIENT LIST fields:\n got %s\nwant %s", strings.Join(names, " "), want)
	}
}

func TestClientInfoShowsReadonly(t *testing.T) {
	e := New(config.New())
	cl := e.NewClient("127.0.0.1:1", "127.0.0.1:2", func() {})
	run(e, cl, "READONLY")
	if got := run(e, cl, "CLIENT", "INFO"); !strings.Contains(got, " flags=r ") {
		t.Fatalf("CLIENT INFO after READONLY = %q, want flags=r", got)
	}
	run(e, cl, "READWRITE")
	if got := run(e, cl, "CLIENT", "INFO"); !strings.Contains(got, " flags=N ") {
		t.Fatalf("CLIENT INFO after READWRITE = %q, want flags=N", got)
	}
}
