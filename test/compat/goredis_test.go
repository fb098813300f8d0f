package compat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The go-redis tests use the most common Go client as an application
// would, against Mnemo: its connection handshake (HELLO, CLIENT SETINFO),
// pipelines, transactions, pub/sub, RESP3 and cluster routing.

func newGoRedis(t *testing.T, addr string, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:        addr,
		Protocol:    proto,
		DialTimeout: 5 * time.Second,
		ReadTimeout: 5 * time.Second,
		PoolSize:    4,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// forProtocols runs fn as a subtest over RESP2 and RESP3.
func forProtocols(t *testing.T, fn func(t *testing.T, c *redis.Client, proto int)) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			fn(t, newGoRedis(t, mnemoAddr, proto), proto)
		})
	}
}

func TestGoRedisBasics(t *testing.T) {
	ctx := context.Background()
	forProtocols(t, func(t *testing.T, c *redis.Client, proto int) {
		key := fmt.Sprintf("goredis:basic:%d", proto)
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING: %v", err)
		}
		if err := c.Set(ctx, key, "v", time.Minute).Err(); err != nil {
			t.Fatalf("SET: %v", err)
		}
		if v, err := c.Get(ctx, key).Result(); err != nil || v != "v" {
			t.Fatalf("GET = %q, %v", v, err)
		}
		if _, err := c.Get(ctx, key+":missing").Result(); err != redis.Nil {
			t.Fatalf("GET missing: %v, want redis.Nil", err)
		}
		if v, err := c.Echo(ctx, "hi").Result(); err != nil || v != "hi" {
			t.Fatalf("ECHO = %v, %v", v, err)
		}
		// The handshake sent CLIENT SETINFO; CLIENT INFO must parse and
		// show it, with the protocol HELLO chose.
		info, err := c.ClientInfo(ctx).Result()
		if err != nil {
			t.Fatalf("CLIENT INFO: %v", err)
		}
		if !strings.HasPrefix(info.LibName, "go-redis(") || info.LibVer != redis.Version() {
			t.Errorf("lib-name %q lib-ver %q, want go-redis(...) and %s", info.LibName, info.LibVer, redis.Version())
		}
		if info.Resp != proto || info.User != "default" || info.LastCmd != "client|info" {
			t.Errorf("CLIENT INFO resp=%d user=%q cmd=%q", info.Resp, info.User, info.LastCmd)
		}
		id, err := c.ClientID(ctx).Result()
		if err != nil || id != info.ID {
			t.Errorf("CLIENT ID = %d %v, CLIENT INFO id=%d", id, err, info.ID)
		}
		// A pool of one connection so SETNAME and GETNAME share it.
		one := redis.NewClient(&redis.Options{Addr: mnemoAddr, Protocol: proto, PoolSize: 1})
		defer one.Close()
		if err := one.Do(ctx, "CLIENT", "SETNAME", "goredis-named").Err(); err != nil {
			t.Fatalf("CLIENT SETNAME: %v", err)
		}
		if v, err := one.ClientGetName(ctx).Result(); err != nil || v != "goredis-named" {
			t.Errorf("CLIENT GETNAME = %q, %v", v, err)
		}
		list, err := c.ClientList(ctx).Result()
		if err != nil || !strings.Contains(list, " name=goredis-named ") {
			t.Errorf("CLIENT LIST lacks the named client (%v):\n%s", err, list)
		}
	})
}

// TestGoRedisClientFields checks that CLIENT INFO has exactly Redis 7.0's
// fields in Redis's order, plus Redis 7.2's lib-name and lib-ver.
func TestGoRedisClientFields(t *testing.T) {
	ctx := context.Background()
	names := func(addr string) []string {
		txt, err := newGoRedis(t, addr, 2).Do(ctx, "CLIENT", "INFO").Text()
		if err != nil {
			t.Fatalf("%s: CLIENT INFO: %v", addr, err)
		}
		var out []string
		for _, f := range strings.Fields(txt) {
			k, _, _ := strings.Cut(f, "=")
			out = append(out, k)
		}
		return out
	}
	want := append(names(redisAddr), "lib-name", "lib-ver")
	if got := names(mnemoAddr); !slices.Equal(got, want) {
		t.Errorf("CLIENT INFO fields\n mnemo: %v\n  want: %v", got, want)
	}
}

