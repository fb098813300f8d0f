package snapshot

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/snapshot/build"
)

// TestBuildTrimAndRestartFromSnapshot builds snapshots off the node from
// the log, trims the log, and restarts the node from the newest snapshot
// and the tail: every key of every type comes back DUMP-identical with
// its TTL, and the trimmed log alone could no longer rebuild it.
func TestBuildTrimAndRestartFromSnapshot(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	writeAllTypes(t, n.c, "a", 2000)

	first, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Trim: true, Retention: snapshot.Retention{Count: 1}})
	must(t, err)
	if first.Base != "" || first.Replayed == 0 || first.Info.Keys == 0 {
		t.Fatalf("first build: %+v", first)
	}
	writeAllTypes(t, n.c, "b", 400)
	must(t, n.c.Del(ctx, "s:a:0").Err()) // deletions in the tail
	must(t, n.c.Del(ctx, "l:a:2").Err())
	second, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Trim: true, Retention: snapshot.Retention{Count: 1}})
	must(t, err)
	if second.Base != first.Info.Name {
		t.Errorf("second build started from %q, want the first snapshot %q", second.Base, first.Info.Name)
	}
	if got, want := second.Replayed, second.Info.Meta.Seq-first.Info.Meta.Seq; got != want {
		t.Errorf("second build replayed %d entries, want only the %d after the first snapshot", got, want)
	}
	if len(second.Deleted) != 1 || second.Deleted[0] != first.Info.Name {
		t.Errorf("retention of one deleted %v, want the first snapshot", second.Deleted)
	}
	writeAllTypes(t, n.c, "c", 300) // the tail after the newest snapshot
	want := state(t, n.c)
	n.stop()

	firstSeq, err := env.st.FirstSeq(ctx)
	must(t, err)
	if firstSeq != second.Info.Meta.Seq+1 {
		t.Errorf("log begins at %d, want %d (just after the newest snapshot)", firstSeq, second.Info.Meta.Seq+1)
	}
	probe := command.New(config.New())
	if err := probe.AttachLog(ctx, env.st, command.LogOptions{}); err == nil {
		t.Fatal("a node without snapshots rebuilt from a trimmed log")
	}

	n2 := startNode(t, env, true)
	sameState(t, want, state(t, n2.c))
}

// TestPointInTimeRestore writes keys one by one, marking a time between
// each write's acknowledgement and the next write, then restores a new
// cluster to one of those times: exactly the writes before it are there.
func TestPointInTimeRestore(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	const writes = 12
	marks := make([]time.Time, writes)
	var base snapshot.Info
	for i := range writes {
		must(t, n.c.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err())
		if i == 3 {
			r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store})
			must(t, err)
			base = r.Info
		}
		// The write is committed before this mark; the next is sent after.
		marks[i] = time.Now()
	}
	must(t, n.c.Set(ctx, "k5", "overwritten", 0).Err())

	for _, at := range []int{0, 3, 7, writes - 1} {
		var buf bytes.Buffer
		r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, ToTime: marks[at], Output: &buf})
		must(t, err)
		if at >= 3 && r.Base != base.Name {
			t.Errorf("restore to write %d started from %q, want snapshot %q", at, r.Base, base.Name)
		}
		file := filepath.Join(t.TempDir(), "pitr.snap")
		must(t, os.WriteFile(file, buf.Bytes(), 0o644))

		// A new cluster from the point-in-time snapshot.
		env2 := startLog(t, t.TempDir())
		restored, err := build.Restore(ctx, build.RestoreConfig{Sources: []string{file}, Store: env2.store, Stream: env2.st})
		must(t, err)
		if !restored {
			t.Fatal("a new cluster was not restored")
		}
		n2 := startNode(t, env2, true)
		keys, err := n2.c.Keys(ctx, "*").Result()
		must(t, err)
		if len(keys) != at+1 {
			t.Errorf("restored to write %d: %d keys %v, want %d", at, len(keys), keys, at+1)
		}
		for i := 0; i <= at; i++ {
			if v, err := n2.c.Get(ctx, "k"+strconv.Itoa(i)).Result(); err != nil || v != strconv.Itoa(i) {
				t.Errorf("restored to write %d: k%d = %q, %v", at, i, v, err)
			}
		}
		// The restored cluster takes writes on its own log.
		must(t, n2.c.Set(ctx, "after", "restore", 0).Err())
		n2.stop()
		again, err := build.Restore(ctx, build.RestoreConfig{Sources: []string{file}, Store: env2.store, Stream: env2.st})
		must(t, err)
		if again {
			t.Error("a restart restored again over the cluster's own data")
		}
	}

	// By sequence: the base snapshot's sequence plus two writes.
	var buf bytes.Buffer
	r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, ToSeq: base.Meta.Seq + 2, Output: &buf})
	must(t, err)
	if r.Info.Meta.Seq != base.Meta.Seq+2 || r.Info.Keys != 6 {
		t.Errorf("--to-seq %d: seq %d, %d keys; want 6 keys", base.Meta.Seq+2, r.Info.Meta.Seq, r.Info.Keys)
	}
}

