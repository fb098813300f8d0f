//go:build linux

package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/engine/cluster"
)

// TestBlockedClientMovedWithItsSlot blocks clients on keys of a slot
// (BLPOP, BZPOPMIN, XREAD BLOCK), then moves the slot to the other shard:
// as Redis 7 does (clusterRedirectBlockedClientIfNeeded, checked against
// redis-server 7.0.15 with CLUSTER SETSLOT … NODE), each is answered
// -MOVED to the slot's new owner instead of waiting for a write that can
// no longer come. A client blocked on a slot that stays is not woken.
func TestBlockedClientMovedWithItsSlot(t *testing.T) {
	pc := startProcCluster(t, 2, 2)
	ctx := context.Background()
	owners := pc.owners()
	if len(owners[0]) == 0 || owners[0][0].Start != 0 {
		t.Fatalf("shard 0 does not own slot 0: %v", owners)
	}
	// "{b}…" keys hash to slot 3300 and "{a}" to 15495 (shard 1's); a
	// key of shard 0 that stays: "{c}" (7365).
	const movedSlot = 3300
	type result struct {
		name string
		err  error
	}
	done := make(chan result, 4)
	block := func(name string, cmd ...any) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: pc.addrs[0], MaxRetries: -1, ReadTimeout: -1})
		go func() {
			err := c.Do(ctx, cmd...).Err()
			done <- result{name, err}
		}()
		return c
	}
	clients := []*redis.Client{
		block("BLPOP", "BLPOP", "{b}list", 0),
		block("BZPOPMIN", "BZPOPMIN", "{b}zset", 0),
		block("XREAD", "XREAD", "BLOCK", 0, "STREAMS", "{b}stream", "$"),
		block("BLPOP stays", "BLPOP", "{c}list", 0),
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	admin := redis.NewClient(&redis.Options{Addr: pc.addrs[0]})
	defer admin.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, _ := admin.Info(ctx, "clients").Result()
		if strings.Contains(info, "blocked_clients:4") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the clients did not block: %s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := pc.migrate(cluster.Move{From: 0, To: 1, Slots: []cluster.SlotRange{{Start: movedSlot, End: movedSlot}}}, nil)
	if err != nil {
		t.Fatalf("migration %s: %v", st, err)
	}
	want := "MOVED 3300 " + pc.addrs[1]
	for range 3 {
		select {
		case r := <-done:
			if r.err == nil || r.err.Error() != want {
				t.Errorf("%s blocked on slot %d after it moved: %v, want %q", r.name, movedSlot, r.err, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("a client blocked on slot %d still waits 30 s after the slot moved", movedSlot)
		}
	}
	select {
	case r := <-done:
		t.Errorf("%s was woken though its slot did not move: %v", r.name, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	// The one that stayed is still served by a push on its shard.
	if err := admin.RPush(ctx, "{c}list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.name != "BLPOP stays" || r.err != nil {
			t.Errorf("%s: %v after the push", r.name, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the client blocked on a slot that stayed was not served by a push")
	}
}
