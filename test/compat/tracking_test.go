package compat

import (
	"strings"
	"testing"
	"time"
)

// TestTrackingRedirect checks REDIRECT on both servers (client IDs differ
// between them, so a transcript cannot name the target): invalidations
// reach a RESP2 target subscribed to __redis__:invalidate as Pub/Sub
// messages and a RESP3 target as pushes; a flush sends null; a target
// that went away is reported to a RESP3 tracking client.
func TestTrackingRedirect(t *testing.T) {
	type step struct {
		conn string // "c" tracking client, "r" redirect target, "w" writer
		args []string
		read bool // read a pushed message instead of sending
	}
	run := func(addr string, targetProto int) []string {
		t.Helper()
		conns := map[string]*conn{}
		for _, n := range []string{"c", "r", "w"} {
			c, err := dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			conns[n] = c
		}
		do := func(c *conn, args ...string) value {
			v, err := c.do(args...)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			return v
		}
		if targetProto == 3 {
			do(conns["r"], "HELLO", "3")
		}
		id := do(conns["r"], "CLIENT", "ID").str
		var out []string
		for _, s := range []step{
			{"r", []string{"SUBSCRIBE", "__redis__:invalidate"}, false},
			{"c", []string{"CLIENT", "TRACKING", "on", "REDIRECT", id}, false},
			{"c", []string{"CLIENT", "GETREDIR"}, false},
			{"c", []string{"GET", "{r}a"}, false},
			{"w", []string{"SET", "{r}a", "1"}, false},
			{"r", nil, true},
			{"c", []string{"MGET", "{r}a", "{r}b"}, false},
			{"c", []string{"SET", "{r}b", "mine"}, false},
			{"r", nil, true},
			{"w", []string{"FLUSHALL"}, false},
			{"r", nil, true},
			{"c", []string{"CLIENT", "TRACKING", "off"}, false},
			{"c", []string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "{r}p", "REDIRECT", id}, false},
			{"w", []string{"MSET", "{r}p2", "1", "{r}p1", "2", "{r}q", "3"}, false},
			{"r", nil, true},
			{"c", []string{"CLIENT", "TRACKING", "off"}, false},
		} {
			c := conns[s.conn]
			var v value
			var err error
			if s.read {
				v, err = c.read()
			} else {
				v, err = c.do(s.args...)
			}
			if err != nil {
				t.Fatalf("%s %v: %v", s.conn, s.args, err)
			}
			out = append(out, v.String())
		}
		// The target goes away: a RESP3 tracking client hears of it on
		// its next invalidation, and CLIENT TRACKINGINFO shows it.
		c := conns["c"]
		do(c, "HELLO", "3")
		do(c, "CLIENT", "TRACKING", "on", "REDIRECT", id)
		do(c, "GET", "{r}z")
		conns["r"].close()
		time.Sleep(100 * time.Millisecond)
		do(conns["w"], "SET", "{r}z", "1")
		v, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v.String())
		out = append(out, do(c, "CLIENT", "TRACKINGINFO").String())
		do(c, "CLIENT", "TRACKING", "off")
		// The target's ID differs between the servers.
		for i := range out {
			out[i] = strings.ReplaceAll(out[i], ":"+id+"]", ":ID]")
			out[i] = strings.ReplaceAll(out[i], ":"+id+",", ":ID,")
		}
		return out
	}
	for _, proto := range []int{2, 3} {
		want := run(redisAddr, proto)
		got := run(mnemoAddr, proto)
		// GETREDIR answers the target's ID, which differs.
		want[2], got[2] = "", ""
		for i := range want {
			if i >= len(got) || want[i] != got[i] {
				t.Errorf("target RESP%d, step %d:\n  redis: %s\n  mnemo: %v", proto, i, want[i], got)
				break
			}
		}
	}
}
