package plan

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// RestoreInput is what deciding a new Cluster's restore looks at.
type RestoreInput struct {
	// Cluster is the Cluster being restored into.
	Cluster *mnemov1.Cluster
	// Snapshot is the Snapshot spec.restoreFrom names; nil when it does
	// not exist.
	Snapshot *mnemov1.Snapshot
	// Source is the Cluster the Snapshot was taken of; nil when it does
	// not exist (its log, which held the snapshot, went with it).
	Source *mnemov1.Cluster
	// PointInTime is the Snapshot named Cluster.PointInTimeSnapshotName();
	// nil when it does not exist. Only a point-in-time restore uses it.
	PointInTime *mnemov1.Snapshot
	// Now is the time, to refuse a point in time in the future.
	Now time.Time
}

// RestoreDecision is what to do about a Cluster's spec.restoreFrom: record
// where the nodes restore from, wait for the Snapshot, or report why the
// restore cannot be done.
type RestoreDecision struct {
	// Record is the resolved restore to keep in status.restore.
	Record *mnemov1.RestoreStatus
	// Wait, when set, says what the restore waits for (a Snapshot still
	// being built).
	Wait string
	// BuildPointInTime, with Wait, says to create the point-in-time
	// Snapshot (Cluster.PointInTimeSnapshotName()) of the source Cluster
	// as of spec.restoreFrom.pointInTime, owned by the restoring Cluster.
	BuildPointInTime bool
	// Problem, when set, says why the restore cannot be done.
	Problem *Problem
}

// PlanRestore resolves spec.restoreFrom of a Cluster that has never been
// available and has not recorded its restore yet. The snapshots a
// Snapshot builds are kept in its Cluster's log (the JetStream object
// store), so they last only as long as that Cluster: a Snapshot whose
// Cluster is gone, or was created again after the snapshot, cannot be
// restored.
func PlanRestore(in RestoreInput) RestoreDecision {
	c, rf := in.Cluster, in.Cluster.Spec.RestoreFrom
	ref := fmt.Sprintf("spec.restoreFrom: Snapshot %s", rf.SnapshotName)
	problem := func(reason, format string, a ...any) RestoreDecision {
		return RestoreDecision{Problem: &Problem{Reason: reason, Message: ref + ": " + fmt.Sprintf(format, a...)}}
	}
	snap := in.Snapshot
	if snap == nil {
		return problem(mnemov1.ReasonSnapshotNotFound, "no such Snapshot in namespace %s to restore from", c.Namespace)
	}
	switch snap.Status.Phase {
	case mnemov1.SnapshotAvailable:
	case mnemov1.SnapshotFailed:
		return problem(mnemov1.ReasonSnapshotNotAvailable, "the Snapshot failed, so there is nothing to restore; delete this Cluster and restore from another Snapshot")
	default:
		return RestoreDecision{Wait: ref + " is still being built; the Cluster's data nodes are made once it is Available"}
	}
	src, why := sourceProblem(snap, in.Source)
	if why != "" {
		return problem(mnemov1.ReasonSnapshotNotAvailable, "%s", why)
	}
	if rf.PointInTime != nil {
		return planPointInTime(in, ref)
	}
	return RestoreDecision{Record: record(snap, src)}
}

// sourceProblem returns the source Cluster whose log holds a Snapshot's
// data, or says why that data cannot be read from it.
func sourceProblem(snap *mnemov1.Snapshot, src *mnemov1.Cluster) (*mnemov1.Cluster, string) {
	switch {
	case src == nil:
		return nil, fmt.Sprintf("its data was kept in the log of Cluster %s, which no longer exists: a snapshot in the log's object store goes with its Cluster, so it cannot be restored",
			snap.Spec.ClusterName)
	case !src.DeletionTimestamp.IsZero():
		return nil, fmt.Sprintf("its data is kept in the log of Cluster %s, which is being deleted, so it cannot be restored", src.Name)
	case snap.Status.StartTime != nil && src.CreationTimestamp.After(snap.Status.StartTime.Time):
		return nil, fmt.Sprintf("its data was kept in the log of Cluster %s, which has been deleted and created again since the snapshot was taken (%s), so it cannot be restored",
			src.Name, snap.Status.StartTime.UTC().Format(time.RFC3339))
	case len(snap.Status.Shards) == 0:
		return nil, "the Snapshot's status lists no shards"
	case src.S3SnapshotStore() != nil:
		// A node restores from the local files or the object store of a
		// log (--restore-log); it has no flags for another Cluster's
		// bucket yet.
		return nil, fmt.Sprintf("its data is kept in the S3 bucket of Cluster %s (spec.snapshotStore.s3), so it cannot be restored: a restore reads only snapshots kept in a Cluster's log, not yet those in a bucket",
			src.Name)
	}
	return src, ""
}

