package command

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// TestReplicaHidesExpiredKeys checks that on a keyspace in replica mode
// a key whose time passed reads as missing through every read path, yet
// stays until the primary's DEL arrives, and is never counted as expired
// by the replica.
func TestReplicaHidesExpiredKeys(t *testing.T) {
	e := New(config.New())
	clock := time.UnixMilli(1_000_000)
	e.Now = func() time.Time { return clock }
	c := e.NewClient("test", "test", func() {})
	if got := run(e, c, "SET", "k", "v", "PX", "100"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	e.db.SetReplica(true)
	clock = clock.Add(time.Second)
	for _, tc := range []struct{ args, want string }{
		{"GET k", "$-1\r\n"},
		{"EXISTS k", ":0\r\n"},
		{"TTL k", ":-2\r\n"},
		{"TYPE k", "+none\r\n"},
		{"KEYS *", "*0\r\n"},
		{"SCAN 0", "*2\r\n$1\r\n0\r\n*0\r\n"},
		{"RANDOMKEY", "$-1\r\n"},
		// Kept: DBSIZE counts it, as on a Redis replica.
		{"DBSIZE", ":1\r\n"},
	} {
		if got := run(e, c, strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.args, got, tc.want)
		}
	}
	e.mu.Lock()
	e.activeExpire()
	e.mu.Unlock()
	if e.db.Peek("k") == nil || e.db.Expired != 0 {
		t.Fatalf("the replica removed the key itself (expired_keys %d)", e.db.Expired)
	}
	// The primary's DEL, as it arrives from the log.
	e.mu.Lock()
	e.replaying = true
	e.applyEffect(newReplayClient(), [][]byte{[]byte("DEL"), []byte("k")})
	e.replaying = false
	e.mu.Unlock()
	if got := run(e, c, "DBSIZE"); got != ":0\r\n" {
		t.Errorf("DBSIZE after the primary's DEL: %q", got)
	}
	// Promoted: keys expire as on any primary.
	run(e, c, "SET", "j", "v", "PX", "100")
	clock = clock.Add(time.Second)
	e.db.SetReplica(false)
	if got := run(e, c, "GET", "j"); got != "$-1\r\n" || e.db.Len() != 0 || e.db.Expired != 1 {
		t.Errorf("primary: GET %q, %d keys, expired_keys %d; want the key gone", got, e.db.Len(), e.db.Expired)
	}
}

// TestTopologyOffsetsRefresh checks that CLUSTER SHARDS's replication
// offsets follow the nodes' published offsets, not only membership
// changes, at most every offsetRefresh, with replicas in a stable order.
func TestTopologyOffsetsRefresh(t *testing.T) {
	const self, primary, other = "1111111111111111111111111111111111111111",
		"2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"
	e := New(config.New())
	r := &replState{opts: ReplOptions{NodeID: self, Addr: "127.0.0.1:7001", LeaseTTL: time.Hour}}
	e.log = &durable{repl: r}
	offsets := func() map[string]int64 {
		out := map[string]int64{}
		for _, s := range e.topo.cur.Load().Shards() {
			for _, n := range s.Nodes() {
				out[n.ID] = n.ReplOffset
			}
		}
		return out
	}
	live := func(p, o uint64) []txlog.NodeStatus {
		// Most caught-up first, as Election.Live orders them.
		st := []txlog.NodeStatus{
			{ID: primary, Addr: "127.0.0.1:7000", Role: "primary", Applied: p},
			{ID: other, Addr: "127.0.0.1:7002", Role: "replica", Applied: o},
			{ID: self, Addr: "127.0.0.1:7001", Role: "replica", Applied: 1},
		}
		slices.SortFunc(st, func(a, b txlog.NodeStatus) int { return int(b.Applied) - int(a.Applied) })
		return st
	}
	r.applied.Store(5)
	e.setTopology(primary, "127.0.0.1:7000", live(10, 3))
	want := map[string]int64{primary: 10, other: 3, self: 5}
	if got := offsets(); !maps.Equal(got, want) {
		t.Fatalf("first topology: %v, want %v", got, want)
	}
	// Within the refresh interval, offsets alone do not rebuild it.
	e.setTopology(primary, "127.0.0.1:7000", live(20, 30))
	if got := offsets(); !maps.Equal(got, want) {
		t.Fatalf("within the refresh interval: %v, want %v", got, want)
	}
	// Past it, they do; the replicas' order stays by node ID.
	r.viewMu.Lock()
	r.topoAt = time.Now().Add(-time.Hour)
	r.viewMu.Unlock()
	r.applied.Store(7)
	e.setTopology(primary, "127.0.0.1:7000", live(20, 30))
	want = map[string]int64{primary: 20, other: 30, self: 7}
	if got := offsets(); !maps.Equal(got, want) {
		t.Fatalf("after the refresh interval: %v, want %v", got, want)
	}
	var order []string
	for _, n := range e.topo.cur.Load().Shards()[0].Replicas {
		order = append(order, n.ID)
	}
	if !slices.Equal(order, []string{self, other}) {
		t.Errorf("replicas in order %v, want by node ID", order)
	}
}

// TestReplicaRedirectsReadsToTheLeaseHolder checks where a node that is
// not primary sends a keyed read from a client that did not ask for
// replica reads: MOVED to the holder of the lease, but CLUSTERDOWN (which
// clients retry after a pause) when the lease names the node itself, as
// it does while a primary that lost its footing rebuilds to serve again:
// a redirect to itself would loop until the client gives up.
func TestReplicaRedirectsReadsToTheLeaseHolder(t *testing.T) {
	const self, primary = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	e := New(config.New())
	r := &replState{opts: ReplOptions{NodeID: self, Addr: "127.0.0.1:7001", LeaseTTL: time.Hour}}
	e.log = &durable{repl: r}
	e.setRole(roleReplica)
	c := e.NewClient("test", "test", func() {})
	for _, tc := range []struct {
		lease txlog.Lease
		want  string
	}{
		{txlog.Lease{Holder: primary, Addr: "127.0.0.1:7000"}, "-MOVED 7629 127.0.0.1:7000\r\n"},
		{txlog.Lease{Holder: self, Addr: "127.0.0.1:7001"}, "-" + errNoPrimary + "\r\n"},
		// A node that was at this address before, under another ID.
		{txlog.Lease{Holder: primary, Addr: "127.0.0.1:7001"}, "-" + errNoPrimary + "\r\n"},
		{txlog.Lease{}, "-" + errNoPrimary + "\r\n"},
	} {
		r.viewMu.Lock()
		r.lease = tc.lease
		r.viewMu.Unlock()
		if got := run(e, c, "GET", "k"); got != tc.want {
			t.Errorf("lease held by %q: GET answered %q, want %q", tc.lease.Holder, got, tc.want)
		}
	}
	if got := run(e, c, "READONLY"); got != "+OK\r\n" {
		t.Fatalf("READONLY: %q", got)
	}
	if got := run(e, c, "GET", "k"); got != "$-1\r\n" {
		t.Errorf("GET after READONLY: %q, want a replica read", got)
	}
}
