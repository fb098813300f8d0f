//go:build linux

package snapshot

import (
	"context"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// TestReplicaRebuildsAcrossTrimmedLog runs a shard as production does: a
// `mnemo log` server, `mnemo node --role auto` processes and `mnemo
// snapshot` as a separate process. A replica is frozen (SIGSTOP) while the
// primary writes, a snapshot is built and the log trimmed past what the
// replica applied; once thawed it can no longer follow the log and must
// rebuild from the snapshot and the log after it (INFO log_rebuilds
// counts it). A node started after the trim must start the same way.
// Both end with the primary's keys, every one DUMP-identical with its
// TTL. Without the rebuild on a gap (engine/command/replication.go) the
// thawed replica retries following forever and the test fails.
func TestReplicaRebuildsAcrossTrimmedLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ports := testPorts(t, 4)
	logAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	logURL := "nats://" + logAddr
	lp := startProc(t, dir, "log", "log", "--name", "log0", "--dir", filepath.Join(dir, "log0"), "--listen", logAddr)
	waitPort(t, lp, logAddr, time.Minute)
	startNodeProc := func(i int) (*proc, *redis.Client) {
		name := "node" + strconv.Itoa(i)
		p := startProc(t, dir, name, "node", "--log", logURL, "--log-replicas", "1", "--role", "auto",
			"--lease-ttl", "1500", "--bind", "127.0.0.1", "--port", strconv.Itoa(ports[1+i]),
			"--dir", filepath.Join(dir, name))
		return p, nodeClient(t, p, "127.0.0.1:"+strconv.Itoa(ports[1+i]))
	}
	_, primary := startNodeProc(0)
	waitRole(t, primary, "master")
	replica, rc := startNodeProc(1)
	waitRole(t, rc, "slave")

	writeAllTypes(t, primary, "a", 2000)
	applied := waitCaughtUp(t, primary, rc)
	replica.Stop()
	// A paused process still receives what the log sends for the pull
	// it had outstanding (the kernel buffers it): let that pull expire
	// (2s, txlog.Follow), so everything written from now on is what the
	// replica has to fetch after the trim.
	time.Sleep(3 * time.Second)

	// While the replica is away: new keys, overwrites, deletions and
	// TTL changes of keys it already holds, a snapshot, a trim, a tail.
	writeAllTypes(t, primary, "b", 1500)
	for _, k := range []string{"s:a:0", "l:a:2", "h:a:3"} {
		must(t, primary.Del(ctx, k).Err())
	}
	must(t, primary.Set(ctx, "s:a:8", "rewritten", 0).Err())
	must(t, primary.Persist(ctx, "t:a:1").Err())
	must(t, primary.Expire(ctx, "s:a:16", time.Hour).Err())
	out := runMnemo(t, "snapshot", "--log", logURL, "--shard", "0", "--log-replicas", "1", "--retain-count", "1")
	t.Logf("mnemo snapshot: %s", out)
	writeAllTypes(t, primary, "c", 500)
	must(t, primary.Del(ctx, "s:b:0").Err())

	first := logFirstSeq(t, logURL)
	if first <= applied+1 {
		t.Fatalf("the log begins at %d: not trimmed past the replica's %d, the test would prove nothing", first, applied)
	}
	t.Logf("replica applied %d; the log now begins at %d", applied, first)

	replica.Signal(syscall.SIGCONT)
	waitCaughtUp(t, primary, rc)
	want := state(t, primary)
	sameState(t, want, state(t, rc))
	if n, err := infoField(ctx, rc, "log", "log_rebuilds"); err != nil || n == "0" {
		t.Errorf("the thawed replica reports log_rebuilds %q (%v): it did not rebuild, yet it could not have followed", n, err)
	}

	// A node that starts after the trim loads the snapshot, then the log.
	_, fresh := startNodeProc(2)
	waitRole(t, fresh, "slave")
	waitCaughtUp(t, primary, fresh)
	sameState(t, want, state(t, fresh))

	// Both replicas go on following: a write after the rebuild arrives.
	must(t, primary.Set(ctx, "after", "rebuild", 0).Err())
	waitCaughtUp(t, primary, rc)
	waitCaughtUp(t, primary, fresh)
	for _, c := range []*redis.Client{rc, fresh} {
		if v, err := c.Get(ctx, "after").Result(); err != nil || v != "rebuild" {
			t.Errorf("a replica reads %q (%v) for a write made after its rebuild", v, err)
		}
	}
}

// waitRole waits until the node says it is role ("master" or "slave").
func waitRole(t *testing.T, c *redis.Client, role string) {
	t.Helper()
	var got string
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(50 * time.Millisecond) {
		got, _ = infoField(context.Background(), c, "replication", "role")
		if got == role {
			return
		}
	}
	t.Fatalf("the node is %q after a minute, want %q", got, role)
}

// waitCaughtUp waits until replica has applied everything the primary
// committed, and returns that sequence.
func waitCaughtUp(t *testing.T, primary, replica *redis.Client) uint64 {
	t.Helper()
	ctx := context.Background()
	var want, got string
	var err error
	for start := time.Now(); time.Since(start) < 2*time.Minute; time.Sleep(50 * time.Millisecond) {
		if want, err = infoField(ctx, primary, "replication", "master_repl_offset"); err != nil {
			continue
		}
		if got, err = infoField(ctx, replica, "replication", "slave_repl_offset"); err == nil && got == want {
			seq, _ := strconv.ParseUint(got, 10, 64)
			return seq
		}
	}
	t.Fatalf("the replica applied %s, the primary committed %s, after two minutes (%v)", got, want, err)
	return 0
}

// logFirstSeq returns the first sequence shard 0's log still holds.
func logFirstSeq(t *testing.T, url string) uint64 {
	t.Helper()
	nc, err := txlog.Dial(url, "snaptest-probe", 10*time.Second)
	must(t, err)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := txlog.OpenStream(ctx, nc, 0, 1)
	must(t, err)
	first, err := st.FirstSeq(ctx)
	must(t, err)
	return first
}
