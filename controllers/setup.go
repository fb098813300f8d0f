package controllers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// The operator's permissions, in one place. Keep them minimal and sorted.
//
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=core,resources=configmaps,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=core,resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=core,resources=secrets,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=core,resources=services,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=mnemo.dev,resources=acls;clusters;parametergroups;shards;snapshots;users,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=mnemo.dev,resources=acls/status;clusters/status;parametergroups/status;shards/status;snapshots/status;users/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=mnemo.dev,resources=clusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch

// Options configure the reconcilers.
type Options struct {
	// DefaultImage is the mnemo image a Cluster runs unless it sets one.
	DefaultImage string
	// OperatorNamespace is where the node-type ConfigMap lives.
	OperatorNamespace string
	// NodeTypesConfigMap names the ConfigMap that adds to or redefines the
	// built-in node-type catalog; none when empty or missing.
	NodeTypesConfigMap string
	// Nodes finds a data node's address from its pod; PodDNSResolver when
	// nil. Tests map pods to engine processes on loopback.
	Nodes NodeResolver
	// Slots reads Clusters' live slot maps and starts slot moves for
	// resharding; NewNodeSlotPlane(Nodes) when nil. envtest, which runs
	// no data nodes, stands in for it.
	Slots SlotPlane
	// ObserveInterval is how often a Shard with running nodes asks them
	// for their roles and lag (5s when zero).
	ObserveInterval time.Duration
}

// Field indexes the reconcilers list by.
const (
	indexParameterGroup = "spec.parameterGroupName"
	indexACL            = "spec.aclName"
	indexUserNames      = "spec.userNames"
	indexPasswordSecret = "spec.authentication.passwordSecretRefs.name"
	indexClusterName    = "spec.clusterName"
	indexRestoreFrom    = "spec.restoreFrom.snapshotName"
	indexS3Credentials  = "spec.snapshotStore.s3.credentialsSecretName"
)

// SetupWithManager registers the field indexes and every reconciler.
func SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	idx := mgr.GetFieldIndexer()
	for _, ix := range []struct {
		obj     client.Object
		field   string
		extract client.IndexerFunc
	}{
		{&mnemov1.Cluster{}, indexParameterGroup, func(o client.Object) []string {
			return []string{o.(*mnemov1.Cluster).Spec.ParameterGroupName}
		}},
		{&mnemov1.Cluster{}, indexACL, func(o client.Object) []string { return []string{o.(*mnemov1.Cluster).Spec.ACLName} }},
		{&mnemov1.Cluster{}, indexRestoreFrom, func(o client.Object) []string {
			if rf := o.(*mnemov1.Cluster).Spec.RestoreFrom; rf != nil {
				return []string{rf.SnapshotName}
			}
			return nil
		}},
		{&mnemov1.Cluster{}, indexS3Credentials, func(o client.Object) []string {
			if s3 := o.(*mnemov1.Cluster).S3SnapshotStore(); s3 != nil && s3.CredentialsSecretName != "" {
				return []string{s3.CredentialsSecretName}
			}
			return nil
		}},
		{&mnemov1.ACL{}, indexUserNames, func(o client.Object) []string { return o.(*mnemov1.ACL).Spec.UserNames }},
		{&mnemov1.User{}, indexPasswordSecret, func(o client.Object) []string {
			var names []string
			for _, ref := range o.(*mnemov1.User).Spec.Authentication.PasswordSecretRefs {
				names = append(names, ref.Name)
			}
			return names
		}},
		{&mnemov1.Snapshot{}, indexClusterName, func(o client.Object) []string { return []string{o.(*mnemov1.Snapshot).Spec.ClusterName} }},
		{&mnemov1.Shard{}, indexClusterName, func(o client.Object) []string { return []string{o.(*mnemov1.Shard).Spec.ClusterName} }},
	} {
		if err := idx.IndexField(ctx, ix.obj, ix.field, ix.extract); err != nil {
			return fmt.Errorf("cannot index %T by %s: %w", ix.obj, ix.field, err)
		}
	}

	if err := registerMetrics(mgr); err != nil {
		return fmt.Errorf("cannot register the operator's metrics: %w", err)
	}
	recorder := func(name string) events.EventRecorder { return mgr.GetEventRecorder(name) }
	catalog := &catalogSource{reader: mgr.GetAPIReader(), namespace: opts.OperatorNamespace, name: opts.NodeTypesConfigMap}
	base := base{Client: mgr.GetClient(), Scheme: mgr.GetScheme()}
	for _, r := range []interface{ SetupWithManager(ctrl.Manager) error }{
		&ClusterReconciler{base: base, Recorder: recorder("mnemo-cluster"), Catalog: catalog, Options: opts, Slots: opts.Slots, APIReader: mgr.GetAPIReader(), nodes: nodes{resolver: opts.Nodes, secrets: base.Client}},
		&ShardReconciler{base: base, Recorder: recorder("mnemo-shard"), Catalog: catalog, Options: opts, nodes: nodes{resolver: opts.Nodes, secrets: base.Client}},
		&ParameterGroupReconciler{base: base, Recorder: recorder("mnemo-parametergroup")},
		&UserReconciler{base: base, Recorder: recorder("mnemo-user")},
		&ACLReconciler{base: base, Recorder: recorder("mnemo-acl")},
		&SnapshotReconciler{base: base, Recorder: recorder("mnemo-snapshot"), Options: opts},
	} {
		if err := r.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("cannot set up %T: %w", r, err)
		}
	}
	return nil
}
