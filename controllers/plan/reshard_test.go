package plan

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// balanced is a live map of n shards with the slots spread as a new
// cluster of n shards has them, each with a primary.
func balanced(n int) LiveSlots {
	var l LiveSlots
	for i, rs := range BalancedSlots(n) {
		l.Shards = append(l.Shards, LiveShard{Index: int32(i), Slots: rs, Primary: fmt.Sprintf("c-shard-%d-0", i)})
	}
	return l
}

// with adds shards that own nothing, with a primary.
func (l LiveSlots) with(idx ...int32) LiveSlots {
	l.Shards = append([]LiveShard(nil), l.Shards...)
	for _, i := range idx {
		l.Shards = append(l.Shards, LiveShard{Index: i, Primary: fmt.Sprintf("c-shard-%d-0", i)})
	}
	return l
}

func (l LiveSlots) migrating(ms ...SlotMigration) LiveSlots {
	l.Migrations = ms
	return l
}

func slots(s string) []mnemov1.SlotRange { return ParseSlots(s) }

func movesText(ms []Move) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%d>%d:%s", m.From, m.To, FormatSlots(m.Slots)))
	}
	return strings.Join(parts, " ")
}

func TestReshardMoves(t *testing.T) {
	for _, tc := range []struct {
		name string
		live LiveSlots
		n    int32
		want string
	}{
		{"balanced stays", balanced(2), 2, ""},
		{"2 to 3: each gives its end to the new shard", balanced(2).with(2), 3, "0>2:5462-8191 1>2:13653-16383"},
		{"2 to 3 before the new shard joined", balanced(2), 3, "0>2:5462-8191 1>2:13653-16383"},
		{"3 to 2: the removed shard gives all", balanced(3), 2, "2>0:10923-13653 2>1:13654-16383"},
		{"2 to 1", balanced(2), 1, "1>0:8192-16383"},
		{"uneven after a partial move", LiveSlots{Shards: []LiveShard{
			{Index: 0, Slots: slots("0-8191"), Primary: "a"},
			{Index: 1, Slots: slots("8192-15000"), Primary: "b"},
			{Index: 2, Slots: slots("15001-16383"), Primary: "c"}}}, 3, "0>2:5462-8191 1>2:13653-15000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ReshardMoves(tc.live, tc.n)
			if s := movesText(got); s != tc.want {
				t.Errorf("moves %q, want %q", s, tc.want)
			}
		})
	}
}

// TestReshardMovesStable carries out plans one move at a time, planning
// again from the resulting map after each, as the operator does: what is
// left of a plan must be the plan of what is left (no slot moves twice,
// no more slots move than first planned), and the end is balanced.
func TestReshardMovesStable(t *testing.T) {
	for _, tc := range [][2]int{{1, 2}, {2, 3}, {3, 2}, {3, 5}, {5, 2}, {4, 7}, {7, 1}, {2, 1}, {3, 4}} {
		from, to := tc[0], tc[1]
		live := balanced(from).with()
		own := make([]int32, NumSlots)
		for _, s := range live.Shards {
			for _, r := range s.Slots {
				for x := r.Start; x <= r.End; x++ {
					own[x] = s.Index
				}
			}
		}
		for i := from; i < to; i++ {
			live = live.with(int32(i))
		}
		planned := ReshardMoves(live, int32(to))
		var total int32
		for _, m := range planned {
			total += m.Len()
		}
		moved := map[int32]bool{}
		var count int32
		for step := 0; ; step++ {
			moves := ReshardMoves(live, int32(to))
			if len(moves) == 0 {
				break
			}
			if got, want := movesText(moves), movesText(planned[step:]); got != want {
				t.Fatalf("%d→%d after %d moves: plan %s, want the rest %s", from, to, step, got, want)
			}
			m := moves[0]
			for _, r := range m.Slots {
				for x := r.Start; x <= r.End; x++ {
					if moved[x] || own[x] != m.From {
						t.Fatalf("%d→%d: slot %d moved twice or from a shard that does not own it", from, to, x)
					}
					moved[x] = true
					own[x] = m.To
					count++
				}
			}
			live = liveOf(own, live)
		}
		if count != total {
			t.Errorf("%d→%d: %d slots moved, %d planned", from, to, count, total)
		}
		per := map[int32]int{}
		for _, o := range own {
			per[o]++
		}
		for s, n := range per {
			if s >= int32(to) || n < NumSlots/to || n > NumSlots/to+1 {
				t.Errorf("%d→%d: shard %d ends with %d slots", from, to, s, n)
			}
		}
	}
}

