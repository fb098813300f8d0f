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
	for _, tc := range []struct {
		name    string
		in      RestoreInput
		sources string // the recorded sources, "" when none
		wait    string
		reason  string
		message string
	}{
		{"available, two shards", RestoreInput{newCluster(false), snap(mnemov1.SnapshotAvailable, 2), source(before, false)},
			"0/nightly,1/nightly", "", "", ""},
		{"still being built", RestoreInput{newCluster(false), snap(mnemov1.SnapshotCreating, 2), source(before, false)},
			"", "still being built", "", ""},
		{"not started yet", RestoreInput{newCluster(false), snap("", 0), source(before, false)},
			"", "still being built", "", ""},
		{"missing", RestoreInput{newCluster(false), nil, nil},
			"", "", mnemov1.ReasonSnapshotNotFound, "no such Snapshot in namespace shop"},
		{"failed", RestoreInput{newCluster(false), snap(mnemov1.SnapshotFailed, 2), source(before, false)},
			"", "", mnemov1.ReasonSnapshotNotAvailable, "the Snapshot failed"},
		{"source deleted", RestoreInput{newCluster(false), snap(mnemov1.SnapshotAvailable, 2), nil},
			"", "", mnemov1.ReasonSnapshotNotAvailable, "log of Cluster orders, which no longer exists"},
		{"source being deleted", RestoreInput{newCluster(false), snap(mnemov1.SnapshotAvailable, 2), source(before, true)},
			"", "", mnemov1.ReasonSnapshotNotAvailable, "which is being deleted"},
		{"source created again", RestoreInput{newCluster(false), snap(mnemov1.SnapshotAvailable, 2), source(taken.Add(time.Hour), false)},
			"", "", mnemov1.ReasonSnapshotNotAvailable, "deleted and created again since the snapshot was taken"},
		{"point in time", RestoreInput{newCluster(true), snap(mnemov1.SnapshotAvailable, 2), source(before, false)},
			"", "", mnemov1.ReasonRestoreNotSupported, "pointInTime (2026-05-01T04:00:00Z) is not supported yet"},
	} {
		d := PlanRestore(tc.in)
		var sources string
		if d.Record != nil {
			sources = strings.Join(d.Record.Sources, ",")
			if d.Record.Log != "nats://orders-log.shop.svc:4222" || d.Record.SourceCluster != "orders" || d.Record.SnapshotName != "nightly" {
				t.Errorf("%s: record %+v", tc.name, d.Record)
			}
		}
		if sources != tc.sources || !strings.Contains(d.Wait, tc.wait) || (tc.wait == "") != (d.Wait == "") {
			t.Errorf("%s: sources %q wait %q", tc.name, sources, d.Wait)
		}
		switch {
		case tc.reason == "" && d.Problem != nil:
			t.Errorf("%s: unexpected problem %+v", tc.name, d.Problem)
		case tc.reason != "" && (d.Problem == nil || d.Problem.Reason != tc.reason || !strings.Contains(d.Problem.Message, tc.message)):
			t.Errorf("%s: problem %+v, want %s %q", tc.name, d.Problem, tc.reason, tc.message)
		}
	}
}
