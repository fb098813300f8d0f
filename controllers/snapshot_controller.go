package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// SnapshotReconciler runs a snapshot: one mnemo snapshot Job per shard of
// its Cluster, and reports their progress.
type SnapshotReconciler struct {
	base
	Recorder events.EventRecorder
	Options  Options
}

// Reconcile starts or follows one Snapshot.
func (r *SnapshotReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var snap mnemov1.Snapshot
	if err := r.Get(ctx, req.NamespacedName, &snap); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !snap.DeletionTimestamp.IsZero() || snap.Status.Phase == mnemov1.SnapshotAvailable || snap.Status.Phase == mnemov1.SnapshotFailed {
		return ctrl.Result{}, nil
	}
	if snap.Status.StartTime == nil {
		return ctrl.Result{}, r.reconcileStart(ctx, &snap)
	}
	return ctrl.Result{}, r.reconcileProgress(ctx, &snap)
}

// reconcileStart creates one Job per shard of the Cluster as it is now,
// and records the shards and the start time; or fails the Snapshot when
// the Cluster does not exist.
func (r *SnapshotReconciler) reconcileStart(ctx context.Context, snap *mnemov1.Snapshot) error {
	var c mnemov1.Cluster
	err := r.Get(ctx, client.ObjectKey{Namespace: snap.Namespace, Name: snap.Spec.ClusterName}, &c)
	if apierrors.IsNotFound(err) {
		msg := fmt.Sprintf("no Cluster %q in namespace %s", snap.Spec.ClusterName, snap.Namespace)
		r.Recorder.Eventf(snap, nil, corev1.EventTypeWarning, mnemov1.ReasonClusterNotFound, "Snapshot", "%s", msg)
		return patchStatus(ctx, r.Client, snap, func(s *mnemov1.Snapshot) {
			setSnapshotPhase(s, mnemov1.SnapshotFailed, mnemov1.ReasonClusterNotFound, msg, time.Now())
		})
	}
	if err != nil {
		return err
	}
	var list mnemov1.ShardList
	if err := r.List(ctx, &list, client.InNamespace(c.Namespace), client.MatchingFields{indexClusterName: c.Name}); err != nil {
		return fmt.Errorf("cannot list the Shards of %s: %w", c.Name, err)
	}
	image := specs.Image(&c, r.Options.DefaultImage)
	shards := snapshotShards(&c, list.Items)
	jobs := make([]client.Object, len(shards))
	for i := range shards {
		job := specs.SnapshotJob(&c, snap, shards[i].Index, image)
		jobs[i] = job
		shards[i].Job = job.Name
	}
	if err := r.applyAll(ctx, r.Recorder, snap, jobs...); err != nil {
		return err
	}
	now := time.Now()
	msg := fmt.Sprintf("building %d shard snapshots", len(shards))
	// Started is decided inside the update: a pass that read a stale
	// Snapshot finds it started on the retry and neither restarts its
	// clock nor records a second Event.
	started := false
	err = patchStatus(ctx, r.Client, snap, func(s *mnemov1.Snapshot) {
		if started = s.Status.StartTime == nil; !started {
			return
		}
		s.Status.StartTime = &metav1.Time{Time: now}
		s.Status.Shards = shards
		s.Status.Location = fmt.Sprintf("nats://%s/%s", c.LogName(), snap.Name)
		setSnapshotPhase(s, mnemov1.SnapshotCreating, mnemov1.ReasonCreating, msg, now)
	})
	if err != nil || !started {
		return err
	}
	logf.FromContext(ctx).Info("Started Snapshot", "cluster", c.Name, "shards", len(shards))
	r.Recorder.Eventf(snap, nil, corev1.EventTypeNormal, string(mnemov1.SnapshotCreating), "Snapshot", "Snapshot is %s: %s", mnemov1.SnapshotCreating, msg)
	return nil
}

// snapshotShards are the shards a snapshot covers, with the slots each
// owns as the Shards' specs say (the live slot map, which a resharding
// keeps them in line with): every Shard owning slots, in index order, a
// Shard being emptied by a resharding included. Before the Shards report
// slots, the slots the first node gives each bootstrap shard.
func snapshotShards(c *mnemov1.Cluster, shards []mnemov1.Shard) []mnemov1.SnapshotShard {
	var out []mnemov1.SnapshotShard
	for _, s := range shards {
		if len(s.Spec.SlotRanges) > 0 && metav1.IsControlledBy(&s, c) {
			out = append(out, mnemov1.SnapshotShard{Index: s.Spec.Index, Slots: plan.FormatSlots(s.Spec.SlotRanges)})
		}
	}
	if len(out) == 0 {
		for i, slots := range plan.BalancedSlots(int(c.ClusterShardsFlag())) {
			out = append(out, mnemov1.SnapshotShard{Index: int32(i), Slots: plan.FormatSlots(slots)})
		}
	}
	slices.SortFunc(out, func(a, b mnemov1.SnapshotShard) int { return int(a.Index - b.Index) })
	return out
}

