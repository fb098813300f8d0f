//go:build linux

package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// localCluster is `mnemo local --shards 3 --replicas 1`: shard i's
// primary starts on port+2i, its replica on port+2i+1.
type localCluster struct {
	p     *proc
	port  int
	addrs []string
}

func startLocal(t *testing.T, shards, replicas int) *localCluster {
	t.Helper()
	n := shards * (1 + replicas)
	for attempt := 0; ; attempt++ {
		dir := t.TempDir()
		port := harness.ConsecutivePorts(t, n)
		p := startProc(t, dir, "local", "local", "--shards", strconv.Itoa(shards), "--replicas", strconv.Itoa(replicas),
			"--port", strconv.Itoa(port), "--dir", filepath.Join(dir, "data"))
		lc := &localCluster{p: p, port: port}
		for i := range n {
			lc.addrs = append(lc.addrs, "127.0.0.1:"+strconv.Itoa(port+i))
		}
		// A port taken between the check and the bind ends the process:
		// try another range.
		deadline := time.Now().Add(time.Minute)
		for !p.Exited() && !strings.Contains(p.Output(), "Ready to accept connections") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if p.Exited() && attempt < 3 && strings.Contains(p.Output(), "cannot listen") {
			continue
		}
		for _, a := range lc.addrs {
			waitReady(t, p, a, time.Minute)
		}
		waitClusterOK(t, lc.addrs, shards)
		return lc
	}
}

// waitClusterOK waits until every node shows all slots served by the
// given number of shards with a primary each.
func waitClusterOK(t *testing.T, addrs []string, shards int) {
	t.Helper()
	ctx := context.Background()
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		deadline := time.Now().Add(time.Minute)
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: cluster not ok after a minute: %q %v", a, info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
}

func TestLocalClusterWithClusterClients(t *testing.T) {
	lc := startLocal(t, 3, 1)
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{lc.addrs[0]}, MaxRedirects: 8})
	defer cc.Close()

	//lint:ignore SA1019 CLUSTER SLOTS is what is tested (clients still use it)
	slots, err := cc.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 3 {
		t.Fatalf("CLUSTER SLOTS: %d ranges, want 3: %+v", len(slots), slots)
	}
	want := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	owner := map[int]string{} // range index → primary address
	for i, s := range slots {
		if s.Start != want[i][0] || s.End != want[i][1] || len(s.Nodes) != 2 {
			t.Fatalf("CLUSTER SLOTS range %d: %+v", i, s)
		}
		if s.Nodes[0].Addr != lc.addrs[2*i] || s.Nodes[1].Addr != lc.addrs[2*i+1] {
			t.Fatalf("range %d served by %s with replica %s, want %s and %s", i, s.Nodes[0].Addr, s.Nodes[1].Addr, lc.addrs[2*i], lc.addrs[2*i+1])
		}
		owner[i] = s.Nodes[0].Addr
	}

	// Keys land on the shard owning their slot; other primaries redirect.
	const n = 300
	for i := range n {
		if err := cc.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET through the cluster client: %v", err)
		}
	}
	direct := make([]*redis.Client, len(lc.addrs))
	for i, a := range lc.addrs {
		direct[i] = redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
		defer direct[i].Close()
	}
	total := int64(0)
	for sh := range 3 {
		total += direct[2*sh].DBSize(ctx).Val()
	}
	if total != n {
		t.Fatalf("the primaries hold %d keys, want %d", total, n)
	}
	for i := range n {
		key := fmt.Sprintf("key:%d", i)
		slot := int(cc.ClusterKeySlot(ctx, key).Val())
		sh := 0
		for j, w := range want {
			if slot >= w[0] && slot <= w[1] {
				sh = j
			}
		}
		if v, err := direct[2*sh].Get(ctx, key).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("%s (slot %d) on its owner %s: %q %v", key, slot, owner[sh], v, err)
		}
		other := direct[2*((sh+1)%3)]
		wantMoved := fmt.Sprintf("MOVED %d %s", slot, owner[sh])
		if err := other.Get(ctx, key).Err(); err == nil || err.Error() != wantMoved {
			t.Fatalf("%s on another primary: %v, want %s", key, err, wantMoved)
		}
		// A replica of another shard redirects to the owner, not to its
		// own primary.
		if err := direct[2*((sh+1)%3)+1].Get(ctx, key).Err(); err == nil || err.Error() != wantMoved {
			t.Fatalf("%s on another shard's replica: %v, want %s", key, err, wantMoved)
		}
	}

	// Hash tags keep keys together; keys of different slots are refused.
	if err := cc.MSet(ctx, "{user1}:name", "ann", "{user1}:mail", "a@x").Err(); err != nil {
		t.Fatalf("MSET with a hash tag: %v", err)
	}
	if v := cc.MGet(ctx, "{user1}:name", "{user1}:mail").Val(); len(v) != 2 || v[0] != "ann" || v[1] != "a@x" {
		t.Fatalf("MGET with a hash tag: %v", v)
	}
	for _, d := range []*redis.Client{direct[0], direct[3]} {
		if err := d.MSet(ctx, "a", "1", "b", "2").Err(); err == nil || err.Error() != "CROSSSLOT Keys in request don't hash to the same slot" {
			t.Fatalf("MSET a b: %v", err)
		}
	}

	// Replica reads with READONLY.
	ro := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{lc.addrs[0]}, ReadOnly: true, MaxRedirects: 8})
	defer ro.Close()
	ro.ReloadState(ctx)
	for i := range n {
		key := fmt.Sprintf("key:%d", i)
		// Replicas follow the log: wait for one that lags.
		var v string
		var err error
		for try := 0; try < 100; try++ {
			if v, err = ro.Get(ctx, key).Result(); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil || v != strconv.Itoa(i) {
			t.Fatalf("replica read of %s: %q %v", key, v, err)
		}
	}
	served := 0
	for sh := range 3 {
		stats := direct[2*sh+1].Info(ctx, "commandstats").Val()
		if strings.Contains(stats, "cmdstat_get:calls=") {
			served++
		}
	}
	if served == 0 {
		t.Fatal("no replica served a GET with READONLY")
	}

	// redis-cli -c follows MOVED.
	if _, err := exec.LookPath("redis-cli"); err == nil {
		for i, a := range lc.addrs {
			port := strings.TrimPrefix(a, "127.0.0.1:")
			key := "cli:" + strconv.Itoa(i)
			out, err := exec.Command("redis-cli", "-c", "-p", port, "SET", key, "v"+strconv.Itoa(i)).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "OK" {
				t.Fatalf("redis-cli -c -p %s SET %s: %q %v", port, key, out, err)
			}
			other := lc.addrs[(i+3)%len(lc.addrs)]
			out, err = exec.Command("redis-cli", "-c", "-p", strings.TrimPrefix(other, "127.0.0.1:"), "GET", key).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "v"+strconv.Itoa(i) {
				t.Fatalf("redis-cli -c GET %s via %s: %q %v", key, other, out, err)
			}
		}
	}
}
