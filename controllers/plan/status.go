package plan

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// Problem is a reason a Cluster's spec cannot be carried out, for the
// Degraded condition: a reference that does not resolve, an invalid value.
type Problem struct {
	// Reason is a condition reason from the api package.
	Reason string
	// Message says, for people, what is wrong and what to do.
	Message string
}

// ShardObservation is what the operator saw of one shard.
type ShardObservation struct {
	// Name of the Shard.
	Name string
	// Nodes wanted and ReadyNodes ready.
	Nodes, ReadyNodes int32
	// UpdatedNodes run the current pod template.
	UpdatedNodes int32
}

// ClusterObservation is what the operator saw of a Cluster's objects, the
// input of ClusterHealth.
type ClusterObservation struct {
	// Deleting: the Cluster has a deletion timestamp.
	Deleting bool
	// Paused: spec.paused.
	Paused bool
	// Problem, if set, stops the spec from being carried out.
	Problem *Problem
	// Impairment, if set, is wrong but does not stop the rest: a user an
	// ACL lists that does not exist, a password Secret that is missing.
	Impairment *Problem
	// WantShards is spec.numShards; Shards are the shards that exist.
	WantShards int32
	Shards     []ShardObservation
	// LogReplicas wanted and LogReady ready.
	LogReplicas, LogReady int32
	// WasAvailable: the Cluster has been Available before (its Ready
	// condition has been True), so not-ready now means updating or
	// degraded, not creating.
	WasAvailable bool
	// Resharding: numShards changed and slots are still moving.
	Resharding bool
	// Snapshotting: a snapshot of the Cluster is being taken.
	Snapshotting bool
}

// Health is a Cluster's phase and conditions, as ClusterHealth decides
// them. Conditions carry no times: the status patcher sets them.
type Health struct {
	Phase                        mnemov1.ClusterPhase
	Ready, Progressing, Degraded metav1.Condition
}

// Conditions returns the three conditions in a fixed order.
func (h Health) Conditions() []metav1.Condition {
	return []metav1.Condition{h.Ready, h.Progressing, h.Degraded}
}

func cond(typ string, status bool, reason, msg string) metav1.Condition {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: msg}
}

