package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// eventsAbout lists the Events of a namespace regarding one object with
// one reason.
func eventsAbout(ns, kind, name, reason string) ([]eventsv1.Event, error) {
	var list eventsv1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == kind && e.Regarding.Name == name && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out, nil
}

// notes are the Events' notes, with the count of a series.
func notes(evs []eventsv1.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		n := e.Type + " " + e.Note
		if e.Series != nil {
			n += fmt.Sprintf(" (×%d)", e.Series.Count)
		}
		out = append(out, n)
	}
	return out
}

// waitEvent waits for an Event regarding kind/name with the reason, the
// type and a note containing contains.
func waitEvent(t *testing.T, ns, kind, name, reason, typ, contains string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%s Event %s on %s %s with %q", typ, reason, kind, name, contains), func() error {
		evs, err := eventsAbout(ns, kind, name, reason)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if e.Type == typ && strings.Contains(e.Note, contains) {
				return nil
			}
		}
		return fmt.Errorf("none among %q", notes(evs))
	})
}

// requireEvents checks that an object has exactly n Events with a reason,
// each recorded once: the recorder turns a repeat of an Event into a
// series, which is how an Event recorded on every reconcile shows.
func requireEvents(t *testing.T, ns, kind, name, reason string, n int) {
	t.Helper()
	evs, err := eventsAbout(ns, kind, name, reason)
	if err != nil {
		t.Fatal(err)
	}
	repeated := false
	for _, e := range evs {
		repeated = repeated || e.Series != nil
	}
	if len(evs) != n || repeated {
		t.Errorf("%s %s: %d Events %s %q; want %d, each once", kind, name, len(evs), reason, notes(evs), n)
	}
}

