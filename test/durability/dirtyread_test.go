//go:build linux

package durability

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// dirtySetup is one `mnemo log` server (alone, no routes) and one `mnemo
// node` on it, with k=old and clean=c committed.
type dirtySetup struct {
	dir       string
	log       *logServer
	node      *proc
	addr      string
	w         *conn // the connection that wrote k=old
	nodeFlags []string
	nodePort  int
}

func newDirtySetup(t *testing.T, nodeFlags ...string) *dirtySetup {
	t.Helper()
	dir := t.TempDir()
	ports := freePorts(t, 2)
	ds := &dirtySetup{dir: dir, nodePort: ports[1], nodeFlags: append([]string{"--log-replicas", "1"}, nodeFlags...)}
	ds.log = startLog(t, dir, "log", ports[0], 0, nil)
	ds.node, ds.addr = startNode(t, dir, "node", ds.nodePort, ds.log.clientURL, ds.nodeFlags...)
	ds.w = mustDial(t, ds.addr)
	t.Cleanup(ds.w.Close)
	for _, kv := range [][2]string{{"k", "old"}, {"clean", "c"}} {
		if v, err := ds.w.Do("SET", kv[0], kv[1]); err != nil || v.Str != "OK" {
			t.Fatalf("SET %s %s = %v, %v", kv[0], kv[1], v, err)
		}
	}
	return ds
}

func mustDial(t *testing.T, addr string) *conn {
	t.Helper()
	c, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendOnly sends one command on a new connection without reading its
// reply.
func sendOnly(t *testing.T, addr string, args ...string) *conn {
	t.Helper()
	c := mustDial(t, addr)
	t.Cleanup(c.Close)
	c.Send(args...)
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	return c
}

// waitPending waits until the node has a batch waiting for the log (the
// SET just sent), so that a read sent next comes after the write.
func waitPending(t *testing.T, c *conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := infoField(c, "log", "log_pending_batches")
		if err != nil {
			t.Fatal(err)
		}
		if n != "0" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the node has no pending batch 5s after a write was sent with the log stopped")
		}
		time.Sleep(time.Millisecond)
	}
}

// checkCleanRead requires a read of a key without pending writes to
// answer at once, log or no log.
func checkCleanRead(t *testing.T, addr, when string) {
	t.Helper()
	c := mustDial(t, addr)
	defer c.Close()
	start := time.Now()
	v, err := c.DoTimeout(5*time.Second, "GET", "clean")
	if err != nil || v.Str != "c" {
		t.Errorf("%s: GET clean = %v, %v: reads of clean keys must go on", when, v, err)
		return
	}
	t.Logf("%s: GET clean answered in %v", when, time.Since(start).Round(time.Microsecond))
}

// checkRecoveredFromLog requires the node's value of k to be the one the
// log holds, read from the log server directly.
func checkRecoveredFromLog(t *testing.T, ds *dirtySetup) {
	t.Helper()
	c := mustDial(t, ds.addr)
	defer c.Close()
	got, err := c.Do("GET", "k")
	if err != nil || got.IsErr() {
		t.Fatalf("GET k after recovery = %v, %v", got, err)
	}
	want, exists, entries, err := logHolds(ds.log.clientURL, "k")
	if err != nil {
		t.Fatalf("cannot read the log: %v", err)
	}
	switch {
	case !exists:
		t.Errorf("the log (%d entries) has no k at all, though SET k old was acknowledged", entries)
	case got.Str != want:
		t.Errorf("after recovery GET k = %v, but the log (%d entries) holds k=%q", got, entries, want)
	case want == "new":
		t.Logf("branch: the pending SET k new is in the log (its append reached the log server's socket before the pause); recovery shows it (%d entries)", entries)
	case want == "old":
		t.Logf("branch: the pending SET k new is not in the log; recovery shows k=old (%d entries)", entries)
	default:
		t.Errorf("the log holds k=%q, which nobody wrote", want)
	}
}

