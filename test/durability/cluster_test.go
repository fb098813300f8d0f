//go:build linux

package durability

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLogClusterLoss runs a node on a three-server log (R=3) under write
// load and kills log servers: with one gone (a follower: the one the node
// is connected to) writes go on; with two gone writes fail with
// CLUSTERDOWN within the commit timeout while reads of clean keys go on;
// with both back writes resume; and in the end every acknowledged write is
// there, on the node and after it rebuilds from the log.
func TestLogClusterLoss(t *testing.T) {
	const commitTimeout = 2 * time.Second
	dir := t.TempDir()
	lc := startLogClusterNode(t, dir, "--log-commit-timeout", strconv.Itoa(int(commitTimeout/time.Millisecond)))
	conn, leader := lc.followerConnection(t)
	mon := startLogMonitor(t, lc.addr)
	defer mon.stop()
	wl := startWorkload(lc.addr, "run", 8, maxOpsPerConn, commitTimeout+10*time.Second)
	defer wl.stop()
	time.Sleep(1500 * time.Millisecond)
	rd := startCleanReader(t, lc.addr, cleanKeys(wl, 20))
	defer rd.stop()

	// One gone: the follower the node talks to. The stream keeps its
	// leader and a quorum; the node must reconnect and go on.
	mon.mark(t, "killing log%d, a follower of the stream and the node's connection (log%d leads)", conn, leader)
	failures := logFailures(t, lc.addr)
	// The time is taken before the kill: kill returns once the process
	// is reaped, and the node may have reacted by then.
	kill1 := time.Now()
	lc.logs[conn].Kill()
	requireRideThrough(t, lc.addr, wl, kill1, failures, "one log server (a follower, the node's connection) killed")
	t.Logf("the node is now connected to log%d", connectedLog(lc.node.PID(), lc.ports))
	rd.phase(t, "one log server killed")

	// Two gone: no quorum. Writes must fail with a clear error after the
	// bounded wait, not hang; reads of clean keys go on.
	if l, err := streamLeader(lc.clients[leader] + "," + lc.clients[3-conn-leader]); err == nil {
		leader = leaderIndex(t, l)
	}
	mon.mark(t, "killing log%d, the stream's leader", leader)
	kill2 := time.Now()
	lc.logs[leader].Kill()
	failed := waitFailure(t, wl, kill2, commitTimeout+30*time.Second)
	t.Logf("killed log%d as well: first write failure %v after the kill (commit timeout %v): %s",
		leader, failed.end.Sub(kill2).Round(time.Millisecond), commitTimeout, failed.err)
	if !strings.HasPrefix(failed.err, errTextNotCommitted) && !strings.HasPrefix(failed.err, errTextLogDown) {
		t.Errorf("the first failed write got %q: want -%s... or -%s...", failed.err, errTextNotCommitted, errTextLogDown)
	}
	time.Sleep(time.Second)
	c := mustDial(t, lc.addr)
	defer c.Close()
	if state, err := infoField(c, "log", "log_state"); state != "rebuilding" {
		t.Errorf("INFO log during the outage: log_state = %q, %v; want rebuilding", state, err)
	}
	n, errs := wl.snapshot().between(failed.end, time.Now())
	t.Logf("without quorum, since the first failure: %d acknowledged, %d refused, %d unknown %v", n[acked], n[refused], n[unknown], errs)
	for e := range errs {
		if !strings.HasPrefix(e, "CLUSTERDOWN ") {
			t.Errorf("without quorum a write failed with %q: want a CLUSTERDOWN error", e)
		}
	}
	rd.phase(t, "two log servers killed")

	// Both back: writes resume by themselves.
	lc.logs[conn].Start()
	lc.logs[leader].Start()
	back := time.Now()
	mon.mark(t, "restarted log%d and log%d", conn, leader)
	resumed := waitAcked(t, wl, back, 2*time.Minute, "log servers restarted")
	t.Logf("restarted log%d and log%d: first write sent after the restart acknowledged %v later",
		conn, leader, resumed.Sub(back).Round(time.Millisecond))
	time.Sleep(time.Second)
	wl.stop()
	rd.phase(t, "log servers restarted")
	rd.stop()
	mon.stop()
	total, errs := wl.count()
	t.Logf("in all: %d acknowledged, %d refused, %d unknown writes; %v", total[acked], total[refused], total[unknown], errs)
	if k := errs["i/o: no reply in time"]; k > 0 {
		t.Errorf("%d writes got no reply within the commit timeout + 10s: the wait for the log must be bounded", k)
	}
	requireEveryKindAcked(t, wl)
	checkFinal(t, lc, wl)
}

// TestLogLeaderLoss kills the stream's leader under write load, with a
// commit timeout longer than JetStream takes to elect a new leader (4 to
// 9 s): the log keeps a quorum, so writes must wait for the election and
// go on, none failing. The node talks to a follower, so the election is
// the only disturbance.
func TestLogLeaderLoss(t *testing.T) {
	const commitTimeout = 20 * time.Second
	dir := t.TempDir()
	lc := startLogClusterNode(t, dir, "--log-commit-timeout", strconv.Itoa(int(commitTimeout/time.Millisecond)))
	conn, leader := lc.followerConnection(t)
	mon := startLogMonitor(t, lc.addr)
	defer mon.stop()
	wl := startWorkload(lc.addr, "run", 8, maxOpsPerConn, commitTimeout+10*time.Second)
	defer wl.stop()
	time.Sleep(1500 * time.Millisecond)
	rd := startCleanReader(t, lc.addr, cleanKeys(wl, 20))
	defer rd.stop()

	mon.mark(t, "killing log%d, the stream's leader (the node talks to log%d)", leader, conn)
	failures := logFailures(t, lc.addr)
	kill := time.Now()
	lc.logs[leader].Kill()
	requireRideThrough(t, lc.addr, wl, kill, failures, "the stream's leader killed")
	if l, err := streamLeader(lc.clients[conn] + "," + lc.clients[3-conn-leader]); err == nil {
		t.Logf("the stream's new leader is %s", l)
	}
	wl.stop()
	rd.phase(t, "the stream's leader killed")
	rd.stop()
	mon.stop()
	requireEveryKindAcked(t, wl)
	checkFinal(t, lc, wl)
}

