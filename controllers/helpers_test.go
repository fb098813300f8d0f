package controllers

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

func TestSnapshotProgress(t *testing.T) {
	for _, tc := range []struct {
		shards, done int
		failed       string
		phase        mnemov1.SnapshotPhase
		msg          string
	}{
		{3, 0, "", mnemov1.SnapshotCreating, "0/3 shard snapshots written"},
		{3, 2, "", mnemov1.SnapshotCreating, "2/3 shard snapshots written"},
		{3, 3, "", mnemov1.SnapshotAvailable, "all 3 shard snapshots written"},
		{3, 3, "Job s-shard-1 failed: BackoffLimitExceeded", mnemov1.SnapshotFailed, "Job s-shard-1 failed: BackoffLimitExceeded"},
	} {
		phase, _, msg := snapshotProgress(tc.shards, tc.done, tc.failed)
		if phase != tc.phase || msg != tc.msg {
			t.Errorf("snapshotProgress(%d, %d, %q) = %s %q, want %s %q", tc.shards, tc.done, tc.failed, phase, msg, tc.phase, tc.msg)
		}
	}
}

func TestStatusConditions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cond   metav1.Condition
		status metav1.ConditionStatus
		reason string
	}{
		{"group invalid", parameterGroupCondition(errors.New(`hz "0": must be between 1 and 500`), 2), metav1.ConditionFalse, mnemov1.ReasonInvalidParameters},
		{"group unused", parameterGroupCondition(nil, 0), metav1.ConditionTrue, mnemov1.ReasonValid},
		{"group used", parameterGroupCondition(nil, 1), metav1.ConditionTrue, mnemov1.ReasonInUse},
		{"acl missing users", aclCondition([]string{"bob", "carol"}), metav1.ConditionFalse, mnemov1.ReasonUserNotFound},
		{"acl complete", aclCondition(nil), metav1.ConditionTrue, mnemov1.ReasonAvailable},
	} {
		if tc.cond.Status != tc.status || tc.cond.Reason != tc.reason || tc.cond.Message == "" || tc.cond.Type != mnemov1.ConditionReady {
			t.Errorf("%s: %+v, want %s %s", tc.name, tc.cond, tc.status, tc.reason)
		}
	}
	if c := aclCondition([]string{"bob", "carol"}); c.Message != "no such users: bob, carol" {
		t.Errorf("acl message %q", c.Message)
	}
	if phase, c := userState("Secret pw does not exist"); phase != mnemov1.UserModifying || c.Status != metav1.ConditionFalse || c.Message != "Secret pw does not exist" {
		t.Errorf("user with a missing Secret: %s %+v", phase, c)
	}
	if phase, c := userState(""); phase != mnemov1.UserActive || c.Status != metav1.ConditionTrue {
		t.Errorf("user resolved: %s %+v", phase, c)
	}
}

func TestLastSnapshot(t *testing.T) {
	at := func(h int) *metav1.Time { return &metav1.Time{Time: time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC)} }
	snap := func(name string, phase mnemov1.SnapshotPhase, finished *metav1.Time) mnemov1.Snapshot {
		s := mnemov1.Snapshot{}
		s.Name, s.Status.Phase, s.Status.FinishTime = name, phase, finished
		return s
	}
	last, running := lastSnapshot([]mnemov1.Snapshot{
		snap("old", mnemov1.SnapshotAvailable, at(1)),
		snap("new", mnemov1.SnapshotAvailable, at(5)),
		snap("broken", mnemov1.SnapshotFailed, at(7)),
		snap("mid", mnemov1.SnapshotAvailable, at(3)),
	})
	if last == nil || last.Name != "new" || running {
		t.Errorf("got %+v, running %v; want new, not running", last, running)
	}
	if _, running := lastSnapshot([]mnemov1.Snapshot{snap("fresh", "", nil)}); !running {
		t.Error("a snapshot not yet started counts as running")
	}
	if last, _ := lastSnapshot(nil); last != nil {
		t.Errorf("no snapshots: got %+v", last)
	}
}

