package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// Restore (docs/snapshots.md#restore-on-kubernetes). A Cluster with
// spec.restoreFrom resolves its Snapshot once, before any data node is
// made, and records in status.restore where the nodes read their first
// data: every shard's snapshot in the source Cluster's log. Each data node
// gets --restore-from, --restore-slots (its shard's bootstrap slots) and
// --restore-log from that record; a node restores only into an empty
// shard, so the flags stay and are ignored after the first start, and the
// pods never roll because of them.
//
// A point in time (spec.restoreFrom.pointInTime) is restored from a
// Snapshot the operator builds of the source Cluster as of that time
// (<cluster>-pitr, its Jobs run mnemo snapshot --to-time), then recorded
// exactly as a named Snapshot. The restoring Cluster owns that Snapshot:
// it lives as long as the Cluster, so it is there for every node that has
// not restored yet, and goes with it.

// requeueRestore is how often a Cluster waiting for its Snapshot looks.
const requeueRestore = 5 * time.Second

// resolveRestore decides a new Cluster's restore: what to record, what it
// waits for, or why it cannot be done (a problem, which stops the
// Cluster). Once recorded, it only warns while the Cluster has not been
// available and its source is gone, since nodes not yet restored cannot.
func (r *ClusterReconciler) resolveRestore(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) error {
	rf := c.Spec.RestoreFrom
	if rf == nil || c.WasEverAvailable() {
		return nil
	}
	if rec := c.Status.Restore; rec != nil {
		src, err := r.getCluster(ctx, c.Namespace, rec.SourceCluster)
		if err != nil {
			return err
		}
		if src == nil || !src.DeletionTimestamp.IsZero() {
			in.impairment = &plan.Problem{Reason: mnemov1.ReasonSnapshotNotAvailable, Message: fmt.Sprintf(
				"status.restore: Cluster %s, whose log holds Snapshot %s, is gone; data nodes that have not restored yet cannot start",
				rec.SourceCluster, rec.SnapshotName)}
		}
		return nil
	}
	pin := plan.RestoreInput{Cluster: c, Now: r.now()}
	var err error
	if pin.Snapshot, err = r.getSnapshot(ctx, c.Namespace, rf.SnapshotName); err != nil {
		return err
	}
	if pin.Snapshot != nil {
		if pin.Source, err = r.getCluster(ctx, c.Namespace, pin.Snapshot.Spec.ClusterName); err != nil {
			return err
		}
	}
	if rf.PointInTime != nil {
		if pin.PointInTime, err = r.getSnapshot(ctx, c.Namespace, c.PointInTimeSnapshotName()); err != nil {
			return err
		}
	}
	d := plan.PlanRestore(pin)
	in.problem, in.restore, in.restoreWait = d.Problem, d.Record, d.Wait
	if d.BuildPointInTime {
		in.restoreBuild = specs.PointInTimeSnapshot(c, pin.Source, *rf.PointInTime)
	}
	return nil
}

// getSnapshot returns the named Snapshot, nil when it does not exist.
func (r *ClusterReconciler) getSnapshot(ctx context.Context, namespace, name string) (*mnemov1.Snapshot, error) {
	return getIfExists[mnemov1.Snapshot](ctx, r, namespace, name)
}

// getCluster returns the named Cluster, nil when it does not exist.
func (r *ClusterReconciler) getCluster(ctx context.Context, namespace, name string) (*mnemov1.Cluster, error) {
	return getIfExists[mnemov1.Cluster](ctx, r, namespace, name)
}

// getIfExists reads the named object, nil when it does not exist.
func getIfExists[T any, P interface {
	*T
	client.Object
}](ctx context.Context, r client.Reader, namespace, name string) (P, error) {
	obj := P(new(T))
	err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return obj, nil
}

// reconcileRestore records the resolved restore before the Shards are
// made, or holds them back while the Snapshot is being built, creating
// the point-in-time Snapshot first when the restore needs one.
func (r *ClusterReconciler) reconcileRestore(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) (ctrl.Result, error) {
	if snap := in.restoreBuild; snap != nil {
		// Its name is fixed by the Cluster's: a pass that read a stale
		// cache finds it there and creates nothing.
		err := r.Create(ctx, snap)
		switch {
		case err == nil:
			noteApplied(ctx, r.Recorder, c, snap, opCreated)
		case !apierrors.IsAlreadyExists(err):
			return ctrl.Result{}, fmt.Errorf("cannot create the point-in-time Snapshot %s: %w", snap.Name, err)
		}
	}
	if in.restoreWait != "" {
		in.impairment = &plan.Problem{Reason: mnemov1.ReasonSnapshotNotAvailable, Message: in.restoreWait}
		return ctrl.Result{RequeueAfter: requeueRestore}, nil
	}
	if in.restore == nil {
		return ctrl.Result{}, nil
	}
	rec := in.restore
	recorded := false
	if err := patchStatus(ctx, r.Client, c, func(c *mnemov1.Cluster) {
		recorded = c.Status.Restore == nil
		if recorded {
			c.Status.Restore = rec.DeepCopy()
		}
	}); err != nil || !recorded {
		return ctrl.Result{}, err
	}
	logf.FromContext(ctx).Info("Restoring from Snapshot", "snapshot", rec.SnapshotName, "sourceCluster", rec.SourceCluster, "sources", rec.Sources)
	r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "Restoring", "Restore", "Data nodes restore from Snapshot %s (%d shards) in the log of Cluster %s",
		rec.SnapshotName, len(rec.Sources), rec.SourceCluster)
	return ctrl.Result{}, nil
}

// restorePending reports whether a Cluster's data nodes must wait for its
// restore to be recorded: they would otherwise start empty.
func restorePending(c *mnemov1.Cluster) bool {
	return c.Spec.RestoreFrom != nil && c.Status.Restore == nil && !c.WasEverAvailable()
}
