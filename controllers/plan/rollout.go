package plan

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// RolloutProgressDeadline is how long a restarted node may take to become
// ready and catch up with the log before the rollout calls itself blocked.
const RolloutProgressDeadline = 10 * time.Minute

// RolloutAction is what a shard's rollout does next.
type RolloutAction int

// Rollout actions.
const (
	// RolloutDone: every node runs the current template.
	RolloutDone RolloutAction = iota
	// RolloutWait: a step is under way (a pod restarting, a node catching
	// up); look again later.
	RolloutWait
	// RolloutBlocked: an unhealthy node the rollout did not cause stops
	// it; Reason names it.
	RolloutBlocked
	// RolloutDelete: delete Pod; its StatefulSet (OnDelete) recreates it
	// from the current template.
	RolloutDelete
	// RolloutHandoff: hand the primary's lease to Pod, an updated replica.
	RolloutHandoff
)

func (a RolloutAction) String() string {
	return [...]string{"done", "wait", "blocked", "delete", "handoff"}[a]
}

// RolloutStep is the next step of a shard's rollout and why.
type RolloutStep struct {
	Action RolloutAction
	Pod    string
	Reason string
}

// NextRolloutStep decides the next step of a shard's rolling restart onto
// its StatefulSet's current template (StatefulSets use OnDelete; the
// operator deletes pods itself): replicas first, lowest ordinal first, one
// at a time, each caught up with the log before the next; then a planned
// handoff of the primary to an updated replica; then the old primary,
// which is a replica by then. A pod that is not running and runs the old
// template serves nothing and goes first. want is the number of nodes the
// shard should have.
func NextRolloutStep(nodes []Node, want int) RolloutStep {
	byOrdinal := slices.SortedFunc(slices.Values(nodes), func(a, b Node) int { return cmp.Compare(a.Ordinal, b.Ordinal) })
	updated := 0
	for _, n := range byOrdinal {
		if n.Terminating {
			return RolloutStep{Action: RolloutWait, Pod: n.Name, Reason: fmt.Sprintf("pod %s is being replaced", n.Name)}
		}
		if n.Updated {
			updated++
		}
	}
	if updated == len(nodes) && len(nodes) >= want {
		return RolloutStep{Action: RolloutDone, Reason: "every node runs the current template"}
	}
	for _, n := range byOrdinal {
		if !n.Updated && !n.Running {
			return RolloutStep{Action: RolloutDelete, Pod: n.Name, Reason: fmt.Sprintf("pod %s runs the old template and is not running", n.Name)}
		}
	}
	if len(nodes) < want {
		return RolloutStep{Action: RolloutWait, Reason: fmt.Sprintf("%d of %d pods exist", len(nodes), want)}
	}
	for _, n := range byOrdinal {
		if n.CaughtUp() {
			continue
		}
		why := nodeTrouble(n)
		if n.Updated && n.Age < RolloutProgressDeadline {
			return RolloutStep{Action: RolloutWait, Pod: n.Name, Reason: fmt.Sprintf("pod %s, restarted, %s", n.Name, why)}
		}
		return RolloutStep{Action: RolloutBlocked, Pod: n.Name, Reason: fmt.Sprintf("pod %s %s; the rollout waits until it is healthy", n.Name, why)}
	}
	primary := Primary(nodes)
	if primary == "" {
		// Between a handoff or failover and the next primary's first
		// renewal: the data plane is electing one, nothing is wrong yet.
		return RolloutStep{Action: RolloutWait, Reason: "waiting for the data plane to elect a primary"}
	}
	for _, n := range byOrdinal {
		if n.FailingOver {
			return RolloutStep{Action: RolloutWait, Pod: n.Name, Reason: fmt.Sprintf("primary %s is handing over", n.Name)}
		}
	}
	for _, n := range byOrdinal {
		if !n.Updated && n.Name != primary {
			return RolloutStep{Action: RolloutDelete, Pod: n.Name, Reason: fmt.Sprintf("replica %s runs the old template", n.Name)}
		}
	}
	if len(nodes) == 1 {
		return RolloutStep{Action: RolloutDelete, Pod: primary,
			Reason: fmt.Sprintf("primary %s runs the old template and the shard has no replica: writes pause until it is back", primary)}
	}
	target, ok := bestReplica(nodes, func(n Node) bool { return n.Updated })
	if !ok {
		return RolloutStep{Action: RolloutWait, Reason: "waiting for an updated replica to catch up"}
	}
	return RolloutStep{Action: RolloutHandoff, Pod: target.Name,
		Reason: fmt.Sprintf("primary %s runs the old template; handing over to %s", primary, target.Name)}
}

// nodeTrouble says why a node is not caught up.
func nodeTrouble(n Node) string {
	switch {
	case !n.Running:
		return "is not running"
	case !n.Ready:
		return "is not ready"
	case !n.Answered:
		return "does not answer INFO"
	case n.Role == mnemov1.RoleUnknown:
		return "reports no role"
	}
	return fmt.Sprintf("is %d log entries behind", n.Lag)
}

// ShardRollout is one shard as the cross-shard rollout gate sees it.
type ShardRollout struct {
	Index int32
	// Pending: some of its nodes do not run the current template.
	Pending bool
	// Started: some of its nodes do, so it is part-way through.
	Started bool
}

// ShardsToRoll returns the indexes of the shards that may roll now: at
// most maxConcurrent of the pending ones, those part-way through first
// (a shard left half-rolled is the worst state to stay in), then by
// index. Every Shard's reconciler computes the same set from the same
// StatefulSets, so no shard needs to ask another.
func ShardsToRoll(shards []ShardRollout, maxConcurrent int) []int32 {
	var pending []ShardRollout
	for _, s := range shards {
		if s.Pending {
			pending = append(pending, s)
		}
	}
	slices.SortFunc(pending, func(a, b ShardRollout) int {
		if a.Started != b.Started {
			if a.Started {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Index, b.Index)
	})
	out := []int32{}
	for _, s := range pending[:min(len(pending), max(maxConcurrent, 1))] {
		out = append(out, s.Index)
	}
	return out
}

// InMaintenanceWindow reports whether a change that restarts nodes may
// start now: always without a window, else only inside it. A shard
// part-way through finishes even when the window closes; the caller
// decides that.
func InMaintenanceWindow(window string, now time.Time) (bool, string) {
	if window == "" {
		return true, ""
	}
	w, err := mnemov1.ParseWeeklyWindow(window)
	if err != nil {
		return false, fmt.Sprintf("spec.maintenanceWindow: %v", err)
	}
	if w.Contains(now) {
		return true, ""
	}
	return false, fmt.Sprintf("waiting for the maintenance window %s (UTC)", window)
}
