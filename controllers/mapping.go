package controllers

import (
	"context"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// The functions below map a changed object to the Clusters it affects,
// through the field indexes set up in SetupWithManager.

func (r *ClusterReconciler) clustersBy(ctx context.Context, namespace, field, value string) []reconcile.Request {
	var list mnemov1.ClusterList
	if err := r.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{field: value}); err != nil {
		logf.FromContext(ctx).Error(err, "Cannot list Clusters to reconcile", "field", field)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, c := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Name}})
	}
	return reqs
}

func (r *ClusterReconciler) clustersOfParameterGroup(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.clustersBy(ctx, obj.GetNamespace(), indexParameterGroup, obj.GetName())
}

func (r *ClusterReconciler) clustersOfACL(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.clustersBy(ctx, obj.GetNamespace(), indexACL, obj.GetName())
}

// clustersOfSnapshot: the Cluster it is a snapshot of, the Clusters
// waiting to be restored from it, and the Cluster that built it for a
// point-in-time restore (its controller).
func (r *ClusterReconciler) clustersOfSnapshot(ctx context.Context, obj client.Object) []reconcile.Request {
	snap, ok := obj.(*mnemov1.Snapshot)
	if !ok {
		return nil
	}
	reqs := []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: snap.Namespace, Name: snap.Spec.ClusterName}}}
	if owner := metav1.GetControllerOf(snap); owner != nil && owner.Kind == "Cluster" && owner.Name != snap.Spec.ClusterName {
		// A point-in-time Snapshot wakes the Cluster restoring from it.
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: snap.Namespace, Name: owner.Name}})
	}
	return append(reqs, r.clustersBy(ctx, snap.Namespace, indexRestoreFrom, snap.Name)...)
}

// clustersOfUser: the Clusters whose ACL lists the user.
func (r *ClusterReconciler) clustersOfUser(ctx context.Context, obj client.Object) []reconcile.Request {
	return r.clustersOfUserNames(ctx, obj.GetNamespace(), []string{obj.GetName()})
}

func (r *ClusterReconciler) clustersOfUserNames(ctx context.Context, namespace string, users []string) []reconcile.Request {
	seen := map[types.NamespacedName]bool{}
	var reqs []reconcile.Request
	for _, user := range users {
		var acls mnemov1.ACLList
		if err := r.List(ctx, &acls, client.InNamespace(namespace), client.MatchingFields{indexUserNames: user}); err != nil {
			logf.FromContext(ctx).Error(err, "Cannot list ACLs to reconcile", "user", user)
			continue
		}
		for _, acl := range acls.Items {
			for _, req := range r.clustersBy(ctx, namespace, indexACL, acl.Name) {
				if !seen[req.NamespacedName] {
					seen[req.NamespacedName] = true
					reqs = append(reqs, req)
				}
			}
		}
	}
	return reqs
}

// clustersOfSecret: the Cluster owning the Secret, or the Clusters whose
// ACL lists a User whose password the Secret holds, and those whose S3
// snapshot store takes its credentials from it.
func (r *ClusterReconciler) clustersOfSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	if ref := metav1.GetControllerOf(obj); ref != nil && ref.Kind == "Cluster" && ref.APIVersion == mnemov1.GroupVersion.String() {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}}}
	}
	var users mnemov1.UserList
	if err := r.List(ctx, &users, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexPasswordSecret: obj.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "Cannot list Users to reconcile", "secret", obj.GetName())
		return nil
	}
	names := make([]string, 0, len(users.Items))
	for _, u := range users.Items {
		names = append(names, u.Name)
	}
	reqs := r.clustersOfUserNames(ctx, obj.GetNamespace(), names)
	for _, req := range r.clustersBy(ctx, obj.GetNamespace(), indexS3Credentials, obj.GetName()) {
		if !slices.Contains(reqs, req) {
			reqs = append(reqs, req)
		}
	}
	return reqs
}
