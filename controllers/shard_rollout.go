package controllers

import (
	"context"
	"fmt"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

const (
	// requeueBlocked is how often a blocked rollout looks again (a pod
	// event wakes it sooner).
	requeueBlocked = 5 * time.Second
	// requeueWindow is how often a rollout waiting for its maintenance
	// window looks again.
	requeueWindow = time.Minute
)

// reconcileRollout rolls the shard's pods onto the StatefulSet's current
// template, one step per pass, as plan.NextRolloutStep orders it; at most
// spec.rollout.maxConcurrentShards shards at a time, and, when the
// Cluster has a maintenance window, starting only inside it.
func (r *ShardReconciler) reconcileRollout(ctx context.Context, v *shardView) (ctrl.Result, error) {
	sts := v.sts
	if sts == nil || sts.Status.ObservedGeneration < sts.Generation || sts.Status.UpdateRevision == "" {
		// The StatefulSet controller has not taken in the template yet, so
		// which pods are outdated is not known.
		return ctrl.Result{}, nil
	}
	step := plan.NextRolloutStep(v.nodes, int(*sts.Spec.Replicas))
	if step.Action == plan.RolloutDone {
		return ctrl.Result{}, nil
	}
	started := false
	for _, n := range v.nodes {
		started = started || (n.Updated && !n.Terminating)
	}
	// A pod of the old template that does not run serves nothing:
	// replacing it needs no turn and no window.
	idle := step.Action == plan.RolloutDelete && !nodeNamed(v.nodes, step.Pod).Running
	if !idle && !started {
		if open, why := plan.InMaintenanceWindow(v.c.Spec.MaintenanceWindow, r.now()); !open {
			v.progressing = progressing(false, mnemov1.ReasonWaitingForMaintenanceWindow, why)
			return ctrl.Result{RequeueAfter: requeueWindow}, nil
		}
		turn, err := r.shardsToRoll(ctx, v)
		if err != nil {
			return ctrl.Result{}, err
		}
		if !turn {
			v.progressing = progressing(false, mnemov1.ReasonUpdating, "waiting for other shards to finish rolling")
			return ctrl.Result{RequeueAfter: requeueStep}, nil
		}
	}
	log := logf.FromContext(ctx).WithValues("shard", v.s.Name)
	switch step.Action {
	case plan.RolloutWait:
		v.progressing = progressing(true, mnemov1.ReasonUpdating, "rolling the nodes: "+step.Reason)
		return ctrl.Result{RequeueAfter: requeueStep}, nil
	case plan.RolloutBlocked:
		old := meta.FindStatusCondition(v.s.Status.Conditions, mnemov1.ConditionProgressing)
		msg := "rollout blocked: " + step.Reason
		if old == nil || old.Message != msg {
			log.Info("Rollout blocked", "reason", step.Reason)
			r.Recorder.Eventf(v.s, nil, corev1.EventTypeWarning, mnemov1.ReasonRolloutBlocked, "Rollout", "%s", msg)
			r.Recorder.Eventf(v.c, v.s, corev1.EventTypeWarning, mnemov1.ReasonRolloutBlocked, "Rollout", "Shard %s: %s", v.s.Name, msg)
		}
		v.progressing = progressing(false, mnemov1.ReasonRolloutBlocked, msg)
		return ctrl.Result{RequeueAfter: requeueBlocked}, nil
	case plan.RolloutHandoff:
		v.progressing = progressing(true, mnemov1.ReasonUpdating, "rolling the nodes: "+step.Reason)
		return ctrl.Result{RequeueAfter: requeueStep}, r.handOver(ctx, v, step.Pod, step.Reason)
	}
	if old, left := r.settling(v); left > 0 && old == step.Pod {
		v.progressing = progressing(true, mnemov1.ReasonUpdating, fmt.Sprintf("rolling the nodes: %s handed over; letting clients follow the new primary before restarting it", old))
		return ctrl.Result{RequeueAfter: left}, nil
	}
	pod, err := findPod(v.pods, step.Pod)
	if err != nil {
		return ctrl.Result{}, err
	}
	// The UID precondition keeps a decision about one pod from deleting
	// its replacement.
	if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("cannot delete pod %s: %w", pod.Name, err)
	}
	log.Info("Deleted pod to roll it", "pod", pod.Name, "reason", step.Reason)
	r.Recorder.Eventf(v.s, pod, corev1.EventTypeNormal, "Restarting", "Rollout", "Restarting pod %s on the new template: %s", pod.Name, step.Reason)
	v.progressing = progressing(true, mnemov1.ReasonUpdating, "rolling the nodes: restarting "+pod.Name)
	return ctrl.Result{RequeueAfter: requeueStep}, nil
}

// shardsToRoll reports whether this shard has a turn to roll, from the
// StatefulSets of all the Cluster's shards.
func (r *ShardReconciler) shardsToRoll(ctx context.Context, v *shardView) (bool, error) {
	var sets appsv1.StatefulSetList
	if err := r.List(ctx, &sets, client.InNamespace(v.c.Namespace), client.MatchingLabels{
		specs.LabelCluster: v.c.Name, specs.LabelComponent: specs.ComponentNode}); err != nil {
		return false, fmt.Errorf("cannot list the StatefulSets of %s: %w", v.c.Name, err)
	}
	var shards []plan.ShardRollout
	for _, sts := range sets.Items {
		idx, err := strconv.Atoi(sts.Labels[specs.LabelShard])
		if err != nil {
			continue
		}
		st := sts.Status
		pending := st.UpdateRevision != st.CurrentRevision || st.UpdatedReplicas < st.Replicas || st.ObservedGeneration < sts.Generation
		shards = append(shards, plan.ShardRollout{Index: int32(idx), Pending: pending, Started: pending && st.UpdatedReplicas > 0})
	}
	// This shard's own state as its nodes show it, which is fresher.
	self := plan.ShardRollout{Index: v.s.Spec.Index, Pending: true}
	for _, n := range v.nodes {
		self.Started = self.Started || n.Updated
	}
	found := false
	for i := range shards {
		if shards[i].Index == self.Index {
			shards[i], found = self, true
		}
	}
	if !found {
		shards = append(shards, self)
	}
	maxShards := int(v.c.Spec.Rollout.MaxConcurrentShards)
	for _, idx := range plan.ShardsToRoll(shards, maxShards) {
		if idx == self.Index {
			return true, nil
		}
	}
	return false, nil
}

func nodeNamed(nodes []plan.Node, name string) plan.Node {
	for _, n := range nodes {
		if n.Name == name {
			return n
		}
	}
	return plan.Node{}
}

func progressing(status bool, reason, msg string) *metav1.Condition {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	return &metav1.Condition{Type: mnemov1.ConditionProgressing, Status: s, Reason: reason, Message: msg}
}
