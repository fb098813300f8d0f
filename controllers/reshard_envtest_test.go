package controllers_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// fakeSlotPlane stands in for the data plane's slot map for the Clusters
// a test registers (envtest runs no pods, so no node can answer CLUSTER
// SHARDS); every other Cluster gets the real one. A registered map
// changes only as the test says: a new shard's primary joins, the move
// that runs ends (moving its slots or not). It notes every move the
// operator starts while another runs, which the operator must never do.
type fakeSlotPlane struct {
	real controllers.SlotPlane

	mu       sync.Mutex
	clusters map[types.NamespacedName]*fakeSlotMap
}

type fakeSlotMap struct {
	live       plan.LiveSlots
	started    []plan.Move
	violations []string
}

var fakeSlots = &fakeSlotPlane{real: controllers.NewNodeSlotPlane(loopbackNodes), clusters: map[types.NamespacedName]*fakeSlotMap{}}

func (f *fakeSlotPlane) SlotMap(ctx context.Context, c *mnemov1.Cluster, pods []corev1.Pod) (plan.LiveSlots, error) {
	f.mu.Lock()
	m := f.clusters[types.NamespacedName{Namespace: c.Namespace, Name: c.Name}]
	if m == nil {
		f.mu.Unlock()
		return f.real.SlotMap(ctx, c, pods)
	}
	defer f.mu.Unlock()
	out := plan.LiveSlots{Migrations: append([]plan.SlotMigration(nil), m.live.Migrations...)}
	for _, s := range m.live.Shards {
		s.Slots = append([]mnemov1.SlotRange(nil), s.Slots...)
		out.Shards = append(out.Shards, s)
	}
	return out, nil
}

func (f *fakeSlotPlane) StartMove(ctx context.Context, c *mnemov1.Cluster, primary *corev1.Pod, mv plan.Move) error {
	f.mu.Lock()
	m := f.clusters[types.NamespacedName{Namespace: c.Namespace, Name: c.Name}]
	if m == nil {
		f.mu.Unlock()
		return f.real.StartMove(ctx, c, primary, mv)
	}
	defer f.mu.Unlock()
	if r := m.live.Running(); r != nil {
		m.violations = append(m.violations, fmt.Sprintf("started %s while %s ran", mv, r.Slots))
		return fmt.Errorf("ERR A slot migration is already in progress on this node")
	}
	if src := m.live.Shard(mv.From); src == nil || src.Primary != primary.Name {
		m.violations = append(m.violations, fmt.Sprintf("started %s on %s, not on the source's primary", mv, primary.Name))
	}
	m.started = append(m.started, mv)
	m.live.Migrations = append(m.live.Migrations, plan.SlotMigration{ID: fmt.Sprint(len(m.started)), From: mv.From, To: mv.To,
		Slots: plan.FormatSlots(mv.Slots), State: "snapshot"})
	return nil
}

func (f *fakeSlotPlane) register(ns, name string, live plan.LiveSlots) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clusters[types.NamespacedName{Namespace: ns, Name: name}] = &fakeSlotMap{live: live}
}

func (f *fakeSlotPlane) with(ns, name string, do func(*fakeSlotMap)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	do(f.clusters[types.NamespacedName{Namespace: ns, Name: name}])
}

// join lists a shard with a primary and no slots, as a new shard's first
// node appears in the cluster.
func (m *fakeSlotMap) join(index int32, primary string) {
	m.live.Shards = append(m.live.Shards, plan.LiveShard{Index: index, Primary: primary})
}

// finish ends the running move: its slots go to the target when moved.
func (m *fakeSlotMap) finish(moved bool) error {
	r := m.live.Running()
	if r == nil {
		return fmt.Errorf("no move runs")
	}
	if !moved {
		r.State, r.Error = plan.MigrationFailed, "cannot reach the target"
		return nil
	}
	r.State = plan.MigrationDone
	owner := map[int32]int32{}
	for _, s := range m.live.Shards {
		for _, rg := range s.Slots {
			for x := rg.Start; x <= rg.End; x++ {
				owner[x] = s.Index
			}
		}
	}
	for _, rg := range plan.ParseSlots(r.Slots) {
		for x := rg.Start; x <= rg.End; x++ {
			owner[x] = r.To
		}
	}
	for i := range m.live.Shards {
		s := &m.live.Shards[i]
		s.Slots = nil
		for x := int32(0); x < plan.NumSlots; x++ {
			if o, ok := owner[x]; !ok || o != s.Index {
				continue
			}
			if n := len(s.Slots); n > 0 && s.Slots[n-1].End == x-1 {
				s.Slots[n-1].End = x
			} else {
				s.Slots = append(s.Slots, mnemov1.SlotRange{Start: x, End: x})
			}
		}
	}
	return nil
}

// markPodsReady plays the kubelet for ns without running anything: every
// pod is Running and Ready, so StatefulSets and the Cluster become ready.
func markPodsReady(t *testing.T, ns string) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			var pods corev1.PodList
			if err := k8s.List(context.Background(), &pods, client.InNamespace(ns)); err != nil {
				continue
			}
			for i := range pods.Items {
				p := &pods.Items[i]
				if p.Status.Phase != corev1.PodRunning && p.DeletionTimestamp.IsZero() {
					_ = setPodStatus(context.Background(), p, true)
				}
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
}