func TestGoRedisPipeline(t *testing.T) {
	ctx := context.Background()
	forProtocols(t, func(t *testing.T, c *redis.Client, proto int) {
		const n = 500
		key := func(i int) string { return fmt.Sprintf("goredis:pipe:%d:%d", proto, i) }
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < n; i++ {
				p.Set(ctx, key(i), i, 0)
			}
			for i := 0; i < n; i++ {
				p.Get(ctx, key(i))
			}
			p.Get(ctx, key(-1)) // missing
			return nil
		})
		if err != redis.Nil {
			t.Fatalf("pipeline error = %v, want redis.Nil from the last GET", err)
		}
		if len(cmds) != 2*n+1 {
			t.Fatalf("%d replies, want %d", len(cmds), 2*n+1)
		}
		for i := 0; i < n; i++ {
			if v, err := cmds[n+i].(*redis.StringCmd).Int(); err != nil || v != i {
				t.Fatalf("GET %s = %d, %v", key(i), v, err)
			}
		}
		// An error inside a pipeline is that command's alone.
		cmds, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key(0), "a", 0)
			p.Do(ctx, "SET", key(0), "b", "NX", "XX")
			p.Get(ctx, key(0))
			return nil
		})
		if err := cmds[1].Err(); err == nil || err.Error() != "ERR syntax error" {
			t.Errorf("bad SET in a pipeline: %v", err)
		}
		if v, _ := cmds[2].(*redis.StringCmd).Result(); v != "a" {
			t.Errorf("GET after the failed SET = %q, want a", v)
		}
	})
}

func TestGoRedisTransactions(t *testing.T) {
	ctx := context.Background()
	forProtocols(t, func(t *testing.T, c *redis.Client, proto int) {
		key := fmt.Sprintf("goredis:tx:{%d}", proto)
		cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, "1", 0)
			p.Get(ctx, key)
			p.Set(ctx, key+":b", "2", 0)
			return nil
		})
		if err != nil || len(cmds) != 3 {
			t.Fatalf("TxPipelined: %d replies, %v", len(cmds), err)
		}
		if v := cmds[1].(*redis.StringCmd).Val(); v != "1" {
			t.Errorf("GET inside MULTI = %q", v)
		}
		// A command refused while queued aborts the whole transaction.
		_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, "never", 0)
			p.Do(ctx, "NOSUCHCOMMAND")
			return nil
		})
		if err == nil || !strings.HasPrefix(err.Error(), "EXECABORT") {
			t.Errorf("transaction with an unknown command: %v, want EXECABORT", err)
		}
		if v, _ := c.Get(ctx, key).Result(); v != "1" {
			t.Errorf("aborted transaction wrote %q", v)
		}
		// Keys of two slots cannot share a transaction in cluster mode.
		_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "goredis:a", "1", 0)
			p.Set(ctx, "goredis:b", "1", 0)
			return nil
		})
		if err == nil || !strings.HasPrefix(err.Error(), "CROSSSLOT") {
			t.Errorf("transaction over two slots: %v, want CROSSSLOT", err)
		}

		// WATCH: an untouched key lets the transaction through...
		err = c.Watch(ctx, func(tx *redis.Tx) error {
			v, err := tx.Get(ctx, key).Int()
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, v+1, 0)
				return nil
			})
			return err
		}, key)
		if err != nil {
			t.Fatalf("WATCH transaction: %v", err)
		}
		if v, _ := c.Get(ctx, key).Int(); v != 2 {
			t.Errorf("after WATCH transaction: %d, want 2", v)
		}
		// ...a change from another connection in between fails it.
		other := newGoRedis(t, mnemoAddr, proto)
		err = c.Watch(ctx, func(tx *redis.Tx) error {
			if err := other.Set(ctx, key, "changed", 0).Err(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, "mine", 0)
				return nil
			})
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			t.Errorf("WATCH with a concurrent change: %v, want %v", err, redis.TxFailedErr)
		}
		if v, _ := c.Get(ctx, key).Result(); v != "changed" {
			t.Errorf("after the failed transaction: %q, want changed", v)
		}
	})
}

