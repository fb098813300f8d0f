//go:build linux

package snapshot

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/snapshot/build"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// childEnv makes the test binary a snapshot builder (see TestMain): it
// builds snapshots on the log at its value, trimming, until killed.
const childEnv = "MNEMO_SNAPTEST_BUILDER_LOG"

func runBuilder(url string) int {
	ctx := context.Background()
	nc, err := txlog.Dial(url, "snaptest-builder", 10*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	st, err := txlog.OpenStream(ctx, nc, 0, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	store, err := snapshot.OpenJetStream(ctx, nc, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("building")
	for range 1000 {
		if _, err := build.Build(ctx, build.Config{Stream: st, Store: store, Trim: true,
			Retention: snapshot.Retention{Count: 2}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// TestKillBuilder kills a snapshot builder (a process of its own, as
// `mnemo snapshot` is) at random points while the node keeps writing:
// every snapshot listed as complete loads whole, and the log is never
// trimmed past what the listed snapshots cover, so a node always starts;
// a later build removes what the killed ones left in the store.
func TestKillBuilder(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	writeAllTypes(t, n.c, "base", 8000)
	// One build in-process tells how long a build takes here: kills fall
	// anywhere from the start of a build to past its end.
	r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store})
	must(t, err)
	span := r.Took * 3 / 2
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	completes := 0
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+env.url)
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		line := make([]byte, 9)
		io.ReadFull(out, line) // "building\n": the child is connected
		writeAllTypes(t, n.c, fmt.Sprintf("r%d", round), 300)
		time.Sleep(time.Duration(rnd.Int64N(int64(span))))
		must(t, cmd.Process.Kill()) // our own child, by its PID
		cmd.Wait()

		all, err := env.store.List(ctx, 0)
		must(t, err)
		for _, info := range all {
			rc, err := env.store.Open(ctx, 0, info)
			must(t, err)
			if _, err := snapshot.Load(rc, keyspace.New(), limits); err != nil {
				t.Fatalf("round %d: snapshot %s is listed complete but does not load: %v", round, info.Name, err)
			}
			rc.Close()
		}
		first, err := env.st.FirstSeq(ctx)
		must(t, err)
		if len(all) == 0 {
			if first > 1 {
				t.Fatalf("round %d: log trimmed to %d with no complete snapshot", round, first)
			}
			continue
		}
		completes = max(completes, len(all))
		if oldest := all[0].Meta.Seq; first > oldest+1 {
			t.Fatalf("round %d: log begins at %d, past the oldest complete snapshot's %d", round, first, oldest)
		}
		orphans, _ := env.store.Orphans(ctx, 0)
		t.Logf("round %d: %d complete snapshots (seq %d…%d), log from %d, %d unlisted files", round, len(all), all[0].Meta.Seq, all[len(all)-1].Meta.Seq, first, len(orphans))
	}
	// A build past the safe age removes whatever the kills left (uploads
	// cut short, files without manifests, markers), and only that.
	left, err := env.store.Leftovers(ctx, 0)
	must(t, err)
	later := func() time.Time { return time.Now().Add(snapshot.LeftoverAge + time.Minute) }
	r, err = build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Trim: true,
		Retention: snapshot.Retention{Count: 2}, Now: later})
	must(t, err)
	t.Logf("the kills left %d leftovers %v; a build past the safe age removed %d", len(left), left, len(r.Leftovers))
	if len(r.Leftovers) < len(left) {
		t.Errorf("a build past the safe age removed %v of %v", r.Leftovers, left)
	}
	if rest, err := env.store.Leftovers(ctx, 0); err != nil || len(rest) != 0 {
		t.Errorf("after the cleanup: leftovers %v (%v)", rest, err)
	}
	all, err := env.store.List(ctx, 0)
	must(t, err)
	for _, info := range all {
		rc, err := env.store.Open(ctx, 0, info)
		must(t, err)
		if _, err := snapshot.Load(rc, keyspace.New(), limits); err != nil {
			t.Errorf("snapshot %s does not load after the cleanup: %v", info.Name, err)
		}
		rc.Close()
	}
	want := state(t, n.c)
	n.stop()
	n2 := startNode(t, env, true)
	sameState(t, want, state(t, n2.c))
}
