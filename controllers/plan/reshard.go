package plan

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// Resharding decisions. The live slot map (in the log's KV, as CLUSTER
// SHARDS shows it) is the truth: every decision is recomputed from it, so
// a step that failed is retried from where the slot map stands, and a
// move the operator started before it restarted is adopted, not started
// again. One move runs at a time in the whole cluster.

// LiveShard is one shard as the live slot map shows it.
type LiveShard struct {
	// Index is the shard's number (--shard).
	Index int32
	// Slots are the ranges it owns.
	Slots []mnemov1.SlotRange
	// Primary is the pod serving as its primary; "" when the map lists
	// none that is healthy.
	Primary string
}

// Migration states that end a move, as CLUSTER GETSLOTMIGRATIONS reports
// them; any other state is a move in progress.
const (
	MigrationDone      = "done"
	MigrationFailed    = "failed"
	MigrationCancelled = "cancelled"
)

// SlotMigration is a move a source primary reports (CLUSTER
// GETSLOTMIGRATIONS): its last few, finished or not.
type SlotMigration struct {
	ID       string
	From, To int32
	// Slots as FormatSlots writes them.
	Slots string
	State string
	Error string
}

// Running reports whether the move has not ended.
func (m SlotMigration) Running() bool {
	switch m.State {
	case MigrationDone, MigrationFailed, MigrationCancelled:
		return false
	}
	return true
}

// LiveSlots is the live slot map and the moves its primaries report.
type LiveSlots struct {
	Shards     []LiveShard
	Migrations []SlotMigration
}

// Shard returns the live shard of that index, nil when the map lists none.
func (l LiveSlots) Shard(index int32) *LiveShard {
	for i := range l.Shards {
		if l.Shards[i].Index == index {
			return &l.Shards[i]
		}
	}
	return nil
}

// Assigned counts the slots the map gives to a shard with a primary. A
// shard without a primary is left out of CLUSTER SHARDS, so its slots
// read as unassigned: fewer than NumSlots means the map cannot be
// trusted to say who owns what.
func (l LiveSlots) Assigned() int32 {
	var n int32
	for _, s := range l.Shards {
		if s.Primary == "" {
			continue
		}
		n += countSlots(s.Slots)
	}
	return n
}

// Owning counts the shards that own slots.
func (l LiveSlots) Owning() int32 {
	var n int32
	for _, s := range l.Shards {
		if countSlots(s.Slots) > 0 {
			n++
		}
	}
	return n
}

// Running returns the first move in progress, nil when none is.
func (l LiveSlots) Running() *SlotMigration {
	for i := range l.Migrations {
		if l.Migrations[i].Running() {
			return &l.Migrations[i]
		}
	}
	return nil
}

func countSlots(rs []mnemov1.SlotRange) int32 {
	var n int32
	for _, r := range rs {
		n += r.End - r.Start + 1
	}
	return n
}

// Move is one step of a resharding: slot ranges that go from one shard
// to another in one atomic migration.
type Move struct {
	From, To int32
	Slots    []mnemov1.SlotRange
}

// Len is how many slots the move carries.
func (m Move) Len() int32 { return countSlots(m.Slots) }

// String names the move for logs and Events.
func (m Move) String() string {
	return fmt.Sprintf("%d slots (%s) from shard %d to shard %d", m.Len(), FormatSlots(m.Slots), m.From, m.To)
}

