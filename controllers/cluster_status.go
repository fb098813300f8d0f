package controllers

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// reconcileStatus observes a Cluster's objects, decides its health with
// plan.ClusterHealth and writes the status; it records an Event when the
// phase changes or a problem appears.
func (r *ClusterReconciler) reconcileStatus(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) error {
	obs, summaries, rollout, err := r.observe(ctx, c, in)
	if err != nil {
		return err
	}
	snaps, err := r.snapshotsOf(ctx, c)
	if err != nil {
		return err
	}
	last, snapshotting := lastSnapshot(snaps)
	obs.Snapshotting = snapshotting
	resharding := c.Status.PendingUpdates.GetResharding()
	if in != nil && in.reshardingKnown {
		resharding = in.resharding
	}
	obs.Resharding = resharding != nil
	health := plan.ClusterHealth(obs)
	now := r.now()

	// The phase, the Degraded condition and the rollout as the stored
	// status had them, read inside the update that replaced them (an
	// update succeeds only on the object as stored): a transition is
	// reported once, by the pass whose write made it, whatever the cache
	// showed before. Two passes both reading a stale Cluster from the
	// cache otherwise both told the same change.
	var oldPhase mnemov1.ClusterPhase
	var oldDegraded *metav1.Condition
	var oldRollout *mnemov1.RolloutStatus
	err = patchStatus(ctx, r.Client, c, func(c *mnemov1.Cluster) {
		oldPhase = c.Status.Phase
		oldDegraded = meta.FindStatusCondition(c.Status.Conditions, mnemov1.ConditionDegraded).DeepCopy()
		oldRollout = nil
		if p := c.Status.PendingUpdates; p != nil {
			oldRollout = p.NodeTypeRollout.DeepCopy()
		}
		setClusterStatus(&c.Status, c.Generation, health, summaries, last, now)
		c.Status.PendingUpdates = nil
		if rollout != nil || resharding != nil {
			c.Status.PendingUpdates = &mnemov1.PendingUpdates{NodeTypeRollout: rollout, Resharding: resharding}
		}
		c.Status.Endpoint = &mnemov1.Endpoint{Address: c.EndpointAddress(), Port: c.EndpointPort()}
	})
	if err != nil {
		return err
	}

	log := logf.FromContext(ctx)
	if health.Phase != oldPhase {
		log.Info("Changed phase", "from", oldPhase, "to", health.Phase)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, string(health.Phase), "Reconcile", "Cluster is %s: %s", health.Phase, health.Ready.Message)
	}
	r.noteRollout(ctx, c, oldRollout, rollout)
	d := health.Degraded
	if d.Status == metav1.ConditionTrue && (oldDegraded == nil || oldDegraded.Status != d.Status || oldDegraded.Message != d.Message) {
		log.Info("Degraded", "reason", d.Reason, "message", d.Message)
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, d.Reason, "Reconcile", "%s", d.Message)
	}
	return nil
}

// noteRollout records the start and the end of a node-type rollout on the
// Cluster, from the rollout the status had before this pass and the one it
// has now: started when one appears or its target type changes, completed
// when no node of the old type is left (the last one replaced may still be
// starting; the phase and the Ready condition tell when it is ready). The Shards record each pod's restart (Restarting).
func (r *ClusterReconciler) noteRollout(ctx context.Context, c *mnemov1.Cluster, before, now *mnemov1.RolloutStatus) {
	log := logf.FromContext(ctx)
	switch {
	case now != nil && (before == nil || before.To != now.To):
		msg := fmt.Sprintf("Rolling out node type %s → %s: %d/%d nodes run it", now.From, now.To, now.UpdatedNodes, now.TotalNodes)
		if c.Spec.Paused {
			msg += "; paused: no node rolls until spec.paused is false"
		}
		log.Info("Rollout started", "from", now.From, "to", now.To)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "RolloutStarted", "Rollout", "%s", msg)
	case now == nil && before != nil:
		log.Info("Rollout completed", "from", before.From, "to", before.To)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "RolloutCompleted", "Rollout",
			"Rolled out node type %s → %s: no node runs %s any more", before.From, before.To, before.From)
	}
}