func TestGoRedisPubSub(t *testing.T) {
	ctx := context.Background()
	forProtocols(t, func(t *testing.T, c *redis.Client, proto int) {
		ch := fmt.Sprintf("goredis:chan:%d", proto)
		sub := c.Subscribe(ctx, ch)
		defer sub.Close()
		// The first thing received is the subscription's confirmation.
		msg, err := sub.Receive(ctx)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if s, ok := msg.(*redis.Subscription); !ok || s.Kind != "subscribe" || s.Channel != ch || s.Count != 1 {
			t.Fatalf("first message %#v, want the subscribe confirmation", msg)
		}
		if err := sub.PSubscribe(ctx, ch+":*"); err != nil {
			t.Fatalf("PSubscribe: %v", err)
		}
		if msg, err := sub.Receive(ctx); err != nil || msg.(*redis.Subscription).Kind != "psubscribe" {
			t.Fatalf("psubscribe confirmation: %#v %v", msg, err)
		}
		if n, err := c.Publish(ctx, ch, "hello").Result(); err != nil || n != 1 {
			t.Fatalf("PUBLISH = %d, %v", n, err)
		}
		if n, err := c.Publish(ctx, ch+":sub", "pattern").Result(); err != nil || n != 1 {
			t.Fatalf("PUBLISH to the pattern = %d, %v", n, err)
		}
		m, err := sub.ReceiveMessage(ctx)
		if err != nil || m.Channel != ch || m.Payload != "hello" || m.Pattern != "" {
			t.Fatalf("message %+v, %v", m, err)
		}
		m, err = sub.ReceiveMessage(ctx)
		if err != nil || m.Channel != ch+":sub" || m.Payload != "pattern" || m.Pattern != ch+":*" {
			t.Fatalf("pmessage %+v, %v", m, err)
		}
		// The subscribed connection still answers PING (go-redis checks
		// the pub/sub form of the reply).
		if err := sub.Ping(ctx); err != nil {
			t.Fatalf("PING while subscribed: %v", err)
		}
		if n, err := c.PubSubNumSub(ctx, ch).Result(); err != nil || n[ch] != 1 {
			t.Errorf("PUBSUB NUMSUB = %v, %v", n, err)
		}
		// Go channels on top of the subscription.
		msgs := sub.Channel()
		c.Publish(ctx, ch, "via channel")
		select {
		case m := <-msgs:
			if m.Payload != "via channel" {
				t.Errorf("channel message %+v", m)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no message on the Go channel")
		}
		if err := sub.Unsubscribe(ctx, ch); err != nil {
			t.Fatalf("Unsubscribe: %v", err)
		}
		if err := sub.PUnsubscribe(ctx); err != nil {
			t.Fatalf("PUnsubscribe: %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, err := c.Publish(ctx, ch, "nobody").Result()
			if err == nil && n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("PUBLISH after unsubscribing = %d, %v", n, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestGoRedisRESP3 checks replies whose RESP3 form differs from RESP2's
// through go-redis's RESP3 reader.
func TestGoRedisRESP3(t *testing.T) {
	ctx := context.Background()
	c := newGoRedis(t, mnemoAddr, 3)
	hello, err := c.Do(ctx, "HELLO", "3").Result()
	if err != nil {
		t.Fatalf("HELLO 3: %v", err)
	}
	m, ok := hello.(map[interface{}]interface{})
	if !ok || m["proto"] != int64(3) || m["server"] != "redis" || m["mode"] != "cluster" {
		t.Fatalf("HELLO 3 = %#v, want a map", hello)
	}
	// A missing key is RESP3's null, which go-redis turns into redis.Nil.
	if err := c.Do(ctx, "GET", "goredis:resp3:missing").Err(); err != redis.Nil {
		t.Errorf("GET missing: %v", err)
	}
	// CLIENT INFO is a verbatim string in RESP3.
	if v, err := c.Do(ctx, "CLIENT", "INFO").Text(); err != nil || !strings.Contains(v, " resp=3 ") {
		t.Errorf("CLIENT INFO = %q, %v", v, err)
	}
	// CLIENT TRACKINGINFO is a map with a set inside.
	v, err := c.Do(ctx, "CLIENT", "TRACKINGINFO").Result()
	if ti, ok := v.(map[interface{}]interface{}); err != nil || !ok || ti["redirect"] != int64(-1) {
		t.Errorf("CLIENT TRACKINGINFO = %#v, %v", v, err)
	}
	// An aborted WATCH transaction is RESP3's null too.
	key := "goredis:resp3:w"
	c.Set(ctx, key, "1", 0)
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		newGoRedis(t, mnemoAddr, 3).Set(ctx, key, "2", 0)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Get(ctx, key)
			return nil
		})
		return err
	}, key)
	if !errors.Is(err, redis.TxFailedErr) {
		t.Errorf("aborted transaction in RESP3: %v", err)
	}
}

// TestGoRedisClientAdmin drives CLIENT KILL and CLIENT UNBLOCK through
// go-redis, and checks that a killed client's pool reconnects.
func TestGoRedisClientAdmin(t *testing.T) {
	ctx := context.Background()
	admin := newGoRedis(t, mnemoAddr, 3)
	victim := redis.NewClient(&redis.Options{Addr: mnemoAddr, PoolSize: 1, MaxRetries: 3})
	defer victim.Close()
	id, err := victim.ClientID(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := admin.ClientKillByFilter(ctx, "ID", fmt.Sprint(id)).Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID %d = %d, %v", id, n, err)
	}
	if n, err := admin.ClientKillByFilter(ctx, "ID", fmt.Sprint(id)).Result(); err != nil || n != 0 {
		t.Errorf("second CLIENT KILL ID %d = %d, %v", id, n, err)
	}
	// go-redis retries on the closed connection and gets a new one.
	newID, err := victim.ClientID(ctx).Result()
	if err != nil || newID == id {
		t.Errorf("after the kill: id %d (was %d), %v", newID, id, err)
	}
	if n, err := admin.ClientUnblock(ctx, newID).Result(); err != nil || n != 0 {
		t.Errorf("CLIENT UNBLOCK of a client not blocked = %d, %v", n, err)
	}
	if err := admin.Do(ctx, "CLIENT", "SETINFO", "LIB-NAME", "bad name").Err(); err == nil ||
		err.Error() != "ERR LIB-NAME cannot contain spaces, newlines or special characters." {
		t.Errorf("CLIENT SETINFO with a space: %v", err)
	}
	if err := admin.Do(ctx, "CLIENT", "SETINFO", "LIB-COLOR", "red").Err(); err == nil ||
		err.Error() != "ERR Unrecognized option 'LIB-COLOR'" {
		t.Errorf("CLIENT SETINFO with an unknown attribute: %v", err)
	}
}

// TestGoRedisClusterStatic runs a ClusterClient against the single node
// with the topology from a fixed ClusterSlots function: routing,
// pipelines and transactions, whether or not the node serves CLUSTER
// SLOTS.
func TestGoRedisClusterStatic(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClusterClient(&redis.ClusterOptions{
		ClusterSlots: func(context.Context) ([]redis.ClusterSlot, error) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: mnemoAddr}}}}, nil
		},
	})
	defer c.Close()
	clusterScenario(ctx, t, c)
}

