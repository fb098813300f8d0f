package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// testS3Store is an S3 snapshot store whose credentials are in the
// Secret secret ("" for ambient credentials).
func testS3Store(secret string) *mnemov1.SnapshotStoreSpec {
	return &mnemov1.SnapshotStoreSpec{S3: &mnemov1.S3SnapshotStore{
		Endpoint: "minio.storage.svc:9000", Bucket: "mnemo-snaps", Insecure: true, CredentialsSecretName: secret}}
}

// storeCarried says what a container lacks of a Cluster's S3 store: the
// flags, and the credentials as SecretKeyRefs of the Secret secret.
func storeCarried(ctr corev1.Container, flags, secret string) error {
	if args := strings.Join(ctr.Args, " "); !strings.Contains(args, flags) {
		return fmt.Errorf("container %s: args %s lack %s", ctr.Name, args, flags)
	}
	refs := map[string]bool{}
	for _, e := range ctr.Env {
		if e.Value != "" && e.Name != "POD_NAME" {
			return fmt.Errorf("container %s: env %s has a value", ctr.Name, e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secret && e.ValueFrom.SecretKeyRef.Key == e.Name {
			refs[e.Name] = true
		}
	}
	for _, key := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if !refs[key] {
			return fmt.Errorf("container %s: no env %s from Secret %s: %+v", ctr.Name, key, secret, ctr.Env)
		}
	}
	return nil
}

// A Cluster keeping its snapshots in an S3 bucket: its data nodes and its
// snapshot Jobs carry the store's flags and the credentials by reference;
// a missing credentials Secret, then a missing key, is reported in words
// (the Cluster is still built, so its pods start once the Secret is
// complete) and the report goes once it is; a restore from its snapshots
// is refused in words.
func TestS3SnapshotStore(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	if err := k8s.Create(ctx, &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: ns},
		Spec: mnemov1.ClusterSpec{NumShards: 2, SnapshotStore: testS3Store("orders-s3")}}); err != nil {
		t.Fatal(err)
	}
	flags := "--snapshot-store s3 --s3-endpoint minio.storage.svc:9000 --s3-bucket mnemo-snaps --s3-prefix " + ns + "/orders/ --s3-insecure yes"
	degraded(t, ns, "orders", mnemov1.ClusterCreating, mnemov1.ReasonSecretNotFound,
		`spec.snapshotStore.s3.credentialsSecretName: no Secret "orders-s3" in namespace `+ns)

	for _, shard := range []string{"orders-shard-0", "orders-shard-1"} {
		eventually(t, shard+" carries the store", func() error {
			var sts appsv1.StatefulSet
			if err := get(ns, shard, &sts); err != nil {
				return err
			}
			return storeCarried(sts.Spec.Template.Spec.Containers[0], flags, "orders-s3")
		})
	}
	if err := k8s.Create(ctx, &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
		Spec: mnemov1.SnapshotSpec{ClusterName: "orders"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the snapshot Jobs carry the store", func() error {
		for _, name := range []string{"nightly-shard-0", "nightly-shard-1"} {
			var job batchv1.Job
			if err := get(ns, name, &job); err != nil {
				return err
			}
			if err := storeCarried(job.Spec.Template.Spec.Containers[0], flags, "orders-s3"); err != nil {
				return fmt.Errorf("Job %s: %w", name, err)
			}
		}
		return nil
	})

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-s3", Namespace: ns},
		Data: map[string][]byte{"AWS_ACCESS_KEY_ID": []byte("minio")}}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	degraded(t, ns, "orders", mnemov1.ClusterCreating, mnemov1.ReasonSecretNotFound, "Secret orders-s3 has no key AWS_SECRET_ACCESS_KEY")
	secret.Data["AWS_SECRET_ACCESS_KEY"] = []byte("minio-secret")
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Secret is no longer reported", func() error {
		var c mnemov1.Cluster
		if err := get(ns, "orders", &c); err != nil {
			return err
		}
		if d := meta.FindStatusCondition(c.Status.Conditions, mnemov1.ConditionDegraded); d != nil && d.Reason == mnemov1.ReasonSecretNotFound {
			return fmt.Errorf("Degraded %+v", d)
		}
		return nil
	})

	// The Jobs do not run in envtest: the Snapshot is finished by hand.
	finish(t, ns, "nightly")
	if err := k8s.Create(ctx, &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "copy", Namespace: ns},
		Spec: mnemov1.ClusterSpec{RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly"}}}); err != nil {
		t.Fatal(err)
	}
	degraded(t, ns, "copy", mnemov1.ClusterFailed, mnemov1.ReasonSnapshotNotAvailable, "its data is kept in the S3 bucket of Cluster orders")
}
