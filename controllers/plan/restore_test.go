package plan

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func TestPlanRestore(t *testing.T) {
	taken := time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC)
	newCluster := func(pit bool) *mnemov1.Cluster {
		c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "copy", Namespace: "shop"},
			Spec: mnemov1.ClusterSpec{NumShards: 3, RestoreFrom: &mnemov1.RestoreSource{SnapshotName: "nightly"}}}
		if pit {
			c.Spec.RestoreFrom.PointInTime = &metav1.Time{Time: taken}
		}
		return c
	}
	snap := func(phase mnemov1.SnapshotPhase, shards int) *mnemov1.Snapshot {
		s := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "shop"},
			Spec:   mnemov1.SnapshotSpec{ClusterName: "orders"},
			Status: mnemov1.SnapshotStatus{Phase: phase, StartTime: &metav1.Time{Time: taken}}}
		for i := range shards {
			s.Status.Shards = append(s.Status.Shards, mnemov1.SnapshotShard{Index: int32(i), Done: true})
		}
		return s
	}
	source := func(created time.Time, deleting bool) *mnemov1.Cluster {
		c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop", CreationTimestamp: metav1.Time{Time: created}}}
		if deleting {
			c.DeletionTimestamp = &metav1.Time{Time: created.Add(time.Hour)}
		}
		return c
	}
	before := taken.Add(-24 * time.Hour)
	now := taken.Add(2 * time.Hour)
	in := func(c *mnemov1.Cluster, s *mnemov1.Snapshot, src *mnemov1.Cluster) RestoreInput {
		return RestoreInput{Cluster: c, Snapshot: s, Source: src, Now: now}
	}
	// A point-in-time restore to at, with the point-in-time Snapshot pit
	// (nil: not made yet).
	pitIn := func(at time.Time, pit *mnemov1.Snapshot) RestoreInput {
		c := newCluster(true)
		c.UID = "uid-copy"
		c.Spec.RestoreFrom.PointInTime = &metav1.Time{Time: at}
		return RestoreInput{Cluster: c, Snapshot: snap(mnemov1.SnapshotAvailable, 2), Source: source(before, false), PointInTime: pit, Now: now}
	}
	// The point-in-time Snapshot the operator makes for "copy".
	pitSnap := func(phase mnemov1.SnapshotPhase, at time.Time, owned bool) *mnemov1.Snapshot {
		s := snap(phase, 2)
		s.Name = "copy-pitr"
		s.Status.StartTime = &metav1.Time{Time: now}
		s.Spec.PointInTime = &metav1.Time{Time: at}
		if owned {
			s.OwnerReferences = []metav1.OwnerReference{{Kind: "Cluster", Name: "copy", UID: "uid-copy", Controller: ptr(true)}}
		}
		return s
	}
	at := taken.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		in      RestoreInput
		sources string // the recorded sources, "" when none
		build   bool   // the point-in-time Snapshot is to be made
		wait    string
		reason  string
		message string
	}{
		{"available, two shards", in(newCluster(false), snap(mnemov1.SnapshotAvailable, 2), source(before, false)),
			"0/nightly,1/nightly", false, "", "", ""},
		{"still being built", in(newCluster(false), snap(mnemov1.SnapshotCreating, 2), source(before, false)),
			"", false, "still being built", "", ""},
		{"not started yet", in(newCluster(false), snap("", 0), source(before, false)),
			"", false, "still being built", "", ""},
		{"missing", in(newCluster(false), nil, nil),
			"", false, "", mnemov1.ReasonSnapshotNotFound, "no such Snapshot in namespace shop"},
		{"failed", in(newCluster(false), snap(mnemov1.SnapshotFailed, 2), source(before, false)),
			"", false, "", mnemov1.ReasonSnapshotNotAvailable, "the Snapshot failed"},
		{"source deleted", in(newCluster(false), snap(mnemov1.SnapshotAvailable, 2), nil),
			"", false, "", mnemov1.ReasonSnapshotNotAvailable, "log of Cluster orders, which no longer exists"},
		{"source being deleted", in(newCluster(false), snap(mnemov1.SnapshotAvailable, 2), source(before, true)),
			"", false, "", mnemov1.ReasonSnapshotNotAvailable, "which is being deleted"},
		{"source created again", in(newCluster(false), snap(mnemov1.SnapshotAvailable, 2), source(taken.Add(time.Hour), false)),
			"", false, "", mnemov1.ReasonSnapshotNotAvailable, "deleted and created again since the snapshot was taken"},
		{"source keeps its snapshots in S3", in(newCluster(false), snap(mnemov1.SnapshotAvailable, 2), func() *mnemov1.Cluster {
			c := source(before, false)
			c.Spec.SnapshotStore = &mnemov1.SnapshotStoreSpec{S3: &mnemov1.S3SnapshotStore{Endpoint: "minio:9000", Bucket: "snaps"}}
			return c
		}()), "", false, "", mnemov1.ReasonSnapshotNotAvailable, "its data is kept in the S3 bucket of Cluster orders"},

		{"point in time: named Snapshot still being built", in(newCluster(true), snap(mnemov1.SnapshotCreating, 2), source(before, false)),
			"", false, "Snapshot nightly is still being built", "", ""},
		{"point in time: named Snapshot's source deleted", in(newCluster(true), snap(mnemov1.SnapshotAvailable, 2), nil),
			"", false, "", mnemov1.ReasonSnapshotNotAvailable, "which no longer exists"},
		{"point in time: to build", pitIn(at, nil),
			"", true, "building Snapshot copy-pitr of Cluster orders as of 2026-05-01T05:00:00Z", "", ""},
		{"point in time: the Snapshot's own time", pitIn(taken, nil),
			"", true, "building Snapshot copy-pitr", "", ""},
		{"point in time: now", pitIn(now, nil),
			"", true, "building Snapshot copy-pitr", "", ""},
		{"point in time: before the Snapshot", pitIn(taken.Add(-time.Second), nil),
			"", false, "", mnemov1.ReasonPointInTimeNotRestorable,
			"spec.restoreFrom.pointInTime 2026-05-01T03:59:59Z: it is before Snapshot nightly was taken (2026-05-01T04:00:00Z)"},
		{"point in time: in the future", pitIn(now.Add(time.Second), nil),
			"", false, "", mnemov1.ReasonPointInTimeNotRestorable, "it is in the future (now 2026-05-01T06:00:00Z)"},
		{"point in time: being built", pitIn(at, pitSnap(mnemov1.SnapshotCreating, at, true)),
			"", false, "Snapshot copy-pitr of Cluster orders as of 2026-05-01T05:00:00Z is still being built", "", ""},
		{"point in time: available", pitIn(at, pitSnap(mnemov1.SnapshotAvailable, at, true)),
			"0/copy-pitr,1/copy-pitr", false, "", "", ""},
		{"point in time: failed", pitIn(at, pitSnap(mnemov1.SnapshotFailed, at, true)),
			"", false, "", mnemov1.ReasonPointInTimeNotRestorable, "Snapshot copy-pitr, built as of that time, failed"},
		{"point in time: a Snapshot of that name not ours", pitIn(at, pitSnap(mnemov1.SnapshotAvailable, at, false)),
			"", false, "", mnemov1.ReasonPointInTimeNotRestorable, "Snapshot copy-pitr, where this Cluster builds its point-in-time data, already exists"},
		{"point in time: ours, of another time", pitIn(at, pitSnap(mnemov1.SnapshotAvailable, at.Add(time.Minute), true)),
			"", false, "", mnemov1.ReasonPointInTimeNotRestorable, "already exists"},
	} {
		d := PlanRestore(tc.in)
		var sources string
		if d.Record != nil {
			sources = strings.Join(d.Record.Sources, ",")
			name, _ := strings.CutPrefix(d.Record.Sources[0], "0/")
			if d.Record.Log != "nats://orders-log.shop.svc:4222" || d.Record.SourceCluster != "orders" || d.Record.SnapshotName != name {
				t.Errorf("%s: record %+v", tc.name, d.Record)
			}
		}
		if sources != tc.sources || !strings.Contains(d.Wait, tc.wait) || (tc.wait == "") != (d.Wait == "") || d.BuildPointInTime != tc.build {
			t.Errorf("%s: sources %q wait %q build %v", tc.name, sources, d.Wait, d.BuildPointInTime)
		}
		switch {
		case tc.reason == "" && d.Problem != nil:
			t.Errorf("%s: unexpected problem %+v", tc.name, d.Problem)
		case tc.reason != "" && (d.Problem == nil || d.Problem.Reason != tc.reason || !strings.Contains(d.Problem.Message, tc.message)):
			t.Errorf("%s: problem %+v, want %s %q", tc.name, d.Problem, tc.reason, tc.message)
		}
	}
}

func ptr[T any](v T) *T { return &v }
