package plan

import (
	"testing"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func TestBalancedSlots(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []string // FormatSlots of each shard; nil: no plan
	}{
		{n: 0},
		{n: -1},
		{n: NumSlots + 1},
		{n: 1, want: []string{"0-16383"}},
		{n: 2, want: []string{"0-8191", "8192-16383"}},
		{n: 3, want: []string{"0-5460", "5461-10922", "10923-16383"}}, // as redis-cli makes them
		{n: 4, want: []string{"0-4095", "4096-8191", "8192-12287", "12288-16383"}},
		{n: 5, want: []string{"0-3276", "3277-6553", "6554-9829", "9830-13106", "13107-16383"}},
	} {
		got := BalancedSlots(tc.n)
		if len(got) != len(tc.want) {
			t.Fatalf("BalancedSlots(%d): %d shards, want %d", tc.n, len(got), len(tc.want))
		}
		for i := range got {
			if s := FormatSlots(got[i]); s != tc.want[i] {
				t.Errorf("BalancedSlots(%d)[%d] = %s, want %s", tc.n, i, s, tc.want[i])
			}
		}
	}
}

// Every plan covers each slot exactly once, contiguously, with shard sizes
// differing by at most one.
func TestBalancedSlotsInvariants(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 10, 97, 128, 500, 16383, 16384} {
		plan := BalancedSlots(n)
		next := int32(0)
		lo, hi := int32(NumSlots), int32(0)
		for i, ranges := range plan {
			if len(ranges) != 1 {
				t.Fatalf("n=%d shard %d: %d ranges, want 1", n, i, len(ranges))
			}
			r := ranges[0]
			if r.Start != next || r.End < r.Start {
				t.Fatalf("n=%d shard %d: range %d-%d, want it to start at %d", n, i, r.Start, r.End, next)
			}
			size := r.End - r.Start + 1
			lo, hi = min(lo, size), max(hi, size)
			next = r.End + 1
		}
		if next != NumSlots {
			t.Errorf("n=%d: slots end at %d, want %d", n, next, NumSlots)
		}
		if hi-lo > 1 {
			t.Errorf("n=%d: shard sizes %d..%d differ by more than one", n, lo, hi)
		}
	}
}

func TestFormatSlots(t *testing.T) {
	for _, tc := range []struct {
		in   []mnemov1.SlotRange
		want string
	}{
		{nil, ""},
		{[]mnemov1.SlotRange{{Start: 7, End: 7}}, "7"},
		{[]mnemov1.SlotRange{{Start: 0, End: 10}, {Start: 20, End: 20}, {Start: 30, End: 40}}, "0-10,20,30-40"},
	} {
		if got := FormatSlots(tc.in); got != tc.want {
			t.Errorf("FormatSlots(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSlotsToMove(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to int
		want     int32
	}{
		{"same", 3, 3, 0},
		{"1 to 2 moves half", 1, 2, 8192},
		{"2 to 1 moves half", 2, 1, 8192},
		{"2 to 4 renumbers ranges: shard 1 hands all it has on", 2, 4, 12288},
		{"3 to 4", 3, 4, 8192},
	} {
		if got := SlotsToMove(BalancedSlots(tc.from), BalancedSlots(tc.to)); got != tc.want {
			t.Errorf("%s: SlotsToMove = %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := SlotsToMove(nil, BalancedSlots(1)); got != NumSlots {
		t.Errorf("from nothing: SlotsToMove = %d, want %d", got, NumSlots)
	}
}