// setClusterStatus is the pure part of the status update.
func setClusterStatus(st *mnemov1.ClusterStatus, generation int64, h plan.Health, shards []mnemov1.ShardSummary, last *mnemov1.LastSnapshot, now time.Time) {
	st.Phase = h.Phase
	st.ObservedGeneration = generation
	setConditions(&st.Conditions, generation, now, h.Conditions()...)
	st.Shards = shards
	if last != nil {
		st.LastSnapshot = last
	}
}

// observe gathers what the health decision needs: the log StatefulSet's
// readiness and each shard's, from the Shards' StatefulSets; and a node-type
// rollout in progress, from the nodes the Shards list.
func (r *ClusterReconciler) observe(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) (plan.ClusterObservation, []mnemov1.ShardSummary, *mnemov1.RolloutStatus, error) {
	// WasAvailable looks at the phase too: a Cluster that served and lost
	// a node is Available (Degraded) with Ready False, and must not be
	// Creating again on the next pass (the e2e rollout saw Available →
	// Creating while a pod restarted).
	obs := plan.ClusterObservation{
		Deleting:     !c.DeletionTimestamp.IsZero(),
		Paused:       c.Spec.Paused,
		WantShards:   c.Spec.NumShards,
		LogReplicas:  specs.LogReplicas(c),
		WasAvailable: meta.IsStatusConditionTrue(c.Status.Conditions, mnemov1.ConditionReady) || c.WasEverAvailable(),
	}
	if in != nil {
		obs.Problem, obs.Impairment = in.problem, in.impairment
	}
	var sets appsv1.StatefulSetList
	if err := r.List(ctx, &sets, client.InNamespace(c.Namespace), client.MatchingLabels{specs.LabelCluster: c.Name}); err != nil {
		return obs, nil, nil, fmt.Errorf("cannot list the StatefulSets of %s: %w", c.Name, err)
	}
	byName := map[string]*appsv1.StatefulSet{}
	for i := range sets.Items {
		byName[sets.Items[i].Name] = &sets.Items[i]
	}
	if log := byName[c.LogName()]; log != nil {
		obs.LogReady = log.Status.ReadyReplicas
	}
	shards, err := r.shardsOf(ctx, c)
	if err != nil {
		return obs, nil, nil, err
	}
	var summaries []mnemov1.ShardSummary
	var nodes []mnemov1.ShardNode
	var blocked string
	for _, s := range shards {
		so := plan.ShardObservation{Name: s.Name, Nodes: s.Spec.Nodes}
		if sts := byName[s.Name]; sts != nil {
			so.ReadyNodes = sts.Status.ReadyReplicas
			if sts.Status.ObservedGeneration == sts.Generation {
				so.UpdatedNodes = sts.Status.UpdatedReplicas
			}
		}
		// A Shard beyond numShards is being emptied by a resharding:
		// listed, so people see its slots go, but not counted.
		summaries = append(summaries, mnemov1.ShardSummary{
			Name: s.Name, Slots: plan.FormatSlots(s.Spec.SlotRanges), PrimaryPod: s.Status.Primary,
			ReadyNodes: so.ReadyNodes, Nodes: s.Spec.Nodes, Lag: s.Status.Lag,
		})
		if s.Spec.Index >= c.Spec.NumShards {
			continue
		}
		obs.Shards = append(obs.Shards, so)
		nodes = append(nodes, s.Status.Nodes...)
		if p := meta.FindStatusCondition(s.Status.Conditions, mnemov1.ConditionProgressing); p != nil && p.Reason == mnemov1.ReasonRolloutBlocked && blocked == "" {
			blocked = fmt.Sprintf("shard %s: %s", s.Name, p.Message)
		}
	}
	rollout := plan.NodeTypeRollout(c.Spec.NodeType, nodes)
	if rollout != nil {
		rollout.Blocked = blocked
	}
	return obs, summaries, rollout, nil
}

// lastSnapshot returns the newest finished snapshot and whether one is
// being taken.
func lastSnapshot(snaps []mnemov1.Snapshot) (*mnemov1.LastSnapshot, bool) {
	var last *mnemov1.LastSnapshot
	running := false
	for _, s := range snaps {
		switch s.Status.Phase {
		case mnemov1.SnapshotAvailable:
			if s.Status.FinishTime != nil && (last == nil || last.Time.Before(s.Status.FinishTime)) {
				last = &mnemov1.LastSnapshot{Name: s.Name, Time: s.Status.FinishTime}
			}
		case mnemov1.SnapshotCreating, "":
			running = true
		}
	}
	return last, running
}
