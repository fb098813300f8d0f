package controllers_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// The API server refuses invalid manifests, saying why in words a person
// can act on. Creates are dry runs: they pass admission, store nothing.
func TestValidation(t *testing.T) {
	ns := newNamespace(t)
	cluster := func(mutate func(*mnemov1.Cluster)) client.Object {
		c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: ns}}
		mutate(c)
		return c
	}
	for _, tc := range []struct {
		name string
		obj  client.Object
		want string // a substring of the refusal; "" means accepted
	}{
		{"valid cluster", cluster(func(c *mnemov1.Cluster) { c.Spec.NumReplicasPerShard = 5 }), ""},
		{"replicas 6", cluster(func(c *mnemov1.Cluster) { c.Spec.NumReplicasPerShard = 6 }),
			"spec.numReplicasPerShard: Invalid value: 6: spec.numReplicasPerShard in body should be less than or equal to 5"},
		{"replicas -1", cluster(func(c *mnemov1.Cluster) { c.Spec.NumReplicasPerShard = -1 }),
			"spec.numReplicasPerShard in body should be greater than or equal to 0"},
		{"shards 501", cluster(func(c *mnemov1.Cluster) { c.Spec.NumShards = 501 }),
			"spec.numShards in body should be less than or equal to 500"},
		{"retention 40", cluster(func(c *mnemov1.Cluster) { c.Spec.SnapshotRetentionLimit = 40 }),
			"spec.snapshotRetentionLimit: Invalid value: 40: spec.snapshotRetentionLimit in body should be less than or equal to 35"},
		{"window too short", cluster(func(c *mnemov1.Cluster) { c.Spec.SnapshotWindow = "05:00-05:30" }),
			`spec.snapshotWindow: Invalid value: "05:00-05:30": snapshotWindow must be at least 60 minutes long`},
		{"window past midnight", cluster(func(c *mnemov1.Cluster) { c.Spec.SnapshotWindow = "23:30-00:30" }), ""},
		{"window badly written", cluster(func(c *mnemov1.Cluster) { c.Spec.SnapshotWindow = "5am-6am" }),
			"snapshotWindow must be hh24:mi-hh24:mi in UTC, for example 05:00-06:00"},
		{"maintenance window badly written", cluster(func(c *mnemov1.Cluster) { c.Spec.MaintenanceWindow = "Sun:23:00-Mon:01:00" }),
			"maintenanceWindow must be ddd:hh24:mi-ddd:hh24:mi in UTC"},
		{"maintenance window too short", cluster(func(c *mnemov1.Cluster) { c.Spec.MaintenanceWindow = "sat:23:30-sun:00:15" }),
			"maintenanceWindow must be at least 60 minutes long"},
		{"maintenance window over the week's end", cluster(func(c *mnemov1.Cluster) { c.Spec.MaintenanceWindow = "sat:23:30-sun:00:30" }), ""},
		{"unknown node type", cluster(func(c *mnemov1.Cluster) { c.Spec.NodeType = "db.x9.huge" }),
			`spec.nodeType: unknown node type "db.x9.huge"; known types: db.r6g.2xlarge`},
		{"node type from the ConfigMap", cluster(func(c *mnemov1.Cluster) { c.Spec.NodeType = "db.dev.micro" }), ""},
		{"tls without a certificate", cluster(func(c *mnemov1.Cluster) { c.Spec.TLS = &mnemov1.TLSSpec{Enabled: true} }),
			"with tls.enabled, set exactly one of tls.secretName and tls.issuerRef"},
		{"s3 snapshot store", cluster(func(c *mnemov1.Cluster) { c.Spec.SnapshotStore = testS3Store("creds") }), ""},
		{"snapshot store without s3", cluster(func(c *mnemov1.Cluster) { c.Spec.SnapshotStore = &mnemov1.SnapshotStoreSpec{} }),
			"snapshotStore needs an s3 block (endpoint and bucket)"},
		{"s3 endpoint with a scheme", cluster(func(c *mnemov1.Cluster) {
			c.Spec.SnapshotStore = testS3Store("")
			c.Spec.SnapshotStore.S3.Endpoint = "http://minio:9000"
		}), "s3.endpoint is HOST or HOST:PORT, without http://"},
		{"s3 without a bucket", cluster(func(c *mnemov1.Cluster) {
			c.Spec.SnapshotStore = testS3Store("")
			c.Spec.SnapshotStore.S3.Bucket = ""
		}), "spec.snapshotStore.s3.bucket in body should be at least 3 chars long"},
		{"s3 bucket not a bucket name", cluster(func(c *mnemov1.Cluster) {
			c.Spec.SnapshotStore = testS3Store("")
			c.Spec.SnapshotStore.S3.Bucket = "My_Bucket"
		}), "s3.bucket must be a bucket name"},
		{"parameter not allowed", &mnemov1.ParameterGroup{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns},
			Spec: mnemov1.ParameterGroupSpec{Parameters: map[string]string{"port": "7000"}}},
			"parameters: only these may be set: maxmemory"},
		{"default group changed", &mnemov1.ParameterGroup{ObjectMeta: metav1.ObjectMeta{Name: "default.mine", Namespace: ns},
			Spec: mnemov1.ParameterGroupSpec{Parameters: map[string]string{"hz": "20"}}},
			"default.* parameter groups are built in and cannot be changed"},
		{"password in an access string", &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: ns},
			Spec: mnemov1.UserSpec{AccessString: "on >hunter2 ~* +@all", Authentication: mnemov1.UserAuthentication{Type: mnemov1.AuthNoPassword}}},
			"accessString may not set passwords"},
		{"three passwords", &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: ns},
			Spec: mnemov1.UserSpec{AccessString: "on ~* +@all", Authentication: mnemov1.UserAuthentication{Type: mnemov1.AuthPassword,
				PasswordSecretRefs: []corev1.SecretKeySelector{secretRef("a"), secretRef("b"), secretRef("c")}}}},
			"spec.authentication.passwordSecretRefs: Too many: 3: must have at most 2 items"},
		{"password type without a password", &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: "u", Namespace: ns},
			Spec: mnemov1.UserSpec{AccessString: "on ~* +@all", Authentication: mnemov1.UserAuthentication{Type: mnemov1.AuthPassword}}},
			"type password needs one or two passwordSecretRefs"},
		{"open-access with users", &mnemov1.ACL{ObjectMeta: metav1.ObjectMeta{Name: "open-access", Namespace: ns},
			Spec: mnemov1.ACLSpec{UserNames: []string{"app"}}},
			"the open-access ACL is built in and lists no users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The admission policy starts refusing a moment after it is
			// created; only that case needs the wait.
			eventually(t, "refusal", func() error {
				err := k8s.Create(context.Background(), tc.obj.DeepCopyObject().(client.Object), client.DryRunAll)
				return expectRefusal(err, tc.want)
			})
		})
	}

	t.Run("immutable fields", func(t *testing.T) {
		c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "restored", Namespace: ns},
			Spec: mnemov1.ClusterSpec{RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly"}, Paused: true}}
		if err := k8s.Create(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		for _, u := range []struct {
			name   string
			mutate func(*mnemov1.Cluster)
			want   string
		}{
			{"restoreFrom", func(c *mnemov1.Cluster) { c.Spec.RestoreFrom.SnapshotName = "other" }, "restoreFrom is immutable"},
			{"restoreFrom removed", func(c *mnemov1.Cluster) { c.Spec.RestoreFrom = nil }, "restoreFrom is immutable"},
			{"tls", func(c *mnemov1.Cluster) { c.Spec.TLS = &mnemov1.TLSSpec{Enabled: true, SecretName: "x"} }, "tls is immutable"},
			{"log size", func(c *mnemov1.Cluster) { c.Spec.Log.Size.Set(1 << 40) }, "log.size is immutable"},
			{"numShards may change", func(c *mnemov1.Cluster) { c.Spec.NumShards = 4 }, ""},
			{"snapshotStore added", func(c *mnemov1.Cluster) { c.Spec.SnapshotStore = testS3Store("") }, "snapshotStore is immutable"},
		} {
			t.Run(u.name, func(t *testing.T) {
				if err := refusedUpdate(ns, "restored", &mnemov1.Cluster{}, func(o client.Object) { u.mutate(o.(*mnemov1.Cluster)) }, u.want); err != nil {
					t.Error(err)
				}
			})
		}
		s3c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "in-s3", Namespace: ns},
			Spec: mnemov1.ClusterSpec{SnapshotStore: testS3Store("creds"), Paused: true}}
		if err := k8s.Create(context.Background(), s3c); err != nil {
			t.Fatal(err)
		}
		for _, u := range []struct {
			name   string
			mutate func(*mnemov1.Cluster)
			want   string
		}{
			{"snapshotStore removed", func(c *mnemov1.Cluster) { c.Spec.SnapshotStore = nil }, "snapshotStore is immutable"},
			{"s3 prefix", func(c *mnemov1.Cluster) { c.Spec.SnapshotStore.S3.Prefix = "elsewhere" }, "snapshotStore is immutable"},
			{"s3 credentials", func(c *mnemov1.Cluster) { c.Spec.SnapshotStore.S3.CredentialsSecretName = "" }, "snapshotStore is immutable"},
		} {
			t.Run(u.name, func(t *testing.T) {
				if err := refusedUpdate(ns, "in-s3", &mnemov1.Cluster{}, func(o client.Object) { u.mutate(o.(*mnemov1.Cluster)) }, u.want); err != nil {
					t.Error(err)
				}
			})
		}
		snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: ns}, Spec: mnemov1.SnapshotSpec{ClusterName: "restored"}}
		if err := k8s.Create(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
		if err := refusedUpdate(ns, "s", &mnemov1.Snapshot{}, func(o client.Object) { o.(*mnemov1.Snapshot).Spec.ClusterName = "other" },
			"a Snapshot's spec is immutable"); err != nil {
			t.Error(err)
		}
	})
}

// refusedUpdate tries an update as a dry run and checks the refusal. The
// operator writes the same objects (finalizers, status), so a conflict
// means read again and retry.
func refusedUpdate(ns, name string, obj client.Object, mutate func(client.Object), want string) error {
	return retry.OnError(conflictBackoff, apierrors.IsConflict, func() error {
		if err := get(ns, name, obj); err != nil {
			return err
		}
		mutate(obj)
		err := k8s.Update(context.Background(), obj, client.DryRunAll)
		if apierrors.IsConflict(err) {
			return err
		}
		return expectRefusal(err, want)
	})
}

func secretRef(name string) corev1.SecretKeySelector {
	return corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "password"}
}

type refusalError struct{ msg string }

func (e refusalError) Error() string { return e.msg }

// expectRefusal is nil when err is a refusal holding want, or when want is
// "" and err is nil.
func expectRefusal(err error, want string) error {
	switch {
	case want == "" && err != nil:
		return refusalError{"refused, want accepted: " + err.Error()}
	case want == "":
		return nil
	case err == nil:
		return refusalError{"accepted, want refused with " + want}
	case !strings.Contains(err.Error(), want):
		return refusalError{"refused with\n  " + err.Error() + "\nwant it to say\n  " + want}
	}
	return nil
}
