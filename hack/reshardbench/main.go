// Command reshardbench measures online slot migration: it starts
// `mnemo local --shards 2` on a random loopback port range, loads keys of
// a given size into shard 0's slots, runs a foreground workload (SET/GET
// of other keys all over the cluster) and records its latency before and
// during a move of all of shard 0's slots to shard 1, and prints the
// migration's throughput (keys/s, MB/s), the foreground p50/p99 before
// and during the move, and during each of the move's states, with the
// machine's load average (it is shared).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	mnemo := flag.String("mnemo", "bin/mnemo", "the mnemo binary")
	keys := flag.Int("keys", 1_000_000, "keys to move")
	size := flag.Int("size", 100, "value size in bytes")
	clients := flag.Int("clients", 4, "foreground clients")
	before := flag.Duration("before", 10*time.Second, "foreground measurement before the move")
	flag.Parse()
	if err := run(*mnemo, *keys, *size, *clients, *before); err != nil {
		if b, rerr := os.ReadFile(os.Getenv("RESHARDBENCH_LOG")); rerr == nil && len(b) > 0 {
			os.Stderr.Write(b[max(0, len(b)-4000):])
		}
		fmt.Fprintln(os.Stderr, "reshardbench:", err)
		os.Exit(1)
	}
}

func freeBase(n int) int {
	for {
		base := 20000 + rand.IntN(20000-n)
		ok := true
		for i := range n {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return base
		}
	}
}

func run(mnemo string, nkeys, size, clients int, before time.Duration) error {
	dir, err := os.MkdirTemp("", "reshardbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	port := freeBase(2)
	logFile := filepath.Join(os.TempDir(), "reshardbench-"+strconv.Itoa(os.Getpid())+".out")
	os.Setenv("RESHARDBENCH_LOG", logFile)
	out, _ := os.Create(logFile)
	cmd := exec.Command(mnemo, "local", "--shards", "2", "--port", strconv.Itoa(port), "--dir", filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	src := "127.0.0.1:" + strconv.Itoa(port)
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{src}, MaxRedirects: 16, PoolSize: 64})
	defer cc.Close()
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		info, err := cc.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			cc.ReloadState(ctx)
			break
		}
		if time.Since(start) > time.Minute {
			return fmt.Errorf("cluster not up: %v", err)
		}
	}
	// Keys of shard 0 (slots 0-8191), loaded in parallel pipelines.
	value := strings.Repeat("v", size)
	fmt.Printf("machine: %d CPUs, load average %s\n", runtime.NumCPU(), loadavg())
	fmt.Printf("loading %d keys of %d bytes into shard 0\n", nkeys, size)
	loadStart := time.Now()
	var names []string
	for i := 0; len(names) < nkeys; i++ {
		k := "key:" + strconv.Itoa(i)
		if redisSlot(k) < 8192 {
			names = append(names, k)
		}
	}
	// Four loaders, each pipeline retried: a load much faster than the
	// shared machine's log can take starved the node's lease renewals
	// (and SET is idempotent).
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * 1000; i < len(names); i += 4 * 1000 {
				var err error
				for try := 0; try < 10; try++ {
					if try > 0 {
						time.Sleep(time.Duration(try) * 500 * time.Millisecond)
					}
					p := cc.Pipeline()
					for _, k := range names[i:min(i+1000, len(names))] {
						p.Set(ctx, k, value, 0)
					}
					if _, err = p.Exec(ctx); err == nil {
						break
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return fmt.Errorf("load: %w", err)
	default:
	}
	fmt.Printf("loaded in %v\n", time.Since(loadStart).Round(time.Millisecond))

	// Foreground: SET then GET of keys spread over all slots.
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	// ops records each operation's start and latency during the move, to
	// split it by the migration's phase.
	var ops []op
	recording := false
	stop := make(chan struct{})
	var fg sync.WaitGroup
	for c := range clients {
		fg.Add(1)
		go func() {
			defer fg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("fg:%d:%d", c, i%1000)
				t0 := time.Now()
				err := cc.Set(ctx, k, i, 0).Err()
				if err == nil {
					err = cc.Get(ctx, k).Err()
				}
				d := time.Since(t0) / 2
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, d, d)
					if recording {
						ops = append(ops, op{t0, d})
					}
				}
				mu.Unlock()
			}
		}()
	}
	take := func() ([]time.Duration, int) {
		mu.Lock()
		defer mu.Unlock()
		l, e := lat, errs
		lat, errs = nil, 0
		return l, e
	}
	time.Sleep(before)
	base, baseErrs := take()

	admin := redis.NewClient(&redis.Options{Addr: src})
	defer admin.Close()
	mu.Lock()
	recording = true
	mu.Unlock()
	moveStart := time.Now()
	var phases []phase
	if err := admin.Do(ctx, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 0, 8191, "SHARD", 1).Err(); err != nil {
		return err
	}
	var last map[any]any
	for {
		res, err := admin.Do(ctx, "CLUSTER", "GETSLOTMIGRATIONS").Slice()
		if err != nil {
			return err
		}
		last = res[len(res)-1].(map[any]any)
		if st := last["state"].(string); len(phases) == 0 || phases[len(phases)-1].name != st {
			phases = append(phases, phase{st, time.Now()})
		}
		if st := last["state"]; st == "done" || st == "failed" || st == "cancelled" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	moveTook := time.Since(moveStart)
	during, duringErrs := take()
	close(stop)
	fg.Wait()
	if last["state"] != "done" {
		return fmt.Errorf("migration %v: %v", last["state"], last["error"])
	}
	sent := last["keys-sent"].(int64)
	bytes := last["bytes-sent"].(int64)
	elapsed := time.Duration(last["elapsed-ms"].(int64)) * time.Millisecond
	fmt.Printf("migration of %d keys (%d sent, %.1f MB of DUMP payloads) took %v (client view %v): %.0f keys/s, %.1f MB/s\n",
		nkeys, sent, float64(bytes)/1e6, elapsed, moveTook.Round(time.Millisecond),
		float64(sent)/elapsed.Seconds(), float64(bytes)/1e6/elapsed.Seconds())
	fmt.Printf("load average after the move: %s\n", loadavg())
	fmt.Printf("foreground before: %s, %d errors\n", summary(base), baseErrs)
	fmt.Printf("foreground during: %s, %d errors\n", summary(during), duringErrs)
	// By phase, as the 20 ms polls of CLUSTER GETSLOTMIGRATIONS saw them.
	for i, ph := range phases[:len(phases)-1] {
		end := phases[i+1].at
		var l []time.Duration
		for _, o := range ops {
			if !o.at.Before(ph.at) && o.at.Before(end) {
				l = append(l, o.d)
			}
		}
		fmt.Printf("  %-9s %7v: %s\n", ph.name, end.Sub(ph.at).Round(time.Millisecond), summary(l))
	}
	return nil
}

// loadavg returns the 1, 5 and 15-minute load averages: the machine is
// shared, and the figures mean little without them.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

type op struct {
	at time.Time
	d  time.Duration
}

type phase struct {
	name string
	at   time.Time
}

func summary(l []time.Duration) string {
	if len(l) == 0 {
		return "no operations"
	}
	slices.Sort(l)
	p := func(q float64) time.Duration { return l[min(len(l)-1, int(q*float64(len(l))))] }
	return fmt.Sprintf("%d ops, p50 %v, p99 %v, max %v", len(l), p(0.50).Round(time.Microsecond),
		p(0.99).Round(time.Microsecond), l[len(l)-1].Round(time.Microsecond))
}

// redisSlot is CRC16 mod 16384 with hash tags, as Redis Cluster hashes.
func redisSlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}
