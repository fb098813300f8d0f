package plan

import (
	"testing"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func TestPrimary(t *testing.T) {
	P, R := mnemov1.RolePrimary, mnemov1.RoleReplica
	epoch := func(e int64) func(*Node) { return func(n *Node) { n.Epoch = e } }
	for _, tc := range []struct {
		name  string
		nodes []Node
		want  string
	}{
		{"one primary", []Node{node(0, R), node(1, P)}, "s-1"},
		{"none", []Node{node(0, R), node(1, R, pending)}, ""},
		{"a deposed primary that has not noticed loses to the newer epoch", []Node{node(0, P, epoch(3)), node(1, P, epoch(4))}, "s-1"},
		{"a terminating primary is not counted", []Node{node(0, P, terminating), node(1, R)}, ""},
	} {
		if got := Primary(tc.nodes); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPlanFailover(t *testing.T) {
	P, R := mnemov1.RolePrimary, mnemov1.RoleReplica
	for _, tc := range []struct {
		name    string
		nodes   []Node
		request string
		action  FailoverAction
		target  string
	}{
		{"any: the data plane picks", []Node{node(0, P), node(1, R)}, "any", FailoverSend, ""},
		{"named replica", []Node{node(0, P), node(1, R), node(2, R)}, "s-2", FailoverSend, "s-2"},
		{"named primary: nothing to do", []Node{node(0, P), node(1, R)}, "s-0", FailoverNothing, ""},
		{"unknown pod", []Node{node(0, P), node(1, R)}, "s-7", FailoverReject, ""},
		{"no replica", []Node{node(0, P)}, "any", FailoverReject, ""},
		{"no primary yet", []Node{node(0, R), node(1, R)}, "any", FailoverWait, ""},
		{"target lagging", []Node{node(0, P), node(1, R, lag(MaxCaughtUpLag+1))}, "s-1", FailoverWait, ""},
		{"target not ready", []Node{node(0, P), node(1, R, notReady)}, "s-1", FailoverWait, ""},
		{"any, but none caught up", []Node{node(0, P), node(1, R, pending)}, "any", FailoverWait, ""},
		{"a handoff is already running", []Node{node(0, P, failing), node(1, R)}, "any", FailoverWait, ""},
	} {
		got := PlanFailover(tc.nodes, tc.request)
		if got.Action != tc.action || got.Target != tc.target || got.Reason == "" {
			t.Errorf("%s: got %+v, want action %d target %q", tc.name, got, tc.action, tc.target)
		}
	}
}

func TestFailoverDone(t *testing.T) {
	P, R := mnemov1.RolePrimary, mnemov1.RoleReplica
	for _, tc := range []struct {
		name        string
		nodes       []Node
		from, req   string
		wantPrimary string
		outcome     FailoverOutcome
	}{
		{"still the old primary", []Node{node(0, P), node(1, R)}, "s-0", "s-1", "s-0", FailoverPending},
		{"the requested pod took over", []Node{node(0, R), node(1, P)}, "s-0", "s-1", "s-1", FailoverCompleted},
		{"any other pod, for any", []Node{node(0, R), node(1, R), node(2, P)}, "s-0", "any", "s-2", FailoverCompleted},
		{"another pod than asked", []Node{node(0, R), node(1, R), node(2, P)}, "s-0", "s-1", "s-2", FailoverDiverted},
		{"between primaries", []Node{node(0, R), node(1, R)}, "s-0", "any", "", FailoverPending},
	} {
		p, outcome := FailoverDone(tc.nodes, tc.from, tc.req)
		if p != tc.wantPrimary || outcome != tc.outcome {
			t.Errorf("%s: got %q %v, want %q %v", tc.name, p, outcome, tc.wantPrimary, tc.outcome)
		}
	}
}

func TestScaleDown(t *testing.T) {
	P, R := mnemov1.RolePrimary, mnemov1.RoleReplica
	for _, tc := range []struct {
		name       string
		nodes      []Node
		have, want int32
		replicas   int32
		handoffTo  string
	}{
		{"scale up", []Node{node(0, P)}, 1, 3, 3, ""},
		{"removed replica is not the primary", []Node{node(0, P), node(1, R), node(2, R)}, 3, 2, 2, ""},
		{"primary among the removed: hand over first", []Node{node(0, R), node(1, R, lag(7)), node(2, P)}, 3, 2, 3, "s-0"},
		{"hand over to the most caught-up that stays", []Node{node(0, R, lag(9)), node(1, R, lag(2)), node(2, P)}, 3, 2, 3, "s-1"},
		{"no replica that stays is caught up: wait", []Node{node(0, R, notReady), node(1, R), node(2, P)}, 3, 1, 3, ""},
		{"no primary known: wait", []Node{node(0, R), node(1, R)}, 2, 1, 2, ""},
		{"no node answers: nothing to protect", []Node{node(0, P, pending), node(1, R, pending)}, 2, 1, 1, ""},
		{"handoff running: wait", []Node{node(0, R), node(1, P, failing)}, 2, 1, 2, ""},
	} {
		replicas, to, why := ScaleDown(tc.nodes, tc.have, tc.want)
		if replicas != tc.replicas || to != tc.handoffTo || (replicas != tc.want && why == "") {
			t.Errorf("%s: got %d %q (%s), want %d %q", tc.name, replicas, to, why, tc.replicas, tc.handoffTo)
		}
	}
}
