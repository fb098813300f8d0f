package plan

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func TestClusterHealth(t *testing.T) {
	ready := func(n int32) ShardObservation {
		return ShardObservation{Name: "s", Nodes: n, ReadyNodes: n, UpdatedNodes: n}
	}
	healthy := ClusterObservation{WantShards: 2, Shards: []ShardObservation{ready(2), ready(2)}, LogReplicas: 3, LogReady: 3}
	with := func(f func(*ClusterObservation)) ClusterObservation {
		o := healthy
		o.Shards = append([]ShardObservation(nil), healthy.Shards...)
		f(&o)
		return o
	}
	T, F := metav1.ConditionTrue, metav1.ConditionFalse
	for _, tc := range []struct {
		name                         string
		obs                          ClusterObservation
		phase                        mnemov1.ClusterPhase
		ready, progressing, degraded metav1.ConditionStatus
		reason                       string // the deciding condition's reason
	}{
		{"all ready", healthy, mnemov1.ClusterAvailable, T, F, F, mnemov1.ReasonAvailable},
		{"new, nothing ready", with(func(o *ClusterObservation) {
			o.Shards = nil
			o.LogReady = 0
		}), mnemov1.ClusterCreating, F, T, F, mnemov1.ReasonCreating},
		{"new, log not ready", with(func(o *ClusterObservation) { o.LogReady = 2 }), mnemov1.ClusterCreating, F, T, F, mnemov1.ReasonCreating},
		{"node type rolling", with(func(o *ClusterObservation) {
			o.WasAvailable = true
			o.Shards[0].UpdatedNodes = 1
			o.Shards[0].ReadyNodes = 1
		}), mnemov1.ClusterUpdating, F, T, F, mnemov1.ReasonUpdating},
		{"resharding", with(func(o *ClusterObservation) {
			o.WasAvailable = true
			o.Resharding = true
		}), mnemov1.ClusterUpdating, T, T, F, mnemov1.ReasonUpdating},
		{"scaled out, new shard missing", with(func(o *ClusterObservation) {
			o.WasAvailable = true
			o.WantShards = 3
		}), mnemov1.ClusterUpdating, F, T, F, mnemov1.ReasonUpdating},
		{"lost a pod while available", with(func(o *ClusterObservation) {
			o.WasAvailable = true
			o.Shards[1].ReadyNodes = 1
		}), mnemov1.ClusterAvailable, F, F, T, mnemov1.ReasonNodesNotReady},
		{"problem wins", with(func(o *ClusterObservation) {
			o.Problem = &Problem{Reason: mnemov1.ReasonUnknownNodeType, Message: "unknown"}
		}), mnemov1.ClusterFailed, T, F, T, mnemov1.ReasonUnknownNodeType},
		{"impaired while creating", with(func(o *ClusterObservation) {
			o.LogReady = 0
			o.Impairment = &Problem{Reason: mnemov1.ReasonUserNotFound, Message: "no user bob"}
		}), mnemov1.ClusterCreating, F, T, T, mnemov1.ReasonUserNotFound},
		{"impaired while available", with(func(o *ClusterObservation) {
			o.Impairment = &Problem{Reason: mnemov1.ReasonSecretNotFound, Message: "no secret"}
		}), mnemov1.ClusterAvailable, T, F, T, mnemov1.ReasonSecretNotFound},
		{"paused", with(func(o *ClusterObservation) { o.Paused = true }), mnemov1.ClusterPaused, T, F, F, mnemov1.ReasonPaused},
		{"snapshotting", with(func(o *ClusterObservation) { o.Snapshotting = true }), mnemov1.ClusterSnapshotting, T, T, F, mnemov1.ReasonUpdating},
		{"deleting", with(func(o *ClusterObservation) { o.Deleting = true }), mnemov1.ClusterDeleting, T, T, F, mnemov1.ReasonUpdating},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := ClusterHealth(tc.obs)
			if h.Phase != tc.phase {
				t.Errorf("phase %s, want %s", h.Phase, tc.phase)
			}
			if h.Ready.Status != tc.ready || h.Progressing.Status != tc.progressing || h.Degraded.Status != tc.degraded {
				t.Errorf("Ready/Progressing/Degraded = %s/%s/%s, want %s/%s/%s",
					h.Ready.Status, h.Progressing.Status, h.Degraded.Status, tc.ready, tc.progressing, tc.degraded)
			}
			reason := h.Ready.Reason
			switch {
			case h.Degraded.Status == T:
				reason = h.Degraded.Reason
			case h.Progressing.Status == T || h.Phase == mnemov1.ClusterPaused:
				reason = h.Progressing.Reason
			}
			if reason != tc.reason {
				t.Errorf("reason %s, want %s", reason, tc.reason)
			}
			for _, c := range h.Conditions() {
				if c.Reason == "" || c.Message == "" {
					t.Errorf("condition %s lacks a reason or message: %+v", c.Type, c)
				}
			}
		})
	}
}

func TestShardHealth(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		obs                          ShardObservation
		ready, progressing, degraded metav1.ConditionStatus
	}{
		{"ready", ShardObservation{Nodes: 3, ReadyNodes: 3, UpdatedNodes: 3}, "True", "False", "False"},
		{"starting", ShardObservation{Nodes: 3}, "False", "True", "False"},
		{"rolling", ShardObservation{Nodes: 3, ReadyNodes: 2, UpdatedNodes: 1}, "False", "True", "False"},
		{"lost a node", ShardObservation{Nodes: 3, ReadyNodes: 2, UpdatedNodes: 3}, "False", "False", "True"},
	} {
		c := ShardHealth(tc.obs)
		if c[0].Status != tc.ready || c[1].Status != tc.progressing || c[2].Status != tc.degraded {
			t.Errorf("%s: %s/%s/%s, want %s/%s/%s", tc.name, c[0].Status, c[1].Status, c[2].Status, tc.ready, tc.progressing, tc.degraded)
		}
	}
}

func TestNodeTypeRollout(t *testing.T) {
	node := func(nt string) mnemov1.ShardNode { return mnemov1.ShardNode{NodeType: nt} }
	for _, tc := range []struct {
		name  string
		nodes []mnemov1.ShardNode
		want  *mnemov1.RolloutStatus
	}{
		{"no nodes", nil, nil},
		{"all updated", []mnemov1.ShardNode{node("db.r7g.large"), node("db.r7g.large")}, nil},
		{"half way", []mnemov1.ShardNode{node("db.r7g.large"), node("db.t4g.small"), node("db.t4g.small")},
			&mnemov1.RolloutStatus{From: "db.t4g.small", To: "db.r7g.large", UpdatedNodes: 1, TotalNodes: 3}},
		{"not started", []mnemov1.ShardNode{node("db.t4g.small")},
			&mnemov1.RolloutStatus{From: "db.t4g.small", To: "db.r7g.large", UpdatedNodes: 0, TotalNodes: 1}},
	} {
		got := NodeTypeRollout("db.r7g.large", tc.nodes)
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
