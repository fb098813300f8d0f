package controllers

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// base is what every reconciler has: a client and the scheme.
type base struct {
	client.Client
	Scheme *runtime.Scheme
}

// operation is what apply did.
type operation string

const (
	opNone    operation = "unchanged"
	opCreated operation = "created"
	opUpdated operation = "updated"
)

// apply makes the object named like desired exist and match it: created
// when missing; otherwise the fields the operator owns are copied over and
// the object updated. An update the API server finds to change nothing
// leaves the resource version alone, so it reports opNone and no Event is
// recorded. Fields the API server fills in (a Service's cluster IP) and
// fields that cannot change (a StatefulSet's selector) are kept.
func (b *base) apply(ctx context.Context, desired client.Object) (operation, error) {
	op, _, err := b.applyFrom(ctx, desired)
	return op, err
}

// applyFrom is apply that also returns the object as it was before an
// update (nil when it was created or left alone). The update carries that
// object's resource version, so what it returns is what the update
// replaced, never a stale copy.
func (b *base) applyFrom(ctx context.Context, desired client.Object) (operation, client.Object, error) {
	existing, ok := desired.DeepCopyObject().(client.Object)
	if !ok {
		return opNone, nil, fmt.Errorf("cannot copy %T", desired)
	}
	err := b.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	switch {
	case apierrors.IsNotFound(err):
		if err := b.Create(ctx, desired); err != nil {
			return opNone, nil, fmt.Errorf("cannot create %T %s: %w", desired, desired.GetName(), err)
		}
		return opCreated, nil, nil
	case err != nil:
		return opNone, nil, fmt.Errorf("cannot get %T %s: %w", desired, desired.GetName(), err)
	}
	if _, isJob := desired.(*batchv1.Job); isJob {
		return opNone, nil, nil // a Job's spec cannot change; it is only created
	}
	before, ok := existing.DeepCopyObject().(client.Object)
	if !ok {
		return opNone, nil, fmt.Errorf("cannot copy %T", existing)
	}
	rv := existing.GetResourceVersion()
	labels := existing.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range desired.GetLabels() {
		labels[k] = v
	}
	existing.SetLabels(labels)
	if refs := desired.GetOwnerReferences(); len(refs) > 0 {
		existing.SetOwnerReferences(refs)
	}
	if err := copyOwnedFields(existing, desired); err != nil {
		return opNone, nil, err
	}
	if err := b.Update(ctx, existing); err != nil {
		return opNone, nil, fmt.Errorf("cannot update %T %s: %w", desired, desired.GetName(), err)
	}
	if existing.GetResourceVersion() == rv {
		return opNone, nil, nil
	}
	return opUpdated, before, nil
}

// copyOwnedFields copies the fields the operator owns from desired into
// existing, which is of the same type.
func copyOwnedFields(existing, desired client.Object) error {
	switch e := existing.(type) {
	case *appsv1.StatefulSet:
		d := desired.(*appsv1.StatefulSet)
		e.Spec.Replicas = d.Spec.Replicas
		e.Spec.Template = d.Spec.Template
		e.Spec.UpdateStrategy = d.Spec.UpdateStrategy
		e.Spec.PersistentVolumeClaimRetentionPolicy = d.Spec.PersistentVolumeClaimRetentionPolicy
	case *corev1.Service:
		d := desired.(*corev1.Service)
		e.Spec.Ports = d.Spec.Ports
		e.Spec.Selector = d.Spec.Selector
		e.Spec.PublishNotReadyAddresses = d.Spec.PublishNotReadyAddresses
	case *corev1.ConfigMap:
		e.Data = desired.(*corev1.ConfigMap).Data
	case *corev1.Secret:
		e.Data = desired.(*corev1.Secret).Data
	case *policyv1.PodDisruptionBudget:
		e.Spec = desired.(*policyv1.PodDisruptionBudget).Spec
	case *networkingv1.NetworkPolicy:
		e.Spec = desired.(*networkingv1.NetworkPolicy).Spec
	case *mnemov1.Shard:
		e.Spec = desired.(*mnemov1.Shard).Spec
	case *unstructured.Unstructured:
		e.Object["spec"] = desired.(*unstructured.Unstructured).Object["spec"]
	default:
		return fmt.Errorf("apply does not know how to update a %T", existing)
	}
	return nil
}

// kindOf names an object's kind for logs and Events.
func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *appsv1.StatefulSet:
		return "StatefulSet"
	case *corev1.Service:
		return "Service"
	case *corev1.ConfigMap:
		return "ConfigMap"
	case *corev1.Secret:
		return "Secret"
	case *policyv1.PodDisruptionBudget:
		return "PodDisruptionBudget"
	case *networkingv1.NetworkPolicy:
		return "NetworkPolicy"
	case *batchv1.Job:
		return "Job"
	case *mnemov1.Shard:
		return "Shard"
	case *mnemov1.Snapshot:
		return "Snapshot"
	case *mnemov1.ParameterGroup:
		return "ParameterGroup"
	case *mnemov1.ACL:
		return "ACL"
	case *unstructured.Unstructured:
		return obj.GetObjectKind().GroupVersionKind().Kind
	}
	return fmt.Sprintf("%T", obj)
}

// applyAll applies each object in order and records what changed: a log
// line and an Event on owner ("Created StatefulSet orders-log").
func (b *base) applyAll(ctx context.Context, rec events.EventRecorder, owner client.Object, objs ...client.Object) error {
	for _, obj := range objs {
		op, err := b.apply(ctx, obj)
		if err != nil {
			return err
		}
		noteApplied(ctx, rec, owner, obj, op)
	}
	return nil
}

// noteApplied logs and records what apply did to obj, on owner.
func noteApplied(ctx context.Context, rec events.EventRecorder, owner, obj client.Object, op operation) {
	log := logf.FromContext(ctx)
	kind := kindOf(obj)
	key := strings.ToLower(kind[:1]) + kind[1:] // "statefulSet"
	switch op {
	case opCreated:
		log.Info("Created "+kind, key, obj.GetName())
		rec.Eventf(owner, obj, corev1.EventTypeNormal, "Created", "Create", "Created %s %s", kind, obj.GetName())
	case opUpdated:
		log.Info("Updated "+kind, key, obj.GetName())
		rec.Eventf(owner, obj, corev1.EventTypeNormal, "Updated", "Update", "Updated %s %s", kind, obj.GetName())
	}
}
