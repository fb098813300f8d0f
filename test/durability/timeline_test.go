//go:build linux

package durability

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// timeline answers questions about a running workload's writes by time.
type timeline struct{ ops []op }

// snapshot returns the writes answered so far, by the time of the reply.
func (wl *workload) snapshot() timeline {
	var all []op
	for _, ops := range wl.allOps() {
		all = append(all, ops...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].end.Before(all[j].end) })
	return timeline{all}
}

// firstEnd returns the first write sent after t whose outcome is out, by
// the time its reply came, if any.
func (tl timeline) firstEnd(after time.Time, out outcome) (op, bool) {
	for _, o := range tl.ops {
		if o.end.After(after) && !o.start.Before(after) && o.out == out {
			return o, true
		}
	}
	return op{}, false
}

// between counts the outcomes of writes answered in [from, to).
func (tl timeline) between(from, to time.Time) (n [3]int, errs map[string]int) {
	errs = map[string]int{}
	for _, o := range tl.ops {
		if o.end.Before(from) || !o.end.Before(to) {
			continue
		}
		n[o.out]++
		if o.err != "" {
			errs[errKind(o.err)]++
		}
	}
	return n, errs
}

// longestAckGap returns the longest time in [from, to) without an
// acknowledged write.
func (tl timeline) longestAckGap(from, to time.Time) time.Duration {
	prev, gap := from, time.Duration(0)
	for _, o := range tl.ops {
		if o.out != acked || o.end.Before(from) || !o.end.Before(to) {
			continue
		}
		gap = max(gap, o.end.Sub(prev))
		prev = o.end
	}
	return max(gap, to.Sub(prev))
}

// waitAcked waits until a write sent after t is acknowledged, and
// returns when its reply came.
func waitAcked(t *testing.T, wl *workload, after time.Time, limit time.Duration, what string) time.Time {
	t.Helper()
	for deadline := time.Now().Add(limit); ; {
		if o, ok := wl.snapshot().firstEnd(after, acked); ok {
			return o.end
		}
		if time.Now().After(deadline) {
			n, errs := wl.snapshot().between(after, time.Now())
			t.Fatalf("%s: no write acknowledged within %v (since then: %d acknowledged, %d refused, %d unknown; %v)",
				what, limit, n[acked], n[refused], n[unknown], errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFailure waits for the first write answered after t that did not
// succeed (refused, or unknown), and returns it.
func waitFailure(t *testing.T, wl *workload, after time.Time, limit time.Duration) op {
	t.Helper()
	for deadline := time.Now().Add(limit); ; {
		for _, o := range wl.snapshot().ops {
			if o.out != acked && o.end.After(after) {
				return o
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still acknowledged or pending %v after the log lost its quorum", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cleanKeys picks up to n keys of acknowledged SETs, spread over the
// workers: nothing writes them again.
func cleanKeys(wl *workload, n int) map[string]string {
	out := map[string]string{}
	for w, ops := range wl.allOps() {
		for _, o := range ops {
			if o.kind == opSet && o.out == acked && len(out) < n*(w+1)/len(wl.workers) {
				out[keySet(wl.prefix, w, o.n)] = valSet(wl.prefix, w, o.n)
			}
		}
	}
	return out
}

// logMonitor polls the node's INFO log and logs every change, with the
// time since the monitor started: the story of a test's failures and
// recoveries.
type logMonitor struct {
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup
}

func startLogMonitor(t *testing.T, addr string) *logMonitor {
	m := &logMonitor{done: make(chan struct{}), start: time.Now()}
	start := m.start
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		var c *conn
		defer func() {
			if c != nil {
				c.Close()
			}
		}()
		prev := ""
		for {
			select {
			case <-m.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if c == nil {
				var err error
				if c, err = dial(addr); err != nil {
					c = nil
					continue
				}
			}
			var parts []string
			for _, f := range []string{"log_state", "log_failures", "log_rebuilds", "log_fence_errors"} {
				v, err := infoField(c, "log", f)
				if err != nil {
					c.Close()
					c = nil
					break
				}
				parts = append(parts, f+"="+v)
			}
			now := strings.Join(parts, " ")
			if now != prev && len(parts) == 4 {
				t.Logf("monitor %v: %s", time.Since(start).Round(time.Millisecond), now)
				prev = now
			}
		}
	}()
	return m
}

// mark logs a test step on the monitor's clock.
func (m *logMonitor) mark(t *testing.T, format string, a ...any) {
	t.Helper()
	t.Logf("monitor %v: %s", time.Since(m.start).Round(time.Millisecond), fmt.Sprintf(format, a...))
}

func (m *logMonitor) stop() {
	select {
	case <-m.done:
	default:
		close(m.done)
	}
	m.wg.Wait()
}

// cleanReader reads keys nothing writes any more, in a loop, from its own
// connection, throughout a test: they must always answer with their
// values, whatever the log's state. It records how long reads took.
type cleanReader struct {
	keys map[string]string
	done chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	reads    int
	slowest  time.Duration
	problems []string
}

func startCleanReader(t *testing.T, addr string, keys map[string]string) *cleanReader {
	t.Helper()
	if len(keys) == 0 {
		t.Fatal("no acknowledged SET to read back")
	}
	rd := &cleanReader{keys: keys, done: make(chan struct{})}
	c := mustDial(t, addr)
	rd.wg.Add(1)
	go func() {
		defer rd.wg.Done()
		defer c.Close()
		for {
			for k, want := range rd.keys {
				select {
				case <-rd.done:
					return
				default:
				}
				start := time.Now()
				v, err := c.DoTimeout(time.Minute, "GET", k)
				took := time.Since(start)
				rd.mu.Lock()
				rd.reads++
				rd.slowest = max(rd.slowest, took)
				if err != nil || v.Str != want {
					rd.problems = append(rd.problems, fmt.Sprintf("GET %s = %v, %v; want %q", k, v, err, want))
				}
				rd.mu.Unlock()
				if err != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	return rd
}

// phase reports the reads since the last phase and fails the test on a
// wrong or failed read.
func (rd *cleanReader) phase(t *testing.T, name string) {
	t.Helper()
	rd.mu.Lock()
	defer rd.mu.Unlock()
	t.Logf("%s: %d reads of clean keys, the slowest %v", name, rd.reads, rd.slowest.Round(time.Microsecond))
	for _, p := range rd.problems {
		t.Errorf("%s: %s: reads of clean keys must go on", name, p)
	}
	rd.reads, rd.slowest, rd.problems = 0, 0, nil
}

func (rd *cleanReader) stop() {
	select {
	case <-rd.done:
	default:
		close(rd.done)
	}
	rd.wg.Wait()
}
