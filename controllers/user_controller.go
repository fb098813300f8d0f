package controllers

import (
	"context"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// UserReconciler checks that a user's password Secrets resolve and reports
// the ACLs it is in. The Cluster reconciler puts the user, hashed, into the
// ACL file of every Cluster whose ACL lists it.
type UserReconciler struct {
	base
	Recorder events.EventRecorder
}

// Reconcile reports one User's status.
func (r *UserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var u mnemov1.User
	if err := r.Get(ctx, req.NamespacedName, &u); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	_, why, err := passwordHashes(ctx, r.Client, &u)
	if err != nil {
		return ctrl.Result{}, err
	}
	var acls mnemov1.ACLList
	if err := r.List(ctx, &acls, client.InNamespace(u.Namespace), client.MatchingFields{indexUserNames: u.Name}); err != nil {
		return ctrl.Result{}, err
	}
	names := make([]string, 0, len(acls.Items))
	for _, a := range acls.Items {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	phase, ready := userState(why)
	old := meta.FindStatusCondition(u.Status.Conditions, mnemov1.ConditionReady)
	if ready.Status == metav1.ConditionFalse && (old == nil || old.Message != ready.Message) {
		r.Recorder.Eventf(&u, nil, corev1.EventTypeWarning, ready.Reason, "Resolve", "%s", ready.Message)
	}
	now := time.Now()
	return ctrl.Result{}, patchStatus(ctx, r.Client, &u, func(u *mnemov1.User) {
		u.Status.ObservedGeneration = u.Generation
		u.Status.Phase = phase
		u.Status.PasswordCount = int32(len(u.Spec.Authentication.PasswordSecretRefs))
		u.Status.ACLs = names
		setConditions(&u.Status.Conditions, u.Generation, now, ready)
	})
}

// userState is a user's phase and Ready condition given why its passwords
// cannot be read ("" when they can). The reason names a Secret, never a
// password.
func userState(why string) (mnemov1.UserPhase, metav1.Condition) {
	if why != "" {
		return mnemov1.UserModifying, metav1.Condition{Type: mnemov1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: mnemov1.ReasonSecretNotFound, Message: why}
	}
	return mnemov1.UserActive, metav1.Condition{Type: mnemov1.ConditionReady, Status: metav1.ConditionTrue,
		Reason: mnemov1.ReasonAvailable, Message: "passwords resolve"}
}

// SetupWithManager watches Users, their password Secrets and the ACLs
// listing them.
func (r *UserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mnemov1.User{}).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.usersOfSecret)).
		Watches(&mnemov1.ACL{}, handler.EnqueueRequestsFromMapFunc(usersOfACL)).
		Named("user").
		Complete(r)
}

func (r *UserReconciler) usersOfSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	var users mnemov1.UserList
	if err := r.List(ctx, &users, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexPasswordSecret: obj.GetName()}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(users.Items))
	for _, u := range users.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&u)})
	}
	return reqs
}

func usersOfACL(_ context.Context, obj client.Object) []reconcile.Request {
	acl := obj.(*mnemov1.ACL)
	reqs := make([]reconcile.Request, 0, len(acl.Spec.UserNames))
	for _, name := range acl.Spec.UserNames {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Namespace: acl.Namespace, Name: name}})
	}
	return reqs
}
