package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// Resharding (docs/resharding.md). A change of numShards is carried out
// against the live slot map, which lives in the log's KV and which the
// data nodes alone change: scaling out creates the new Shards, waits
// until their primaries are in the cluster, then moves slots to them one
// move at a time; scaling in moves every slot off the Shards beyond
// numShards and only then deletes them, each checked to own nothing.
// Every pass reads the slot map again and plans from it
// (plan.PlanReshard), so a move that failed is retried from where it
// stopped, and a move already running (started by this operator before a
// restart, or by a person) is waited for, never doubled.

// requeueResharding is how often a resharding in progress looks at its
// move and the slot map again.
const requeueResharding = 2 * time.Second

// reconcileShards makes one Shard per shard, with the slots the live slot
// map gives it, and carries out a change of numShards.
func (r *ClusterReconciler) reconcileShards(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) (ctrl.Result, error) {
	if c.Status.BootstrapShards == 0 {
		n := c.Spec.NumShards
		if err := patchStatus(ctx, r.Client, c, func(c *mnemov1.Cluster) {
			if c.Status.BootstrapShards == 0 {
				c.Status.BootstrapShards = n
			}
		}); err != nil {
			return ctrl.Result{}, err
		}
	}
	shards, err := r.shardsOf(ctx, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	pods, err := r.dataPods(ctx, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	live, liveErr := r.slotPlane().SlotMap(ctx, c, pods)
	whole := liveErr == nil && live.Assigned() == plan.NumSlots

	existing := map[int32]*mnemov1.Shard{}
	var indexes []int32
	for i := range shards {
		s := &shards[i]
		if !metav1.IsControlledBy(s, c) {
			continue
		}
		existing[s.Spec.Index] = s
		if s.DeletionTimestamp.IsZero() {
			indexes = append(indexes, s.Spec.Index)
		}
	}
	var objs []client.Object
	for i := range max(c.Spec.NumShards, slices.Max(append(indexes, 0))+1) {
		if i >= c.Spec.NumShards && (existing[i] == nil || !existing[i].DeletionTimestamp.IsZero()) {
			continue // beyond numShards, only Shards still there are kept up to date
		}
		objs = append(objs, specs.Shard(c, i, shardSlots(c, i, existing, live, whole, len(shards) == 0)))
	}
	if err := r.applyAll(ctx, r.Recorder, c, objs...); err != nil {
		return ctrl.Result{}, err
	}

	prev, err := r.reshardingSoFar(ctx, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	if liveErr != nil {
		// Nothing can be decided without the slot map: keep what was
		// reported and look again, if a resharding is under way.
		logf.FromContext(ctx).V(1).Info("Could not read the live slot map", "error", liveErr.Error())
		in.reshardingKnown = true
		if prev != nil {
			in.resharding = prev.DeepCopy()
			in.resharding.Waiting = liveErr.Error()
		}
		if prev != nil || slices.Max(append(indexes, 0)) >= c.Spec.NumShards {
			in.requeueAfter = requeueResharding
		}
		return ctrl.Result{}, nil
	}
	d := plan.PlanReshard(plan.ReshardInput{WantShards: c.Spec.NumShards, Shards: indexes, Live: live})
	st := plan.ReshardStatus(prev, c.Spec.NumShards, live, d, r.now())
	if prev != nil && prev.CurrentMove != nil && !sameMove(prev.CurrentMove, d.Running) {
		r.reportMove(ctx, c, prev.CurrentMove, live.Migrations)
	}
	if prev == nil && st != nil {
		logf.FromContext(ctx).Info("Started resharding", "from", st.FromShards, "to", st.ToShards, "slots", st.SlotsToMove)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "ReshardingStarted", "Reshard",
			"Resharding from %d to %d shards: %d slots to move", st.FromShards, st.ToShards, st.SlotsToMove)
	}
	switch d.Action {
	case plan.ReshardMove:
		if err := r.startMove(ctx, c, pods, live, d.Move); err != nil {
			st.CurrentMove = nil
			st.Waiting = err.Error()
		}
	case plan.ReshardDelete:
		for _, idx := range d.Delete {
			if err := r.deleteEmptyShard(ctx, c, existing[idx], live); err != nil {
				return ctrl.Result{}, err
			}
		}
	}
	if prev != nil && st == nil {
		took := ""
		if prev.StartTime != nil {
			took = " in " + r.now().Sub(prev.StartTime.Time).Round(time.Second).String()
		}
		logf.FromContext(ctx).Info("Resharded", "from", prev.FromShards, "to", c.Spec.NumShards, "took", took)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "ReshardingCompleted", "Reshard",
			"Resharded from %d to %d shards%s: %d slots moved", prev.FromShards, c.Spec.NumShards, took, prev.SlotsToMove)
	}
	in.resharding, in.reshardingKnown = st, true
	if st != nil {
		in.requeueAfter = requeueResharding
	}
	return ctrl.Result{}, nil
}

// reshardingSoFar is the resharding progress as last written, read past
// the cache: a pass started by a requeue may see the Cluster as it was
// before the previous pass wrote its status, and would then start the
// resharding anew (with the plan's size shrunk to what is left).
func (r *ClusterReconciler) reshardingSoFar(ctx context.Context, c *mnemov1.Cluster) (*mnemov1.ReshardingStatus, error) {
	reader := r.APIReader
	if reader == nil {
		reader = r.Client
	}
	var fresh mnemov1.Cluster
	if err := reader.Get(ctx, client.ObjectKeyFromObject(c), &fresh); err != nil {
		return nil, fmt.Errorf("cannot read Cluster %s: %w", c.Name, err)
	}
	return fresh.Status.PendingUpdates.GetResharding(), nil
}

// shardSlots is what a Shard's spec says it owns: the live slot map's
// ranges once the map is whole; until then what the Shard said before;
// for a new Cluster, the slots its first node will give each bootstrap
// shard; for a Shard added later, none (it gets slots by moves).
func shardSlots(c *mnemov1.Cluster, index int32, existing map[int32]*mnemov1.Shard, live plan.LiveSlots, whole, newCluster bool) []mnemov1.SlotRange {
	switch {
	case whole:
		if s := live.Shard(index); s != nil {
			return s.Slots
		}
		return nil
	case existing[index] != nil:
		return existing[index].Spec.SlotRanges
	case newCluster && index < c.ClusterShardsFlag():
		return plan.BalancedSlots(int(c.ClusterShardsFlag()))[index]
	}
	return nil
}

// startMove asks the source shard's primary to start a move.
func (r *ClusterReconciler) startMove(ctx context.Context, c *mnemov1.Cluster, pods []corev1.Pod, live plan.LiveSlots, m plan.Move) error {
	src := live.Shard(m.From)
	if src == nil || src.Primary == "" {
		return fmt.Errorf("shard %d has no primary to move slots from", m.From)
	}
	primary, err := findPod(pods, src.Primary)
	if err == nil {
		err = r.slotPlane().StartMove(ctx, c, primary, m)
	}
	if err != nil {
		logf.FromContext(ctx).Info("Could not start a slot move", "move", m.String(), "error", err.Error())
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, "SlotMoveNotStarted", "Reshard", "Could not start moving %s: %v; trying again", m, err)
		return err
	}
	logf.FromContext(ctx).Info("Started a slot move", "move", m.String(), "pod", primary.Name)
	r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "MovingSlots", "Reshard", "Moving %s", m)
	return nil
}