// liveOf rebuilds a live map's slots from an owner per slot.
func liveOf(own []int32, prev LiveSlots) LiveSlots {
	out := LiveSlots{}
	for _, s := range prev.Shards {
		s.Slots = nil
		for x, o := range own {
			if o != s.Index {
				continue
			}
			if n := len(s.Slots); n > 0 && s.Slots[n-1].End == int32(x)-1 {
				s.Slots[n-1].End = int32(x)
			} else {
				s.Slots = append(s.Slots, mnemov1.SlotRange{Start: int32(x), End: int32(x)})
			}
		}
		out.Shards = append(out.Shards, s)
	}
	return out
}

func TestPlanReshard(t *testing.T) {
	running := SlotMigration{ID: "m1", From: 0, To: 2, Slots: "5461", State: "delta"}
	failed := SlotMigration{ID: "m0", From: 0, To: 2, Slots: "5461", State: MigrationFailed, Error: "target down"}
	noPrimary := balanced(2)
	noPrimary.Shards = []LiveShard{{Index: 0, Slots: slots("0-8191"), Primary: "p"}, {Index: 1, Slots: slots("8192-16383")}}
	half := LiveSlots{Shards: []LiveShard{{Index: 0, Slots: slots("0-8191"), Primary: "p"}}}
	for _, tc := range []struct {
		name      string
		in        ReshardInput
		action    ReshardAction
		move      string
		del       []int32
		remaining int32
		reason    string
	}{
		{"balanced: nothing to do", ReshardInput{WantShards: 2, Shards: []int32{0, 1}, Live: balanced(2)}, ReshardDone, "", nil, 0, "spread over 2"},
		{"scale out waits for the new shard's primary", ReshardInput{WantShards: 3, Shards: []int32{0, 1, 2}, Live: balanced(2)},
			ReshardWait, "", nil, 5461, "shard 2 has no primary"},
		{"scale out moves once the new shard joined", ReshardInput{WantShards: 3, Shards: []int32{0, 1, 2}, Live: balanced(2).with(2)},
			ReshardMove, "0>2:5462-8191", nil, 5461, "5461 slots still to move"},
		{"a move in progress is adopted, not doubled", ReshardInput{WantShards: 3, Shards: []int32{0, 1, 2}, Live: balanced(2).with(2).migrating(running)},
			ReshardWait, "", nil, 5461, "slots 5461 are moving from shard 0 to shard 2 (delta)"},
		{"a move in progress is waited for even before all shards joined", ReshardInput{WantShards: 3, Live: balanced(2).migrating(running)},
			ReshardWait, "", nil, 5461, "are moving"},
		{"a failed move is retried from the live map", ReshardInput{WantShards: 3, Shards: []int32{0, 1, 2}, Live: balanced(2).with(2).migrating(failed)},
			ReshardMove, "0>2:5462-8191", nil, 5461, ""},
		{"a shard without a primary stops everything", ReshardInput{WantShards: 3, Shards: []int32{0, 1, 2}, Live: noPrimary.with(2)},
			ReshardWait, "", nil, -1, "8192 of 16384 slots"},
		{"unassigned slots stop everything", ReshardInput{WantShards: 1, Shards: []int32{0, 1}, Live: half},
			ReshardWait, "", nil, -1, "8192 of 16384"},
		{"scale in moves the removed shard's slots first", ReshardInput{WantShards: 2, Shards: []int32{0, 1, 2}, Live: balanced(3)},
			ReshardMove, "2>0:10923-13653", nil, 5461, ""},
		{"scale in deletes the emptied shard", ReshardInput{WantShards: 2, Shards: []int32{0, 1, 2}, Live: balanced(2).with(2)},
			ReshardDelete, "", []int32{2}, 0, "own no slots"},
		{"a removed shard whose nodes are gone is deleted", ReshardInput{WantShards: 2, Shards: []int32{0, 1, 3, 2}, Live: balanced(2)},
			ReshardDelete, "", []int32{2, 3}, 0, ""},
		{"a new shard needs no primary when it is not given slots", ReshardInput{WantShards: 2, Shards: []int32{0, 1}, Live: LiveSlots{Shards: []LiveShard{
			{Index: 0, Slots: slots("0-16383"), Primary: "p"}}}}, ReshardWait, "", nil, 8192, "shard 1 has no primary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := PlanReshard(tc.in)
			if d.Action != tc.action || d.Remaining != tc.remaining || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("decision %s, remaining %d, reason %q; want %s, %d, %q", d.Action, d.Remaining, d.Reason, tc.action, tc.remaining, tc.reason)
			}
			if tc.action == ReshardMove {
				if got := movesText([]Move{d.Move}); got != tc.move {
					t.Errorf("move %s, want %s", got, tc.move)
				}
			}
			if !reflect.DeepEqual(d.Delete, tc.del) {
				t.Errorf("delete %v, want %v", d.Delete, tc.del)
			}
			if tc.action == ReshardWait && tc.in.Live.Running() != nil && d.Running == nil {
				t.Errorf("the running move was not reported")
			}
		})
	}
}

