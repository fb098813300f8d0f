package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// A change to a ParameterGroup, a User, a password Secret or an ACL reaches
// the rendered files of the Clusters that use them.
func TestPropagation(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pw", Namespace: ns},
		StringData: map[string]string{"one": "first-password", "two": "second-password"}}))
	must(k8s.Create(ctx, &mnemov1.ParameterGroup{ObjectMeta: metav1.ObjectMeta{Name: "params", Namespace: ns},
		Spec: mnemov1.ParameterGroupSpec{Parameters: map[string]string{"hz": "10"}}}))
	for _, name := range []string{"alice", "bob"} {
		must(k8s.Create(ctx, &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: mnemov1.UserSpec{AccessString: "on ~* +@all", Authentication: mnemov1.UserAuthentication{
				Type: mnemov1.AuthPassword, PasswordSecretRefs: []corev1.SecretKeySelector{{LocalObjectReference: corev1.LocalObjectReference{Name: "pw"}, Key: "one"}}}}}))
	}
	must(k8s.Create(ctx, &mnemov1.ACL{ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: ns},
		Spec: mnemov1.ACLSpec{UserNames: []string{"alice", "bob"}}}))
	must(k8s.Create(ctx, &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: mnemov1.ClusterSpec{ParameterGroupName: "params", ACLName: "team"}}))

	first, second := specs.HashPassword([]byte("first-password")), specs.HashPassword([]byte("second-password"))
	configHas := func(line string) func() error {
		return func() error {
			var cm corev1.ConfigMap
			if err := get(ns, "app-config", &cm); err != nil {
				return err
			}
			if !strings.Contains(cm.Data["mnemo.conf"], "\n"+line+"\n") {
				return fmt.Errorf("no line %q in\n%s", line, cm.Data["mnemo.conf"])
			}
			return nil
		}
	}
	opLine := operatorLine(t, ns, "app")
	aclIs := func(lines ...string) func() error {
		return func() error {
			var s corev1.Secret
			if err := get(ns, "app-acl", &s); err != nil {
				return err
			}
			want := strings.Join(append(append([]string{"user default off -@all"}, lines...), opLine), "\n") + "\n"
			if got := string(s.Data["users.acl"]); got != want {
				return fmt.Errorf("ACL file\n%s\nwant\n%s", got, want)
			}
			return nil
		}
	}
	eventually(t, "first rendering", configHas("hz 10"))
	eventually(t, "first ACL file", aclIs("user alice on #"+first+" ~* +@all", "user bob on #"+first+" ~* +@all"))

	update(t, ns, "params", &mnemov1.ParameterGroup{}, func(o client.Object) {
		o.(*mnemov1.ParameterGroup).Spec.Parameters = map[string]string{"hz": "20", "maxmemory-policy": "allkeys-lfu"}
	})
	eventually(t, "ParameterGroup change", configHas("hz 20"))
	eventually(t, "ParameterGroup addition", configHas("maxmemory-policy allkeys-lfu"))

	update(t, ns, "alice", &mnemov1.User{}, func(o client.Object) {
		o.(*mnemov1.User).Spec.AccessString = "on ~cache:* +@read"
	})
	eventually(t, "User access change", aclIs("user alice on #"+first+" ~cache:* +@read", "user bob on #"+first+" ~* +@all"))

	// Rotation: bob gets the second password beside the first, then the
	// first's value changes in its Secret.
	update(t, ns, "bob", &mnemov1.User{}, func(o client.Object) {
		u := o.(*mnemov1.User)
		u.Spec.Authentication.PasswordSecretRefs = append(u.Spec.Authentication.PasswordSecretRefs,
			corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "pw"}, Key: "two"})
	})
	eventually(t, "second password", aclIs("user alice on #"+first+" ~cache:* +@read", "user bob on #"+first+" #"+second+" ~* +@all"))
	update(t, ns, "pw", &corev1.Secret{}, func(o client.Object) {
		o.(*corev1.Secret).Data["one"] = []byte("rotated-password")
	})
	rotated := specs.HashPassword([]byte("rotated-password"))
	eventually(t, "Secret change", aclIs("user alice on #"+rotated+" ~cache:* +@read", "user bob on #"+rotated+" #"+second+" ~* +@all"))

	update(t, ns, "team", &mnemov1.ACL{}, func(o client.Object) {
		o.(*mnemov1.ACL).Spec.UserNames = []string{"bob", "carol"}
	})
	eventually(t, "ACL change", aclIs("user bob on #"+rotated+" #"+second+" ~* +@all"))
	eventually(t, "a missing user degrades the Cluster and the ACL", func() error {
		var c mnemov1.Cluster
		if err := get(ns, "app", &c); err != nil {
			return err
		}
		d := meta.FindStatusCondition(c.Status.Conditions, mnemov1.ConditionDegraded)
		if d == nil || d.Status != metav1.ConditionTrue || d.Reason != mnemov1.ReasonUserNotFound || !strings.Contains(d.Message, "user carol does not exist") {
			return fmt.Errorf("Degraded %+v", d)
		}
		var acl mnemov1.ACL
		if err := get(ns, "team", &acl); err != nil {
			return err
		}
		if r := meta.FindStatusCondition(acl.Status.Conditions, mnemov1.ConditionReady); r == nil || r.Status != metav1.ConditionFalse || r.Message != "no such users: carol" {
			return fmt.Errorf("ACL Ready %+v", r)
		}
		return nil
	})

	// A value outside its range passes the schema (which checks names) but
	// not the operator: the group says so, the Cluster fails, and the
	// rendered file keeps the last good values.
	update(t, ns, "params", &mnemov1.ParameterGroup{}, func(o client.Object) {
		o.(*mnemov1.ParameterGroup).Spec.Parameters = map[string]string{"hz": "501"}
	})
	eventually(t, "invalid parameters are reported", func() error {
		var pg mnemov1.ParameterGroup
		if err := get(ns, "params", &pg); err != nil {
			return err
		}
		r := meta.FindStatusCondition(pg.Status.Conditions, mnemov1.ConditionReady)
		if r == nil || r.Status != metav1.ConditionFalse || r.Message != `hz "501": must be between 1 and 500` {
			return fmt.Errorf("ParameterGroup Ready %+v", r)
		}
		var c mnemov1.Cluster
		if err := get(ns, "app", &c); err != nil {
			return err
		}
		d := meta.FindStatusCondition(c.Status.Conditions, mnemov1.ConditionDegraded)
		if c.Status.Phase != mnemov1.ClusterFailed || d == nil || d.Reason != mnemov1.ReasonInvalidParameters {
			return fmt.Errorf("Cluster phase %s, Degraded %+v", c.Status.Phase, d)
		}
		return nil
	})
	if err := configHas("hz 20")(); err != nil {
		t.Errorf("the rendered file changed to invalid values: %v", err)
	}
}

// update changes an object with retry on conflict.
func update(t *testing.T, ns, name string, obj client.Object, mutate func(client.Object)) {
	t.Helper()
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		if err := get(ns, name, obj); err != nil {
			return err
		}
		mutate(obj)
		return k8s.Update(context.Background(), obj)
	})
	if err != nil {
		t.Fatalf("cannot update %s: %v", name, err)
	}
}
