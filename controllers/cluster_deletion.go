package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// reconcileDeletion takes the final snapshot, when the Cluster asks for
// one, and then lets the Cluster go. Everything it owns carries an owner
// reference to it (or to its Shards), so the garbage collector deletes
// them; the log's volumes follow the StatefulSet's retention policy
// (spec.log.retainVolumesOnDelete).
func (r *ClusterReconciler) reconcileDeletion(ctx context.Context, c *mnemov1.Cluster) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(c, clusterFinalizer) {
		return ctrl.Result{}, nil
	}
	log := logf.FromContext(ctx)
	if c.Spec.FinalSnapshotName != "" {
		done, err := r.finalSnapshot(ctx, c)
		if err != nil {
			return ctrl.Result{}, err
		}
		if !done {
			if err := r.reconcileStatus(ctx, c, nil); err != nil {
				return ctrl.Result{}, err
			}
			return ctrl.Result{RequeueAfter: requeueWhileDeleting}, nil
		}
	}
	controllerutil.RemoveFinalizer(c, clusterFinalizer)
	if err := r.Update(ctx, c); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("cannot remove the finalizer: %w", err)
	}
	log.Info("Released Cluster for deletion")
	r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "Deleting", "Delete", "Deleting Cluster %s and everything it owns", c.Name)
	return ctrl.Result{}, nil
}

// finalSnapshot creates the Cluster's final Snapshot if it does not exist
// and reports whether it is finished (or failed, which does not hold the
// deletion forever: a Warning Event says so). The Snapshot has no owner:
// it outlives the Cluster.
func (r *ClusterReconciler) finalSnapshot(ctx context.Context, c *mnemov1.Cluster) (bool, error) {
	var snap mnemov1.Snapshot
	err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.FinalSnapshotName}, &snap)
	if apierrors.IsNotFound(err) {
		snap = mnemov1.Snapshot{
			ObjectMeta: metav1.ObjectMeta{Name: c.Spec.FinalSnapshotName, Namespace: c.Namespace,
				Labels: map[string]string{specs.LabelCluster: c.Name, specs.LabelManagedBy: specs.ManagedBy}},
			Spec: mnemov1.SnapshotSpec{ClusterName: c.Name, Source: mnemov1.SnapshotManual},
		}
		if err := r.Create(ctx, &snap); err != nil {
			return false, fmt.Errorf("cannot create the final Snapshot %s: %w", snap.Name, err)
		}
		logf.FromContext(ctx).Info("Created final Snapshot", "snapshot", snap.Name)
		r.Recorder.Eventf(c, &snap, corev1.EventTypeNormal, "FinalSnapshot", "Delete", "Taking final Snapshot %s before deleting", snap.Name)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot get the final Snapshot: %w", err)
	}
	switch snap.Status.Phase {
	case mnemov1.SnapshotAvailable:
		return true, nil
	case mnemov1.SnapshotFailed:
		r.Recorder.Eventf(c, &snap, corev1.EventTypeWarning, "FinalSnapshotFailed", "Delete",
			"Final Snapshot %s failed; deleting the Cluster anyway", snap.Name)
		return true, nil
	}
	return false, nil
}