// TestNoDirtyReads pauses the log (SIGSTOP) while a write of k is pending
// and reads k from another connection: the read must not see the write
// before it commits.
//
// Each scenario runs twice: the log resumes (SIGCONT), and then usually
// stores the pending append that was already in its socket buffer; or the
// log dies while stopped (SIGKILL) and restarts on its directory, so the
// pending append is lost. Recovery must show what the log holds either way.
func TestNoDirtyReads(t *testing.T) {
	for _, r := range []resumeLog{
		{"LogResumes", func(t *testing.T, ds *dirtySetup) { ds.log.Signal(syscall.SIGCONT) }},
		{"LogKilledAndRestarted", func(t *testing.T, ds *dirtySetup) {
			ds.log.Restart()
			waitPort(t, ds.log.proc, strings.TrimPrefix(ds.log.clientURL, "nats://"), time.Minute)
		}},
	} {
		t.Run("NodeKilledWhileLogStopped/"+r.name, func(t *testing.T) { testDirtyReadNodeKilled(t, r) })
		t.Run("CommitTimesOut/"+r.name, func(t *testing.T) { testDirtyReadTimeout(t, r) })
	}
}

// resumeLog brings the stopped log server back.
type resumeLog struct {
	name   string
	resume func(t *testing.T, ds *dirtySetup)
}

// testDirtyReadNodeKilled: the write cannot commit while the log is
// stopped, the read of k waits, the node dies; after recovery k is what
// the log holds, and nobody saw "new" before that.
func testDirtyReadNodeKilled(t *testing.T, r resumeLog) {
	// A commit timeout far beyond the pause: the write stays pending.
	ds := newDirtySetup(t, "--log-commit-timeout", "60000")
	ds.log.Stop()
	a := sendOnly(t, ds.addr, "SET", "k", "new")
	waitPending(t, ds.w)
	b := sendOnly(t, ds.addr, "GET", "k")
	checkCleanRead(t, ds.addr, "log stopped, SET k pending")

	if v, err := a.ReadTimeout(time.Second); !isTimeout(err) {
		t.Errorf("SET k new while the log is stopped replied %v, %v: it cannot have committed", v, err)
	}
	if v, err := b.ReadTimeout(time.Second); !isTimeout(err) {
		if v.Str == "new" {
			t.Errorf("DIRTY READ: GET k = %v while SET k new was not committed", v)
		} else {
			t.Errorf("GET k replied %v, %v at once: a read of a key with a pending write must wait for it", v, err)
		}
	}
	ds.node.Kill()
	// B's connection ends with the node; a late "new" would be dirty too.
	if v, err := b.ReadTimeout(5 * time.Second); err == nil && v.Str == "new" {
		t.Errorf("DIRTY READ: GET k = %v as the node died, before the log committed anything", v)
	}
	if v, err := a.ReadTimeout(5 * time.Second); err == nil {
		t.Errorf("SET k new replied %v as the node died, with the log stopped", v)
	}
	r.resume(t, ds)
	start := time.Now()
	ds.node.Start()
	waitReady(t, ds.node, ds.addr, 2*time.Minute)
	_, took := ds.node.LastRebuild()
	t.Logf("node restarted and answering %v after the log came back (rebuild %s)", time.Since(start).Round(time.Millisecond), took)
	checkRecoveredFromLog(t, ds)
}

