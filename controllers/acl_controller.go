package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// ACLReconciler checks that an ACL's users exist and reports the Clusters
// using it. The Cluster reconciler renders each Cluster's ACL file.
type ACLReconciler struct {
	base
	Recorder events.EventRecorder
}

// Reconcile reports one ACL's status.
func (r *ACLReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var acl mnemov1.ACL
	if err := r.Get(ctx, req.NamespacedName, &acl); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	var missing []string
	for _, name := range acl.Spec.UserNames {
		err := r.Get(ctx, client.ObjectKey{Namespace: acl.Namespace, Name: name}, &mnemov1.User{})
		if apierrors.IsNotFound(err) {
			missing = append(missing, name)
		} else if err != nil {
			return ctrl.Result{}, err
		}
	}
	var clusters mnemov1.ClusterList
	if err := r.List(ctx, &clusters, client.InNamespace(acl.Namespace), client.MatchingFields{indexACL: acl.Name}); err != nil {
		return ctrl.Result{}, err
	}
	ready := aclCondition(missing)
	old := meta.FindStatusCondition(acl.Status.Conditions, mnemov1.ConditionReady)
	if ready.Status == metav1.ConditionFalse && (old == nil || old.Message != ready.Message) {
		r.Recorder.Eventf(&acl, nil, corev1.EventTypeWarning, ready.Reason, "Resolve", "%s", ready.Message)
	}
	now := time.Now()
	return ctrl.Result{}, patchStatus(ctx, r.Client, &acl, func(acl *mnemov1.ACL) {
		acl.Status.ObservedGeneration = acl.Generation
		acl.Status.Clusters = clusterNames(clusters.Items)
		setConditions(&acl.Status.Conditions, acl.Generation, now, ready)
	})
}

// aclCondition is an ACL's Ready condition given the users it lists that
// do not exist.
func aclCondition(missing []string) metav1.Condition {
	if len(missing) > 0 {
		return metav1.Condition{Type: mnemov1.ConditionReady, Status: metav1.ConditionFalse, Reason: mnemov1.ReasonUserNotFound,
			Message: fmt.Sprintf("no such users: %s", strings.Join(missing, ", "))}
	}
	return metav1.Condition{Type: mnemov1.ConditionReady, Status: metav1.ConditionTrue, Reason: mnemov1.ReasonAvailable, Message: "every user exists"}
}

// SetupWithManager watches ACLs, the Users they list and the Clusters
// naming them.
func (r *ACLReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mnemov1.ACL{}).
		Watches(&mnemov1.User{}, handler.EnqueueRequestsFromMapFunc(r.aclsOfUser)).
		Watches(&mnemov1.Cluster{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, obj client.Object) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: obj.(*mnemov1.Cluster).Spec.ACLName}}}
		})).
		Named("acl").
		Complete(r)
}

func (r *ACLReconciler) aclsOfUser(ctx context.Context, obj client.Object) []reconcile.Request {
	var acls mnemov1.ACLList
	if err := r.List(ctx, &acls, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexUserNames: obj.GetName()}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(acls.Items))
	for _, a := range acls.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&a)})
	}
	return reqs
}
