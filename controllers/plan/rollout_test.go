package plan

import (
	"slices"
	"testing"
	"time"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// node builds a healthy, caught-up node of ordinal i with a role; opts
// change it.
func node(i int, role mnemov1.NodeRole, opts ...func(*Node)) Node {
	n := Node{Name: "s-" + string(rune('0'+i)), Ordinal: i, Running: true, Ready: true, Answered: true, Role: role, Epoch: 1, Age: time.Hour}
	for _, o := range opts {
		o(&n)
	}
	return n
}

func updated(n *Node)     { n.Updated = true }
func terminating(n *Node) { n.Terminating = true }
func notReady(n *Node)    { n.Ready = false }
func pending(n *Node) {
	n.Running, n.Ready, n.Answered, n.Role = false, false, false, mnemov1.RoleUnknown
}
func young(n *Node)   { n.Age = time.Minute }
func failing(n *Node) { n.FailingOver = true }
func lag(l int64) func(*Node) {
	return func(n *Node) { n.Lag = l }
}

func TestNextRolloutStep(t *testing.T) {
	P, R := mnemov1.RolePrimary, mnemov1.RoleReplica
	for _, tc := range []struct {
		name   string
		nodes  []Node
		want   int
		action RolloutAction
		pod    string
	}{
		{"all updated", []Node{node(0, P, updated), node(1, R, updated)}, 2, RolloutDone, ""},
		{"replicas first, lowest ordinal first", []Node{node(0, P), node(1, R), node(2, R)}, 3, RolloutDelete, "s-1"},
		{"primary at a high ordinal is still last", []Node{node(0, R), node(1, R), node(2, P)}, 3, RolloutDelete, "s-0"},
		{"next replica after the first is caught up", []Node{node(0, P), node(1, R, updated), node(2, R)}, 3, RolloutDelete, "s-2"},
		{"one at a time: wait while a pod is replaced", []Node{node(0, P), node(1, R, terminating), node(2, R)}, 3, RolloutWait, "s-1"},
		{"wait for the restarted replica to catch up", []Node{node(0, P), node(1, R, updated, young, lag(5000)), node(2, R)}, 3, RolloutWait, "s-1"},
		{"a small lag under load counts as caught up", []Node{node(0, P), node(1, R, updated, lag(MaxCaughtUpLag)), node(2, R)}, 3, RolloutDelete, "s-2"},
		{"wait for the restarted replica to be ready", []Node{node(0, P), node(1, R, updated, young, notReady), node(2, R)}, 3, RolloutWait, "s-1"},
		{"restarted replica stuck past the deadline blocks", []Node{node(0, P), node(1, R, updated, notReady), node(2, R)}, 3, RolloutBlocked, "s-1"},
		{"an unhealthy old replica blocks", []Node{node(0, P), node(1, R), node(2, R, notReady)}, 3, RolloutBlocked, "s-2"},
		{"a lagging old replica blocks", []Node{node(0, P), node(1, R, lag(MaxCaughtUpLag+1)), node(2, R)}, 3, RolloutBlocked, "s-1"},
		{"then hand the primary over to an updated replica", []Node{node(0, P), node(1, R, updated, lag(3)), node(2, R, updated)}, 3, RolloutHandoff, "s-2"},
		{"handoff prefers the lowest ordinal on equal lag", []Node{node(0, P), node(1, R, updated), node(2, R, updated)}, 3, RolloutHandoff, "s-1"},
		{"wait while the primary hands over", []Node{node(0, P, failing), node(1, R, updated), node(2, R, updated)}, 3, RolloutWait, "s-0"},
		{"then the old primary, a replica now", []Node{node(0, R), node(1, P, updated), node(2, R, updated)}, 3, RolloutDelete, "s-0"},
		{"no replica: the primary restarts", []Node{node(0, P)}, 1, RolloutDelete, "s-0"},
		{"old pods that do not run go at once", []Node{node(0, P, pending), node(1, R, pending)}, 2, RolloutDelete, "s-0"},
		{"no primary: wait for the election", []Node{node(0, R), node(1, R)}, 2, RolloutWait, ""},
		{"missing pods are waited for", []Node{node(0, P), node(1, R, updated)}, 3, RolloutWait, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NextRolloutStep(tc.nodes, tc.want)
			if got.Action != tc.action || got.Pod != tc.pod || got.Reason == "" {
				t.Errorf("got %s %q (%s), want %s %q", got.Action, got.Pod, got.Reason, tc.action, tc.pod)
			}
		})
	}
}

// Driving the decision step by step, as the operator would, rolls
// replicas first, one at a time, then the primary after a handoff.
func TestRolloutOrder(t *testing.T) {
	nodes := []Node{node(0, mnemov1.RoleReplica), node(1, mnemov1.RolePrimary), node(2, mnemov1.RoleReplica)}
	var order []string
	for step := 0; step < 10; step++ {
		s := NextRolloutStep(nodes, 3)
		switch s.Action {
		case RolloutDone:
			if want := []string{"delete s-0", "delete s-2", "handoff s-0", "delete s-1"}; !slices.Equal(order, want) {
				t.Fatalf("order %v, want %v", order, want)
			}
			return
		case RolloutDelete:
			i := slices.IndexFunc(nodes, func(n Node) bool { return n.Name == s.Pod })
			if nodes[i].Role == mnemov1.RolePrimary && len(nodes) > 1 {
				t.Fatalf("deleted the primary %s", s.Pod)
			}
			nodes[i].Updated = true
			order = append(order, "delete "+s.Pod)
		case RolloutHandoff:
			for i := range nodes {
				nodes[i].Role = mnemov1.RoleReplica
				if nodes[i].Name == s.Pod {
					nodes[i].Role, nodes[i].Epoch = mnemov1.RolePrimary, 2
				}
			}
			order = append(order, "handoff "+s.Pod)
		default:
			t.Fatalf("step %d: unexpected %s %s", step, s.Action, s.Reason)
		}
	}
	t.Fatalf("no end after 10 steps: %v", order)
}

func TestShardsToRoll(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shards []ShardRollout
		max    int
		want   []int32
	}{
		{"none pending", []ShardRollout{{Index: 0}, {Index: 1}}, 1, []int32{}},
		{"one at a time, by index", []ShardRollout{{Index: 0}, {Index: 1, Pending: true}, {Index: 2, Pending: true}}, 1, []int32{1}},
		{"a shard part-way through keeps its turn", []ShardRollout{{Index: 0, Pending: true}, {Index: 2, Pending: true, Started: true}}, 1, []int32{2}},
		{"a configured few", []ShardRollout{{Index: 0, Pending: true}, {Index: 1, Pending: true}, {Index: 2, Pending: true}}, 2, []int32{0, 1}},
		{"zero means one", []ShardRollout{{Index: 3, Pending: true}}, 0, []int32{3}},
	} {
		if got := ShardsToRoll(tc.shards, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestInMaintenanceWindow(t *testing.T) {
	sun2330 := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) // a Sunday
	for _, tc := range []struct {
		window string
		now    time.Time
		open   bool
	}{
		{"", sun2330, true},
		{"sun:23:00-mon:01:30", sun2330, true},
		{"sun:23:00-mon:01:30", sun2330.Add(3 * time.Hour), false},
		{"sat:23:00-sun:01:00", sun2330, false},
		{"bad", sun2330, false},
	} {
		open, why := InMaintenanceWindow(tc.window, tc.now)
		if open != tc.open || (!open && why == "") {
			t.Errorf("%q at %s: %v %q, want %v", tc.window, tc.now, open, why, tc.open)
		}
	}
}
