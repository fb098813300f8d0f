package snapshot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
	"github.com/mnemo-dev/mnemo/engine/server"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// logEnv is an embedded log server with a shard's stream and the
// snapshot store in its object store.
type logEnv struct {
	srv   *txlog.Server
	st    *txlog.Stream
	store *snapshot.Store
	url   string
}

func startLog(t *testing.T, dir string) *logEnv {
	t.Helper()
	srv, err := txlog.StartServer(txlog.ServerConfig{Name: "snaptest", Dir: dir, Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := txlog.Dial(srv.ClientURL(), "snaptest", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := txlog.OpenStream(ctx, nc, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	store, err := snapshot.OpenJetStream(ctx, nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &logEnv{srv: srv, st: st, store: store, url: srv.ClientURL()}
}

// node is a Mnemo engine durable on a log, serving on a random loopback
// port.
type node struct {
	e      *command.Engine
	c      *redis.Client
	addr   string
	cancel context.CancelFunc
	done   chan struct{}
}

func newestSource(store *snapshot.Store) command.SnapshotSource {
	return func(ctx context.Context) (_ io.ReadCloser, err error) {
		info, ok, err := store.Newest(ctx, 0, nil)
		if err != nil || !ok {
			return nil, err
		}
		return store.Open(ctx, 0, info)
	}
}

// startNode starts a node on env's log that loads the newest snapshot
// (when fromSnapshot) and replays the tail.
func startNode(t *testing.T, env *logEnv, fromSnapshot bool) *node {
	t.Helper()
	cfg := config.New()
	e := command.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	opts := command.LogOptions{Log: slog.New(slog.DiscardHandler)}
	if fromSnapshot {
		opts.Snapshots = newestSource(env.store)
	}
	if err := e.AttachLog(ctx, env.st, opts); err != nil {
		cancel()
		t.Fatal(err)
	}
	e.Start()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv := server.New(e, slog.New(slog.DiscardHandler))
	n := &node{e: e, addr: ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() { srv.Serve(ln); close(n.done) }()
	n.c = redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, MaxRetries: -1})
	var stopped bool
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		n.c.Close()
		srv.Close()
		<-n.done
		e.Stop()
		cancel()
	}
	n.cancel = stop
	t.Cleanup(stop)
	return n
}

func (n *node) stop() { n.cancel() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// keyState is a key as DUMP and PEXPIRETIME see it.
type keyState struct {
	dump   string
	expire int64
}

// state reads every key of the node.
func state(t *testing.T, c *redis.Client) map[string]keyState {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	must(t, err)
	out := map[string]keyState{}
	for _, k := range keys {
		d, err := c.Dump(ctx, k).Result()
		must(t, err)
		ex, err := c.Do(ctx, "PEXPIRETIME", k).Int64()
		must(t, err)
		out[k] = keyState{normalize(t, d), ex}
	}
	return out
}

// normalize clears the seen time of a stream's consumers in a DUMP
// payload: the log does not carry it yet (XGROUP CREATECONSUMER and
// XREADGROUP log no time), so a node rebuilt from the log, a replica, or
// a snapshot built from the log, reads 0 where the primary has the time
// it saw the consumer. Everything else in the payload must match.
func normalize(t *testing.T, payload string) string {
	if len(payload) == 0 || payload[0] != rdb.TypeStreamListpack2 {
		return payload
	}
	v, err := rdb.Restore([]byte(payload), limits)
	must(t, err)
	s := v.(*keyspace.Stream)
	for _, name := range s.Groups() {
		g := s.Group(name)
		for _, cn := range g.Consumers() {
			g.Consumer(cn).SeenTime = 0
		}
	}
	b, err := rdb.Dump(s, limits)
	must(t, err)
	return string(b)
}

var limits = command.EncodingLimits(config.New())

func sameState(t *testing.T, want, got map[string]keyState) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d keys, want %d", len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		if !ok || g != w {
			if bad++; bad <= 3 {
				t.Errorf("key %q: got %q exp %d (present %v), want %q exp %d", k, g.dump, g.expire, ok, w.dump, w.expire)
			}
		}
	}
}

// writeAllTypes writes n keys of every type through c, some with TTLs,
// tagged so that successive calls write different keys.
func writeAllTypes(t *testing.T, c *redis.Client, tag string, n int) {
	t.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	for i := range n {
		k := tag + ":" + strconv.Itoa(i)
		switch i % 8 {
		case 0:
			p.Set(ctx, "s:"+k, fmt.Sprintf("value-%d", i), 0)
		case 1:
			p.Set(ctx, "t:"+k, i, time.Hour+time.Duration(i)*time.Millisecond)
		case 2:
			p.RPush(ctx, "l:"+k, "a", i, "c")
		case 3:
			p.HSet(ctx, "h:"+k, "f", i, "g", "x")
		case 4:
			p.SAdd(ctx, "set:"+k, i, i+1, "m")
		case 5:
			p.ZAdd(ctx, "z:"+k, redis.Z{Score: float64(i) / 7, Member: "a"}, redis.Z{Score: 2, Member: "b"})
		case 6:
			p.XAdd(ctx, &redis.XAddArgs{Stream: "x:" + k, ID: strconv.Itoa(i+1) + "-1", Values: []string{"f", "v"}})
			p.XAdd(ctx, &redis.XAddArgs{Stream: "x:" + k, ID: strconv.Itoa(i+1) + "-2", Values: []string{"f", "w", "g", "z"}})
			p.XGroupCreate(ctx, "x:"+k, "grp", "0")
			p.Do(ctx, "XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "x:"+k, ">")
		case 7:
			p.PFAdd(ctx, "hll:"+k, "a", "b", i)
			p.Set(ctx, "bin\x00\xff:"+k, []byte{0, 1, 2, 0xff}, 0)
		}
	}
	_, err := p.Exec(ctx)
	must(t, err)
}
