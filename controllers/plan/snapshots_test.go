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
	for _, tc := range []struct {
		name      string
		now       time.Time
		retention int32
		last      time.Time
		want      bool
	}{
		{"in window, never taken", at(5, 10), 7, time.Time{}, true},
		{"in window, taken yesterday", at(5, 10), 7, at(5, 5).Add(-24 * time.Hour), true},
		{"in window, taken minutes ago", at(5, 40), 7, at(5, 10), false},
		{"outside window", at(7, 0), 7, time.Time{}, false},
		{"retention off", at(5, 10), 0, time.Time{}, false},
	} {
		if got := AutomaticSnapshotDue(tc.now, window, tc.retention, tc.last); got.Take != tc.want || got.Reason == "" {
			t.Errorf("%s: got %+v, want Take=%v with a reason", tc.name, got, tc.want)
		}
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