func TestSafeToDelete(t *testing.T) {
	into2 := SlotMigration{From: 0, To: 2, Slots: "0-9", State: "snapshot"}
	doneInto2 := SlotMigration{From: 0, To: 2, Slots: "0-9", State: MigrationDone}
	noPrimary := balanced(2)
	noPrimary.Shards[1].Primary = ""
	for _, tc := range []struct {
		name  string
		index int32
		live  LiveSlots
		ok    bool
		why   string
	}{
		{"owns slots", 1, balanced(2), false, "owns slots 8192-16383"},
		{"owns nothing", 2, balanced(2).with(2), true, ""},
		{"not in the map at all", 2, balanced(2), true, ""},
		{"a move into it runs", 2, balanced(2).with(2).migrating(into2), false, "moving from shard 0 to shard 2"},
		{"a move into it ended", 2, balanced(2).with(2).migrating(doneInto2), true, ""},
		{"a shard lost its primary: cannot tell", 2, noPrimary.with(2), false, "only 8192 of 16384"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := SafeToDelete(tc.index, tc.live)
			if ok != tc.ok || !strings.Contains(why, tc.why) {
				t.Errorf("SafeToDelete = %v %q, want %v %q", ok, why, tc.ok, tc.why)
			}
		})
	}
}

func TestReshardProgress(t *testing.T) {
	for _, tc := range []struct{ total, remaining, want int32 }{
		{0, 0, 100}, {5461, 0, 100}, {5461, 5461, 0}, {5462, 2731, 50}, {5462, 1, 99}, {3, 1, 66}, {10, 12, 0}, {0, 5, 0},
	} {
		if got := ReshardProgress(tc.total, tc.remaining); got != tc.want {
			t.Errorf("ReshardProgress(%d, %d) = %d, want %d", tc.total, tc.remaining, got, tc.want)
		}
	}
}

