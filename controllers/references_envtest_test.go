package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// degraded waits until a Cluster's Degraded condition has the reason, the
// phase and a message holding text.
func degraded(t *testing.T, ns, name string, phase mnemov1.ClusterPhase, reason, text string) {
	t.Helper()
	eventually(t, name+" is "+reason, func() error {
		var c mnemov1.Cluster
		if err := get(ns, name, &c); err != nil {
			return err
		}
		d := meta.FindStatusCondition(c.Status.Conditions, mnemov1.ConditionDegraded)
		if c.Status.Phase != phase || d == nil || d.Status != metav1.ConditionTrue || d.Reason != reason || !strings.Contains(d.Message, text) {
			return fmt.Errorf("phase %s, Degraded %+v", c.Status.Phase, d)
		}
		return nil
	})
}

// What a Cluster names but cannot be found is reported, in words, and the
// Cluster goes on once it appears.
func TestMissingReferences(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	create := func(c *mnemov1.Cluster) {
		t.Helper()
		c.Namespace = ns
		if err := k8s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("parameter group", func(t *testing.T) {
		create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "pg"}, Spec: mnemov1.ClusterSpec{ParameterGroupName: "later"}})
		degraded(t, ns, "pg", mnemov1.ClusterFailed, mnemov1.ReasonParameterGroupNotFound, `no ParameterGroup "later"`)
		if err := gone(ns, "pg-shard-0", &mnemov1.Shard{}); err != nil {
			t.Errorf("nothing is built for a Cluster that cannot be: %v", err)
		}
		if err := k8s.Create(ctx, &mnemov1.ParameterGroup{ObjectMeta: metav1.ObjectMeta{Name: "later", Namespace: ns}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "built once the group exists", func() error { return get(ns, "pg-shard-0", &mnemov1.Shard{}) })
	})

	t.Run("acl", func(t *testing.T) {
		create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "acl"}, Spec: mnemov1.ClusterSpec{ACLName: "nobody"}})
		degraded(t, ns, "acl", mnemov1.ClusterFailed, mnemov1.ReasonACLNotFound, `no ACL "nobody"`)
	})

	t.Run("restore source", func(t *testing.T) {
		create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "restored"},
			Spec: mnemov1.ClusterSpec{RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly"}}})
		degraded(t, ns, "restored", mnemov1.ClusterFailed, mnemov1.ReasonSnapshotNotFound, "Snapshot nightly: no such Snapshot in namespace")
		if err := k8s.Create(ctx, &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
			Spec: mnemov1.SnapshotSpec{ClusterName: "elsewhere"}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "a snapshot of a missing Cluster fails", func() error {
			var s mnemov1.Snapshot
			if err := get(ns, "nightly", &s); err != nil {
				return err
			}
			if s.Status.Phase != mnemov1.SnapshotFailed || !strings.Contains(meta.FindStatusCondition(s.Status.Conditions, mnemov1.ConditionReady).Message, `no Cluster "elsewhere"`) {
				return fmt.Errorf("status %+v", s.Status)
			}
			return nil
		})
		// The restore of a failed Snapshot cannot be done; nothing is built.
		degraded(t, ns, "restored", mnemov1.ClusterFailed, mnemov1.ReasonSnapshotNotAvailable, "the Snapshot failed")
		if err := gone(ns, "restored-shard-0", &mnemov1.Shard{}); err != nil {
			t.Errorf("nothing is built for a restore that cannot be done: %v", err)
		}
	})

	t.Run("cert-manager", func(t *testing.T) {
		create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "certs"}, Spec: mnemov1.ClusterSpec{
			TLS: &mnemov1.TLSSpec{Enabled: true, IssuerRef: &mnemov1.IssuerReference{Name: "ca"}}}})
		// envtest has no cert-manager: the Cluster is built and says what
		// it lacks.
		degraded(t, ns, "certs", mnemov1.ClusterCreating, mnemov1.ReasonCertManagerMissing, "install it, or create Secret certs-tls")
		eventually(t, "built anyway", func() error { return get(ns, "certs-shard-0", &mnemov1.Shard{}) })
	})
}