// reportMove says how the move the status recorded ended.
func (r *ClusterReconciler) reportMove(ctx context.Context, c *mnemov1.Cluster, mv *mnemov1.SlotMove, migrations []plan.SlotMigration) {
	took := ""
	if mv.StartTime != nil {
		took = " in " + r.now().Sub(mv.StartTime.Time).Round(100*time.Millisecond).String()
	}
	what := fmt.Sprintf("%d slots (%s) from shard %d to shard %d", mv.SlotCount, mv.Slots, mv.FromShard, mv.ToShard)
	log := logf.FromContext(ctx)
	switch out := plan.MoveOutcome(mv, migrations); {
	case out != nil && out.State == plan.MigrationDone:
		log.Info("Moved slots", "slots", mv.Slots, "from", mv.FromShard, "to", mv.ToShard, "took", took)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "MovedSlots", "Reshard", "Moved %s%s", what, took)
	case out != nil:
		log.Info("A slot move ended without moving the slots", "slots", mv.Slots, "state", out.State, "error", out.Error)
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, "SlotMoveFailed", "Reshard",
			"Moving %s %s: %s; going on from the live slot map", what, out.State, out.Error)
	default:
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, "SlotMoveLost", "Reshard",
			"The source primary no longer reports moving %s (it restarted?); going on from the live slot map", what)
	}
}

// deleteEmptyShard deletes a Shard beyond numShards, once more checking
// that the slot map gives it nothing.
func (r *ClusterReconciler) deleteEmptyShard(ctx context.Context, c *mnemov1.Cluster, s *mnemov1.Shard, live plan.LiveSlots) error {
	if s == nil || s.Spec.Index < c.Spec.NumShards {
		return nil
	}
	if ok, why := plan.SafeToDelete(s.Spec.Index, live); !ok {
		return fmt.Errorf("refusing to delete Shard %s: %s", s.Name, why)
	}
	if err := r.Delete(ctx, s); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("cannot delete Shard %s: %w", s.Name, err)
	}
	logf.FromContext(ctx).Info("Deleted Shard", "shard", s.Name)
	r.Recorder.Eventf(c, s, corev1.EventTypeNormal, "Deleted", "Delete", "Deleted Shard %s: it owns no slots", s.Name)
	return nil
}

func sameMove(mv *mnemov1.SlotMove, m *plan.SlotMigration) bool {
	return m != nil && mv.FromShard == m.From && mv.ToShard == m.To && mv.Slots == m.Slots
}

// dataPods lists a Cluster's data node pods.
func (r *ClusterReconciler) dataPods(ctx context.Context, c *mnemov1.Cluster) ([]corev1.Pod, error) {
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(c.Namespace), client.MatchingLabels{
		specs.LabelCluster: c.Name, specs.LabelComponent: specs.ComponentNode}); err != nil {
		return nil, fmt.Errorf("cannot list the data nodes of %s: %w", c.Name, err)
	}
	return pods.Items, nil
}

func (r *ClusterReconciler) slotPlane() SlotPlane {
	if r.Slots != nil {
		return r.Slots
	}
	return nodeSlotPlane{r.nodes}
}
