package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// ShardReconciler makes a shard's data nodes: a StatefulSet of 1+R mnemo
// node pods, its headless Service and PDB; and reports the nodes.
type ShardReconciler struct {
	base
	Recorder events.EventRecorder
	Catalog  *catalogSource
	Options  Options
}

type shardStep func(context.Context, *mnemov1.Cluster, *mnemov1.Shard) (ctrl.Result, error)

// Reconcile brings one Shard's objects in line with its spec.
func (r *ShardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var s mnemov1.Shard
	if err := r.Get(ctx, req.NamespacedName, &s); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !s.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // owned objects go with it
	}
	var c mnemov1.Cluster
	err := r.Get(ctx, types.NamespacedName{Namespace: s.Namespace, Name: s.Spec.ClusterName}, &c)
	if apierrors.IsNotFound(err) || (err == nil && !c.DeletionTimestamp.IsZero()) {
		return ctrl.Result{}, nil // the Cluster is gone or going; so is the Shard
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if !c.Spec.Paused {
		for _, step := range []shardStep{r.reconcileNodes} {
			if res, err := step(ctx, &c, &s); err != nil || !res.IsZero() {
				return res, err
			}
		}
	}
	return ctrl.Result{}, r.reconcileStatus(ctx, &s)
}

// reconcileNodes makes the StatefulSet, headless Service and PDB.
func (r *ShardReconciler) reconcileNodes(ctx context.Context, c *mnemov1.Cluster, s *mnemov1.Shard) (ctrl.Result, error) {
	cat, err := r.Catalog.Catalog(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	nt, ok := cat.Lookup(s.Spec.NodeType)
	if !ok {
		// The Cluster reports this as its problem; nothing to build.
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, r.applyAll(ctx, r.Recorder, s,
		specs.ShardService(c, s),
		specs.ShardStatefulSet(c, s, nt, specs.Image(c, r.Options.DefaultImage), ""),
		specs.ShardPDB(c, s))
}

// reconcileStatus reports the shard's nodes from its StatefulSet and pods.
func (r *ShardReconciler) reconcileStatus(ctx context.Context, s *mnemov1.Shard) error {
	var sts appsv1.StatefulSet
	obs := plan.ShardObservation{Name: s.Name, Nodes: s.Spec.Nodes}
	err := r.Get(ctx, client.ObjectKeyFromObject(s), &sts)
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	if err == nil {
		obs.ReadyNodes = sts.Status.ReadyReplicas
		if sts.Status.ObservedGeneration == sts.Generation {
			obs.UpdatedNodes = sts.Status.UpdatedReplicas
		}
	}
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(s.Namespace), client.MatchingLabels{
		specs.LabelCluster: s.Spec.ClusterName, specs.LabelComponent: specs.ComponentNode, specs.LabelShard: fmt.Sprint(s.Spec.Index),
	}); err != nil {
		return fmt.Errorf("cannot list the pods of Shard %s: %w", s.Name, err)
	}
	nodes := shardNodes(pods.Items)
	conds := plan.ShardHealth(obs)
	now := time.Now()
	return patchStatus(ctx, r.Client, s, func(s *mnemov1.Shard) {
		s.Status.ObservedGeneration = s.Generation
		s.Status.Slots = plan.FormatSlots(s.Spec.SlotRanges)
		s.Status.ReadyNodes = obs.ReadyNodes
		s.Status.Nodes = nodes
		setConditions(&s.Status.Conditions, s.Generation, now, conds...)
	})
}

// shardNodes lists a shard's pods as nodes, sorted by name. Roles come from
// the data plane, which does not report them yet.
func shardNodes(pods []corev1.Pod) []mnemov1.ShardNode {
	nodes := make([]mnemov1.ShardNode, 0, len(pods))
	for _, p := range pods {
		ready := false
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		nodes = append(nodes, mnemov1.ShardNode{Name: p.Name, Role: mnemov1.RoleUnknown, Ready: ready,
			NodeType: p.Annotations["mnemo.dev/node-type"]})
	}
	slices.SortFunc(nodes, func(a, b mnemov1.ShardNode) int { return strings.Compare(a.Name, b.Name) })
	return nodes
}

// SetupWithManager watches Shards, what they own, and their pods.
func (r *ShardReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mnemov1.Shard{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(shardOfPod)).
		Named("shard").
		Complete(r)
}

// shardOfPod maps a data node's pod to its Shard, through the pod's
// StatefulSet, which is named like the Shard.
func shardOfPod(_ context.Context, obj client.Object) []reconcile.Request {
	if obj.GetLabels()[specs.LabelComponent] != specs.ComponentNode {
		return nil
	}
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Kind == "StatefulSet" {
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}}}
		}
	}
	return nil
}