// TestPointInTimeStartsFromNewestBefore builds point-in-time snapshots
// into the store, by name, as the operator's Jobs do (--name, --to-time,
// no trimming), with two snapshots in the store: each starts from the
// newest snapshot committed at or before its time — never one after it,
// never an older one when a newer qualifies (a point-in-time snapshot
// built before, of the same sequence, is as good) — and holds exactly the writes
// up to that time, with what was overwritten and deleted after it back.
func TestPointInTimeStartsFromNewestBefore(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	const writes = 10
	marks := make([]time.Time, writes)
	bases := map[int]snapshot.Info{}
	for i := range writes {
		must(t, n.c.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err())
		if i == 3 || i == 7 {
			r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store})
			must(t, err)
			bases[i] = r.Info
		}
		marks[i] = time.Now() // the write is committed; the next is sent after
	}
	// After every mark: overwrites and deletions the restores must not see.
	must(t, n.c.Set(ctx, "k1", "overwritten", 0).Err())
	must(t, n.c.Del(ctx, "k2").Err())
	must(t, n.c.Del(ctx, "k6").Err())
	n.stop()

	for _, tc := range []struct {
		at   int
		base string
	}{{1, ""}, {3, bases[3].Name}, {5, bases[3].Name}, {7, bases[7].Name}, {9, bases[7].Name}} {
		name := "pitr-" + strconv.Itoa(tc.at)
		r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Name: name, ToTime: marks[tc.at]})
		must(t, err)
		// The point-in-time snapshots built before are in the store too: one
		// of the same sequence as the expected base is as good a start.
		all, err := env.store.List(ctx, 0)
		must(t, err)
		seqOf := map[string]uint64{}
		for _, i := range all {
			seqOf[i.Name] = i.Meta.Seq
		}
		if (r.Base == "") != (tc.base == "") || r.Base != "" && seqOf[r.Base] != seqOf[tc.base] {
			t.Errorf("to write %d: started from %q (seq %d), want %q (seq %d)", tc.at, r.Base, seqOf[r.Base], tc.base, seqOf[tc.base])
		}
		if r.TrimmedBelow != 0 {
			t.Errorf("to write %d: trimmed the log below %d", tc.at, r.TrimmedBelow)
		}
		env2 := startLog(t, t.TempDir())
		restored, err := build.Restore(ctx, build.RestoreConfig{Sources: []string{name}, Store: env2.store,
			SourceStore: func(context.Context) (*snapshot.Store, func(), error) { return env.store, func() {}, nil }, Stream: env2.st})
		must(t, err)
		if !restored {
			t.Fatalf("to write %d: not restored", tc.at)
		}
		n2 := startNode(t, env2, true)
		keys, err := n2.c.Keys(ctx, "*").Result()
		must(t, err)
		if len(keys) != tc.at+1 {
			t.Errorf("to write %d: %d keys %v, want %d", tc.at, len(keys), keys, tc.at+1)
		}
		for i := 0; i <= tc.at; i++ {
			if v, err := n2.c.Get(ctx, "k"+strconv.Itoa(i)).Result(); err != nil || v != strconv.Itoa(i) {
				t.Errorf("to write %d: k%d = %q, %v", tc.at, i, v, err)
			}
		}
		n2.stop()
	}
}

// TestRestoreSplitsBySlot restores one shard's snapshot into two shards:
// each keeps the keys of its slots, none is lost or doubled.
func TestRestoreSplitsBySlot(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	writeAllTypes(t, n.c, "s", 400)
	want := state(t, n.c)
	var buf bytes.Buffer
	_, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Output: &buf})
	must(t, err)
	file := filepath.Join(t.TempDir(), "one.snap")
	must(t, os.WriteFile(file, buf.Bytes(), 0o644))
	got := map[string]keyState{}
	for _, slots := range [][]snapshot.SlotRange{{{Start: 0, End: 8191}}, {{Start: 8192, End: 16383}}} {
		env2 := startLog(t, t.TempDir())
		_, err := build.Restore(ctx, build.RestoreConfig{Sources: []string{file}, Slots: slots, Store: env2.store, Stream: env2.st})
		must(t, err)
		n2 := startNode(t, env2, true)
		part := state(t, n2.c)
		if len(part) == 0 || len(part) == len(want) {
			t.Errorf("shard of slots %v got %d of %d keys", slots, len(part), len(want))
		}
		for k, v := range part {
			if _, dup := got[k]; dup {
				t.Errorf("key %q restored into both shards", k)
			}
			got[k] = v
		}
	}
	sameState(t, want, got)
}
