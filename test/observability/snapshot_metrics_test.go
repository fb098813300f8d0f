//go:build linux

package observability

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSnapshotMetrics follows a node's snapshot families through a
// BGSAVE of `mnemo local`: writes count as changes, no completion time
// before the first snapshot, then the time it completed and no changes
// since.
func TestSnapshotMetrics(t *testing.T) {
	l := startLocal(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: l.addr, DisableIdentity: true})
	defer c.Close()
	for i := range 20 {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	before := scrapeMetrics(t, l.metricsURL)
	if _, ok := before.lookup("mnemo_snapshot_last_success_timestamp_seconds"); ok {
		t.Error("mnemo_snapshot_last_success_timestamp_seconds before any snapshot")
	}
	if got := before.value(t, "mnemo_snapshot_changes_since_last"); got < 20 {
		t.Errorf("mnemo_snapshot_changes_since_last = %v after 20 SETs", got)
	}
	if got := before.value(t, "mnemo_snapshot_in_progress"); got != 0 {
		t.Errorf("mnemo_snapshot_in_progress = %v before BGSAVE", got)
	}

	started := time.Now()
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatalf("BGSAVE: %v", err)
	}
	var after scrape
	for i := 0; ; i++ {
		after = scrapeMetrics(t, l.metricsURL)
		if _, ok := after.lookup("mnemo_snapshot_last_success_timestamp_seconds"); ok && after.value(t, "mnemo_snapshot_in_progress") == 0 {
			break
		}
		if i == 600 {
			t.Fatal("no snapshot completed 60 s after BGSAVE")
		}
		time.Sleep(100 * time.Millisecond)
	}
	last := after.value(t, "mnemo_snapshot_last_success_timestamp_seconds")
	if at := time.UnixMilli(int64(last * 1000)); at.Before(started.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("last snapshot at %v, want between BGSAVE (%v) and now", at, started)
	}
	if got := after.value(t, "mnemo_snapshot_changes_since_last"); got != 0 {
		t.Errorf("mnemo_snapshot_changes_since_last = %v with no write since the snapshot", got)
	}
	if got := after.value(t, "mnemo_snapshot_last_failed"); got != 0 {
		t.Errorf("mnemo_snapshot_last_failed = %v after a BGSAVE that succeeded", got)
	}
	lastSave, err := c.LastSave(ctx).Result()
	if err != nil || lastSave != int64(last) {
		t.Errorf("LASTSAVE %d (%v), want the metric's %v", lastSave, err, int64(last))
	}
}
