package compat

import (
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// latencyProbe PINGs the server from its own connection until stopped and
// returns the round-trip times: what the other clients feel while one
// misbehaves.
func latencyProbe(t *testing.T, addr string) (stop func() []time.Duration) {
	c, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	var (
		done = make(chan struct{})
		out  = make(chan []time.Duration, 1)
	)
	go func() {
		defer c.close()
		var lat []time.Duration
		for {
			select {
			case <-done:
				out <- lat
				return
			default:
			}
			start := time.Now()
			if v, err := c.do("PING"); err != nil || v.str != "PONG" {
				out <- lat
				return
			}
			lat = append(lat, time.Since(start))
			time.Sleep(time.Millisecond)
		}
	}()
	return func() []time.Duration { close(done); return <-out }
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat[len(lat)*99/100]
}

// TestHostileClients runs what careless and hostile clients do against a
// Mnemo of its own: connection churn, a huge bulk announced and never
// sent, a subscriber that never reads while 100 MB is published, more
// clients than maxclients, an idle client past timeout. The server must
// stay up with its memory bounded; another client's p99 latency through
// each is logged (a figure, not a pass criterion).
func TestHostileClients(t *testing.T) {
	addr := ownMnemo(t)
	admin, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.close()
	heap := func() int64 { return infoField(t, admin, "used_memory_go_heap") }
	alive := func(step string) {
		t.Helper()
		if v, err := admin.do("PING"); err != nil || v.str != "PONG" {
			t.Fatalf("after %s: PING = %v, %v", step, v, err)
		}
	}

	t.Run("churn", func(t *testing.T) {
		probe := latencyProbe(t, addr)
		const total, workers = 5000, 50
		var failed atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < total; i += workers {
					c, err := dial(addr)
					if err != nil {
						failed.Add(1)
						continue
					}
					if i%2 == 0 {
						// Half say something first, half just leave.
						if v, err := c.do("PING"); err != nil || v.str != "PONG" {
							failed.Add(1)
						}
					}
					c.close()
				}
			}()
		}
		wg.Wait()
		lat := probe()
		t.Logf("churn: %d connections opened and closed in %v, %d failed; other client p99 %v over %d PINGs",
			total, time.Since(start).Round(time.Millisecond), failed.Load(), p99(lat), len(lat))
		if failed.Load() > 0 {
			t.Errorf("%d of %d connections failed", failed.Load(), total)
		}
		alive("connection churn")
		deadline := time.Now().Add(5 * time.Second)
		for infoField(t, admin, "connected_clients") > 1 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := infoField(t, admin, "connected_clients"); n > 1 {
			t.Errorf("%d clients still connected after churn", n)
		}
	})

	t.Run("huge-bulk", func(t *testing.T) {
		// Past proto-max-bulk-len: refused at once, as Redis does.
		c, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c.nc, "*1\r\n$2147483648\r\n")
		if v, err := c.read(); err != nil || v.str != "ERR Protocol error: invalid bulk length" {
			t.Errorf("2 GB bulk: %v, %v", v, err)
		}
		c.close()
		// Allowed by the limits, announced, and never sent: it must cost
		// nothing until its bytes arrive.
		admin.do("CONFIG", "SET", "proto-max-bulk-len", "4gb", "client-query-buffer-limit", "4gb")
		before := heap()
		var idle []*conn
		for range 10 {
			c, err := dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(c.nc, "*2\r\n$3\r\nSET\r\n$2147483648\r\nabc")
			idle = append(idle, c)
		}
		time.Sleep(200 * time.Millisecond)
		after := heap()
		t.Logf("huge-bulk: 10 clients announcing 2 GB each: Go heap %d -> %d bytes", before, after)
		if after-before > 64<<20 {
			t.Errorf("announced bulks grew the heap by %d bytes", after-before)
		}
		for _, c := range idle {
			c.close()
		}
		admin.do("CONFIG", "SET", "proto-max-bulk-len", "512mb", "client-query-buffer-limit", "1gb")
		alive("huge bulks")
	})

	t.Run("slow-subscriber", func(t *testing.T) {
		sub, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		// (No tiny SetReadBuffer: on loopback, whose MSS is 64 KiB, a
		// window that small never reopens by a segment and the kernel
		// falls back to slow zero-window probes.)
		io.WriteString(sub, "*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
		time.Sleep(100 * time.Millisecond)
		pub, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer pub.close()
		probe := latencyProbe(t, addr)
		msg := strings.Repeat("m", 64<<10)
		const total = 100 << 20
		var peak int64
		for sent := 0; sent < total; sent += 16 * len(msg) {
			cmds := make([][]string, 16)
			for i := range cmds {
				cmds[i] = []string{"PUBLISH", "slow", msg}
			}
			pipeline(t, pub, cmds)
			peak = max(peak, heap())
		}
		lat := probe()
		base := infoField(t, admin, "used_memory_startup")
		t.Logf("slow-subscriber: 100 MB published to a subscriber that never reads: peak Go heap %d bytes (startup %d); other client p99 %v over %d PINGs",
			peak, base, p99(lat), len(lat))
		// The pubsub class's hard limit is 32 MB: the subscriber holds at
		// most that queued plus one write in flight.
		if peak > 160<<20 {
			t.Errorf("Go heap reached %d bytes", peak)
		}
		// The subscriber was disconnected: draining its socket ends.
		sub.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := io.Copy(io.Discard, sub); err != nil {
			t.Errorf("slow subscriber not disconnected: %v after %d bytes; %s", err, n, clientList(admin))
		}
		if v, _ := admin.do("PUBSUB", "NUMSUB", "slow"); len(v.elems) != 2 || v.elems[1].str != "0" {
			t.Errorf("PUBSUB NUMSUB slow = %v", v)
		}
		alive("a slow subscriber")
	})

	t.Run("maxclients", func(t *testing.T) {
		admin.do("CONFIG", "SET", "maxclients", "5")
		defer admin.do("CONFIG", "SET", "maxclients", "10000")
		var conns []*conn
		defer func() {
			for _, c := range conns {
				c.close()
			}
		}()
		refused := 0
		for range 8 {
			c, err := dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			v, err := c.do("PING")
			if err == nil && v.kind == '-' && v.str == "ERR max number of clients reached" {
				refused++
			}
		}
		if refused != 4 {
			// admin plus 4 new ones fill 5 places.
			t.Errorf("%d of 8 connections refused, want 4", refused)
		}
		if n := infoField(t, admin, "rejected_connections"); n < 4 {
			t.Errorf("rejected_connections = %d", n)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		admin.do("CONFIG", "SET", "timeout", "1")
		defer admin.do("CONFIG", "SET", "timeout", "0")
		idle, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer idle.close()
		idle.do("PING")
		start := time.Now()
		idle.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = idle.r.ReadByte()
		if err != io.EOF {
			t.Errorf("idle client: read %v, want EOF", err)
		}
		t.Logf("timeout: idle client closed after %v", time.Since(start).Round(10*time.Millisecond))
		c, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if v, err := c.do("PING"); err != nil || v.str != "PONG" {
			t.Fatalf("after the idle timeout: PING = %v, %v", v, err)
		}
	})
}

// clientList returns CLIENT LIST, to explain a failure.
func clientList(c *conn) string {
	v, err := c.do("CLIENT", "LIST")
	if err != nil {
		return err.Error()
	}
	return v.str
}
