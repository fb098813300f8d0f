package compat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestGoRedisStreamConsumerGroup runs a work queue on a stream with
// go-redis, as an application would: a producer, several consumers in one
// group reading with XREADGROUP BLOCK and acknowledging with XACK, one of
// which crashes holding unacknowledged entries; a survivor recovers them
// with XAUTOCLAIM. Every entry must be processed, and no entry may be
// handed to a second consumer while another still owns it. It runs
// against Redis too, to show the test itself holds.
func TestGoRedisStreamConsumerGroup(t *testing.T) {
	for _, srv := range []struct{ name, addr string }{{"redis", redisAddr}, {"mnemo", mnemoAddr}} {
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/resp%d", srv.name, proto), func(t *testing.T) {
				consumerGroupRun(t, newGoRedis(t, srv.addr, proto), proto)
			})
		}
	}
}

// ledger records who holds which entry.
type ledger struct {
	mu       sync.Mutex
	owner    map[string]string // delivered, not yet acknowledged
	done     map[string]string // acknowledged, by whom
	problems []string
}

func (l *ledger) deliver(id, consumer string, reclaim bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if by, ok := l.done[id]; ok {
		l.problems = append(l.problems, fmt.Sprintf("%s delivered to %s after %s acknowledged it", id, consumer, by))
	}
	prev, held := l.owner[id]
	if held && !(reclaim && prev == "crasher") {
		l.problems = append(l.problems, fmt.Sprintf("%s delivered to %s while %s holds it", id, consumer, prev))
	}
	if !held && reclaim {
		l.problems = append(l.problems, fmt.Sprintf("%s reclaimed by %s but never delivered", id, consumer))
	}
	l.owner[id] = consumer
}

func (l *ledger) ack(id, consumer string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.owner, id)
	l.done[id] = consumer
}

func consumerGroupRun(t *testing.T, c *redis.Client, proto int) {
	ctx := context.Background()
	key := fmt.Sprintf("cg:queue:%d", proto)
	const group, total = "workers", 300
	c.Del(ctx, key)
	if err := c.XGroupCreateMkStream(ctx, key, group, "$").Err(); err != nil {
		t.Fatalf("XGROUP CREATE: %v", err)
	}
	l := &ledger{owner: map[string]string{}, done: map[string]string{}}
	produced := make(map[string]bool)
	var producedMu sync.Mutex
	producing := make(chan struct{})

	// The crasher reads one batch and dies without acknowledging it.
	crashed := make(chan struct{})
	go func() {
		defer close(crashed)
		res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "crasher",
			Streams: []string{key, ">"}, Count: 10, Block: 5 * time.Second}).Result()
		if err != nil {
			t.Errorf("crasher XREADGROUP: %v", err)
			return
		}
		for _, m := range res[0].Messages {
			l.deliver(m.ID, "crasher", false)
		}
	}()

	var wg sync.WaitGroup
	for _, name := range []string{"w1", "w2", "w3"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-crashed // so the crasher's batch is its own
			for {
				res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: name,
					Streams: []string{key, ">"}, Count: 7, Block: 200 * time.Millisecond}).Result()
				if errors.Is(err, redis.Nil) {
					select {
					case <-producing:
						return // nothing new and nothing more coming
					default:
						continue
					}
				}
				if err != nil {
					t.Errorf("%s XREADGROUP: %v", name, err)
					return
				}
				for _, m := range res[0].Messages {
					l.deliver(m.ID, name, false)
					if err := c.XAck(ctx, key, group, m.ID).Err(); err != nil {
						t.Errorf("%s XACK: %v", name, err)
					}
					l.ack(m.ID, name)
				}
			}
		}()
	}

	for i := 0; i < total; i++ {
		id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []string{"job", strconv.Itoa(i)}}).Result()
		if err != nil {
			t.Fatalf("XADD: %v", err)
		}
		producedMu.Lock()
		produced[id] = true
		producedMu.Unlock()
		if i%50 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	close(producing)
	wg.Wait()
	<-crashed

	// Recovery: w1 claims what has been idle long enough, page by page.
	time.Sleep(150 * time.Millisecond)
	l.mu.Lock()
	held := len(l.owner)
	l.mu.Unlock()
	if held == 0 {
		t.Fatal("the crashed consumer held no entries: nothing to recover")
	}
	reclaimed := 0
	start := "0-0"
	for {
		msgs, next, err := c.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: key, Group: group, Consumer: "w1",
			MinIdle: 100 * time.Millisecond, Start: start, Count: 4}).Result()
		if err != nil {
			t.Fatalf("XAUTOCLAIM: %v", err)
		}
		for _, m := range msgs {
			reclaimed++
			l.deliver(m.ID, "w1", true)
			if err := c.XAck(ctx, key, group, m.ID).Err(); err != nil {
				t.Errorf("XACK: %v", err)
			}
			l.ack(m.ID, "w1")
		}
		if next == "0-0" {
			break
		}
		start = next
	}

	if reclaimed != held {
		t.Errorf("XAUTOCLAIM recovered %d entries, the crashed consumer held %d", reclaimed, held)
	}
	for _, p := range l.problems {
		t.Error(p)
	}
	if len(l.owner) != 0 {
		t.Errorf("entries still held after recovery: %v", l.owner)
	}
	for id := range produced {
		if _, ok := l.done[id]; !ok {
			t.Errorf("entry %s was never processed", id)
		}
	}
	if len(l.done) != total {
		t.Errorf("%d entries processed, want %d", len(l.done), total)
	}
	pending, err := c.XPending(ctx, key, group).Result()
	if err != nil || pending.Count != 0 {
		t.Errorf("XPENDING = %+v, %v; want nothing pending", pending, err)
	}
	if n, err := c.XLen(ctx, key).Result(); err != nil || n != total {
		t.Errorf("XLEN = %d, %v", n, err)
	}
}
