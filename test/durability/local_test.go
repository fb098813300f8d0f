//go:build linux

package durability

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Workload sizes: bounded in counts as well as in time.
const (
	writers       = 16
	maxOpsPerConn = 20000
)

// TestCrashDurabilityLocal kills `mnemo local --dir D` with SIGKILL at a
// random moment under write load, three times, restarting it on the same
// directory each time, and checks after each restart every write of every
// cycle so far.
func TestCrashDurabilityLocal(t *testing.T) {
	dir := t.TempDir()
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)

	port := freePorts(t, 1)[0]
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := startProc(t, dir, "local", "local", "--port", strconv.Itoa(port), "--dir", filepath.Join(dir, "data"))
	waitReady(t, p, addr, time.Minute)

	type run struct {
		prefix string
		ops    [][]op
	}
	var runs []run
	var before map[string]entry
	for cycle := 1; cycle <= 3; cycle++ {
		prefix := "c" + strconv.Itoa(cycle)
		wl := startWorkload(addr, prefix, writers, maxOpsPerConn, 10*time.Second)
		load := 500*time.Millisecond + time.Duration(rng.Int64N(int64(2500*time.Millisecond)))
		time.Sleep(load)
		killed := time.Now()
		p.Kill()
		wl.stop()
		n, errs := wl.count()
		t.Logf("cycle %d: killed after %v of load: %d acknowledged, %d refused, %d unknown writes; errors %v",
			cycle, load.Round(time.Millisecond), n[acked], n[refused], n[unknown], errs)
		for e, k := range errs {
			if !strings.HasPrefix(e, "i/o: ") {
				t.Errorf("cycle %d: %d writes failed with %q before the kill: a healthy log fails no write", cycle, k, e)
			}
		}
		requireEveryKindAcked(t, wl)
		runs = append(runs, run{prefix, wl.allOps()})

		p.Start()
		waitReady(t, p, addr, time.Minute)
		keys, took := p.LastRebuild()
		t.Logf("cycle %d: answered PING %v after the kill; rebuilt %d keys from the log in %s",
			cycle, time.Since(killed).Round(time.Millisecond), keys, took)

		db, err := dump(addr)
		if err != nil {
			t.Fatalf("cycle %d: cannot read the keyspace back: %v", cycle, err)
		}
		ck := newChecker(db)
		for _, r := range runs {
			ck.check(r.prefix, r.ops)
		}
		ck.unchanged(before)
		ck.neverSent()
		report(t, fmt.Sprintf("cycle %d", cycle), ck)
		before = db
	}
}

// requireEveryKindAcked fails the test when a kind of write was never
// acknowledged: the checks would then prove nothing about it.
func requireEveryKindAcked(t *testing.T, wl *workload) {
	t.Helper()
	var n [numOpKinds]int
	for _, ops := range wl.allOps() {
		for _, o := range ops {
			if o.out == acked {
				n[o.kind]++
			}
		}
	}
	for k, c := range n {
		if c == 0 {
			t.Errorf("no %s was acknowledged: the workload did not exercise it", opKind(k))
		}
	}
}

// report fails the test with the checker's problems, the first few in full.
func report(t *testing.T, when string, ck *checker) {
	t.Helper()
	const show = 25
	for i, p := range ck.problems {
		if i == show {
			t.Errorf("%s: ... and %d more problems", when, len(ck.problems)-show)
			break
		}
		t.Errorf("%s: %s", when, p)
	}
	if len(ck.problems) == 0 {
		t.Logf("%s: %d keys checked, no problem", when, len(ck.db))
	}
}
