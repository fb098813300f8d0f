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
// when retention is on, now is inside the window, past the minute chosen
// for this day's occurrence of it (SnapshotMinute), and none was started
// in this occurrence already (none in the last window length).
// lastStarted is the zero time when there is none; seed names the Cluster
// (namespace/name).
func AutomaticSnapshotDue(now time.Time, window mnemov1.DailyWindow, retentionDays int32, lastStarted time.Time, seed string) SnapshotDecision {
	switch {
	case retentionDays <= 0:
		return SnapshotDecision{Reason: "automatic snapshots are off (snapshotRetentionLimit is 0)"}
	case !window.Contains(now):
		return SnapshotDecision{Reason: "outside the snapshot window"}
	case !lastStarted.IsZero() && now.Sub(lastStarted) < time.Duration(window.Length)*time.Minute:
		return SnapshotDecision{Reason: "already taken in this window"}
	}
	start := occurrenceStart(now, window)
	if at := start.Add(time.Duration(SnapshotMinute(window, start, seed)) * time.Minute); now.Before(at) {
		return SnapshotDecision{Reason: "waiting for this window's chosen time, " + at.Format("15:04") + " UTC"}
	}
	return SnapshotDecision{Take: true, Reason: "past this window's chosen time and none taken yet"}
}

// SnapshotMinute is the minute after the start of a window's occurrence at
// which a Cluster takes its automatic snapshot: random-looking, stable for
// the Cluster and the day (as MemoryDB picks a time inside the window), and
// early enough to leave the window's last half hour (or half, for a short
// window) for the snapshot to finish.
func SnapshotMinute(window mnemov1.DailyWindow, start time.Time, seed string) int {
	span := max(1, window.Length-min(30, window.Length/2))
	h := fnv.New32a()
	h.Write([]byte(seed + "@" + start.UTC().Format("2006-01-02")))
	return int(h.Sum32() % uint32(span))
}

// occurrenceStart is when the occurrence of window that contains t began.
func occurrenceStart(t time.Time, window mnemov1.DailyWindow) time.Time {
	t = t.UTC()
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	start := midnight.Add(time.Duration(window.Start) * time.Minute)
	if start.After(t) {
		start = start.Add(-24 * time.Hour) // a window running past midnight
	}
	return start
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
