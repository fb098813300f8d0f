//go:build linux

package cluster

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// mnemo local can pause and kill its in-process nodes (DEBUG PAUSE-NODE,
// DEBUG KILL-NODE), and its shards fail over as processes would: a paused
// primary past its lease is replaced and steps down when it resumes, a
// killed one is replaced, and acknowledged writes survive both.
func TestLocalNodePauseAndKill(t *testing.T) {
	lc := startLocal(t, 1, 2)
	ctx := context.Background()
	clients := make([]*redis.Client, len(lc.addrs))
	for i, a := range lc.addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1, ReadTimeout: 10 * time.Second})
		defer clients[i].Close()
	}
	primary := func(skip int) int {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for i, c := range clients {
				if i == skip {
					continue
				}
				if r, err := c.Do(ctx, "ROLE").Slice(); err == nil && len(r) > 0 && r[0] == "master" {
					return i
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("no primary besides node %d after 30s", skip)
		return -1
	}
	write := func(p, n int) {
		t.Helper()
		if err := clients[p].Set(ctx, "k", strconv.Itoa(n), 0).Err(); err != nil {
			t.Fatalf("write %d on node %d: %v", n, p, err)
		}
	}

	p0 := primary(-1)
	write(p0, 1)
	if err := clients[p0].Do(ctx, "DEBUG", "PAUSE-NODE", "4000").Err(); err != nil {
		t.Fatal(err)
	}
	p1 := primary(p0)
	write(p1, 2)
	// Once resumed, the old primary finds the lease taken and follows.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := clients[p0].Do(ctx, "ROLE").Slice()
		if err == nil && r[0] == "slave" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("paused primary did not step down: %v %v", r, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := clients[p1].Do(ctx, "DEBUG", "KILL-NODE").Err(); err != nil {
		t.Fatal(err)
	}
	p2 := primary(p1)
	if got, err := clients[p2].Get(ctx, "k").Result(); err != nil || got != "2" {
		t.Fatalf("after the kill the new primary (node %d) has k = %q, %v; want 2", p2, got, err)
	}
	write(p2, 3)
	if err := clients[p1].Ping(ctx).Err(); err == nil {
		t.Error("the killed node still answers")
	}
	// Outside a local cluster the commands are refused.
	if err := clients[p2].Do(ctx, "DEBUG", "PAUSE-NODE", "0").Err(); err == nil {
		t.Error("a pause of 0 ms was accepted")
	}
}
