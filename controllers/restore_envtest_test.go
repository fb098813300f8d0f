package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// The restore flow as the operator drives it: a Cluster restoring from a
// Snapshot still being built waits and says so; once the Snapshot is
// Available the Cluster records its restore and its data nodes carry the
// restore flags (every source shard, their own bootstrap slots, the
// source's log); those flags do not change when the Snapshot and its
// Cluster go; a point in time is restored through a Snapshot of the
// source built as of that time, and refused in words when before the
// Snapshot or in the future; and a restore whose source Cluster is gone
// is refused in words.
func TestRestoreFlow(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	create := func(obj client.Object) {
		t.Helper()
		obj.SetNamespace(ns)
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	// The source is paused: it needs to exist, not to run.
	create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "orders"}, Spec: mnemov1.ClusterSpec{NumShards: 2, Paused: true}})
	create(&mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "nightly"}, Spec: mnemov1.SnapshotSpec{ClusterName: "orders"}})
	var snap mnemov1.Snapshot
	eventually(t, "the Snapshot's Jobs started", func() error {
		if err := get(ns, "nightly", &snap); err != nil {
			return err
		}
		if snap.Status.Phase != mnemov1.SnapshotCreating || len(snap.Status.Shards) != 2 || snap.Status.Shards[1].Slots != "8192-16383" {
			return fmt.Errorf("status %+v", snap.Status)
		}
		return nil
	})

	create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "copy"}, Spec: mnemov1.ClusterSpec{NumShards: 3,
		RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly"}}})
	degraded(t, ns, "copy", mnemov1.ClusterCreating, mnemov1.ReasonSnapshotNotAvailable, "Snapshot nightly is still being built")
	if err := gone(ns, "copy-shard-0", &mnemov1.Shard{}); err != nil {
		t.Errorf("no data node is made before the Snapshot is Available: %v", err)
	}

	// The Jobs do not run in envtest: the Snapshot is finished by hand.
	finish(t, ns, "nightly")
	if err := get(ns, "nightly", &snap); err != nil {
		t.Fatal(err)
	}

	wantArgs := []string{
		"--restore-from 0/nightly,1/nightly --restore-slots 0-5460 --restore-log nats://orders-log." + ns + ".svc:4222",
		"--restore-from 0/nightly,1/nightly --restore-slots 5461-10922 --restore-log nats://orders-log." + ns + ".svc:4222",
		"--restore-from 0/nightly,1/nightly --restore-slots 10923-16383 --restore-log nats://orders-log." + ns + ".svc:4222",
	}
	generations := map[string]int64{}
	for i, want := range wantArgs {
		name := fmt.Sprintf("copy-shard-%d", i)
		eventually(t, name+" restores", func() error {
			var sts appsv1.StatefulSet
			if err := get(ns, name, &sts); err != nil {
				return err
			}
			args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " ")
			if !strings.Contains(args, want) {
				return fmt.Errorf("args %s", args)
			}
			if l := sts.Spec.Template.Labels[specs.LabelRestoreSource]; l != "orders" {
				return fmt.Errorf("pod label %s=%q", specs.LabelRestoreSource, l)
			}
			generations[name] = sts.Generation
			return nil
		})
	}
	var c mnemov1.Cluster
	if err := get(ns, "copy", &c); err != nil {
		t.Fatal(err)
	}
	if r := c.Status.Restore; r == nil || r.SnapshotName != "nightly" || r.SourceCluster != "orders" || strings.Join(r.Sources, ",") != "0/nightly,1/nightly" {
		t.Errorf("status.restore %+v", r)
	}

	// A point in time: the operator builds a Snapshot of the source as of
	// that time, owned by the restoring Cluster, waits for it, then
	// restores from it as from a named one.
	at := snap.Status.StartTime.Time // the earliest it can go back to
	atText := at.UTC().Format(time.RFC3339)
	create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "pit"}, Spec: mnemov1.ClusterSpec{NumShards: 1,
		RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly", PointInTime: &metav1.Time{Time: at}}}})
	degraded(t, ns, "pit", mnemov1.ClusterCreating, mnemov1.ReasonSnapshotNotAvailable,
		"building Snapshot pit-pitr of Cluster orders as of "+atText)
	var pitC mnemov1.Cluster
	if err := get(ns, "pit", &pitC); err != nil {
		t.Fatal(err)
	}
	var pit mnemov1.Snapshot
	eventually(t, "the point-in-time Snapshot's Jobs started", func() error {
		if err := get(ns, "pit-pitr", &pit); err != nil {
			return err
		}
		if pit.Status.Phase != mnemov1.SnapshotCreating || len(pit.Status.Shards) != 2 {
			return fmt.Errorf("status %+v", pit.Status)
		}
		return nil
	})
	if !metav1.IsControlledBy(&pit, &pitC) || pit.Spec.ClusterName != "orders" || pit.Spec.PointInTime == nil ||
		!pit.Spec.PointInTime.Time.Equal(at) || pit.Labels[specs.LabelRestoreFor] != "pit" {
		t.Errorf("point-in-time Snapshot: owners %+v labels %v spec %+v", pit.OwnerReferences, pit.Labels, pit.Spec)
	}
	for i := range 2 {
		var job batchv1.Job
		if err := get(ns, fmt.Sprintf("pit-pitr-shard-%d", i), &job); err != nil {
			t.Fatal(err)
		}
		args := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " ")
		if want := fmt.Sprintf("--shard %d --name pit-pitr --to-time %s", i, atText); !strings.Contains(args, want) {
			t.Errorf("Job %s args %s, want %s", job.Name, args, want)
		}
	}
	degraded(t, ns, "pit", mnemov1.ClusterCreating, mnemov1.ReasonSnapshotNotAvailable,
		"Snapshot pit-pitr of Cluster orders as of "+atText+" is still being built")
	if err := gone(ns, "pit-shard-0", &mnemov1.Shard{}); err != nil {
		t.Errorf("no data node is made before the point-in-time Snapshot is Available: %v", err)
	}
	finish(t, ns, "pit-pitr")
	eventually(t, "pit-shard-0 restores from the point-in-time Snapshot", func() error {
		var sts appsv1.StatefulSet
		if err := get(ns, "pit-shard-0", &sts); err != nil {
			return err
		}
		args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " ")
		if want := "--restore-from 0/pit-pitr,1/pit-pitr --restore-slots 0-16383 --restore-log nats://orders-log." + ns + ".svc:4222"; !strings.Contains(args, want) {
			return fmt.Errorf("args %s", args)
		}
		return nil
	})
	if err := get(ns, "pit", &pitC); err != nil {
		t.Fatal(err)
	}
	if r := pitC.Status.Restore; r == nil || r.SnapshotName != "pit-pitr" || r.SourceCluster != "orders" || strings.Join(r.Sources, ",") != "0/pit-pitr,1/pit-pitr" {
		t.Errorf("pit: status.restore %+v", r)
	}
	// Before the Snapshot named, or in the future: refused in words,
	// nothing built.
	for name, tc := range map[string]struct {
		at   time.Time
		text string
	}{
		"early":  {snap.Status.StartTime.Time.Add(-time.Hour), "it is before Snapshot nightly was taken (" + snap.Status.StartTime.UTC().Format(time.RFC3339) + ")"},
		"future": {time.Now().Add(time.Hour), "it is in the future"},
	} {
		create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: mnemov1.ClusterSpec{
			RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly", PointInTime: &metav1.Time{Time: tc.at}}}})
		degraded(t, ns, name, mnemov1.ClusterFailed, mnemov1.ReasonPointInTimeNotRestorable,
			"spec.restoreFrom.pointInTime "+tc.at.UTC().Format(time.RFC3339)+": "+tc.text)
		if err := gone(ns, name+"-pitr", &mnemov1.Snapshot{}); err != nil {
			t.Errorf("%s: no point-in-time Snapshot is built: %v", name, err)
		}
		if err := gone(ns, name+"-shard-0", &mnemov1.Shard{}); err != nil {
			t.Errorf("%s: no data node is made: %v", name, err)
		}
	}

	// The source goes (its log with it); the Snapshot stays.
	if err := k8s.Delete(ctx, &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: ns}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the source Cluster gone", func() error { return gone(ns, "orders", &mnemov1.Cluster{}) })
	create(&mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "late"}, Spec: mnemov1.ClusterSpec{
		RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly"}}})
	degraded(t, ns, "late", mnemov1.ClusterFailed, mnemov1.ReasonSnapshotNotAvailable, "log of Cluster orders, which no longer exists")
	// The Cluster already restoring warns: its nodes that have not
	// restored yet cannot.
	degraded(t, ns, "copy", mnemov1.ClusterCreating, mnemov1.ReasonSnapshotNotAvailable, "Cluster orders, whose log holds Snapshot nightly, is gone")

	// Its data nodes' template did not change for any of it.
	for name, gen := range generations {
		var sts appsv1.StatefulSet
		if err := get(ns, name, &sts); err != nil {
			t.Fatal(err)
		}
		if sts.Generation != gen {
			t.Errorf("StatefulSet %s changed (generation %d → %d) after the restore was recorded", name, gen, sts.Generation)
		}
	}
	if err := get(ns, "copy", &c); err != nil {
		t.Fatal(err)
	}
	if d := meta.FindStatusCondition(c.Status.Conditions, mnemov1.ConditionDegraded); d != nil {
		t.Logf("copy: Degraded %s: %s", d.Reason, d.Message)
	}
}

// finish makes a Snapshot Available by hand, every shard done: its Jobs
// do not run in envtest.
func finish(t *testing.T, ns, name string) {
	t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var snap mnemov1.Snapshot
		if err := get(ns, name, &snap); err != nil {
			return err
		}
		snap.Status.Phase = mnemov1.SnapshotAvailable
		for i := range snap.Status.Shards {
			snap.Status.Shards[i].Done = true
		}
		return k8s.Status().Update(context.Background(), &snap)
	}); err != nil {
		t.Fatal(err)
	}
}