// ClusterHealth decides a Cluster's phase and conditions from what was
// observed.
func ClusterHealth(o ClusterObservation) Health {
	var nodes, ready, updated int32
	for _, s := range o.Shards {
		nodes += s.Nodes
		ready += s.ReadyNodes
		updated += s.UpdatedNodes
	}
	allShards := int32(len(o.Shards)) == o.WantShards
	nodesReady := allShards && ready == nodes
	logReady := o.LogReady >= o.LogReplicas
	rolling := updated < nodes || !allShards || o.Resharding
	readyMsg := fmt.Sprintf("%d/%d data nodes and %d/%d log servers ready", ready, nodes, o.LogReady, o.LogReplicas)
	if !allShards {
		readyMsg = fmt.Sprintf("%d/%d shards exist; ", len(o.Shards), o.WantShards) + readyMsg
	}
	allReady := nodesReady && logReady

	h := Health{
		Ready:       cond(mnemov1.ConditionReady, allReady, mnemov1.ReasonAvailable, readyMsg),
		Progressing: cond(mnemov1.ConditionProgressing, false, mnemov1.ReasonAsExpected, "no change in progress"),
		Degraded:    cond(mnemov1.ConditionDegraded, false, mnemov1.ReasonAsExpected, "nothing is wrong"),
	}
	if !allReady {
		h.Ready.Reason = mnemov1.ReasonNodesNotReady
	}
	switch {
	case o.Deleting:
		h.Phase = mnemov1.ClusterDeleting
		h.Progressing = cond(mnemov1.ConditionProgressing, true, mnemov1.ReasonUpdating, "the Cluster is being deleted")
	case o.Problem != nil:
		h.Phase = mnemov1.ClusterFailed
		h.Degraded = cond(mnemov1.ConditionDegraded, true, o.Problem.Reason, o.Problem.Message)
		h.Progressing = cond(mnemov1.ConditionProgressing, false, o.Problem.Reason, "waiting for the problem to be fixed")
	case o.Paused:
		h.Phase = mnemov1.ClusterPaused
		h.Progressing = cond(mnemov1.ConditionProgressing, false, mnemov1.ReasonPaused, "spec.paused is set; the operator changes nothing")
	case o.Impairment != nil && !allReady && !o.WasAvailable:
		h.Phase = mnemov1.ClusterCreating
		h.Progressing = cond(mnemov1.ConditionProgressing, true, mnemov1.ReasonCreating, readyMsg)
		h.Degraded = cond(mnemov1.ConditionDegraded, true, o.Impairment.Reason, o.Impairment.Message)
	case o.Impairment != nil:
		h.Phase = mnemov1.ClusterAvailable
		if rolling {
			h.Phase = mnemov1.ClusterUpdating
		}
		h.Degraded = cond(mnemov1.ConditionDegraded, true, o.Impairment.Reason, o.Impairment.Message)
	case allReady && !rolling && o.Snapshotting:
		h.Phase = mnemov1.ClusterSnapshotting
		h.Progressing = cond(mnemov1.ConditionProgressing, true, mnemov1.ReasonUpdating, "a snapshot is being taken")
	case allReady && !rolling:
		h.Phase = mnemov1.ClusterAvailable
	case !o.WasAvailable:
		h.Phase = mnemov1.ClusterCreating
		h.Progressing = cond(mnemov1.ConditionProgressing, true, mnemov1.ReasonCreating, readyMsg)
	case rolling:
		h.Phase = mnemov1.ClusterUpdating
		h.Progressing = cond(mnemov1.ConditionProgressing, true, mnemov1.ReasonUpdating,
			fmt.Sprintf("%d/%d data nodes updated", updated, nodes))
	default:
		// Was available, nothing rolling, yet not all ready: failover or a
		// lost pod. The data plane handles it; the endpoint still serves.
		h.Phase = mnemov1.ClusterAvailable
		h.Degraded = cond(mnemov1.ConditionDegraded, true, mnemov1.ReasonNodesNotReady, readyMsg)
	}
	return h
}

// ShardHealth decides a Shard's conditions from its nodes.
func ShardHealth(s ShardObservation) []metav1.Condition {
	msg := fmt.Sprintf("%d/%d nodes ready, %d updated", s.ReadyNodes, s.Nodes, s.UpdatedNodes)
	ready := s.ReadyNodes == s.Nodes
	rolling := s.UpdatedNodes < s.Nodes
	out := []metav1.Condition{
		cond(mnemov1.ConditionReady, ready, mnemov1.ReasonAvailable, msg),
		cond(mnemov1.ConditionProgressing, rolling, mnemov1.ReasonUpdating, msg),
		cond(mnemov1.ConditionDegraded, !ready && !rolling && s.ReadyNodes > 0, mnemov1.ReasonNodesNotReady, msg),
	}
	if !ready {
		out[0].Reason = mnemov1.ReasonNodesNotReady
	}
	if !rolling {
		out[1].Reason = mnemov1.ReasonAsExpected
	}
	if out[2].Status == metav1.ConditionFalse {
		out[2].Reason = mnemov1.ReasonAsExpected
	}
	return out
}

// NodeTypeRollout reports a change of node type still rolling out: the
// nodes (as the Shards list them, each with the node type its pod runs)
// that do not run want yet. It returns nil when every node does.
func NodeTypeRollout(want string, nodes []mnemov1.ShardNode) *mnemov1.RolloutStatus {
	var from string
	var updated int32
	for _, n := range nodes {
		if n.NodeType == want {
			updated++
		} else if from == "" {
			from = n.NodeType
		}
	}
	if from == "" {
		return nil
	}
	return &mnemov1.RolloutStatus{From: from, To: want, UpdatedNodes: updated, TotalNodes: int32(len(nodes))}
}