// testDirtyReadTimeout: the write times out while the log is stopped; its
// writer gets CLUSTERDOWN, a reader of k gets an error or "old", never
// "new"; writes are refused while the log is away; after SIGCONT the node
// rebuilds by itself and takes writes again.
func testDirtyReadTimeout(t *testing.T, r resumeLog) {
	const timeout = 1500 * time.Millisecond
	ds := newDirtySetup(t, "--log-commit-timeout", "1500")
	ds.log.Stop()
	sent := time.Now()
	a := sendOnly(t, ds.addr, "SET", "k", "new")
	waitPending(t, ds.w)
	b := sendOnly(t, ds.addr, "GET", "k")
	checkCleanRead(t, ds.addr, "log stopped, SET k pending")

	va, err := a.ReadTimeout(timeout + 10*time.Second)
	failedAfter := time.Since(sent)
	switch {
	case err != nil:
		t.Fatalf("SET k new with the log stopped: no reply %v after it was sent (commit timeout %v): %v", failedAfter, timeout, err)
	case !va.IsErr() || !strings.HasPrefix(va.Str, errTextNotCommitted):
		t.Errorf("SET k new with the log stopped = %v, want -%s...", va, errTextNotCommitted)
	}
	t.Logf("write failure detected %v after the write was sent (commit timeout %v): %v", failedAfter.Round(time.Millisecond), timeout, va)

	vb, err := b.ReadTimeout(10 * time.Second)
	switch {
	case err != nil:
		t.Errorf("GET k with the write failed: no reply: %v", err)
	case vb.Str == "new":
		t.Errorf("DIRTY READ: GET k = %v; SET k new never committed", vb)
	case vb.IsErr() && !strings.HasPrefix(vb.Str, "CLUSTERDOWN "):
		t.Errorf("GET k = %v, want old or a CLUSTERDOWN error", vb)
	default:
		t.Logf("GET k racing the failed write = %v", vb)
	}

	// The log is still stopped: writes are refused, k is not "new",
	// clean keys still read.
	c := mustDial(t, ds.addr)
	defer c.Close()
	refusedWrite := false
	if v, err := c.DoTimeout(timeout+10*time.Second, "SET", "k2", "x"); err != nil || !strings.HasPrefix(v.Str, "CLUSTERDOWN ") {
		t.Errorf("SET k2 with the log down = %v, %v, want a CLUSTERDOWN error", v, err)
	} else {
		refusedWrite = strings.HasPrefix(v.Str, errTextLogDown)
		t.Logf("SET k2 with the log down = %v", v)
	}
	if v, err := c.DoTimeout(5*time.Second, "GET", "k"); err == nil && v.Str == "new" {
		t.Errorf("DIRTY READ: GET k = %v after its write failed", v)
	}
	if state, err := infoField(c, "log", "log_state"); err != nil || state == "ok" {
		t.Errorf("INFO log with the log stopped: log_state = %q, %v; want it not ok", state, err)
	}
	checkCleanRead(t, ds.addr, "log stopped, node refusing writes")

	r.resume(t, ds)
	cont := time.Now()
	var state string
	for deadline := time.Now().Add(time.Minute); state != "ok"; {
		if time.Now().After(deadline) {
			t.Fatalf("log_state = %q a minute after the log came back: the node did not recover by itself", state)
		}
		time.Sleep(50 * time.Millisecond)
		state, err = infoField(c, "log", "log_state")
		if err != nil {
			t.Fatalf("INFO log: %v", err)
		}
	}
	rebuilt := time.Since(cont)
	var ok time.Duration
	for deadline := time.Now().Add(time.Minute); ; {
		v, err := c.DoTimeout(timeout+10*time.Second, "SET", "k3", "y")
		if err == nil && v.Str == "OK" {
			ok = time.Since(cont)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write succeeded a minute after the log came back: last SET k3 = %v, %v", v, err)
		}
		t.Logf("SET k3 after recovery = %v, %v; retrying", v, err)
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("after the log came back: log_state ok in %v, first write acknowledged in %v", rebuilt.Round(time.Millisecond), ok.Round(time.Millisecond))
	if refusedWrite {
		if v, err := c.Do("EXISTS", "k2"); err != nil || v.N != 0 {
			t.Errorf("EXISTS k2 = %v, %v: a refused write appeared", v, err)
		}
	}
	checkRecoveredFromLog(t, ds)
}
