package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// reconcileSnapshots takes an automatic snapshot when the window has come
// and deletes the automatic snapshots older than the retention limit.
// Automatic snapshots are owned by the Cluster and go with it.
func (r *ClusterReconciler) reconcileSnapshots(ctx context.Context, c *mnemov1.Cluster, _ *clusterInputs) (ctrl.Result, error) {
	if c.Spec.SnapshotRetentionLimit == 0 {
		return ctrl.Result{}, nil
	}
	windowText := c.Spec.SnapshotWindow
	if windowText == "" {
		windowText = plan.DefaultSnapshotWindow(c.Namespace, c.Name)
	}
	window, err := mnemov1.ParseDailyWindow(windowText)
	if err != nil {
		return ctrl.Result{}, nil // the CRD refuses bad windows; nothing to do with one
	}
	snaps, err := r.snapshotsOf(ctx, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	var automatic []plan.SnapshotAge
	var lastStarted metav1.Time
	for _, s := range snaps {
		if s.Spec.Source != mnemov1.SnapshotAutomatic || !metav1.IsControlledBy(&s, c) {
			continue
		}
		automatic = append(automatic, plan.SnapshotAge{Name: s.Name, Created: s.CreationTimestamp.Time})
		if lastStarted.Before(&s.CreationTimestamp) {
			lastStarted = s.CreationTimestamp
		}
	}
	log := logf.FromContext(ctx)
	now := r.now()
	if d := plan.AutomaticSnapshotDue(now, window, c.Spec.SnapshotRetentionLimit, lastStarted.Time, c.Namespace+"/"+c.Name); d.Take {
		snap := &mnemov1.Snapshot{
			ObjectMeta: metav1.ObjectMeta{
				Name:            fmt.Sprintf("%s-%s", c.Name, now.UTC().Format("20060102-1504")),
				Namespace:       c.Namespace,
				Labels:          specs.Labels(c, specs.ComponentSnapshot),
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(c, mnemov1.GroupVersion.WithKind("Cluster"))},
			},
			Spec: mnemov1.SnapshotSpec{ClusterName: c.Name, Source: mnemov1.SnapshotAutomatic},
		}
		if err := r.Create(ctx, snap); client.IgnoreAlreadyExists(err) != nil {
			return ctrl.Result{}, fmt.Errorf("cannot create automatic Snapshot %s: %w", snap.Name, err)
		}
		log.Info("Created automatic Snapshot", "snapshot", snap.Name, "reason", d.Reason)
		r.Recorder.Eventf(c, snap, corev1.EventTypeNormal, "SnapshotStarted", "Snapshot", "Started automatic Snapshot %s", snap.Name)
	}
	for _, name := range plan.ExpiredSnapshots(now, c.Spec.SnapshotRetentionLimit, automatic) {
		snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace}}
		if err := r.Delete(ctx, snap); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("cannot delete expired Snapshot %s: %w", name, err)
		}
		log.Info("Deleted expired Snapshot", "snapshot", name)
		r.Recorder.Eventf(c, snap, corev1.EventTypeNormal, "SnapshotExpired", "Delete",
			"Deleted Snapshot %s, older than %d days", name, c.Spec.SnapshotRetentionLimit)
	}
	return ctrl.Result{}, nil
}
