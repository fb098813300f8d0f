package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// operatorLine is the ACL file line of the operator's user on a Cluster,
// once its password Secret exists.
func operatorLine(t *testing.T, ns, cluster string) string {
	t.Helper()
	var line string
	eventually(t, "the operator's password Secret of "+cluster, func() error {
		var s corev1.Secret
		if err := get(ns, cluster+"-operator", &s); err != nil {
			return err
		}
		if err := controlledBy(&s, "Cluster", cluster); err != nil {
			return err
		}
		pw := s.Data[specs.OperatorPasswordKey]
		if len(pw) < 32 {
			return fmt.Errorf("password of %d bytes", len(pw))
		}
		line = "user " + specs.OperatorUser + " on #" + specs.HashPassword(pw) + " -@all +info +ping +role +config|get +config|set +cluster +failover"
		return nil
	})
	return line
}

// With an ACL that shuts the default user out, the operator still sees
// its nodes: it connects as its own user, whose password it generated
// into a Secret the Cluster owns, and which may run only what the
// operator needs. Real nodes, run by the stand-in kubelet, load the
// rendered ACL file.
func TestOperatorUserOnRestrictedACL(t *testing.T) {
	ns := newNamespace(t)
	k := startKubelet(t, ns)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pw", Namespace: ns},
		StringData: map[string]string{"app": "app-password"}}))
	must(k8s.Create(ctx, &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: mnemov1.UserSpec{AccessString: "on ~* +@all", Authentication: mnemov1.UserAuthentication{
			Type: mnemov1.AuthPassword, PasswordSecretRefs: []corev1.SecretKeySelector{{LocalObjectReference: corev1.LocalObjectReference{Name: "pw"}, Key: "app"}}}}}))
	// A User of the operator's name does not replace the operator's.
	must(k8s.Create(ctx, &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: specs.OperatorUser, Namespace: ns},
		Spec: mnemov1.UserSpec{AccessString: "on ~* +@all", Authentication: mnemov1.UserAuthentication{
			Type: mnemov1.AuthPassword, PasswordSecretRefs: []corev1.SecretKeySelector{{LocalObjectReference: corev1.LocalObjectReference{Name: "pw"}, Key: "app"}}}}}))
	must(k8s.Create(ctx, &mnemov1.ACL{ObjectMeta: metav1.ObjectMeta{Name: "locked", Namespace: ns},
		Spec: mnemov1.ACLSpec{UserNames: []string{"app", specs.OperatorUser}}}))
	c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "guarded", Namespace: ns}, Spec: mnemov1.ClusterSpec{
		NodeType: "db.dev.micro", NumShards: 1, NumReplicasPerShard: 1, ACLName: "locked", Log: mnemov1.LogSpec{Replicas: 1}}}
	eventually(t, "Cluster admitted", func() error { return k8s.Create(ctx, c) })

	opLine := operatorLine(t, ns, c.Name)
	eventually(t, "the ACL file holds the operator's user", func() error {
		var s corev1.Secret
		if err := get(ns, c.ACLSecretName(), &s); err != nil {
			return err
		}
		want := "user default off -@all\n" +
			"user app on #" + specs.HashPassword([]byte("app-password")) + " ~* +@all\n" + opLine + "\n"
		if got := string(s.Data[specs.ACLFileKey]); got != want {
			return fmt.Errorf("ACL file\n%s\nwant\n%s", got, want)
		}
		return nil
	})

	// The operator learns the roles by INFO, which only its user may run.
	eventually(t, "the operator sees a primary and a replica", func() error {
		var s mnemov1.Shard
		if err := get(ns, c.ShardName(0), &s); err != nil {
			return err
		}
		roles := map[mnemov1.NodeRole]int{}
		for _, n := range s.Status.Nodes {
			roles[n.Role]++
		}
		if roles[mnemov1.RolePrimary] != 1 || roles[mnemov1.RoleReplica] != 1 || s.Status.Primary == "" {
			return fmt.Errorf("nodes %+v", s.Status.Nodes)
		}
		return nil
	})

	pod := c.ShardName(0) + "-0"
	addr, err := loopbackNodes.NodeAddress(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns}}, 0)
	must(err)
	anon := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Errorf("a client without credentials: %v, want NOAUTH", err)
	}
	var s corev1.Secret
	must(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: c.Name + "-operator"}, &s))
	op := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		Username: specs.OperatorUser, Password: string(s.Data[specs.OperatorPasswordKey])})
	defer op.Close()
	if err := op.Info(ctx, "replication").Err(); err != nil {
		t.Errorf("INFO as the operator: %v", err)
	}
	if err := op.Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Errorf("GET as the operator: %v, want NOPERM (it needs no data)", err)
	}
	_ = k
}
