package plan

import (
	"slices"
	"testing"
	"time"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func TestDefaultSnapshotWindow(t *testing.T) {
	w := DefaultSnapshotWindow("shop", "orders")
	if _, err := mnemov1.ParseDailyWindow(w); err != nil {
		t.Fatalf("DefaultSnapshotWindow = %q: %v", w, err)
	}
	if w != DefaultSnapshotWindow("shop", "orders") {
		t.Error("DefaultSnapshotWindow is not stable")
	}
	seen := map[string]bool{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		seen[DefaultSnapshotWindow("ns", name)] = true
	}
	if len(seen) < 2 {
		t.Errorf("eight clusters share one window: %v", seen)
	}
}

func TestAutomaticSnapshotDue(t *testing.T) {
	window, _ := mnemov1.ParseDailyWindow("05:00-06:00")
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	const seed = "shop/orders"
	chosen := SnapshotMinute(window, at(5, 0), seed)
	if chosen < 0 || chosen >= 30 {
		t.Fatalf("chosen minute %d of a 60-minute window, want 0–29 (the last half hour is left to finish)", chosen)
	}
	atChosen := at(5, chosen)
	for _, tc := range []struct {
		name      string
		now       time.Time
		retention int32
		last      time.Time
		want      bool
	}{
		{"at the chosen minute, never taken", atChosen, 7, time.Time{}, true},
		{"late in the window, never taken (the operator was down)", at(5, 55), 7, time.Time{}, true},
		{"in window, taken yesterday", at(5, 55), 7, at(5, 5).Add(-24 * time.Hour), true},
		{"in window, taken minutes ago", at(5, 55), 7, at(5, 40), false},
		{"outside window", at(7, 0), 7, time.Time{}, false},
		{"retention off", at(5, 55), 0, time.Time{}, false},
	} {
		if got := AutomaticSnapshotDue(tc.now, window, tc.retention, tc.last, seed); got.Take != tc.want || got.Reason == "" {
			t.Errorf("%s: got %+v, want Take=%v with a reason", tc.name, got, tc.want)
		}
	}
	if chosen > 0 {
		if got := AutomaticSnapshotDue(atChosen.Add(-time.Minute), window, 7, time.Time{}, seed); got.Take {
			t.Errorf("a minute before the chosen time: %+v, want to wait", got)
		}
	}
}

func TestSnapshotMinute(t *testing.T) {
	// A window past midnight: its occurrence starts the day before.
	night, _ := mnemov1.ParseDailyWindow("23:00-01:00")
	now := time.Date(2026, 3, 5, 0, 30, 0, 0, time.UTC)
	if got, want := occurrenceStart(now, night), time.Date(2026, 3, 4, 23, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("occurrence of %v: %v, want %v", now, got, want)
	}
	start := time.Date(2026, 3, 4, 23, 0, 0, 0, time.UTC)
	if m := SnapshotMinute(night, start, "a/b"); m != SnapshotMinute(night, start, "a/b") || m < 0 || m >= 90 {
		t.Errorf("SnapshotMinute = %d: unstable, or outside the first 90 minutes of a 120-minute window", m)
	}
	// Spread: clusters do not all pick one minute, and a cluster does
	// not pick the same minute every day.
	clusters, days := map[int]bool{}, map[int]bool{}
	for i := range 20 {
		clusters[SnapshotMinute(night, start, "ns/c"+string(rune('a'+i)))] = true
		days[SnapshotMinute(night, start.Add(time.Duration(i)*24*time.Hour), "a/b")] = true
	}
	if len(clusters) < 5 || len(days) < 5 {
		t.Errorf("%d distinct minutes over 20 clusters, %d over 20 days: not spread", len(clusters), len(days))
	}
}

func TestExpiredSnapshots(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	days := func(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }
	snaps := []SnapshotAge{{"d1", days(1)}, {"d9", days(9)}, {"d3", days(3)}, {"d8", days(8)}}
	for _, tc := range []struct {
		retention int32
		want      []string
	}{
		{0, nil},
		{35, nil},
		{7, []string{"d9", "d8"}},
		{2, []string{"d9", "d8", "d3"}},
	} {
		if got := ExpiredSnapshots(now, tc.retention, snaps); !slices.Equal(got, tc.want) {
			t.Errorf("retention %d: got %v, want %v", tc.retention, got, tc.want)
		}
	}
}
