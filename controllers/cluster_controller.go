package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

const (
	// clusterFinalizer holds a Cluster's deletion until its final snapshot,
	// if it asks for one, is taken.
	clusterFinalizer = "mnemo.dev/cluster"
	// requeueWhileDeleting is how often a deletion waiting for its final
	// snapshot looks again.
	requeueWhileDeleting = 10 * time.Second
	// requeueSnapshotWindow is how often a Cluster with automatic snapshots
	// checks whether its snapshot window has come.
	requeueSnapshotWindow = 5 * time.Minute
)

// ClusterReconciler makes a Cluster's objects: the log servers, one Shard
// per shard, the endpoint Service, the rendered parameters and ACL file,
// the NetworkPolicies and automatic snapshots; and reports its status.
type ClusterReconciler struct {
	base
	Recorder events.EventRecorder
	Catalog  *catalogSource
	Options  Options
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Slots reads the live slot map and moves slots; the go-redis one
	// (NewNodeSlotPlane) when nil.
	Slots SlotPlane
	// APIReader reads the API server without the cache: a resharding's
	// progress must be read as last written, not as the cache last saw
	// it; the client when nil.
	APIReader client.Reader

	nodes nodes
}

type clusterStep func(context.Context, *mnemov1.Cluster, *clusterInputs) (ctrl.Result, error)

// Reconcile brings one Cluster's objects in line with its spec.
func (r *ClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var c mnemov1.Cluster
	if err := r.Get(ctx, req.NamespacedName, &c); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !c.DeletionTimestamp.IsZero() {
		return r.reconcileDeletion(ctx, &c)
	}
	if controllerutil.AddFinalizer(&c, clusterFinalizer) {
		if err := r.Update(ctx, &c); err != nil {
			return ctrl.Result{}, fmt.Errorf("cannot add the finalizer: %w", err)
		}
	}
	if err := r.reconcileBuiltins(ctx, &c); err != nil {
		return ctrl.Result{}, err
	}
	in, err := r.resolveCluster(ctx, &c)
	if err != nil {
		return ctrl.Result{}, err
	}
	var res ctrl.Result
	if in.problem == nil && !c.Spec.Paused {
		for _, step := range []clusterStep{
			r.reconcileConfig,
			r.reconcileLog,
			r.reconcileRestore,
			r.reconcileShards,
			r.reconcileEndpoint,
			r.reconcileSnapshots,
			r.reconcileLiveParameters,
		} {
			if res, err = step(ctx, &c, in); err != nil {
				return res, err
			}
			if !res.IsZero() {
				break // status is still reported
			}
		}
	}
	if err := r.reconcileStatus(ctx, &c, in); err != nil {
		return ctrl.Result{}, err
	}
	if in.requeueAfter > 0 && (res.RequeueAfter == 0 || in.requeueAfter < res.RequeueAfter) {
		res.RequeueAfter = in.requeueAfter
	}
	if res.RequeueAfter > 0 {
		return res, nil
	}
	if c.Spec.SnapshotRetentionLimit > 0 {
		return ctrl.Result{RequeueAfter: requeueSnapshotWindow}, nil
	}
	return ctrl.Result{}, nil
}

// reconcileBuiltins makes sure the built-in parameter group and ACL exist
// in the Cluster's namespace, so people see what a Cluster uses by default.
// They belong to no Cluster and are never updated.
func (r *ClusterReconciler) reconcileBuiltins(ctx context.Context, c *mnemov1.Cluster) error {
	builtins := []client.Object{
		&mnemov1.ParameterGroup{
			ObjectMeta: metav1.ObjectMeta{Name: mnemov1.DefaultParameterGroupName, Namespace: c.Namespace,
				Labels: map[string]string{specs.LabelManagedBy: specs.ManagedBy}},
			Spec: mnemov1.ParameterGroupSpec{Family: "mnemo-redis7", Description: "The engine's defaults; built in, cannot be changed."},
		},
		&mnemov1.ACL{
			ObjectMeta: metav1.ObjectMeta{Name: mnemov1.OpenAccessACLName, Namespace: c.Namespace,
				Labels: map[string]string{specs.LabelManagedBy: specs.ManagedBy}},
		},
	}
	for _, obj := range builtins {
		if err := r.Get(ctx, client.ObjectKeyFromObject(obj), obj.DeepCopyObject().(client.Object)); !apierrors.IsNotFound(err) {
			if err != nil {
				return fmt.Errorf("cannot get %s %s: %w", kindOf(obj), obj.GetName(), err)
			}
			continue
		}
		if err := r.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cannot create %s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		logf.FromContext(ctx).Info("Created built-in "+kindOf(obj), strings.ToLower(kindOf(obj)[:1])+kindOf(obj)[1:], obj.GetName())
	}
	return nil
}