func TestReshardStatus(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	started := &mnemov1.ReshardingStatus{FromShards: 2, ToShards: 3, SlotsToMove: 5462, StartTime: &metav1.Time{Time: t0},
		CurrentMove: &mnemov1.SlotMove{FromShard: 0, ToShard: 2, Slots: "5461", SlotCount: 1, StartTime: &metav1.Time{Time: t0}}}
	running := SlotMigration{From: 0, To: 2, Slots: "5461", State: "frozen"}
	for _, tc := range []struct {
		name string
		prev *mnemov1.ReshardingStatus
		want int32
		live LiveSlots
		d    ReshardDecision
		out  *mnemov1.ReshardingStatus
	}{
		{"nothing to do, nothing to report", nil, 2, balanced(2), ReshardDecision{Action: ReshardDone}, nil},
		{"done clears it", started, 3, balanced(3), ReshardDecision{Action: ReshardDone}, nil},
		{"a map that is not whole starts nothing", nil, 3, balanced(2), ReshardDecision{Action: ReshardWait, Remaining: -1, Reason: "x"}, nil},
		{"a map that is not whole keeps the progress, says why", started, 3, balanced(2), ReshardDecision{Action: ReshardWait, Remaining: -1, Reason: "no primary"},
			&mnemov1.ReshardingStatus{FromShards: 2, ToShards: 3, SlotsToMove: 5462, StartTime: &metav1.Time{Time: t0}, CurrentMove: started.CurrentMove, Waiting: "no primary"}},
		{"the first move starts it", nil, 3, balanced(2).with(2), ReshardDecision{Action: ReshardMove, Remaining: 5462, Move: Move{From: 0, To: 2, Slots: slots("5461")}},
			&mnemov1.ReshardingStatus{FromShards: 2, ToShards: 3, SlotsToMove: 5462, StartTime: &metav1.Time{Time: t1},
				CurrentMove: &mnemov1.SlotMove{FromShard: 0, ToShard: 2, Slots: "5461", SlotCount: 1, State: "starting", StartTime: &metav1.Time{Time: t1}}}},
		{"waiting for a new shard starts it too", nil, 3, balanced(2), ReshardDecision{Action: ReshardWait, Remaining: 5462, Reason: "shard 2 has no primary"},
			&mnemov1.ReshardingStatus{FromShards: 2, ToShards: 3, SlotsToMove: 5462, StartTime: &metav1.Time{Time: t1}, Waiting: "shard 2 has no primary"}},
		{"an adopted move keeps its start", started, 3, balanced(2).with(2), ReshardDecision{Action: ReshardWait, Remaining: 5462, Running: &running},
			&mnemov1.ReshardingStatus{FromShards: 2, ToShards: 3, SlotsToMove: 5462, StartTime: &metav1.Time{Time: t0},
				CurrentMove: &mnemov1.SlotMove{FromShard: 0, ToShard: 2, Slots: "5461", SlotCount: 1, State: "frozen", StartTime: &metav1.Time{Time: t0}}}},
		{"progress counts from the plan's size at the start", started, 3, balanced(2).with(2), ReshardDecision{Action: ReshardMove, Remaining: 2731, Move: Move{From: 1, To: 2, Slots: slots("13653-16383")}},
			&mnemov1.ReshardingStatus{FromShards: 2, ToShards: 3, SlotsToMove: 5462, SlotsMoved: 2731, ProgressPercent: 50, StartTime: &metav1.Time{Time: t0},
				CurrentMove: &mnemov1.SlotMove{FromShard: 1, ToShard: 2, Slots: "13653-16383", SlotCount: 2731, State: "starting", StartTime: &metav1.Time{Time: t1}}}},
		{"deleting the emptied Shards is the last 0%", &mnemov1.ReshardingStatus{FromShards: 3, ToShards: 2, SlotsToMove: 5461, StartTime: &metav1.Time{Time: t0}},
			2, balanced(2).with(2), ReshardDecision{Action: ReshardDelete, Delete: []int32{2}},
			&mnemov1.ReshardingStatus{FromShards: 3, ToShards: 2, SlotsToMove: 5461, SlotsMoved: 5461, ProgressPercent: 100, StartTime: &metav1.Time{Time: t0}}},
		{"numShards changed midway: a new resharding", started, 4, balanced(2).with(2), ReshardDecision{Action: ReshardWait, Remaining: 8192, Reason: "shard 3 has no primary"},
			&mnemov1.ReshardingStatus{FromShards: 2, ToShards: 4, SlotsToMove: 8192, StartTime: &metav1.Time{Time: t1}, Waiting: "shard 3 has no primary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ReshardStatus(tc.prev, tc.want, tc.live, tc.d, t1)
			if !reflect.DeepEqual(got, tc.out) {
				t.Errorf("status\n got %+v\nwant %+v", deref(got), deref(tc.out))
			}
		})
	}
}

func deref(s *mnemov1.ReshardingStatus) any {
	if s == nil {
		return nil
	}
	return fmt.Sprintf("%+v move %+v", *s, s.CurrentMove)
}

func TestMoveOutcome(t *testing.T) {
	mv := &mnemov1.SlotMove{FromShard: 0, ToShard: 2, Slots: "5461"}
	ms := []SlotMigration{
		{ID: "a", From: 0, To: 2, Slots: "5461", State: MigrationFailed},
		{ID: "b", From: 0, To: 1, Slots: "5461", State: MigrationDone},
		{ID: "c", From: 0, To: 2, Slots: "5461", State: MigrationDone},
		{ID: "d", From: 0, To: 2, Slots: "5461", State: "delta"},
	}
	if got := MoveOutcome(mv, ms); got == nil || got.ID != "c" {
		t.Errorf("outcome %+v, want the newest ended move c", got)
	}
	if got := MoveOutcome(mv, ms[1:2]); got != nil {
		t.Errorf("outcome %+v of another move", got)
	}
}

func TestParseSlots(t *testing.T) {
	for _, s := range []string{"0-5460", "7", "0-99,200,300-16383", ""} {
		if got := FormatSlots(ParseSlots(s)); got != s {
			t.Errorf("FormatSlots(ParseSlots(%q)) = %q", s, got)
		}
	}
	if got := ParseSlots("x,5-1,16384,3"); FormatSlots(got) != "3" {
		t.Errorf("ParseSlots skipped badly: %v", got)
	}
}