// reconcileProgress follows the Jobs: a failed Job fails the Snapshot,
// all succeeded make it Available.
func (r *SnapshotReconciler) reconcileProgress(ctx context.Context, snap *mnemov1.Snapshot) error {
	done := map[int32]bool{}
	var failed string
	for _, sh := range snap.Status.Shards {
		var job batchv1.Job
		err := r.Get(ctx, client.ObjectKey{Namespace: snap.Namespace, Name: sh.Job}, &job)
		if apierrors.IsNotFound(err) {
			failed = fmt.Sprintf("Job %s disappeared", sh.Job)
			continue
		}
		if err != nil {
			return err
		}
		for _, c := range job.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			switch c.Type {
			case batchv1.JobComplete:
				done[sh.Index] = true
			case batchv1.JobFailed:
				failed = fmt.Sprintf("Job %s failed: %s", sh.Job, c.Message)
			}
		}
	}
	now := time.Now()
	phase, reason, msg := snapshotProgress(len(snap.Status.Shards), len(done), failed)
	// The phase the stored Snapshot had when this pass's update went in:
	// the transition, and its Events, happen once.
	var from mnemov1.SnapshotPhase
	err := patchStatus(ctx, r.Client, snap, func(s *mnemov1.Snapshot) {
		from = s.Status.Phase
		if s.Status.Phase == mnemov1.SnapshotAvailable || s.Status.Phase == mnemov1.SnapshotFailed {
			return // finished is final
		}
		for i := range s.Status.Shards {
			s.Status.Shards[i].Done = done[s.Status.Shards[i].Index]
		}
		if phase != mnemov1.SnapshotCreating && s.Status.FinishTime == nil {
			s.Status.FinishTime = &metav1.Time{Time: now}
		}
		setSnapshotPhase(s, phase, reason, msg, now)
	})
	if err != nil || phase == from || from == mnemov1.SnapshotAvailable || from == mnemov1.SnapshotFailed {
		return err
	}
	return r.noteSnapshotPhase(ctx, snap, phase, msg)
}

// noteSnapshotPhase records a Snapshot's new phase on it and, when it
// finished, on its Cluster too (SnapshotCompleted, SnapshotFailed, with
// how long it took), so a Cluster's Events tell of its automatic
// snapshots without a look at each Snapshot.
func (r *SnapshotReconciler) noteSnapshotPhase(ctx context.Context, snap *mnemov1.Snapshot, phase mnemov1.SnapshotPhase, msg string) error {
	typ := corev1.EventTypeNormal
	if phase == mnemov1.SnapshotFailed {
		typ = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(snap, nil, typ, string(phase), "Snapshot", "Snapshot is %s: %s", phase, msg)
	if phase == mnemov1.SnapshotCreating {
		return nil
	}
	var c mnemov1.Cluster
	if err := r.Get(ctx, client.ObjectKey{Namespace: snap.Namespace, Name: snap.Spec.ClusterName}, &c); err != nil {
		return client.IgnoreNotFound(err)
	}
	took := ""
	if st, ft := snap.Status.StartTime, snap.Status.FinishTime; st != nil && ft != nil {
		took = " in " + ft.Sub(st.Time).Round(100*time.Millisecond).String()
	}
	source := snap.Spec.Source
	if source == "" {
		source = mnemov1.SnapshotManual
	}
	if phase == mnemov1.SnapshotFailed {
		r.Recorder.Eventf(&c, snap, corev1.EventTypeWarning, "SnapshotFailed", "Snapshot",
			"Snapshot %s (%s) failed%s: %s", snap.Name, source, took, msg)
		return nil
	}
	r.Recorder.Eventf(&c, snap, corev1.EventTypeNormal, "SnapshotCompleted", "Snapshot",
		"Snapshot %s (%s) completed%s: %s", snap.Name, source, took, msg)
	return nil
}

// snapshotProgress decides a Snapshot's phase from its shards' Jobs.
func snapshotProgress(shards, done int, failed string) (mnemov1.SnapshotPhase, string, string) {
	switch {
	case failed != "":
		return mnemov1.SnapshotFailed, mnemov1.ReasonJobFailed, failed
	case done == shards:
		return mnemov1.SnapshotAvailable, mnemov1.ReasonAvailable, fmt.Sprintf("all %d shard snapshots written", shards)
	}
	return mnemov1.SnapshotCreating, mnemov1.ReasonCreating, fmt.Sprintf("%d/%d shard snapshots written", done, shards)
}

func setSnapshotPhase(s *mnemov1.Snapshot, phase mnemov1.SnapshotPhase, reason, msg string, now time.Time) {
	s.Status.Phase = phase
	s.Status.ObservedGeneration = s.Generation
	status := metav1.ConditionFalse
	if phase == mnemov1.SnapshotAvailable {
		status = metav1.ConditionTrue
	}
	setConditions(&s.Status.Conditions, s.Generation, now, metav1.Condition{Type: mnemov1.ConditionReady, Status: status, Reason: reason, Message: msg})
}

// SetupWithManager watches Snapshots and their Jobs.
func (r *SnapshotReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mnemov1.Snapshot{}).
		Owns(&batchv1.Job{}).
		Named("snapshot").
		Complete(r)
}
