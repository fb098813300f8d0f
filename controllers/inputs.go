package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// catalogSource reads the node-type catalog: the built-in one, with the
// node-type ConfigMap on top when it exists. It reads the API server
// directly, since the ConfigMap is in the operator's namespace, which the
// cache may not watch.
type catalogSource struct {
	reader          client.Reader
	namespace, name string
}

// Catalog returns the current catalog, or an error saying why the
// ConfigMap cannot be used.
func (s *catalogSource) Catalog(ctx context.Context) (plan.Catalog, error) {
	builtin := plan.BuiltinCatalog()
	if s == nil || s.name == "" {
		return builtin, nil
	}
	var cm corev1.ConfigMap
	err := s.reader.Get(ctx, types.NamespacedName{Namespace: s.namespace, Name: s.name}, &cm)
	switch {
	case apierrors.IsNotFound(err):
		return builtin, nil
	case err != nil:
		return nil, fmt.Errorf("cannot read the node-type ConfigMap %s/%s: %w", s.namespace, s.name, err)
	}
	cat, err := plan.ParseCatalog(builtin, cm.Data)
	if err != nil {
		return nil, fmt.Errorf("node-type ConfigMap %s/%s: %w", s.namespace, s.name, err)
	}
	return cat, nil
}

// clusterInputs are the values a Cluster's objects are built from, beyond
// the Cluster itself.
type clusterInputs struct {
	nodeType plan.NodeType
	params   map[string]string
	// paramsGeneration is the ParameterGroup's generation params come
	// from; 0 for the built-in group.
	paramsGeneration int64
	users            []specs.ResolvedUser
	// problem stops the Cluster from being built; impairment does not.
	problem, impairment *plan.Problem

	// resharding is the resharding progress reconcileShards decided, for
	// the status; reshardingKnown says it ran (otherwise the status keeps
	// what it had).
	resharding      *mnemov1.ReshardingStatus
	reshardingKnown bool
	// restore is spec.restoreFrom resolved, to record in status.restore
	// before any data node is made; restoreWait says what the restore
	// waits for instead; restoreBuild, with restoreWait, is the
	// point-in-time Snapshot to create for it.
	restore      *mnemov1.RestoreStatus
	restoreWait  string
	restoreBuild *mnemov1.Snapshot

	// requeueAfter asks for another look without stopping the later
	// steps (a resharding polls its move while the rest goes on).
	requeueAfter time.Duration
}

// resolveCluster gathers a Cluster's inputs: its node type, its parameter
// group's parameters, and the users of its ACL with their password hashes.
// What cannot be resolved becomes a problem for the status, not an error;
// errors are for the API server failing.
func (r *ClusterReconciler) resolveCluster(ctx context.Context, c *mnemov1.Cluster) (*clusterInputs, error) {
	in := &clusterInputs{}
	cat, err := r.Catalog.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	nt, ok := cat.Lookup(c.Spec.NodeType)
	if !ok {
		in.problem = &plan.Problem{Reason: mnemov1.ReasonUnknownNodeType, Message: "spec.nodeType: " + cat.UnknownNodeTypeMessage(c.Spec.NodeType)}
		return in, nil
	}
	in.nodeType = nt

	if err := r.resolveRestore(ctx, c, in); err != nil || in.problem != nil {
		return in, err
	}
	if err := r.resolveSnapshotStore(ctx, c, in); err != nil {
		return nil, err
	}

	if c.Spec.ParameterGroupName != mnemov1.DefaultParameterGroupName {
		var pg mnemov1.ParameterGroup
		err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.ParameterGroupName}, &pg)
		switch {
		case apierrors.IsNotFound(err):
			in.problem = &plan.Problem{Reason: mnemov1.ReasonParameterGroupNotFound,
				Message: fmt.Sprintf("spec.parameterGroupName: no ParameterGroup %q in namespace %s", c.Spec.ParameterGroupName, c.Namespace)}
			return in, nil
		case err != nil:
			return nil, err
		}
		if err := mnemov1.ValidateParameters(pg.Spec.Parameters); err != nil {
			in.problem = &plan.Problem{Reason: mnemov1.ReasonInvalidParameters,
				Message: fmt.Sprintf("ParameterGroup %s: %v", pg.Name, strings.ReplaceAll(err.Error(), "\n", "; "))}
			return in, nil
		}
		in.params = pg.Spec.Parameters
		in.paramsGeneration = pg.Generation
	}

	if c.Spec.ACLName == mnemov1.OpenAccessACLName {
		return in, nil
	}
	var acl mnemov1.ACL
	err = r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.ACLName}, &acl)
	switch {
	case apierrors.IsNotFound(err):
		in.problem = &plan.Problem{Reason: mnemov1.ReasonACLNotFound,
			Message: fmt.Sprintf("spec.aclName: no ACL %q in namespace %s", c.Spec.ACLName, c.Namespace)}
		return in, nil
	case err != nil:
		return nil, err
	}
	users, missing, err := resolveUsers(ctx, r.Client, c.Namespace, acl.Spec.UserNames)
	if err != nil {
		return nil, err
	}
	in.users = users
	if len(missing) > 0 {
		in.impairment = &plan.Problem{Reason: mnemov1.ReasonUserNotFound,
			Message: fmt.Sprintf("ACL %s: left out of the ACL file: %s", acl.Name, strings.Join(missing, "; "))}
	}
	return in, nil
}