// TestGoRedisClusterDiscovery lets a ClusterClient find the topology with
// CLUSTER SLOTS, as applications do, then checks what the node announced:
// itself, at the address the client used, owning every slot. A second
// client asks for replica reads (READONLY on every connection).
func TestGoRedisClusterDiscovery(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{mnemoAddr}})
	defer c.Close()
	clusterScenario(ctx, t, c)

	// ClusterClient discovers with CLUSTER SLOTS (deprecated in go-redis
	// for applications, still what it uses itself): check what it read.
	//lint:ignore SA1019 the client's own discovery command is the one under test
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil || len(slots) != 1 || slots[0].Start != 0 || slots[0].End != 16383 ||
		len(slots[0].Nodes) != 1 || slots[0].Nodes[0].Addr != mnemoAddr {
		t.Fatalf("CLUSTER SLOTS = %+v, %v; want slots 0-16383 on %s alone", slots, err, mnemoAddr)
	}
	myID, err := c.ClusterMyID(ctx).Result()
	if err != nil || slots[0].Nodes[0].ID != myID || len(myID) != 40 {
		t.Errorf("CLUSTER MYID = %q, %v; CLUSTER SLOTS names %q", myID, err, slots[0].Nodes[0].ID)
	}
	shards, err := c.ClusterShards(ctx).Result()
	if err != nil || len(shards) != 1 || len(shards[0].Slots) != 1 || shards[0].Slots[0] != (redis.SlotRange{Start: 0, End: 16383}) ||
		len(shards[0].Nodes) != 1 {
		t.Fatalf("CLUSTER SHARDS = %+v, %v", shards, err)
	}
	n := shards[0].Nodes[0]
	if n.ID != myID || net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10)) != mnemoAddr ||
		n.Endpoint != n.IP || n.Role != "master" || n.Health != "online" {
		t.Errorf("CLUSTER SHARDS node = %+v; want %s at %s, master, online", n, myID, mnemoAddr)
	}

	ro := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{mnemoAddr}, ReadOnly: true})
	defer ro.Close()
	clusterScenario(ctx, t, ro)
}

func clusterScenario(ctx context.Context, t *testing.T, c *redis.ClusterClient) {
	t.Helper()
	for i := 0; i < 20; i++ {
		key := fmt.Sprintf("goredis:cluster:%d", i)
		if err := c.Set(ctx, key, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		if v, err := c.Get(ctx, key).Int(); err != nil || v != i {
			t.Fatalf("GET %s = %d, %v", key, v, err)
		}
	}
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < 20; i++ {
			p.Get(ctx, fmt.Sprintf("goredis:cluster:%d", i))
		}
		return nil
	})
	if err != nil || len(cmds) != 20 {
		t.Fatalf("cluster pipeline: %d replies, %v", len(cmds), err)
	}
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "{goredis:tx}a", "1", 0)
		p.Set(ctx, "{goredis:tx}b", "2", 0)
		return nil
	})
	if err != nil {
		t.Fatalf("cluster transaction: %v", err)
	}
	if v, err := c.Get(ctx, "{goredis:tx}b").Result(); err != nil || v != "2" {
		t.Fatalf("GET after the cluster transaction = %q, %v", v, err)
	}
}
