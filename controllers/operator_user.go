package controllers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// The operator's own ACL user (specs.OperatorUser). A Cluster whose ACL is
// not open-access disables the default user, so the operator, which must
// reach every data node (roles, live parameters, slot moves, handoffs),
// authenticates as a user of its own: its password is generated once into
// the Secret <cluster>-operator, which the Cluster owns; only its hash goes
// into the ACL file.

// operatorPassword returns the operator's password on a Cluster's nodes,
// making it (and its Secret) the first time.
func (r *ClusterReconciler) operatorPassword(ctx context.Context, c *mnemov1.Cluster) ([]byte, error) {
	key := client.ObjectKey{Namespace: c.Namespace, Name: specs.OperatorSecretName(c)}
	var s corev1.Secret
	err := r.Get(ctx, key, &s)
	if apierrors.IsNotFound(err) {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		pw := []byte(hex.EncodeToString(raw))
		err = r.Create(ctx, specs.OperatorSecret(c, pw))
		if err == nil {
			return pw, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("cannot create Secret %s: %w", key.Name, err)
		}
		// Made by an earlier reconcile the cache has not seen yet.
		reader := r.APIReader
		if reader == nil {
			reader = r.Client
		}
		err = reader.Get(ctx, key, &s)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read Secret %s: %w", key.Name, err)
	}
	pw := s.Data[specs.OperatorPasswordKey]
	if len(pw) == 0 {
		return nil, fmt.Errorf("the operator's Secret %s has no key %s; delete it and the operator makes a new one", key.Name, specs.OperatorPasswordKey)
	}
	return pw, nil
}

// credentials are what the operator authenticates with on a Cluster's
// nodes: none with the open-access ACL (the default user), else its own
// user, once its Secret exists.
func (n nodes) credentials(ctx context.Context, c *mnemov1.Cluster) (user, password string) {
	if c.Spec.ACLName == mnemov1.OpenAccessACLName || n.secrets == nil {
		return "", ""
	}
	var s corev1.Secret
	if err := n.secrets.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: specs.OperatorSecretName(c)}, &s); err != nil {
		return "", ""
	}
	return specs.OperatorUser, string(s.Data[specs.OperatorPasswordKey])
}

// authRefused reports whether a node refused the operator's credentials:
// a node that has not read the ACL file with the operator's user yet (the
// Cluster just left open-access) still lets the default user in.
func authRefused(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGPASS")
}
