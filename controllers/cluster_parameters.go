package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// requeueParameters is how soon parameters that some node did not take
// are tried again.
const requeueParameters = 5 * time.Second

// reconcileLiveParameters gives every running data node the Cluster's
// live parameters with one CONFIG SET each, without a restart, whenever
// they differ from what was last applied; then records the group's
// generation in status.appliedParameters. Nodes that are not running yet
// read the rendered file when they start. Parameters the engine reads only
// at start change the pod template instead (see ShardReconciler), which
// rolls the nodes.
func (r *ClusterReconciler) reconcileLiveParameters(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) (ctrl.Result, error) {
	live, _ := plan.SplitParameters(plan.EffectiveParameters(in.params, in.nodeType))
	hash := plan.HashParameters(live)
	applied := c.Status.AppliedParameters
	if applied != nil && applied.Hash == hash && applied.GroupName == c.Spec.ParameterGroupName && applied.Generation == in.paramsGeneration {
		return ctrl.Result{}, nil
	}
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(c.Namespace), client.MatchingLabels{
		specs.LabelCluster: c.Name, specs.LabelComponent: specs.ComponentNode}); err != nil {
		return ctrl.Result{}, fmt.Errorf("cannot list the data nodes of %s: %w", c.Name, err)
	}
	cat, err := r.Catalog.Catalog(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	var failed []error
	n := 0
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase != corev1.PodRunning || !p.DeletionTimestamp.IsZero() {
			continue
		}
		// A node still on the old node type keeps that type's maxmemory
		// until it rolls: more than its memory would get it killed.
		nt := in.nodeType
		if own, ok := cat.Lookup(p.Annotations[specs.AnnotationNodeType]); ok {
			nt = own
		}
		own, _ := plan.SplitParameters(plan.EffectiveParameters(in.params, nt))
		if _, err := r.nodes.do(ctx, c, p, plan.ConfigSetArgs(own)...); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", p.Name, err))
			continue
		}
		n++
	}
	log := logf.FromContext(ctx)
	if len(failed) > 0 {
		err := errors.Join(failed...)
		log.Info("Could not apply parameters to every node", "error", err.Error())
		r.Recorder.Eventf(c, nil, corev1.EventTypeWarning, "ParametersNotApplied", "Configure",
			"ParameterGroup %s: %d nodes took the parameters, %d did not: %v", c.Spec.ParameterGroupName, n, len(failed), err)
		return ctrl.Result{RequeueAfter: requeueParameters}, nil
	}
	now := metav1.NewTime(r.now())
	ap := &mnemov1.AppliedParameters{GroupName: c.Spec.ParameterGroupName, Generation: in.paramsGeneration, Hash: hash, Time: &now}
	// Told once: a pass that read a stale Cluster from the cache applies
	// the same values again (harmless), but finds them recorded in the
	// stored status when its update goes in.
	told := false
	if err := patchStatus(ctx, r.Client, c, func(c *mnemov1.Cluster) {
		old := c.Status.AppliedParameters
		told = old != nil && old.GroupName == ap.GroupName && old.Generation == ap.Generation && old.Hash == ap.Hash
		if !told {
			c.Status.AppliedParameters = ap
		}
	}); err != nil {
		return ctrl.Result{}, err
	}
	if n > 0 && !told {
		log.Info("Applied parameters live", "parameterGroup", c.Spec.ParameterGroupName, "generation", in.paramsGeneration, "nodes", n)
		r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "ParametersApplied", "Configure",
			"Applied ParameterGroup %s generation %d to %d running nodes without a restart", c.Spec.ParameterGroupName, in.paramsGeneration, n)
	}
	return ctrl.Result{}, nil
}