func TestSetClusterStatus(t *testing.T) {
	h := plan.ClusterHealth(plan.ClusterObservation{WantShards: 1, LogReplicas: 3})
	var st mnemov1.ClusterStatus
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	setClusterStatus(&st, 4, h, []mnemov1.ShardSummary{{Name: "s"}}, nil, t0)
	if st.Phase != mnemov1.ClusterCreating || st.ObservedGeneration != 4 || len(st.Conditions) != 3 || len(st.Shards) != 1 {
		t.Fatalf("status %+v", st)
	}
	// The same health later keeps the transition times; a change moves them.
	setClusterStatus(&st, 5, h, nil, nil, t0.Add(time.Hour))
	for _, c := range st.Conditions {
		if !c.LastTransitionTime.Time.Equal(t0) || c.ObservedGeneration != 5 {
			t.Errorf("condition %s: transition %s generation %d; want %s and 5", c.Type, c.LastTransitionTime, c.ObservedGeneration, t0)
		}
	}
	ready := plan.ClusterHealth(plan.ClusterObservation{WantShards: 1, LogReplicas: 3, LogReady: 3,
		Shards: []plan.ShardObservation{{Nodes: 1, ReadyNodes: 1, UpdatedNodes: 1}}})
	t2 := t0.Add(2 * time.Hour)
	setClusterStatus(&st, 5, ready, nil, &mnemov1.LastSnapshot{Name: "x"}, t2)
	for _, c := range st.Conditions {
		if c.Type == mnemov1.ConditionReady && (c.Status != metav1.ConditionTrue || !c.LastTransitionTime.Time.Equal(t2)) {
			t.Errorf("Ready %+v", c)
		}
	}
	if st.Phase != mnemov1.ClusterAvailable || st.LastSnapshot == nil || st.LastSnapshot.Name != "x" {
		t.Errorf("status %+v", st)
	}
}

func TestShardNodes(t *testing.T) {
	pod := func(name string, ready corev1.ConditionStatus) corev1.Pod {
		p := corev1.Pod{}
		p.Name = name
		p.Annotations = map[string]string{"mnemo.dev/node-type": "db.t4g.small"}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
		return p
	}
	nodes := shardNodes([]corev1.Pod{pod("s-1", corev1.ConditionFalse), pod("s-0", corev1.ConditionTrue)},
		[]plan.Node{{Name: "s-0", Role: mnemov1.RolePrimary, Offset: 12, Updated: true}, {Name: "s-1", Lag: 3}})
	if len(nodes) != 2 || nodes[0].Name != "s-0" || !nodes[0].Ready || nodes[1].Ready ||
		nodes[0].Role != mnemov1.RolePrimary || nodes[1].Role != mnemov1.RoleUnknown || nodes[0].NodeType != "db.t4g.small" ||
		nodes[0].AppliedSequence != 12 || !nodes[0].Updated || nodes[1].Lag != 3 {
		t.Errorf("nodes %+v", nodes)
	}
}

func TestParseReplication(t *testing.T) {
	var n plan.Node
	parseReplication(&n, "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_failover_state:no-failover\r\n"+
		"master_repl_offset:41\r\nmnemo_lease_epoch:3\r\nmnemo_log_tail:45\r\nmnemo_repl_lag:4\r\n\r\n# Memory\r\nused_memory:1048576\r\nmaxmemory:4194304\r\n")
	if !n.Answered || n.Role != mnemov1.RoleReplica || n.Offset != 41 || n.Epoch != 3 || n.Lag != 4 || n.FailingOver ||
		n.UsedMemory != 1<<20 || n.MaxMemory != 4<<20 {
		t.Errorf("replica: %+v", n)
	}
	n = plan.Node{}
	parseReplication(&n, "role:master\r\nmaster_failover_state:waiting-for-sync\r\n")
	if n.Role != mnemov1.RolePrimary || !n.FailingOver {
		t.Errorf("primary handing over: %+v", n)
	}
	n = plan.Node{}
	parseReplication(&n, "ERR nope")
	if n.Answered {
		t.Error("a reply without a role is no answer")
	}
	for name, want := range map[string]int{"orders-shard-1-2": 2, "x-10": 10, "nodash": -1, "a-b": -1} {
		if got := podOrdinal(name); got != want {
			t.Errorf("podOrdinal(%s) = %d, want %d", name, got, want)
		}
	}
}
