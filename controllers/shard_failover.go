package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// manualFailoverTimeout bounds a requested failover: the engine gives up
// a handoff whose writes do not drain within a minute (FAILOVER's default
// TIMEOUT); past that and some slack the operator reports it failed.
const manualFailoverTimeout = 90 * time.Second

// reconcileFailoverRequest carries out the mnemo.dev/failover-requested
// annotation: FAILOVER on the current primary (TO the named pod, or ANY),
// then, on later passes, waits until another node serves as primary,
// records how long it took in an Event and removes the annotation.
func (r *ShardReconciler) reconcileFailoverRequest(ctx context.Context, v *shardView) (ctrl.Result, error) {
	s := v.s
	request := s.Annotations[mnemov1.FailoverRequestedAnnotation]
	if mf := s.Status.ManualFailover; mf != nil {
		return r.awaitFailover(ctx, v, mf)
	}
	if request == "" {
		return ctrl.Result{}, nil
	}
	d := plan.PlanFailover(v.nodes, request)
	log := logf.FromContext(ctx).WithValues("shard", s.Name, "request", request)
	switch d.Action {
	case plan.FailoverNothing:
		r.Recorder.Eventf(s, nil, corev1.EventTypeNormal, "FailoverSkipped", "Failover", "Failover to %s not needed: %s", request, d.Reason)
		return ctrl.Result{}, r.clearFailoverRequest(ctx, s)
	case plan.FailoverReject:
		log.Info("Rejected a failover request", "reason", d.Reason)
		r.Recorder.Eventf(s, nil, corev1.EventTypeWarning, "FailoverRejected", "Failover", "Failover to %s rejected: %s", request, d.Reason)
		return ctrl.Result{}, r.clearFailoverRequest(ctx, s)
	case plan.FailoverWait:
		v.progressing = &metav1.Condition{Type: mnemov1.ConditionProgressing, Status: metav1.ConditionTrue, Reason: mnemov1.ReasonFailingOver,
			Message: "failover requested; waiting: " + d.Reason}
		return ctrl.Result{RequeueAfter: requeueStep}, nil
	}
	primary, err := findPod(v.pods, d.Primary)
	if err != nil {
		return ctrl.Result{}, err
	}
	var target *corev1.Pod
	if d.Target != "" {
		if target, err = findPod(v.pods, d.Target); err != nil {
			return ctrl.Result{}, err
		}
	}
	started := r.now()
	if err := r.nodes.failover(ctx, v.c, primary, target); err != nil {
		// The engine refuses with Redis's errors (no such replica, one
		// already running): say so and drop the request rather than
		// retry something that cannot succeed.
		r.Recorder.Eventf(s, nil, corev1.EventTypeWarning, "FailoverFailed", "Failover", "Failover to %s failed: %v", request, err)
		return ctrl.Result{}, r.clearFailoverRequest(ctx, s)
	}
	log.Info("Requested a manual failover", "from", d.Primary, "reason", d.Reason)
	r.Recorder.Eventf(s, nil, corev1.EventTypeNormal, "FailoverStarted", "Failover", "Asked primary %s to hand over: %s", d.Primary, d.Reason)
	mf := &mnemov1.ManualFailoverStatus{Request: request, From: d.Primary, StartTime: metav1.NewTime(started)}
	v.progressing = failingOver(mf)
	return ctrl.Result{RequeueAfter: requeueFailover}, patchStatus(ctx, r.Client, s, func(s *mnemov1.Shard) { s.Status.ManualFailover = mf })
}

// awaitFailover follows a failover the operator started.
func (r *ShardReconciler) awaitFailover(ctx context.Context, v *shardView, mf *mnemov1.ManualFailoverStatus) (ctrl.Result, error) {
	s := v.s
	took := r.now().Sub(mf.StartTime.Time).Round(time.Millisecond)
	newPrimary, outcome := plan.FailoverDone(v.nodes, mf.From, mf.Request)
	aborted := false
	for _, n := range v.nodes {
		// The old primary still primary and no longer handing over: the
		// engine gave the handoff up (its pipeline did not drain).
		if n.Name == mf.From && n.Answered && n.Role == mnemov1.RolePrimary && !n.FailingOver && newPrimary == mf.From {
			aborted = true
		}
	}
	switch {
	case outcome == plan.FailoverCompleted:
		ObserveFailover(s.Namespace, v.c.Name, s.Name, took)
		logf.FromContext(ctx).Info("Failed over", "shard", s.Name, "from", mf.From, "to", newPrimary, "took", took)
		r.Recorder.Eventf(s, nil, corev1.EventTypeNormal, "FailoverCompleted", "Failover",
			"Failed over from %s to %s in %s (requested: %s)", mf.From, newPrimary, took, mf.Request)
	case outcome == plan.FailoverDiverted:
		logf.FromContext(ctx).Info("Failed over to another node than requested", "shard", s.Name, "from", mf.From, "to", newPrimary, "took", took)
		r.Recorder.Eventf(s, nil, corev1.EventTypeWarning, "FailoverDiverted", "Failover",
			"Failed over from %s to %s in %s, not to %s as requested: the target did not take the lease in time and the data plane elected another node",
			mf.From, newPrimary, took, mf.Request)
	case aborted || took > manualFailoverTimeout:
		why := "the old primary gave the handoff up"
		if !aborted {
			why = fmt.Sprintf("no new primary after %s", took)
		}
		r.Recorder.Eventf(s, nil, corev1.EventTypeWarning, "FailoverFailed", "Failover", "Failover from %s to %s failed: %s", mf.From, mf.Request, why)
	default:
		v.progressing = failingOver(mf)
		return ctrl.Result{RequeueAfter: requeueFailover}, nil
	}
	// The new primary goes in with the end of the request, so whoever
	// sees the request done sees who serves.
	if err := patchStatus(ctx, r.Client, s, func(s *mnemov1.Shard) {
		s.Status.ManualFailover = nil
		if newPrimary != "" {
			s.Status.Primary = newPrimary
		}
	}); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.clearFailoverRequest(ctx, s)
}

func failingOver(mf *mnemov1.ManualFailoverStatus) *metav1.Condition {
	return &metav1.Condition{Type: mnemov1.ConditionProgressing, Status: metav1.ConditionTrue, Reason: mnemov1.ReasonFailingOver,
		Message: fmt.Sprintf("handing the primary over from %s (requested: %s)", mf.From, mf.Request)}
}

// clearFailoverRequest removes the annotation, telling whoever set it the
// request is dealt with.
func (r *ShardReconciler) clearFailoverRequest(ctx context.Context, s *mnemov1.Shard) error {
	if _, ok := s.Annotations[mnemov1.FailoverRequestedAnnotation]; !ok {
		return nil
	}
	patch := client.MergeFrom(s.DeepCopy())
	delete(s.Annotations, mnemov1.FailoverRequestedAnnotation)
	if err := r.Patch(ctx, s, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("cannot remove the failover request of Shard %s: %w", s.Name, err)
	}
	return nil
}
