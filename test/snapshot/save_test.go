package snapshot

import (
	"context"
	"errors"
	"strconv"
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
	// The snapshot is listed once its manifest is written, a moment
	// before the BGSAVE counts as over; SAVE would find it in progress.
	for i := 0; ; i++ {
		v, err := infoField(ctx, n.c, "persistence", "rdb_bgsave_in_progress")
		if err == nil && v == "0" {
			break
		}
		if i == 200 {
			t.Fatalf("BGSAVE still in progress 10 s after its snapshot was listed: %q %v", v, err)
		}
		time.Sleep(50 * time.Millisecond)
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

// TestInfoPersistence follows INFO persistence through a BGSAVE that the
// test holds open, a BGSAVE that fails and a SAVE, field by field as
// redis-server 7.0 reports them: in progress and for how long, the
// outcome and duration of the last BGSAVE, LASTSAVE's time, the count of
// saves, and the changes made since the last successful save began.
func TestInfoPersistence(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	info := func() map[string]string {
		t.Helper()
		s, err := n.c.Info(ctx, "persistence").Result()
		must(t, err)
		out := map[string]string{}
		for _, line := range strings.Split(s, "\r\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				out[k] = v
			}
		}
		return out
	}
	expect := func(step string, want map[string]string) {
		t.Helper()
		got := info()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s is %q, want %q", step, k, got[k], v)
			}
		}
	}
	must(t, n.c.Set(ctx, "a", "1", 0).Err())
	must(t, n.c.Set(ctx, "b", "1", 0).Err())
	expect("before any save", map[string]string{"rdb_changes_since_last_save": "2", "rdb_bgsave_in_progress": "0",
		"rdb_last_bgsave_status": "ok", "rdb_last_bgsave_time_sec": "-1", "rdb_current_bgsave_time_sec": "-1",
		"rdb_saves": "0", "aof_enabled": "0", "current_cow_size": "0"})

	// A BGSAVE held open until release is closed; outcome says how it ends.
	type outcome struct {
		at  time.Time
		err error
	}
	release := make(chan outcome)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.e.SetSaver(sctx, func(ctx context.Context) (time.Time, error) {
		o := <-release
		return o.at, o.err
	}, time.Time{})
	must(t, n.c.Do(ctx, "BGSAVE").Err())
	waitInfo(t, info, "rdb_bgsave_in_progress", "1")
	must(t, n.c.Set(ctx, "c", "1", 0).Err()) // after the save began
	expect("during BGSAVE", map[string]string{"rdb_saves": "1", "rdb_changes_since_last_save": "3"})
	if v := info()["rdb_current_bgsave_time_sec"]; v == "-1" || v == "" {
		t.Errorf("during BGSAVE: rdb_current_bgsave_time_sec is %q", v)
	}
	done := time.Unix(time.Now().Unix()+5, 0)
	release <- outcome{at: done}
	waitInfo(t, info, "rdb_bgsave_in_progress", "0")
	expect("after BGSAVE", map[string]string{"rdb_changes_since_last_save": "1", "rdb_last_bgsave_status": "ok",
		"rdb_last_bgsave_time_sec": "0", "rdb_current_bgsave_time_sec": "-1", "rdb_saves": "1",
		"rdb_last_save_time": strconv.FormatInt(done.Unix(), 10)})
	if ls, err := n.c.LastSave(ctx).Result(); err != nil || ls != done.Unix() {
		t.Errorf("LASTSAVE %d (%v), want %d", ls, err, done.Unix())
	}

	// A BGSAVE that fails changes the status, not the last save.
	must(t, n.c.Do(ctx, "BGSAVE").Err())
	waitInfo(t, info, "rdb_bgsave_in_progress", "1")
	release <- outcome{err: errors.New("store unreachable")}
	waitInfo(t, info, "rdb_bgsave_in_progress", "0")
	expect("after a failed BGSAVE", map[string]string{"rdb_last_bgsave_status": "err", "rdb_saves": "2",
		"rdb_changes_since_last_save": "1", "rdb_last_save_time": strconv.FormatInt(done.Unix(), 10)})

	// SAVE succeeds: the status is ok again, no change is left unsaved.
	saved := make(chan error, 1)
	go func() { saved <- n.c.Save(ctx).Err() }()
	later := done.Add(time.Minute)
	release <- outcome{at: later}
	must(t, <-saved)
	expect("after SAVE", map[string]string{"rdb_last_bgsave_status": "ok", "rdb_saves": "3",
		"rdb_changes_since_last_save": "0", "rdb_bgsave_in_progress": "0",
		"rdb_last_save_time": strconv.FormatInt(later.Unix(), 10)})
}

// waitInfo waits until an INFO persistence field has a value.
func waitInfo(t *testing.T, info func() map[string]string, field, want string) {
	t.Helper()
	var got string
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(10 * time.Millisecond) {
		if got = info()[field]; got == want {
			return
		}
	}
	t.Fatalf("%s is %q after 30s, want %q", field, got, want)
}
