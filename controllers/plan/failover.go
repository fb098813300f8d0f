package plan

import (
	"fmt"
	"slices"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// FailoverAction is what to do about a requested failover.
type FailoverAction int

// Failover actions.
const (
	// FailoverWait: not now; Reason says what is awaited.
	FailoverWait FailoverAction = iota
	// FailoverSend: send FAILOVER to the primary (TO Target, or ANY when
	// Target is empty).
	FailoverSend
	// FailoverReject: the request cannot be carried out; drop it and say
	// why.
	FailoverReject
	// FailoverNothing: the requested pod is the primary already.
	FailoverNothing
)

// FailoverDecision is what PlanFailover decided, and why.
type FailoverDecision struct {
	Action FailoverAction
	// Primary is the current primary; Target the pod to hand over to, ""
	// for whichever replica the data plane picks.
	Primary, Target string
	Reason          string
}

// PlanFailover decides how to carry out a manual failover request (the
// FailoverRequestedAnnotation's value: a pod name or "any") on a shard's
// nodes. It never asks for a handoff to a replica that is not caught up:
// the engine would wait for it while holding the shard's writes.
func PlanFailover(nodes []Node, request string) FailoverDecision {
	primary := Primary(nodes)
	d := FailoverDecision{Primary: primary}
	if request != mnemov1.FailoverAny {
		i := slices.IndexFunc(nodes, func(n Node) bool { return n.Name == request })
		if i < 0 {
			d.Action, d.Reason = FailoverReject, fmt.Sprintf("no pod %s in the shard", request)
			return d
		}
		if request == primary {
			d.Action, d.Reason = FailoverNothing, fmt.Sprintf("pod %s is the primary already", request)
			return d
		}
	}
	if len(nodes) == 1 {
		d.Action, d.Reason = FailoverReject, "the shard has no replica to hand over to"
		return d
	}
	if primary == "" {
		d.Action, d.Reason = FailoverWait, "no node answers as primary; the data plane is electing one"
		return d
	}
	for _, n := range nodes {
		if n.Name == primary && n.FailingOver {
			d.Action, d.Reason = FailoverWait, fmt.Sprintf("primary %s is already handing over", primary)
			return d
		}
	}
	if request == mnemov1.FailoverAny {
		if _, ok := bestReplica(nodes, func(Node) bool { return true }); !ok {
			d.Action, d.Reason = FailoverWait, "no replica is caught up with the log"
			return d
		}
		d.Action, d.Reason = FailoverSend, "handing over to the most caught-up replica"
		return d
	}
	n := nodes[slices.IndexFunc(nodes, func(n Node) bool { return n.Name == request })]
	if n.Role != mnemov1.RoleReplica || !n.CaughtUp() {
		d.Action, d.Reason = FailoverWait, fmt.Sprintf("pod %s is not a replica caught up with the log", request)
		return d
	}
	d.Action, d.Target, d.Reason = FailoverSend, request, fmt.Sprintf("handing over to %s", request)
	return d
}

// FailoverOutcome is how a handoff the operator asked for stands.
type FailoverOutcome int

// Failover outcomes.
const (
	// FailoverPending: the old primary is still primary, or no node is.
	FailoverPending FailoverOutcome = iota
	// FailoverCompleted: the requested node (any other, for "any") is
	// primary.
	FailoverCompleted
	// FailoverDiverted: another node than the requested one took over
	// (the target did not claim the lease in time and the data plane
	// elected another); the handoff is over all the same.
	FailoverDiverted
)

// FailoverDone reports how a handoff asked of from, for request, stands,
// and which node is primary now.
func FailoverDone(nodes []Node, from, request string) (newPrimary string, outcome FailoverOutcome) {
	p := Primary(nodes)
	switch {
	case p == "" || p == from:
		return p, FailoverPending
	case request == mnemov1.FailoverAny || p == request:
		return p, FailoverCompleted
	}
	return p, FailoverDiverted
}

// ScaleDown decides how many nodes a shard's StatefulSet may have now,
// when it has have and should have want. A StatefulSet removes its highest
// ordinals, so when the primary is among them it is handed over first, to
// the most caught-up replica that stays: the StatefulSet keeps have nodes
// until then, and handoffTo names the target. When no node answers at all
// there is no data plane to protect and the nodes go at once.
func ScaleDown(nodes []Node, have, want int32) (replicas int32, handoffTo, reason string) {
	if want >= have {
		return want, "", ""
	}
	answered := slices.ContainsFunc(nodes, func(n Node) bool { return n.Answered })
	if !answered {
		return want, "", ""
	}
	primary := Primary(nodes)
	if primary == "" {
		return have, "", "no node answers as primary; removing nodes waits for the election"
	}
	i := slices.IndexFunc(nodes, func(n Node) bool { return n.Name == primary })
	if nodes[i].Ordinal < int(want) {
		return want, "", ""
	}
	if nodes[i].FailingOver {
		return have, "", fmt.Sprintf("primary %s is handing over", primary)
	}
	target, ok := bestReplica(nodes, func(n Node) bool { return n.Ordinal < int(want) })
	if !ok {
		return have, "", fmt.Sprintf("primary %s is to be removed; waiting for a replica that stays to catch up, to hand over to", primary)
	}
	return have, target.Name, fmt.Sprintf("primary %s is to be removed; handing over to %s first", primary, target.Name)
}
