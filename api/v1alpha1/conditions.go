package v1alpha1

// Condition types. Every kind reports Ready; the Cluster and the Shard also
// report Progressing and Degraded, as Deployments do.
const (
	// ConditionReady is True when the object is fully in effect: for a
	// Cluster, every node and log server is ready and serves the spec.
	ConditionReady = "Ready"
	// ConditionProgressing is True while the operator is carrying out a
	// change: creation, a rollout, a resharding, a snapshot.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when something needs a person: a reference
	// that does not resolve, an invalid setting, a node that is not ready.
	ConditionDegraded = "Degraded"
)

// Condition reasons: machine-readable, CamelCase, stable across releases.
const (
	// ReasonAvailable: everything is ready.
	ReasonAvailable = "Available"
	// ReasonCreating: objects are created and starting.
	ReasonCreating = "Creating"
	// ReasonUpdating: a change is rolling out.
	ReasonUpdating = "Updating"
	// ReasonPaused: spec.paused is set; the operator changes nothing.
	ReasonPaused = "Paused"
	// ReasonNodesNotReady: some data nodes or log servers are not ready.
	ReasonNodesNotReady = "NodesNotReady"
	// ReasonAsExpected: nothing is wrong.
	ReasonAsExpected = "AsExpected"
	// ReasonUnknownNodeType: spec.nodeType is not in the node-type catalog.
	ReasonUnknownNodeType = "UnknownNodeType"
	// ReasonParameterGroupNotFound: spec.parameterGroupName names no
	// ParameterGroup.
	ReasonParameterGroupNotFound = "ParameterGroupNotFound"
	// ReasonInvalidParameters: a ParameterGroup holds a value outside the
	// allowlist's type or range.
	ReasonInvalidParameters = "InvalidParameters"
	// ReasonACLNotFound: spec.aclName names no ACL.
	ReasonACLNotFound = "ACLNotFound"
	// ReasonUserNotFound: an ACL lists a user that does not exist.
	ReasonUserNotFound = "UserNotFound"
	// ReasonSecretNotFound: a referenced Secret or key does not exist.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonClusterNotFound: a Snapshot names no Cluster.
	ReasonClusterNotFound = "ClusterNotFound"
	// ReasonSnapshotNotFound: spec.restoreFrom names no Snapshot.
	ReasonSnapshotNotFound = "SnapshotNotFound"
	// ReasonSnapshotNotAvailable: spec.restoreFrom names a Snapshot that
	// is not (yet) Available, or whose data is gone.
	ReasonSnapshotNotAvailable = "SnapshotNotAvailable"
	// ReasonPointInTimeNotRestorable: spec.restoreFrom.pointInTime cannot
	// be restored: it is before the Snapshot named, in the future, or its
	// point-in-time Snapshot failed or is not the operator's.
	ReasonPointInTimeNotRestorable = "PointInTimeNotRestorable"
	// ReasonCertManagerMissing: spec.tls.issuerRef is set but cert-manager
	// is not installed.
	ReasonCertManagerMissing = "CertManagerMissing"
	// ReasonJobFailed: a snapshot Job failed.
	ReasonJobFailed = "JobFailed"
	// ReasonInUse: the object is in effect in at least one Cluster.
	ReasonInUse = "InUse"
	// ReasonValid: the object is valid; no Cluster uses it yet.
	ReasonValid = "Valid"
	// ReasonRolloutBlocked: a rollout stopped at an unhealthy node; the
	// message names it.
	ReasonRolloutBlocked = "RolloutBlocked"
	// ReasonWaitingForMaintenanceWindow: a change that restarts nodes
	// waits for spec.maintenanceWindow.
	ReasonWaitingForMaintenanceWindow = "WaitingForMaintenanceWindow"
	// ReasonFailingOver: a requested failover is in progress.
	ReasonFailingOver = "FailingOver"
)