// TestResharding changes numShards 2 → 3 → 2 against a stand-in slot map:
// the new Shard is created and given slots only once its primary is in
// the cluster; moves go one at a time, a failed one is retried from the
// live map; progress shows in status.pendingUpdates.resharding and the
// phase is Updating; a Shard is deleted only once it owns no slot; and
// the existing data nodes' pod templates never change.
func TestResharding(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	const cname = "rs"
	markPodsReady(t, ns)
	var live plan.LiveSlots
	for i, rs := range plan.BalancedSlots(2) {
		live.Shards = append(live.Shards, plan.LiveShard{Index: int32(i), Slots: rs, Primary: fmt.Sprintf("%s-shard-%d-0", cname, i)})
	}
	fakeSlots.register(ns, cname, live)
	c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cname, Namespace: ns}, Spec: mnemov1.ClusterSpec{
		NodeType: "db.dev.micro", NumShards: 2, NumReplicasPerShard: 1, Log: mnemov1.LogSpec{Replicas: 1}}}
	eventually(t, "Cluster admitted", func() error { return k8s.Create(ctx, c) })

	cluster := func() *mnemov1.Cluster {
		t.Helper()
		var got mnemov1.Cluster
		if err := get(ns, cname, &got); err != nil {
			t.Fatal(err)
		}
		return &got
	}
	phase := func(want mnemov1.ClusterPhase) {
		t.Helper()
		eventually(t, "phase "+string(want), func() error {
			if p := cluster().Status.Phase; p != want {
				return fmt.Errorf("phase %s", p)
			}
			return nil
		})
	}
	resharding := func(what string, check func(*mnemov1.ReshardingStatus) error) {
		t.Helper()
		eventually(t, what, func() error {
			r := cluster().Status.PendingUpdates.GetResharding()
			if r == nil {
				return fmt.Errorf("no resharding reported")
			}
			if err := check(r); err != nil {
				return fmt.Errorf("%w: %+v %+v", err, *r, r.CurrentMove)
			}
			return nil
		})
	}
	started := func(n int) []plan.Move {
		t.Helper()
		var moves []plan.Move
		eventually(t, fmt.Sprintf("%d moves started", n), func() error {
			fakeSlots.with(ns, cname, func(m *fakeSlotMap) { moves = append([]plan.Move(nil), m.started...) })
			if len(moves) != n {
				return fmt.Errorf("%d started", len(moves))
			}
			return nil
		})
		return moves
	}
	finish := func(moved bool) {
		t.Helper()
		var err error
		fakeSlots.with(ns, cname, func(m *fakeSlotMap) { err = m.finish(moved) })
		if err != nil {
			t.Fatal(err)
		}
	}
	event := func(reason, contains string) {
		t.Helper()
		eventually(t, "Event "+reason+" "+contains, func() error {
			var list eventsv1.EventList
			if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
				return err
			}
			var seen []string
			for _, e := range list.Items {
				if e.Reason == reason {
					if strings.Contains(e.Note, contains) {
						return nil
					}
					seen = append(seen, e.Note)
				}
			}
			return fmt.Errorf("none among %q", seen)
		})
	}
	shardSlots := func(index int32, want string) {
		t.Helper()
		eventually(t, fmt.Sprintf("Shard %d owns %s", index, want), func() error {
			var s mnemov1.Shard
			if err := get(ns, c.ShardName(index), &s); err != nil {
				return err
			}
			if got := plan.FormatSlots(s.Spec.SlotRanges); got != want {
				return fmt.Errorf("spec says %q", got)
			}
			return nil
		})
	}
	templates := map[string]corev1.PodTemplateSpec{}
	sameTemplates := func() {
		t.Helper()
		for name, before := range templates {
			var sts appsv1.StatefulSet
			if err := get(ns, name, &sts); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(before, sts.Spec.Template) {
				t.Errorf("StatefulSet %s's pod template changed: its nodes would roll", name)
			}
		}
	}

	phase(mnemov1.ClusterAvailable)
	for i := range int32(2) {
		var sts appsv1.StatefulSet
		if err := get(ns, c.ShardName(i), &sts); err != nil {
			t.Fatal(err)
		}
		if args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--cluster-shards 2 ") {
			t.Fatalf("args %s", args)
		}
		templates[sts.Name] = sts.Spec.Template
	}
	if got := cluster().Status.BootstrapShards; got != 2 {
		t.Errorf("status.bootstrapShards %d, want 2", got)
	}
	shardSlots(0, "0-8191")
	shardSlots(1, "8192-16383")

	// Scale out: the new Shard first, no move until its primary joined.
	update(t, ns, cname, &mnemov1.Cluster{}, func(o client.Object) { o.(*mnemov1.Cluster).Spec.NumShards = 3 })
	eventually(t, "Shard 2 created", func() error { return get(ns, c.ShardName(2), &mnemov1.Shard{}) })
	resharding("waiting for shard 2", func(r *mnemov1.ReshardingStatus) error {
		if r.FromShards != 2 || r.ToShards != 3 || r.SlotsToMove != 5461 || !strings.Contains(r.Waiting, "shard 2 has no primary") {
			return fmt.Errorf("not waiting for shard 2")
		}
		return nil
	})
	phase(mnemov1.ClusterUpdating)
	event("ReshardingStarted", "from 2 to 3 shards: 5461 slots to move")
	if moves := started(0); len(moves) != 0 {
		t.Fatalf("moves before the new shard joined: %v", moves)
	}
	fakeSlots.with(ns, cname, func(m *fakeSlotMap) { m.join(2, c.ShardName(2)+"-0") })
	first := started(1)[0]
	if first.From != 0 || first.To != 2 || plan.FormatSlots(first.Slots) != "5462-8191" {
		t.Fatalf("first move %s", first)
	}
	// The operator sees the move running (it adopts it) and starts no
	// other: the fake would note it.
	resharding("the first move running", func(r *mnemov1.ReshardingStatus) error {
		if m := r.CurrentMove; m == nil || m.State != "snapshot" || m.Slots != "5462-8191" || r.ProgressPercent != 0 {
			return fmt.Errorf("move not adopted")
		}
		return nil
	})
	phase(mnemov1.ClusterUpdating)

	// A move that fails is started again, from the live map.
	finish(false)
	event("SlotMoveFailed", "2730 slots (5462-8191) from shard 0 to shard 2 failed: cannot reach the target")
	if again := started(2)[1]; !reflect.DeepEqual(again, first) {
		t.Fatalf("retried %s, want %s", again, first)
	}
	finish(true)
	event("MovedSlots", "Moved 2730 slots (5462-8191) from shard 0 to shard 2")
	second := started(3)[2]
	if second.From != 1 || second.To != 2 || plan.FormatSlots(second.Slots) != "13653-16383" {
		t.Fatalf("second move %s", second)
	}
	resharding("half done", func(r *mnemov1.ReshardingStatus) error {
		if r.SlotsMoved != 2730 || r.ProgressPercent != 49 || r.CurrentMove == nil || r.CurrentMove.FromShard != 1 {
			return fmt.Errorf("progress not reported")
		}
		return nil
	})
	finish(true)
	event("ReshardingCompleted", "from 2 to 3 shards")
	phase(mnemov1.ClusterAvailable)
	if r := cluster().Status.PendingUpdates.GetResharding(); r != nil {
		t.Errorf("resharding still reported: %+v", *r)
	}
	shardSlots(0, "0-5461")
	shardSlots(1, "8192-13652")
	shardSlots(2, "5462-8191,13653-16383")
	sameTemplates()
	var sts2 appsv1.StatefulSet
	eventually(t, "StatefulSet of shard 2", func() error { return get(ns, c.ShardName(2), &sts2) })
	if args := strings.Join(sts2.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--cluster-shards 2 ") || !strings.Contains(args, "--shard 2 ") {
		t.Errorf("new shard's args %s", args)
	}

	// Scale in: shard 2's slots go first; its Shard stays while it owns any.
	update(t, ns, cname, &mnemov1.Cluster{}, func(o client.Object) { o.(*mnemov1.Cluster).Spec.NumShards = 2 })
	third := started(4)[3]
	if third.From != 2 || third.To != 0 || plan.FormatSlots(third.Slots) != "5462-8191" {
		t.Fatalf("third move %s", third)
	}
	phase(mnemov1.ClusterUpdating)
	finish(true)
	fourth := started(5)[4]
	if fourth.From != 2 || fourth.To != 1 || plan.FormatSlots(fourth.Slots) != "13653-16383" {
		t.Fatalf("fourth move %s", fourth)
	}
	resharding("scale in half done", func(r *mnemov1.ReshardingStatus) error {
		if r.ToShards != 2 || r.FromShards != 3 || r.SlotsToMove != 5461 || r.SlotsMoved != 2730 {
			return fmt.Errorf("progress not reported")
		}
		return nil
	})
	var s2 mnemov1.Shard
	if err := get(ns, c.ShardName(2), &s2); err != nil || !s2.DeletionTimestamp.IsZero() {
		t.Fatalf("Shard 2 deleted while it owns slots: %v", err)
	}
	shardSlots(2, "13653-16383")
	finish(true)
	event("Deleted", "Deleted Shard rs-shard-2: it owns no slots")
	eventually(t, "Shard 2 gone", func() error { return gone(ns, c.ShardName(2), &mnemov1.Shard{}) })
	event("ReshardingCompleted", "from 3 to 2 shards")
	phase(mnemov1.ClusterAvailable)
	shardSlots(0, "0-8191")
	shardSlots(1, "8192-16383")
	sameTemplates()
	fakeSlots.with(ns, cname, func(m *fakeSlotMap) {
		if len(m.violations) > 0 {
			t.Errorf("the operator broke the one-move rule: %v", m.violations)
		}
	})
}
