package command

import (
	"strconv"
	"strings"
	"testing"
)

// TestEvictionReplaysTheSameKeys evicts under a random policy on a durable
// engine, then rebuilds a second engine from the log alone: the evictions
// are DEL effects, so the rebuilt keyspace (a replica's) holds exactly the
// keys the primary kept, though it has no maxmemory of its own.
func TestEvictionReplaysTheSameKeys(t *testing.T) {
	st := startLog(t)
	a, ca := durableEngine(t, st)
	used := a.UsedMemory()
	run(a, ca, "CONFIG", "SET", "maxmemory-policy", "allkeys-random", "maxmemory", strconv.FormatInt(used+200<<10, 10))
	val := strings.Repeat("x", 200)
	for i := range 3000 {
		run(a, ca, "SET", "k"+strconv.Itoa(i), val)
		ca.TakeMarks()
	}
	waitCommitted(t, a, ca)
	if a.stats.evictedKeys == 0 {
		t.Fatal("nothing was evicted")
	}
	b, cb := durableEngine(t, st)
	if got, want := dump(t, b, cb), dump(t, a, ca); got != want {
		t.Fatalf("rebuilt keyspace differs from the primary's after %d evictions", a.stats.evictedKeys)
	}
	t.Logf("%d keys evicted, %d kept, identical after replay", a.stats.evictedKeys, b.db.Len())
}

func TestEvictionPoolKeepsTheBest(t *testing.T) {
	var p evictionPool
	for i, s := range []uint64{5, 1, 9, 3, 7, 2, 8, 6, 4, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0} {
		p.insert(s, "k"+strconv.Itoa(i))
	}
	if len(p.entries) != evictionPoolSize {
		t.Fatalf("pool holds %d entries", len(p.entries))
	}
	// The 16 highest scores stay (3..18), best first out.
	for want := uint64(18); want >= 3; want-- {
		if p.entries[len(p.entries)-1].score != want {
			t.Fatalf("next best score %d, want %d", p.entries[len(p.entries)-1].score, want)
		}
		p.pop()
	}
	if _, ok := p.pop(); ok {
		t.Fatal("pool not empty")
	}
}

func TestLFUCounter(t *testing.T) {
	e, c := newTestEngine()
	run(e, c, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	run(e, c, "SET", "k", "v")
	if got := run(e, c, "OBJECT", "FREQ", "k"); got != ":5\r\n" {
		t.Fatalf("new key's OBJECT FREQ = %q, want 5 (LFU_INIT_VAL)", got)
	}
	for range 1000 {
		run(e, c, "GET", "k")
	}
	// With lfu-log-factor 10, a thousand hits take the counter to about
	// 5 + log-ish growth: well above its start, far below saturation.
	f := e.db.Peek("k").Freq
	if f < 10 || f > 40 {
		t.Fatalf("after 1000 hits the LFU counter is %d", f)
	}
	// It decays by one per lfu-decay-time minute without access.
	ent := e.db.Peek("k")
	if got := e.lfuDecay(ent, ent.Access+3*60000); got != f-3 {
		t.Fatalf("decayed counter after 3 minutes = %d, want %d", got, f-3)
	}
}
