//go:build linux

package failover

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// writer sends SETs to the primary, following MOVED at once and finding
// the primary again with ROLE on READONLY. It records every write's time
// from first send to acknowledgement and every write that failed.
type writer struct {
	s       *shard
	conn    *conn
	addr    string
	lat     []time.Duration
	failed  []string
	readonl int
}

func (w *writer) dialAddr(addr string) bool {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
	c, err := dial(addr)
	if err != nil {
		return false
	}
	w.conn, w.addr = c, addr
	return true
}

func (w *writer) write(key, val string) {
	start := time.Now()
	for try := 0; try < 200; try++ {
		if w.conn == nil {
			if i, ok := w.s.waitPrimary(5 * time.Second); !ok || !w.dialAddr(w.s.addrs[i]) {
				continue
			}
		}
		v, err := w.conn.DoTimeout(10*time.Second, "SET", key, val)
		switch {
		case err != nil:
			w.failed = append(w.failed, fmt.Sprintf("SET %s: %v", key, err))
			w.conn.Close()
			w.conn = nil
			return
		case v.IsErr() && strings.HasPrefix(v.Str, "MOVED "):
			f := strings.Fields(v.Str)
			w.dialAddr(f[len(f)-1])
			continue
		case v.IsErr() && strings.HasPrefix(v.Str, "READONLY "):
			w.readonl++
			w.conn.Close()
			w.conn = nil
			continue
		case v.IsErr():
			w.failed = append(w.failed, fmt.Sprintf("SET %s: %s", key, v.Str))
			return
		}
		w.lat = append(w.lat, time.Since(start))
		return
	}
	w.failed = append(w.failed, "SET "+key+": no primary after 200 tries")
}

// TestPlannedHandoff hands the primary's lease over several times under a
// steady write load: no write may fail; the pause writers saw is logged.
// Then it checks replica reads: after the writes stop, every replica's lag
// returns to 0 and each replica reads what the primary acknowledged.
func TestPlannedHandoff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six processes")
	}
	s := startShard(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	writers := make([]*writer, 3)
	last := make([]string, len(writers))
	for i := range writers {
		writers[i] = &writer{s: s}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := writers[i]
			for n := 0; n < 1000000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				val := strconv.Itoa(n)
				w.write("w{"+strconv.Itoa(i)+"}", val)
				last[i] = val
				time.Sleep(time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	var handoffs []string
	for round := range 6 {
		p, ok := s.waitPrimary(10 * time.Second)
		if !ok {
			t.Fatal("no primary")
		}
		c, err := dial(s.addrs[p])
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"FAILOVER"}
		if round%2 == 1 {
			// Name the target: the next node.
			host, port, _ := net.SplitHostPort(s.addrs[(p+1)%3])
			args = append(args, "TO", host, port, "TIMEOUT", "5000")
		}
		v, err := c.Do(args...)
		c.Close()
		if err != nil || v.Str != "OK" {
			t.Fatalf("%v on node%d: %v %v", args, p, v, err)
		}
		// Wait until another node is primary, then let writes run.
		for i := 0; i < 200; i++ {
			if q := s.primary(); q >= 0 && q != p {
				handoffs = append(handoffs, fmt.Sprintf("node%d->node%d", p, q))
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		time.Sleep(time.Second)
	}
	close(stop)
	wg.Wait()

	var lat []time.Duration
	var failed []string
	readonly := 0
	for _, w := range writers {
		lat = append(lat, w.lat...)
		failed = append(failed, w.failed...)
		readonly += w.readonl
		if w.conn != nil {
			w.conn.Close()
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	t.Logf("handoffs: %v", handoffs)
	t.Logf("%d writes acknowledged, %d failed, %d READONLY answers retried; write time p50 %v, p99 %v, p99.9 %v, max %v",
		len(lat), len(failed), readonly, pct(0.5), pct(0.99), pct(0.999), lat[len(lat)-1])
	if len(handoffs) < 6 {
		t.Errorf("only %d of 6 handoffs happened", len(handoffs))
	}
	if len(failed) > 0 {
		t.Errorf("%d writes failed, first: %v", len(failed), failed[:min(5, len(failed))])
	}

	// Replica reads: lag back to 0, and the values the primary
	// acknowledged last.
	p := s.primary()
	for i, addr := range s.addrs {
		if i == p {
			continue
		}
		lag := ""
		for try := 0; try < 100; try++ {
			lag = infoField(t, addr, "mnemo_repl_lag")
			if lag == "0" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if lag != "0" {
			t.Errorf("node%d: lag %s after the writes stopped", i, lag)
		}
		c, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Do("READONLY")
		for j := range writers {
			v, err := c.Do("GET", "w{"+strconv.Itoa(j)+"}")
			if err != nil || v.Str != last[j] {
				t.Errorf("node%d reads w{%d} = %v (%v), the primary acknowledged %q last", i, j, v, err, last[j])
			}
		}
		c.Close()
	}
}

// infoField returns one INFO field of the node at addr.
func infoField(t *testing.T, addr, field string) string {
	c, err := dial(addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	v, err := c.Do("INFO", "replication")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(v.Str, "\r\n") {
		if val, ok := strings.CutPrefix(line, field+":"); ok {
			return val
		}
	}
	return ""
}