// resolveSnapshotStore checks that the S3 snapshot store's credentials
// Secret holds its keys. Without them the data pods and snapshot Jobs
// cannot start (their env refers to the keys), so the Cluster says what
// is missing; it is still built, so the pods start once the Secret is
// there (its creation wakes the Cluster: clustersOfSecret). The message
// names the Secret and keys, never a value.
func (r *ClusterReconciler) resolveSnapshotStore(ctx context.Context, c *mnemov1.Cluster, in *clusterInputs) error {
	s3 := c.S3SnapshotStore()
	if s3 == nil || s3.CredentialsSecretName == "" {
		return nil
	}
	name := s3.CredentialsSecretName
	var s corev1.Secret
	err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: name}, &s)
	switch {
	case apierrors.IsNotFound(err):
		in.impairment = &plan.Problem{Reason: mnemov1.ReasonSecretNotFound, Message: fmt.Sprintf(
			"spec.snapshotStore.s3.credentialsSecretName: no Secret %q in namespace %s; create it with the keys %s, or the data nodes and snapshot Jobs cannot start",
			name, c.Namespace, strings.Join(specs.S3RequiredKeys, " and "))}
		return nil
	case err != nil:
		return err
	}
	var missing []string
	for _, key := range specs.S3RequiredKeys {
		if len(s.Data[key]) == 0 {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		in.impairment = &plan.Problem{Reason: mnemov1.ReasonSecretNotFound, Message: fmt.Sprintf(
			"spec.snapshotStore.s3.credentialsSecretName: Secret %s has no key %s; the data nodes and snapshot Jobs cannot start without it",
			name, strings.Join(missing, " and no key "))}
	}
	return nil
}

// resolveUsers reads the named Users and hashes their passwords. A user
// that does not exist, or whose password Secret or key does not, is left
// out and described in missing (which names Secrets, never their values).
func resolveUsers(ctx context.Context, c client.Client, namespace string, names []string) (users []specs.ResolvedUser, missing []string, err error) {
	for _, name := range slices.Sorted(slices.Values(names)) {
		var u mnemov1.User
		err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &u)
		if apierrors.IsNotFound(err) {
			missing = append(missing, fmt.Sprintf("user %s does not exist", name))
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		ru := specs.ResolvedUser{Name: u.Name, AccessString: u.Spec.AccessString,
			NoPassword: u.Spec.Authentication.Type == mnemov1.AuthNoPassword}
		hashes, why, err := passwordHashes(ctx, c, &u)
		if err != nil {
			return nil, nil, err
		}
		if why != "" {
			missing = append(missing, fmt.Sprintf("user %s: %s", name, why))
			continue
		}
		ru.Hashes = hashes
		users = append(users, ru)
	}
	return users, missing, nil
}

// passwordHashes reads a user's password Secrets and returns the hashes
// of the passwords, or why they cannot be read. The passwords themselves
// go no further than this function.
func passwordHashes(ctx context.Context, c client.Client, u *mnemov1.User) (hashes []string, why string, err error) {
	for _, ref := range u.Spec.Authentication.PasswordSecretRefs {
		var s corev1.Secret
		err := c.Get(ctx, types.NamespacedName{Namespace: u.Namespace, Name: ref.Name}, &s)
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("Secret %s does not exist", ref.Name), nil
		}
		if err != nil {
			return nil, "", err
		}
		pw, ok := s.Data[ref.Key]
		if !ok || len(pw) == 0 {
			return nil, fmt.Sprintf("Secret %s has no key %s", ref.Name, ref.Key), nil
		}
		hashes = append(hashes, specs.HashPassword(pw))
	}
	return hashes, "", nil
}
