package controllers

import (
	"context"
	"slices"
	"strings"
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

// ParameterGroupReconciler validates a group's values against the
// allowlist and reports the Clusters using it and the generation each has
// applied. The Cluster reconciler
// renders the group into each Cluster's parameter file.
type ParameterGroupReconciler struct {
	base
	Recorder events.EventRecorder
}

// Reconcile reports one ParameterGroup's status.
func (r *ParameterGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var pg mnemov1.ParameterGroup
	if err := r.Get(ctx, req.NamespacedName, &pg); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	var clusters mnemov1.ClusterList
	if err := r.List(ctx, &clusters, client.InNamespace(pg.Namespace), client.MatchingFields{indexParameterGroup: pg.Name}); err != nil {
		return ctrl.Result{}, err
	}
	names := clusterNames(clusters.Items)
	ready := parameterGroupCondition(mnemov1.ValidateParameters(pg.Spec.Parameters), len(names))
	old := meta.FindStatusCondition(pg.Status.Conditions, mnemov1.ConditionReady)
	if ready.Status == metav1.ConditionFalse && (old == nil || old.Message != ready.Message) {
		r.Recorder.Eventf(&pg, nil, corev1.EventTypeWarning, ready.Reason, "Validate", "%s", ready.Message)
	}
	now := time.Now()
	// What the stored status said each Cluster had applied, read inside
	// the update that changes it: each Cluster's catching up is told once.
	var before []mnemov1.ParameterGroupApplied
	err := patchStatus(ctx, r.Client, &pg, func(pg *mnemov1.ParameterGroup) {
		before = slices.Clone(pg.Status.Applied)
		pg.Status.ObservedGeneration = pg.Generation
		pg.Status.Clusters = names
		pg.Status.Applied = appliedGenerations(pg.Name, clusters.Items)
		setConditions(&pg.Status.Conditions, pg.Generation, now, ready)
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, name := range newlyApplied(before, pg.Status.Applied, pg.Generation) {
		i := slices.IndexFunc(clusters.Items, func(c mnemov1.Cluster) bool { return c.Name == name })
		if i < 0 {
			continue
		}
		r.Recorder.Eventf(&pg, &clusters.Items[i], corev1.EventTypeNormal, "ParametersApplied", "Configure",
			"Cluster %s applied generation %d: its running nodes took the values live, new nodes read them at start", name, pg.Generation)
	}
	return ctrl.Result{}, nil
}

// newlyApplied names the Clusters that have applied the group's current
// generation now and had not before.
func newlyApplied(before, after []mnemov1.ParameterGroupApplied, generation int64) []string {
	var names []string
	for _, a := range after {
		if a.Generation != generation || a.Generation == 0 {
			continue
		}
		if slices.ContainsFunc(before, func(b mnemov1.ParameterGroupApplied) bool {
			return b.Cluster == a.Cluster && b.Generation == a.Generation
		}) {
			continue
		}
		names = append(names, a.Cluster)
	}
	return names
}

// parameterGroupCondition is the group's Ready condition: False with the
// validation errors, else True.
func parameterGroupCondition(invalid error, users int) metav1.Condition {
	if invalid != nil {
		return metav1.Condition{Type: mnemov1.ConditionReady, Status: metav1.ConditionFalse, Reason: mnemov1.ReasonInvalidParameters,
			Message: strings.ReplaceAll(invalid.Error(), "\n", "; ")}
	}
	if users == 0 {
		return metav1.Condition{Type: mnemov1.ConditionReady, Status: metav1.ConditionTrue, Reason: mnemov1.ReasonValid, Message: "valid; no Cluster uses it"}
	}
	return metav1.Condition{Type: mnemov1.ConditionReady, Status: metav1.ConditionTrue, Reason: mnemov1.ReasonInUse, Message: "valid and in use"}
}

// appliedGenerations says, for each Cluster using the group, which of its
// generations the Cluster's running nodes were given (0: none yet).
func appliedGenerations(group string, cs []mnemov1.Cluster) []mnemov1.ParameterGroupApplied {
	out := make([]mnemov1.ParameterGroupApplied, 0, len(cs))
	for _, c := range cs {
		a := mnemov1.ParameterGroupApplied{Cluster: c.Name}
		if ap := c.Status.AppliedParameters; ap != nil && ap.GroupName == group {
			a.Generation = ap.Generation
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b mnemov1.ParameterGroupApplied) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out
}

func clusterNames(cs []mnemov1.Cluster) []string {
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

// SetupWithManager watches ParameterGroups and the Clusters naming them.
func (r *ParameterGroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mnemov1.ParameterGroup{}).
		Watches(&mnemov1.Cluster{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, obj client.Object) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: obj.(*mnemov1.Cluster).Spec.ParameterGroupName}}}
		})).
		Named("parametergroup").
		Complete(r)
}
