package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
	"github.com/mnemo-dev/mnemo/engine/snapshot"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// redisServer is a redis-server this test started, on a random loopback
// port, stopped by its PID.
type redisServer struct {
	cmd  *exec.Cmd
	addr string
	c    *redis.Client
}

func startRedis(t *testing.T, dir, dbfile string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (make deps)")
	}
	for attempt := range 10 {
		port := harness.Ports(t, 1)[0]
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--dbfilename", dbfile, "--daemonize", "no")
		var logb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logb, &logb
		must(t, cmd.Start())
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		c := redis.NewClient(&redis.Options{Addr: addr})
		for range 100 {
			// Another package's server may answer on the port while
			// ours fails to bind it: only our own answer counts.
			if c.Ping(context.Background()).Err() == nil && harness.Serves(cmd.Process.Pid, addr) {
				break
			}
			select {
			case <-exited:
			case <-time.After(50 * time.Millisecond):
				continue
			}
			break
		}
		select {
		case <-exited:
			c.Close()
			if strings.Contains(logb.String(), "Address already in use") {
				continue // another server holds the port: try another
			}
			t.Fatalf("redis-server exited (attempt %d): %s", attempt, logb.String())
		default:
		}
		if err := c.Ping(context.Background()).Err(); err != nil || !harness.Serves(cmd.Process.Pid, addr) {
			c.Close()
			cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			t.Fatalf("redis-server on %s does not answer: %v\n%s", addr, err, logb.String())
		}
		t.Cleanup(func() {
			c.Close()
			cmd.Process.Signal(syscall.SIGTERM) // our own server, by PID
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		})
		return &redisServer{cmd: cmd, addr: addr, c: c}
	}
	t.Fatal("no free port for redis-server after 10 attempts")
	return nil
}

// fillRedis writes every type in each of its encodings, with TTLs,
// binary keys, large values and streams with groups and tombstones.
func fillRedis(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := context.Background()
	p := c.Pipeline()
	p.Set(ctx, "str", "hello", 0)
	p.Set(ctx, "int", "-12345", 0)
	p.Set(ctx, "ttl", "v", time.Hour)
	p.Set(ctx, "bin\x00\xff\r\n", []byte{0, 1, 2, 0xff}, 0)
	p.Set(ctx, "big", strings.Repeat("0123456789", 200000), 0)
	p.Set(ctx, "lzf", strings.Repeat("a", 100), 0)
	p.RPush(ctx, "list", "a", "1", "-5", "300", "hello")
	for i := range 3000 {
		p.RPush(ctx, "biglist", "element-"+strconv.Itoa(i))
	}
	p.SAdd(ctx, "intset", 1, 2, 300, -7)
	p.SAdd(ctx, "smallset", "a", "b", "c")
	for i := range 1000 {
		p.SAdd(ctx, "bigset", "m"+strconv.Itoa(i))
	}
	p.HSet(ctx, "hash", "f", "v", "n", "12")
	for i := range 300 {
		p.HSet(ctx, "bighash", "field:"+strconv.Itoa(i), strings.Repeat("v", i%100))
	}
	p.ZAdd(ctx, "zset", redis.Z{Score: 0.1, Member: "a"}, redis.Z{Score: -1.5, Member: "b"}, redis.Z{Score: 3, Member: "c"})
	for i := range 300 {
		p.ZAdd(ctx, "bigzset", redis.Z{Score: float64(i) / 3, Member: "member" + strconv.Itoa(i)})
	}
	p.PFAdd(ctx, "hll", "a", "b", "c")
	p.Expire(ctx, "bighash", 2*time.Hour)
	for i := 1; i <= 250; i++ {
		vals := []string{"f", strconv.Itoa(i)}
		if i%7 == 0 {
			vals = append(vals, "other", "x")
		}
		p.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: fmt.Sprintf("%d-%d", 1000+i/3, i%3), Values: vals})
	}
	p.XDel(ctx, "stream", "1001-0", "1010-1", "1050-2")
	p.XGroupCreate(ctx, "stream", "g1", "0")
	p.XGroupCreate(ctx, "stream", "empty", "$")
	p.Do(ctx, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "stream", ">")
	p.Do(ctx, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "stream", ">")
	p.Do(ctx, "XGROUP", "CREATECONSUMER", "stream", "g1", "idle")
	p.XAdd(ctx, &redis.XAddArgs{Stream: "emptied", ID: "5-5", Values: []string{"a", "b"}})
	p.XDel(ctx, "emptied", "5-5")
	_, err := p.Exec(ctx)
	must(t, err)
}

func redisState(t *testing.T, c *redis.Client) map[string]keyState {
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
		out[k] = keyState{d, ex}
	}
	return out
}

// TestRDBInterop: redis-server's RDB → Mnemo → RDB → redis-server, and
// the data is identical: every key's DUMP payload and expiry time. On
// the way, Mnemo's own DUMP of each loaded value is Redis's, byte for
// byte.
func TestRDBInterop(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startRedis(t, dirA, "src.rdb")
	fillRedis(t, a.c)
	want := redisState(t, a.c)
	must(t, a.c.Save(ctx).Err())

	f, err := os.Open(filepath.Join(dirA, "src.rdb"))
	must(t, err)
	db := keyspace.New()
	info, err := snapshot.ReadRDB(f, db, limits, time.Now().UnixMilli())
	f.Close()
	must(t, err)
	if info.Version != rdb.Version || info.Aux["redis-ver"] == "" || int(info.Keys) != len(want) {
		t.Fatalf("read %+v, want version %d and %d keys", info, rdb.Version, len(want))
	}
	for k, w := range want {
		e := db.Peek(k)
		if e == nil {
			t.Errorf("key %q not loaded", k)
			continue
		}
		got, err := rdb.Dump(e.Value, limits)
		must(t, err)
		if string(got) != w.dump {
			t.Errorf("key %q (%s): Mnemo's DUMP differs from Redis's:\n got %q\nwant %q", k, e.Value.Type(), got, w.dump)
		}
		if w.expire > 0 && e.ExpireAt != w.expire {
			t.Errorf("key %q expires at %d, want %d", k, e.ExpireAt, w.expire)
		}
	}

	out, err := os.Create(filepath.Join(dirB, "out.rdb"))
	must(t, err)
	_, err = snapshot.WriteRDB(out, db, limits, time.Now().UnixMilli())
	must(t, err)
	must(t, out.Close())
	b := startRedis(t, dirB, "out.rdb")
	sameState(t, unordered(t, want), unordered(t, redisState(t, b.c)))
}

// unordered replaces the payloads of sets and hashes held in hash tables
// by their sorted contents: Redis seeds its hash function per process, so
// two redis-servers holding the same set dump it in different orders.
func unordered(t *testing.T, st map[string]keyState) map[string]keyState {
	out := map[string]keyState{}
	for k, s := range st {
		if s.dump != "" && (s.dump[0] == rdb.TypeSet || s.dump[0] == rdb.TypeHash) {
			v, err := rdb.Restore([]byte(s.dump), limits)
			must(t, err)
			var items []string
			switch v := v.(type) {
			case *keyspace.Set:
				items = v.Sample(v.Len())
			case *keyspace.Hash:
				v.Each(func(f, val string) bool { items = append(items, f+"="+val); return true })
			}
			sort.Strings(items)
			s.dump = fmt.Sprintf("%d:%q", s.dump[0], items)
		}
		out[k] = s
	}
	return out
}
