package command

import (
	"slices"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

func TestLatencyCountBelow(t *testing.T) {
	var h latencyHistogram
	for _, ns := range []int64{500, 900, 1_500, 20_000, 20_000, 3_000_000, 2_000_000_000} {
		h.add(ns)
	}
	bounds := []time.Duration{time.Microsecond, 10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, time.Second}
	got := make([]uint64, len(bounds))
	h.countBelow(bounds, got)
	// 2 s is clamped to the histogram's 1 s ceiling, whose bucket ends
	// just past 1 s: it is counted by no bound, only in the total.
	want := []uint64{2, 3, 5, 5, 6}
	if !slices.Equal(got, want) {
		t.Fatalf("countBelow = %v, want %v", got, want)
	}
	if h.total != 7 {
		t.Fatalf("total = %d, want 7", h.total)
	}
}

func TestCommandFamily(t *testing.T) {
	tab := DefaultTable()
	for _, tc := range []struct{ cmd, family string }{
		{"get", "string"},
		{"setbit", "bitmap"},
		{"lpush", "list"},
		{"hset", "hash"},
		{"zadd", "sortedset"},
		{"geoadd", "geo"},
		{"pfadd", "hyperloglog"},
		{"xadd", "stream"},
		{"sadd", "set"},
		{"del", "keyspace"},
		{"publish", "pubsub"},
		{"eval", "scripting"},
		{"multi", "transaction"},
		{"ping", "connection"},
		{"info", "server"},
	} {
		cmd := tab.Lookup(tc.cmd)
		if cmd == nil {
			t.Fatalf("%s: not in the table", tc.cmd)
		}
		if got := commandFamily(cmd); got != tc.family {
			t.Errorf("family of %s = %q, want %q (categories %v)", tc.cmd, got, tc.family, cmd.Categories)
		}
	}
}

func TestMetricsSnapshot(t *testing.T) {
	e := New(config.New())
	c := e.NewClient("127.0.0.1:1", "127.0.0.1:6379", nil)
	run(e, c, "SET", "a", "1")
	run(e, c, "SET", "b", "2", "EX", "100")
	run(e, c, "GET", "a")
	run(e, c, "GET", "missing")
	run(e, c, "LPUSH", "a", "x") // WRONGTYPE: a failed call
	m := e.Metrics([]time.Duration{time.Second})
	if m.Keys != 2 || m.ExpiringKeys != 1 {
		t.Errorf("keys %d expiring %d, want 2 and 1", m.Keys, m.ExpiringKeys)
	}
	if m.KeyspaceHits != 1 || m.KeyspaceMiss != 1 {
		t.Errorf("hits %d misses %d, want 1 and 1", m.KeyspaceHits, m.KeyspaceMiss)
	}
	if m.ConnectedClients != 1 || !m.Primary || m.Replicated || m.Log.Enabled {
		t.Errorf("clients %d primary %v replicated %v log %v, want 1 true false false", m.ConnectedClients, m.Primary, m.Replicated, m.Log.Enabled)
	}
	byName := map[string]CommandMetrics{}
	for _, cm := range m.Commands {
		byName[cm.Name] = cm
	}
	if set := byName["set"]; set.Calls != 2 || set.Failed != 0 || set.LatencyTotal != 2 || set.LatencyCounts[0] != 2 || set.Family != "string" {
		t.Errorf("set: %+v", set)
	}
	if lpush := byName["lpush"]; lpush.Calls != 1 || lpush.Failed != 1 {
		t.Errorf("lpush: %+v", lpush)
	}
	if _, ok := byName["hset"]; ok {
		t.Errorf("hset was never called but is listed")
	}
}