// Lifecycle Events on a Cluster without a kubelet: its ACL applied, then a
// user's password rotated (the User, its ACL and the Cluster each told
// once per change, the untouched user not at all), then one Snapshot that
// completes and one that fails, told on the Snapshot and on the Cluster.
func TestLifecycleEvents(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	const cname = "ev"
	pw := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ev-passwords", Namespace: ns},
		StringData: map[string]string{"app": "first-app-password", "reader": "reader-password"}}
	acl := &mnemov1.ACL{ObjectMeta: metav1.ObjectMeta{Name: "ev-acl", Namespace: ns}, Spec: mnemov1.ACLSpec{UserNames: []string{"app", "reader"}}}
	objs := []client.Object{pw, acl}
	for _, name := range []string{"app", "reader"} {
		objs = append(objs, &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: mnemov1.UserSpec{
			AccessString: "on ~* +@all",
			Authentication: mnemov1.UserAuthentication{Type: mnemov1.AuthPassword,
				PasswordSecretRefs: []corev1.SecretKeySelector{{LocalObjectReference: corev1.LocalObjectReference{Name: pw.Name}, Key: name}}}}})
	}
	objs = append(objs, &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cname, Namespace: ns}, Spec: mnemov1.ClusterSpec{
		NodeType: "db.dev.micro", NumShards: 2, ACLName: acl.Name, Log: mnemov1.LogSpec{Replicas: 1}}})
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ACL applied", func(t *testing.T) {
		waitEvent(t, ns, "Cluster", cname, "Creating", corev1.EventTypeNormal, "Cluster is Creating")
		waitEvent(t, ns, "Cluster", cname, "ACLApplied", corev1.EventTypeNormal, "ACL ev-acl written to Secret ev-acl, which the data nodes reload: added app, reader")
		waitEvent(t, ns, "ACL", acl.Name, "Applied", corev1.EventTypeNormal, "Applied to Cluster ev: added app, reader")
		for _, u := range []string{"app", "reader"} {
			waitEvent(t, ns, "User", u, "Applied", corev1.EventTypeNormal, "Applied to Cluster ev (ACL ev-acl): added")
		}
	})

	t.Run("password rotated", func(t *testing.T) {
		update(t, ns, pw.Name, &corev1.Secret{}, func(o client.Object) {
			o.(*corev1.Secret).Data["app"] = []byte("second-app-password")
		})
		waitEvent(t, ns, "User", "app", "Applied", corev1.EventTypeNormal, "Applied to Cluster ev (ACL ev-acl): changed (password or access string)")
		waitEvent(t, ns, "ACL", acl.Name, "Applied", corev1.EventTypeNormal, "Applied to Cluster ev: changed app")
		waitEvent(t, ns, "Cluster", cname, "ACLApplied", corev1.EventTypeNormal, "reload: changed app")
	})

	// A Job marked as Kubernetes' Job controller marks a finished one.
	finishJob := func(t *testing.T, name string) {
		t.Helper()
		var job batchv1.Job
		if err := get(ns, name, &job); err != nil {
			t.Fatal(err)
		}
		now := metav1.Now()
		if job.Status.StartTime == nil {
			job.Status.StartTime = &now
		}
		job.Status.CompletionTime = &now
		job.Status.Succeeded = 1
		job.Status.Active = 0
		job.Status.Conditions = append(job.Status.Conditions,
			batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "CompletionsReached"},
			batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "CompletionsReached"})
		if err := k8s.Status().Update(ctx, &job); err != nil {
			t.Fatalf("cannot mark Job %s complete: %v", name, err)
		}
	}
	snapshot := func(t *testing.T, name string) mnemov1.Snapshot {
		t.Helper()
		snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: mnemov1.SnapshotSpec{ClusterName: cname}}
		if err := k8s.Create(ctx, snap); err != nil {
			t.Fatal(err)
		}
		eventually(t, "Snapshot "+name+" started", func() error {
			if err := get(ns, name, snap); err != nil {
				return err
			}
			if snap.Status.Phase != mnemov1.SnapshotCreating || len(snap.Status.Shards) != 2 {
				return fmt.Errorf("status %+v", snap.Status)
			}
			return nil
		})
		waitEvent(t, ns, "Snapshot", name, "Creating", corev1.EventTypeNormal, "Snapshot is Creating: building 2 shard snapshots")
		return *snap
	}

	t.Run("snapshot completed", func(t *testing.T) {
		snap := snapshot(t, "ev-good")
		for _, sh := range snap.Status.Shards {
			finishJob(t, sh.Job)
		}
		waitEvent(t, ns, "Snapshot", snap.Name, "Available", corev1.EventTypeNormal, "Snapshot is Available: all 2 shard snapshots written")
		waitEvent(t, ns, "Cluster", cname, "SnapshotCompleted", corev1.EventTypeNormal, "Snapshot ev-good (manual) completed in ")
	})

	t.Run("snapshot failed", func(t *testing.T) {
		snap := snapshot(t, "ev-bad")
		job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: snap.Status.Shards[1].Job, Namespace: ns}}
		if err := k8s.Delete(ctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, ns, "Snapshot", snap.Name, "Failed", corev1.EventTypeWarning, "disappeared")
		waitEvent(t, ns, "Cluster", cname, "SnapshotFailed", corev1.EventTypeWarning, "Snapshot ev-bad (manual) failed")
	})

	// Other passes ran meanwhile (every status change and Job event wakes
	// the reconcilers): each of these was still recorded once per change.
	time.Sleep(2 * time.Second)
	requireEvents(t, ns, "User", "reader", "Applied", 1)
	requireEvents(t, ns, "User", "app", "Applied", 2)
	requireEvents(t, ns, "ACL", acl.Name, "Applied", 2)
	requireEvents(t, ns, "Cluster", cname, "ACLApplied", 2)
	requireEvents(t, ns, "Cluster", cname, "Creating", 1)
	requireEvents(t, ns, "Cluster", cname, "SnapshotCompleted", 1)
	requireEvents(t, ns, "Cluster", cname, "SnapshotFailed", 1)
	for _, s := range []string{"ev-good", "ev-bad"} {
		requireEvents(t, ns, "Snapshot", s, "Creating", 1)
	}
	requireEvents(t, ns, "Snapshot", "ev-good", "Available", 1)
	requireEvents(t, ns, "Snapshot", "ev-bad", "Failed", 1)
}
