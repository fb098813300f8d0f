package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// TestACLUserWithPasswordSecret gives a Cluster an ACL of one User whose
// password is in a Secret: a client without credentials is refused
// (NOAUTH: the default user is off), the User with its password writes
// and reads back.
func TestACLUserWithPasswordSecret(t *testing.T) {
	e := suite(t)
	const spec = "ACL user with a password Secret"
	ns := e.namespace(t, "e2e-acl")
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "passwords", Namespace: ns},
		StringData: map[string]string{"app": "e2e-app-password"},
	}
	user := &mnemov1.User{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: mnemov1.UserSpec{
			AccessString: "on ~* &* +@all",
			Authentication: mnemov1.UserAuthentication{Type: mnemov1.AuthPassword,
				PasswordSecretRefs: []corev1.SecretKeySelector{{LocalObjectReference: corev1.LocalObjectReference{Name: "passwords"}, Key: "app"}}},
		},
	}
	acl := &mnemov1.ACL{ObjectMeta: metav1.ObjectMeta{Name: "app-only", Namespace: ns}, Spec: mnemov1.ACLSpec{UserNames: []string{"app"}}}
	for _, o := range []client.Object{secret, user, acl} {
		if err := e.c.Create(ctx, o); err != nil {
			t.Fatalf("cannot create %s: %v", o.GetName(), err)
		}
	}
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "acl"
	c.Spec.NumReplicasPerShard = 0
	c.Spec.ACLName = acl.Name
	record(spec, "time to Available", e.createAvailable(t, ns, c))

	start := time.Now()
	e.startCheck(t, ns, "anonymous", "--cluster", "--addr", endpoint(c), "--keys", "3", "--prefix", "anon", "--settle", "1s")
	r := e.waitCheck(t, ns, "anonymous", 2*time.Minute)
	if r.Acked != 0 || !strings.HasPrefix(r.FirstError, "NOAUTH") {
		t.Errorf("a client without credentials: %d writes acknowledged, first error %q; want none, NOAUTH", r.Acked, r.FirstError)
	}
	record(spec, "anonymous client refused (with its pod)", time.Since(start))

	start = time.Now()
	e.startCheckPod(t, ns, "app", func(p *corev1.Pod) {
		p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "MNEMO_PASSWORD", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "passwords"}, Key: "app"}}}}
	}, "--cluster", "--addr", endpoint(c), "--keys", "200", "--prefix", "app", "--user", "app")
	r = e.waitCheck(t, ns, "app", 3*time.Minute)
	requireNoLoss(t, r)
	if r.Failed != 0 {
		t.Errorf("%d writes of the authorised user failed (first: %q)", r.Failed, r.FirstError)
	}
	record(spec, "200 writes and reads as the user (with its pod)", time.Since(start))
}