// reconcileConfig renders the parameter file and the ACL file, and the
// NetworkPolicies. Data nodes pick up a changed ACL file from their Secret
// volume; parameters are applied live (CONFIG SET) in later work.
func (r *ClusterReconciler) reconcileConfig(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) (ctrl.Result, error) {
	users := in.users
	if c.Spec.ACLName != mnemov1.OpenAccessACLName {
		pw, err := r.operatorPassword(ctx, c)
		if err != nil {
			return ctrl.Result{}, err
		}
		users = specs.WithOperatorUser(users, specs.HashPassword(pw))
	}
	if err := r.applyAll(ctx, r.Recorder, c,
		specs.ConfigMap(c, specs.RenderParameters(c.Spec.ParameterGroupName, in.params, in.nodeType))); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.applyACLFile(ctx, c, in.users, users); err != nil {
		return ctrl.Result{}, err
	}
	var objs []client.Object
	for _, np := range specs.NetworkPolicies(c) {
		objs = append(objs, np)
	}
	if err := r.applyAll(ctx, r.Recorder, c, objs...); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.reconcileCertificate(ctx, c, in)
}

// reconcileCertificate asks cert-manager for the nodes' certificate when
// the Cluster names an issuer. Without cert-manager installed the rest of
// the Cluster is still built, and the Cluster says what is missing.
func (r *ClusterReconciler) reconcileCertificate(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) error {
	if !c.TLSEnabled() || c.Spec.TLS.IssuerRef == nil {
		return nil
	}
	err := r.applyAll(ctx, r.Recorder, c, specs.Certificate(c))
	if meta.IsNoMatchError(err) {
		in.impairment = &plan.Problem{Reason: mnemov1.ReasonCertManagerMissing, Message: fmt.Sprintf(
			"spec.tls.issuerRef needs cert-manager, which is not installed (no %s); install it, or create Secret %s and set spec.tls.secretName",
			specs.CertificateGVK.GroupKind(), c.TLSSecretName())}
		return nil
	}
	return err
}

// reconcileLog makes the log servers: their StatefulSet, Services and PDB.
func (r *ClusterReconciler) reconcileLog(ctx context.Context, c *mnemov1.Cluster, _ *clusterInputs) (ctrl.Result, error) {
	image := specs.Image(c, r.Options.DefaultImage)
	return ctrl.Result{}, r.applyAll(ctx, r.Recorder, c,
		specs.LogHeadlessService(c), specs.LogService(c), specs.LogStatefulSet(c, image), specs.LogPDB(c))
}

// reconcileEndpoint makes the Service clients connect to.
func (r *ClusterReconciler) reconcileEndpoint(ctx context.Context, c *mnemov1.Cluster, _ *clusterInputs) (ctrl.Result, error) {
	return ctrl.Result{}, r.applyAll(ctx, r.Recorder, c, specs.ClientService(c))
}

func (r *ClusterReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *ClusterReconciler) shardsOf(ctx context.Context, c *mnemov1.Cluster) ([]mnemov1.Shard, error) {
	var list mnemov1.ShardList
	if err := r.List(ctx, &list, client.InNamespace(c.Namespace), client.MatchingFields{indexClusterName: c.Name}); err != nil {
		return nil, fmt.Errorf("cannot list the Shards of %s: %w", c.Name, err)
	}
	return list.Items, nil
}

func (r *ClusterReconciler) snapshotsOf(ctx context.Context, c *mnemov1.Cluster) ([]mnemov1.Snapshot, error) {
	var list mnemov1.SnapshotList
	if err := r.List(ctx, &list, client.InNamespace(c.Namespace), client.MatchingFields{indexClusterName: c.Name}); err != nil {
		return nil, fmt.Errorf("cannot list the Snapshots of %s: %w", c.Name, err)
	}
	return list.Items, nil
}

// SetupWithManager watches Clusters, what they own, and what they use:
// a change to a ParameterGroup, ACL, User or password Secret re-renders
// the files of every Cluster that uses it.
func (r *ClusterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mnemov1.Cluster{}).
		Owns(&mnemov1.Shard{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ConfigMap{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Owns(&networkingv1.NetworkPolicy{}).
		Watches(&mnemov1.Snapshot{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfSnapshot)).
		Watches(&mnemov1.ParameterGroup{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfParameterGroup)).
		Watches(&mnemov1.ACL{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfACL)).
		Watches(&mnemov1.User{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfUser)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfSecret)).
		Named("cluster").
		Complete(r)
}
