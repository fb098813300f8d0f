package plan

import (
	"fmt"
	"hash/fnv"
	"sort"
	"time"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// DefaultSnapshotWindow is the snapshot window of a Cluster that sets none:
// an hour chosen from the Cluster's namespace and name, so that many
// Clusters do not all snapshot at once (MemoryDB picks one at random).
func DefaultSnapshotWindow(namespace, name string) string {
	h := fnv.New32a()
	h.Write([]byte(namespace + "/" + name))
	hour := h.Sum32() % 24
	return fmt.Sprintf("%02d:00-%02d:00", hour, (hour+1)%24)
}

// SnapshotDecision says whether to take an automatic snapshot now, and why.
type SnapshotDecision struct {
	// Take: create an automatic Snapshot now.
	Take bool
	// Reason says why, for logs and Events.
	Reason string
}

// AutomaticSnapshotDue decides whether an automatic snapshot is due: only
// when retention is on, now is inside the window, and none was started in
// this window's occurrence already (none in the last window length).
// lastStarted is the zero time when there is none.
func AutomaticSnapshotDue(now time.Time, window mnemov1.DailyWindow, retentionDays int32, lastStarted time.Time) SnapshotDecision {
	switch {
	case retentionDays <= 0:
		return SnapshotDecision{Reason: "automatic snapshots are off (snapshotRetentionLimit is 0)"}
	case !window.Contains(now):
		return SnapshotDecision{Reason: "outside the snapshot window"}
	case !lastStarted.IsZero() && now.Sub(lastStarted) < time.Duration(window.Length)*time.Minute:
		return SnapshotDecision{Reason: "already taken in this window"}
	}
	return SnapshotDecision{Take: true, Reason: "in the snapshot window and none taken yet"}
}

// SnapshotAge is an automatic snapshot's name and creation time.
type SnapshotAge struct {
	Name    string
	Created time.Time
}

// ExpiredSnapshots returns the names of the automatic snapshots older than
// the retention limit, oldest first. A limit of 0 expires none: turning
// automatic snapshots off keeps the ones already taken, as MemoryDB does
// until they are deleted by hand.
func ExpiredSnapshots(now time.Time, retentionDays int32, snaps []SnapshotAge) []string {
	if retentionDays <= 0 {
		return nil
	}
	limit := time.Duration(retentionDays) * 24 * time.Hour
	sorted := append([]SnapshotAge(nil), snaps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Created.Before(sorted[j].Created) })
	var out []string
	for _, s := range sorted {
		if now.Sub(s.Created) > limit {
			out = append(out, s.Name)
		}
	}
	return out
}
