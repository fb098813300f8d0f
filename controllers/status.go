package controllers

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// patchStatus applies mutate to a fresh copy of obj's status and writes it,
// retrying on conflict, so the status is always computed from the newest
// object. mutate must be a pure function of its argument (and values it
// closes over). obj is left holding what was written.
func patchStatus[T client.Object](ctx context.Context, c client.Client, obj T, mutate func(T)) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		before := obj.DeepCopyObject()
		mutate(obj)
		if equalObjects(before, obj) {
			return nil
		}
		return c.Status().Update(ctx, obj)
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cannot update the status of %s: %w", obj.GetName(), err)
	}
	return nil
}

// setConditions sets each condition, stamping the generation it describes
// and, when its status changes, the time. A condition that keeps its
// status keeps its transition time.
func setConditions(conds *[]metav1.Condition, generation int64, now time.Time, set ...metav1.Condition) {
	for _, c := range set {
		c.ObservedGeneration = generation
		c.LastTransitionTime = metav1.NewTime(now)
		meta.SetStatusCondition(conds, c)
	}
}