// record is the restore from an Available Snapshot whose source is there.
func record(snap *mnemov1.Snapshot, src *mnemov1.Cluster) *mnemov1.RestoreStatus {
	rec := &mnemov1.RestoreStatus{SnapshotName: snap.Name, SourceCluster: src.Name, Log: src.LogAddress()}
	for _, sh := range snap.Status.Shards {
		// Every shard's snapshot carries the Snapshot's name (the Jobs'
		// --name), in the store's folder of that shard.
		rec.Sources = append(rec.Sources, fmt.Sprintf("%d/%s", sh.Index, snap.Name))
	}
	return rec
}

// planPointInTime resolves a point-in-time restore once the named
// Snapshot is Available and its source is there. The named Snapshot is
// the earliest the restore can go back to: the log after it is what gets
// replayed (the build starts from the newest snapshot in the source's
// store at or before the time, which may be a later one). The data comes
// from a Snapshot of the source built as of that time, which this
// Cluster owns (it goes with it); its record is made as for a named one.
func planPointInTime(in RestoreInput, ref string) RestoreDecision {
	c, snap, src := in.Cluster, in.Snapshot, in.Source
	at := c.Spec.RestoreFrom.PointInTime.Time
	atText := at.UTC().Format(time.RFC3339)
	refuse := func(format string, a ...any) RestoreDecision {
		return RestoreDecision{Problem: &Problem{Reason: mnemov1.ReasonPointInTimeNotRestorable,
			Message: fmt.Sprintf("spec.restoreFrom.pointInTime %s: ", atText) + fmt.Sprintf(format, a...)}}
	}
	taken := snap.CreationTimestamp.Time
	if snap.Status.StartTime != nil {
		taken = snap.Status.StartTime.Time
	}
	if at.Before(taken) {
		return refuse("it is before Snapshot %s was taken (%s); a point-in-time restore replays the log after the Snapshot it names, so name one taken at or before that time",
			snap.Name, taken.UTC().Format(time.RFC3339))
	}
	if at.After(in.Now) {
		return refuse("it is in the future (now %s); the data of a time not yet past cannot be restored", in.Now.UTC().Format(time.RFC3339))
	}
	name := c.PointInTimeSnapshotName()
	pit := in.PointInTime
	if pit == nil {
		return RestoreDecision{BuildPointInTime: true, Wait: fmt.Sprintf(
			"%s: building Snapshot %s of Cluster %s as of %s; the Cluster's data nodes are made once it is Available", ref, name, src.Name, atText)}
	}
	if !metav1.IsControlledBy(pit, c) || pit.Spec.ClusterName != src.Name || pit.Spec.PointInTime == nil || !pit.Spec.PointInTime.Time.Equal(at) {
		return refuse("Snapshot %s, where this Cluster builds its point-in-time data, already exists and is not of Cluster %s as of that time for this Cluster; delete it, or this Cluster",
			name, src.Name)
	}
	switch pit.Status.Phase {
	case mnemov1.SnapshotAvailable:
	case mnemov1.SnapshotFailed:
		return refuse("Snapshot %s, built as of that time, failed (the source's log may no longer cover that time: it is trimmed below the oldest snapshot retention keeps; see the Snapshot's Jobs); delete this Cluster and restore to a later time or from another Snapshot",
			name)
	default:
		return RestoreDecision{Wait: fmt.Sprintf("%s: Snapshot %s of Cluster %s as of %s is still being built; the Cluster's data nodes are made once it is Available", ref, name, src.Name, atText)}
	}
	if _, why := sourceProblem(pit, src); why != "" {
		return refuse("Snapshot %s: %s", name, why)
	}
	return RestoreDecision{Record: record(pit, src)}
}
