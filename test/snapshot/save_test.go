package snapshot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/snapshot/build"
)

// TestBgsaveSaveLastsave drives snapshots from a client as `mnemo local`
// offers them: BGSAVE starts a build off the data path, SAVE waits for
// one, LASTSAVE moves with each; a node without a builder says why not.
func TestBgsaveSaveLastsave(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	if err := n.c.Do(ctx, "BGSAVE").Err(); err == nil || !strings.Contains(err.Error(), "mnemo snapshot") {
		t.Errorf("BGSAVE without a builder: %v", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.e.SetSaver(sctx, func(ctx context.Context) (time.Time, error) {
		r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Trim: true, Retention: snapshot.Retention{Count: 1}})
		return r.Info.Completed, err
	}, time.Time{})
	start, err := n.c.LastSave(ctx).Result()
	must(t, err)
	writeAllTypes(t, n.c, "a", 200)
	if s, err := n.c.Do(ctx, "BGSAVE").Text(); err != nil || s != "Background saving started" {
		t.Fatalf("BGSAVE: %q %v", s, err)
	}
	if err := n.c.Do(ctx, "BGSAVE", "NOW").Err(); err == nil || err.Error() != "ERR syntax error" {
		t.Errorf("BGSAVE NOW: %v", err)
	}
	var infos []snapshot.Info
	for range 200 {
		if infos, err = env.store.List(ctx, 0); err == nil && len(infos) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(infos) != 1 {
		t.Fatalf("BGSAVE made %d snapshots", len(infos))
	}
	writeAllTypes(t, n.c, "b", 200)
	if s, err := n.c.Save(ctx).Result(); err != nil || s != "OK" {
		t.Fatalf("SAVE: %q %v", s, err)
	}
	infos, err = env.store.List(ctx, 0)
	must(t, err)
	if len(infos) != 1 || infos[0].Keys != uint64(n.e.KeyCount()) {
		t.Fatalf("after SAVE (retention 1): %+v, want one snapshot of %d keys", infos, n.e.KeyCount())
	}
	last, err := n.c.LastSave(ctx).Result()
	must(t, err)
	if last < start || last != infos[0].Completed.Unix() {
		t.Errorf("LASTSAVE %d, want the snapshot's completion %d (start %d)", last, infos[0].Completed.Unix(), start)
	}
}