// ReshardMoves plans the moves that spread the slots of the live map
// evenly over shards 0…n-1, moving as few as possible, as the engine's
// planner (engine/cluster.Plan) does: a shard keeps min(its slots, its
// share), so every slot moves at most once and only shards above their
// share give; shards at or beyond n give everything; a donor gives the
// end of its ranges; receivers take their deficits in index order.
// Shares differ by at most one slot. Unlike the engine's planner, which
// hands the larger shares to the shards holding the most, this one hands
// them to shards holding at least the larger share first (then the most),
// ties to the lowest index: the plan is recomputed from the live map
// after every move, and this rule makes the rest of a plan the plan of
// what is left, so a donor that reached its share is never asked for one
// more slot. The moves come ordered by source then target shard.
func ReshardMoves(live LiveSlots, n int32) []Move {
	if n < 1 {
		return nil
	}
	count := map[int32]int32{}
	var assigned int32
	for _, s := range live.Shards {
		c := countSlots(s.Slots)
		count[s.Index] += c
		assigned += c
	}
	lo := assigned / n
	hi := lo
	if assigned%n != 0 {
		hi++
	}
	rank := make([]int32, n)
	for i := range rank {
		rank[i] = int32(i)
	}
	slices.SortStableFunc(rank, func(a, b int32) int {
		return cmp.Or(cmp.Compare(min(count[b], hi), min(count[a], hi)), cmp.Compare(a, b))
	})
	share := map[int32]int32{}
	for i, idx := range rank {
		share[idx] = lo
		if int32(i) < assigned%n {
			share[idx]++
		}
	}
	// Slots given away, in slot order per donor, donors in index order.
	type gift struct{ slot, from int32 }
	var gifts []gift
	donors := make([]LiveShard, len(live.Shards))
	copy(donors, live.Shards)
	slices.SortStableFunc(donors, func(a, b LiveShard) int { return cmp.Compare(a.Index, b.Index) })
	for _, d := range donors {
		excess := countSlots(d.Slots) - share[d.Index]
		if excess <= 0 {
			continue
		}
		rs := slices.Clone(d.Slots)
		slices.SortFunc(rs, func(a, b mnemov1.SlotRange) int { return cmp.Compare(a.Start, b.Start) })
		var given []int32
		for i := len(rs) - 1; i >= 0 && excess > 0; i-- {
			for x := rs[i].End; x >= rs[i].Start && excess > 0; x-- {
				given = append(given, x)
				excess--
			}
		}
		slices.Reverse(given)
		for _, x := range given {
			gifts = append(gifts, gift{x, d.Index})
		}
	}
	var moves []Move
	gi := 0
	for to := range n {
		for deficit := share[to] - count[to]; deficit > 0 && gi < len(gifts); deficit-- {
			g := gifts[gi]
			gi++
			if last := len(moves) - 1; last >= 0 && moves[last].From == g.from && moves[last].To == to {
				rs := moves[last].Slots
				if rs[len(rs)-1].End == g.slot-1 {
					rs[len(rs)-1].End = g.slot
				} else {
					moves[last].Slots = append(rs, mnemov1.SlotRange{Start: g.slot, End: g.slot})
				}
				continue
			}
			moves = append(moves, Move{From: g.from, To: to, Slots: []mnemov1.SlotRange{{Start: g.slot, End: g.slot}}})
		}
	}
	slices.SortStableFunc(moves, func(a, b Move) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return moves
}

// ReshardAction is what the resharding does next.
type ReshardAction string

// Resharding actions.
const (
	// ReshardDone: the slots are spread over numShards shards and no
	// other Shard is left.
	ReshardDone ReshardAction = "Done"
	// ReshardWait: something must happen first (see Reason): a move in
	// progress to finish, a new shard's primary to join, the slot map to
	// be whole again.
	ReshardWait ReshardAction = "Wait"
	// ReshardMove: start Move on its source shard's primary.
	ReshardMove ReshardAction = "Move"
	// ReshardDelete: delete the Shards in Delete; they own no slots.
	ReshardDelete ReshardAction = "Delete"
)

// ReshardInput is what the resharding decision looks at.
type ReshardInput struct {
	// WantShards is spec.numShards.
	WantShards int32
	// Shards are the indexes of the Cluster's Shard objects.
	Shards []int32
	// Live is the live slot map.
	Live LiveSlots
}

// ReshardDecision is the next step of a resharding and why.
type ReshardDecision struct {
	Action ReshardAction
	Reason string
	// Move is the move to start (ReshardMove).
	Move Move
	// Running is the move in progress that the decision waits for.
	Running *SlotMigration
	// Delete are the indexes of the Shards to delete (ReshardDelete).
	Delete []int32
	// Remaining is how many slots the plan still moves, the running
	// move's included; -1 when the slot map is not whole, so nobody can
	// tell.
	Remaining int32
}

// PlanReshard decides the next step of bringing the live slot map to
// WantShards shards: never a second move while one runs anywhere (it is
// adopted and waited for), no move while a shard's slots have no primary,
// no move before every shard to keep has a primary in the cluster, then
// the planned moves one at a time, and only then deleting the Shards
// beyond WantShards, each checked to own no slot.
func PlanReshard(in ReshardInput) ReshardDecision {
	live := in.Live
	whole := live.Assigned() == NumSlots
	for _, s := range live.Shards {
		if s.Primary == "" && countSlots(s.Slots) > 0 {
			whole = false
		}
	}
	var moves []Move
	remaining := int32(-1)
	if whole {
		moves = ReshardMoves(live, in.WantShards)
		remaining = 0
		for _, m := range moves {
			remaining += m.Len()
		}
	}
	if m := live.Running(); m != nil {
		return ReshardDecision{Action: ReshardWait, Running: m, Remaining: remaining,
			Reason: fmt.Sprintf("slots %s are moving from shard %d to shard %d (%s)", m.Slots, m.From, m.To, m.State)}
	}
	if !whole {
		return ReshardDecision{Action: ReshardWait, Remaining: -1,
			Reason: fmt.Sprintf("only %d of %d slots have a primary in the slot map (a shard without a primary?)", live.Assigned(), NumSlots)}
	}
	for i := range in.WantShards {
		if s := live.Shard(i); s == nil || s.Primary == "" {
			if len(moves) == 0 {
				break // nothing to give it; not a resharding
			}
			return ReshardDecision{Action: ReshardWait, Remaining: remaining,
				Reason: fmt.Sprintf("shard %d has no primary in the cluster yet", i)}
		}
	}
	if len(moves) > 0 {
		return ReshardDecision{Action: ReshardMove, Move: moves[0], Remaining: remaining,
			Reason: fmt.Sprintf("%d slots still to move; next %s", remaining, moves[0])}
	}
	var del []int32
	for _, idx := range in.Shards {
		if idx < in.WantShards {
			continue
		}
		if ok, _ := SafeToDelete(idx, live); ok {
			del = append(del, idx)
		}
	}
	slices.Sort(del)
	if len(del) > 0 {
		return ReshardDecision{Action: ReshardDelete, Delete: del, Remaining: 0,
			Reason: fmt.Sprintf("shards %v own no slots", del)}
	}
	return ReshardDecision{Action: ReshardDone, Remaining: 0, Reason: fmt.Sprintf("slots spread over %d shards", in.WantShards)}
}

// SafeToDelete reports whether the Shard of that index may be deleted: the
// slot map is whole (every slot has a primary, so none hides behind a
// shard that lost its primary), the shard owns no slot, and no move in
// progress comes from or goes to it.
func SafeToDelete(index int32, live LiveSlots) (bool, string) {
	if a := live.Assigned(); a != NumSlots {
		return false, fmt.Sprintf("only %d of %d slots have a primary: the slot map cannot tell what shard %d owns", a, NumSlots, index)
	}
	if s := live.Shard(index); s != nil && countSlots(s.Slots) > 0 {
		return false, fmt.Sprintf("shard %d owns slots %s", index, FormatSlots(s.Slots))
	}
	for _, m := range live.Migrations {
		if m.Running() && (m.From == index || m.To == index) {
			return false, fmt.Sprintf("slots %s are moving from shard %d to shard %d", m.Slots, m.From, m.To)
		}
	}
	return true, ""
}

// ReshardProgress is the percent of total slots moved when remaining are
// left: 100 only once nothing is left.
func ReshardProgress(total, remaining int32) int32 {
	if remaining <= 0 {
		return 100
	}
	if total <= 0 || remaining >= total {
		return 0
	}
	return min(99, (total-remaining)*100/total)
}

// ReshardStatus is the status.pendingUpdates.resharding after decision d,
// from the previous one: nil when there is no resharding to report. A
// resharding starts when the plan has work (slots to move, a Shard to
// delete, a move running) and keeps its start and the size of its plan
// until it is done; a change of numShards midway starts a new one. While
// the slot map is not whole it says so and keeps the rest.
func ReshardStatus(prev *mnemov1.ReshardingStatus, want int32, live LiveSlots, d ReshardDecision, now time.Time) *mnemov1.ReshardingStatus {
	if d.Action == ReshardDone {
		return nil
	}
	if d.Remaining < 0 {
		if prev == nil {
			return nil
		}
		st := prev.DeepCopy()
		st.Waiting = d.Reason
		return st
	}
	st := &mnemov1.ReshardingStatus{FromShards: live.Owning(), ToShards: want, SlotsToMove: d.Remaining, StartTime: &metav1.Time{Time: now}}
	if prev != nil && prev.ToShards == want {
		st.FromShards, st.StartTime = prev.FromShards, prev.StartTime
		st.SlotsToMove = max(prev.SlotsToMove, d.Remaining)
		st.CurrentMove = prev.CurrentMove
	}
	st.SlotsMoved = st.SlotsToMove - d.Remaining
	st.ProgressPercent = ReshardProgress(st.SlotsToMove, d.Remaining)
	switch {
	case d.Running != nil:
		mv := &mnemov1.SlotMove{FromShard: d.Running.From, ToShard: d.Running.To, Slots: d.Running.Slots,
			SlotCount: countSlots(ParseSlots(d.Running.Slots)), State: d.Running.State, StartTime: &metav1.Time{Time: now}}
		if c := st.CurrentMove; c != nil && c.FromShard == mv.FromShard && c.ToShard == mv.ToShard && c.Slots == mv.Slots && c.StartTime != nil {
			mv.StartTime = c.StartTime
		}
		st.CurrentMove = mv
		st.Waiting = ""
	case d.Action == ReshardMove:
		st.CurrentMove = &mnemov1.SlotMove{FromShard: d.Move.From, ToShard: d.Move.To, Slots: FormatSlots(d.Move.Slots),
			SlotCount: d.Move.Len(), State: "starting", StartTime: &metav1.Time{Time: now}}
		st.Waiting = ""
	case d.Action == ReshardWait:
		st.CurrentMove = nil
		st.Waiting = d.Reason
	default:
		st.CurrentMove = nil
		st.Waiting = ""
	}
	return st
}

// MoveOutcome finds how the move mv ended among the moves the primaries
// report: the newest one with the same shards and slots that ended. It
// returns nil when none is reported (its source restarted and forgot it).
func MoveOutcome(mv *mnemov1.SlotMove, migrations []SlotMigration) *SlotMigration {
	var found *SlotMigration
	for i := range migrations {
		m := &migrations[i]
		if m.From == mv.FromShard && m.To == mv.ToShard && m.Slots == mv.Slots && !m.Running() {
			found = m
		}
	}
	return found
}
