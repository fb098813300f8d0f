package plan

import (
	"fmt"

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
	if rf.PointInTime != nil {
		return RestoreDecision{Problem: &Problem{Reason: mnemov1.ReasonRestoreNotSupported, Message: fmt.Sprintf(
			"spec.restoreFrom.pointInTime (%s) is not supported yet: the operator restores a Snapshot as it was taken. "+
				"Delete this Cluster and create it again without pointInTime, or take a snapshot at that time with "+
				"mnemo snapshot --to-time (docs/snapshots.md)", rf.PointInTime.UTC().Format("2006-01-02T15:04:05Z"))}}
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
	src := in.Source
	switch {
	case src == nil:
		return problem(mnemov1.ReasonSnapshotNotAvailable,
			"its data was kept in the log of Cluster %s, which no longer exists: a snapshot in the log's object store goes with its Cluster, so it cannot be restored",
			snap.Spec.ClusterName)
	case !src.DeletionTimestamp.IsZero():
		return problem(mnemov1.ReasonSnapshotNotAvailable,
			"its data is kept in the log of Cluster %s, which is being deleted, so it cannot be restored", src.Name)
	case snap.Status.StartTime != nil && src.CreationTimestamp.After(snap.Status.StartTime.Time):
		return problem(mnemov1.ReasonSnapshotNotAvailable,
			"its data was kept in the log of Cluster %s, which has been deleted and created again since the snapshot was taken (%s), so it cannot be restored",
			src.Name, snap.Status.StartTime.UTC().Format("2006-01-02T15:04:05Z"))
	case len(snap.Status.Shards) == 0:
		return problem(mnemov1.ReasonSnapshotNotAvailable, "the Snapshot's status lists no shards")
	}
	rec := &mnemov1.RestoreStatus{SnapshotName: snap.Name, SourceCluster: src.Name, Log: src.LogAddress()}
	for _, sh := range snap.Status.Shards {
		// Every shard's snapshot carries the Snapshot's name (the Jobs'
		// --name), in the store's folder of that shard.
		rec.Sources = append(rec.Sources, fmt.Sprintf("%d/%s", sh.Index, snap.Name))
	}
	return RestoreDecision{Record: rec}
}