// requireRideThrough waits until a write sent after kill is acknowledged,
// lets the load go on two seconds more, and fails the test if any write
// answered since kill failed, or if the node's commit pipeline failed
// (INFO log_failures rose from failures): the log still has a quorum, so
// the node has no reason to throw its state away and rebuild, which
// refuses writes and stalls reads even when no write happened to fail.
func requireRideThrough(t *testing.T, addr string, wl *workload, kill time.Time, failures int, what string) {
	t.Helper()
	resumed := waitAcked(t, wl, kill, time.Minute, what)
	time.Sleep(2 * time.Second)
	tl := wl.snapshot()
	n, errs := tl.between(kill, time.Now())
	t.Logf("%s: first write sent after the kill acknowledged %v later; longest time without an acknowledgement %v; since the kill %d acknowledged, %d refused, %d unknown %v",
		what, resumed.Sub(kill).Round(time.Millisecond), tl.longestAckGap(kill, time.Now()).Round(time.Millisecond),
		n[acked], n[refused], n[unknown], errs)
	if n[refused]+n[unknown] > 0 {
		t.Errorf("%s: the log keeps a quorum, yet %d writes failed: %v", what, n[refused]+n[unknown], errs)
	}
	if now := logFailures(t, addr); now != failures {
		t.Errorf("%s: the log keeps a quorum, yet the node's commit pipeline failed %d times (INFO log_failures %d -> %d) and the node rebuilt its state",
			what, now-failures, failures, now)
	}
}

// logFailures returns INFO log's log_failures: how often the node's
// commit pipeline failed.
func logFailures(t *testing.T, addr string) int {
	t.Helper()
	c := mustDial(t, addr)
	defer c.Close()
	v, err := infoField(c, "log", "log_failures")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("INFO log: log_failures:%s", v)
	}
	return n
}

// checkFinal checks every write of the workload on the node, then again
// after the node rebuilt its state from the log alone.
func checkFinal(t *testing.T, lc *logCluster, wl *workload) {
	t.Helper()
	db, err := dump(lc.addr)
	if err != nil {
		t.Fatalf("cannot read the keyspace back: %v", err)
	}
	ck := newChecker(db)
	ck.check(wl.prefix, wl.allOps())
	ck.neverSent()
	report(t, "on the node", ck)

	killed := time.Now()
	lc.node.Kill()
	lc.node.Start()
	waitReady(t, lc.node, lc.addr, 2*time.Minute)
	keys, took := lc.node.LastRebuild()
	t.Logf("node restarted: answering %v after the kill; rebuilt %d keys from the R=3 log in %s",
		time.Since(killed).Round(time.Millisecond), keys, took)
	db2, err := dump(lc.addr)
	if err != nil {
		t.Fatalf("cannot read the keyspace back after the rebuild: %v", err)
	}
	ck = newChecker(db2)
	ck.check(wl.prefix, wl.allOps())
	ck.unchanged(db)
	ck.neverSent()
	report(t, "after a rebuild from the log", ck)
}

// TestNodeStartsWithItsLogCluster starts a node while its log cluster is
// still forming, as a deployment does (log servers start one after
// another, nodes in parallel): one log server, the node, then the other
// two. The node must come up once the log has a quorum, not give up.
func TestNodeStartsWithItsLogCluster(t *testing.T) {
	dir := t.TempDir()
	ports := freePorts(t, 7)
	var routes, clients []string
	for i := range 3 {
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(ports[3+i]))
		clients = append(clients, "nats://127.0.0.1:"+strconv.Itoa(ports[i]))
	}
	startLog(t, dir, "log0", ports[0], ports[3], routes)
	if err := os.MkdirAll(filepath.Join(dir, "node"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	node := startProc(t, dir, "node", "node", "--log", strings.Join(clients, ","), "--log-replicas", "3",
		"--port", strconv.Itoa(ports[6]), "--dir", filepath.Join(dir, "node"))
	addr := "127.0.0.1:" + strconv.Itoa(ports[6])
	time.Sleep(2 * time.Second)
	startLog(t, dir, "log1", ports[1], ports[4], routes)
	startLog(t, dir, "log2", ports[2], ports[5], routes)
	quorum := time.Now()
	// The node's own limit on opening the stream is 60 s: wait for it to
	// answer or to give up, whichever comes first.
	for {
		c, err := dial(addr)
		if err == nil {
			v, err := c.Do("SET", "k", "v")
			c.Close()
			if err == nil && v.Str == "OK" {
				t.Logf("node took a write %v after it started, %v after the log could have a quorum",
					time.Since(start).Round(time.Millisecond), time.Since(quorum).Round(time.Millisecond))
				return
			}
		}
		if node.Exited() {
			t.Fatalf("the node gave up %v after it started (%v after the last log server started): %s",
				time.Since(start).Round(time.Millisecond), time.Since(quorum).Round(time.Millisecond), lastLine(node.Output()))
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("the node neither answers nor exits 2 minutes after it started")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
