package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterSpec declares a Mnemo cluster: how many shards, how many replicas
// each, how big the nodes are, and which parameters, users and snapshots
// apply.
//
// +kubebuilder:validation:XValidation:rule="has(oldSelf.restoreFrom) == has(self.restoreFrom) && (!has(self.restoreFrom) || self.restoreFrom == oldSelf.restoreFrom)",message="restoreFrom is immutable: a Cluster is restored only when it is created"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.tls) == has(self.tls) && (!has(self.tls) || self.tls == oldSelf.tls)",message="tls is immutable: create a new Cluster to turn TLS on or off"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.snapshotStore) == has(self.snapshotStore) && (!has(self.snapshotStore) || self.snapshotStore == oldSelf.snapshotStore)",message="snapshotStore is immutable: the Cluster's snapshots are in the store it was created with, and its data nodes start from them; create a new Cluster (restoreFrom) to use another store"
type ClusterSpec struct {
	// NodeType is the size of every data node, a name from the node-type
	// catalog (CPU, memory and maxmemory), such as db.t4g.small or
	// db.r7g.large. The operator's node-type ConfigMap may add or redefine
	// types. Changing it rolls the nodes one at a time: replicas first, then
	// a planned handoff of each primary.
	// +kubebuilder:default="db.t4g.small"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	NodeType string `json:"nodeType,omitempty"`

	// NumShards is the number of shards; the 16384 hash slots are spread
	// over them in balanced contiguous ranges. Changing it reshards online.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=500
	// +optional
	NumShards int32 `json:"numShards,omitempty"`

	// NumReplicasPerShard is the number of replicas of each shard's primary,
	// 0 to 5. A replica takes over when its primary fails.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=5
	// +optional
	NumReplicasPerShard int32 `json:"numReplicasPerShard"`

	// ParameterGroupName names the ParameterGroup, in this namespace, whose
	// parameters every node runs with. The default group holds the engine's
	// defaults.
	// +kubebuilder:default="default.mnemo-redis7"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ParameterGroupName string `json:"parameterGroupName,omitempty"`

	// ACLName names the ACL, in this namespace, whose users may connect.
	// The built-in open-access ACL lets the default user in without a
	// password.
	// +kubebuilder:default="open-access"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ACLName string `json:"aclName,omitempty"`

	// TLS turns on TLS for clients. It cannot be changed after creation.
	// +optional
	TLS *TLSSpec `json:"tls,omitempty"`

	// SnapshotRetentionLimit is the number of days automatic snapshots are
	// kept, 0 to 35; 0 turns automatic snapshots off.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=35
	// +optional
	SnapshotRetentionLimit int32 `json:"snapshotRetentionLimit"`

	// SnapshotWindow is the daily time range, in UTC, in which automatic
	// snapshots are taken, as hh24:mi-hh24:mi (for example 05:00-06:00),
	// at least 60 minutes long.
	// +kubebuilder:validation:MaxLength=11
	// +kubebuilder:validation:XValidation:rule="self.matches('^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$')",message="snapshotWindow must be hh24:mi-hh24:mi in UTC, for example 05:00-06:00"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$') || (int(self.substring(6, 8)) * 60 + int(self.substring(9, 11)) - int(self.substring(0, 2)) * 60 - int(self.substring(3, 5)) + 1440) % 1440 >= 60",message="snapshotWindow must be at least 60 minutes long"
	// +optional
	SnapshotWindow string `json:"snapshotWindow,omitempty"`

	// MaintenanceWindow is the weekly time range, in UTC, in which the
	// operator may roll nodes for changes that need a restart, as
	// ddd:hh24:mi-ddd:hh24:mi (for example sun:23:00-mon:01:30), at least
	// 60 minutes long.
	// +kubebuilder:validation:MaxLength=19
	// +kubebuilder:validation:XValidation:rule="self.matches('^(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]-(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]$')",message="maintenanceWindow must be ddd:hh24:mi-ddd:hh24:mi in UTC, for example sun:23:00-mon:01:30"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]-(sun|mon|tue|wed|thu|fri|sat):([01][0-9]|2[0-3]):[0-5][0-9]$') || ('sunmontuewedthufrisat'.indexOf(self.substring(10, 13)) / 3 * 1440 + int(self.substring(14, 16)) * 60 + int(self.substring(17, 19)) - 'sunmontuewedthufrisat'.indexOf(self.substring(0, 3)) / 3 * 1440 - int(self.substring(4, 6)) * 60 - int(self.substring(7, 9)) + 10080) % 10080 >= 60",message="maintenanceWindow must be at least 60 minutes long"
	// +optional
	MaintenanceWindow string `json:"maintenanceWindow,omitempty"`

	// SnapshotStore says where the Cluster keeps its snapshots: in its
	// log's JetStream object store (unset, the default) or in an
	// S3-compatible bucket, which keeps the snapshot uploads off the log
	// servers' disks. It cannot be changed after creation.
	// +optional
	SnapshotStore *SnapshotStoreSpec `json:"snapshotStore,omitempty"`

	// RestoreFrom seeds a new Cluster from a snapshot, optionally replaying
	// the log up to a point in time. It cannot be changed after creation.
	// +optional
	RestoreFrom *RestoreSource `json:"restoreFrom,omitempty"`

	// FinalSnapshotName, when set, names a manual Snapshot the operator
	// takes when the Cluster is deleted, before anything is removed; it
	// outlives the Cluster.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	FinalSnapshotName string `json:"finalSnapshotName,omitempty"`

	// Log configures the transactional-log servers that make writes
	// durable.
	// +kubebuilder:default={}
	// +optional
	Log LogSpec `json:"log,omitempty"`

	// Topology spreads nodes and log servers over zones and hosts.
	// +kubebuilder:default={}
	// +optional
	Topology TopologySpec `json:"topology,omitempty"`

	// Port is the client port of every data node and of the cluster
	// endpoint. With TLS on, the TLS port is Port+1.
	// +kubebuilder:default=6379
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65534
	// +optional
	Port int32 `json:"port,omitempty"`

	// Image overrides the mnemo image the operator runs for this Cluster's
	// data nodes, log servers and snapshot Jobs (the operator's
	// --mnemo-image by default).
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Image string `json:"image,omitempty"`

	// Paused stops the operator from changing anything of this Cluster;
	// status is still reported.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// Rollout says how changes that restart nodes (node type, image,
	// parameters that cannot change live) roll out.
	// +kubebuilder:default={}
	// +optional
	Rollout RolloutSpec `json:"rollout,omitempty"`
}

// RolloutSpec says how the operator rolls a change that restarts nodes:
// per shard, replicas first, one at a time, each caught up with the log
// before the next, then a planned handoff of the primary, then the old
// primary.
type RolloutSpec struct {
	// MaxConcurrentShards is how many shards roll at the same time.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=500
	// +optional
	MaxConcurrentShards int32 `json:"maxConcurrentShards,omitempty"`
}

// TLSSpec configures TLS on the client port.
//
// +kubebuilder:validation:XValidation:rule="!self.enabled || has(self.secretName) != has(self.issuerRef)",message="with tls.enabled, set exactly one of tls.secretName and tls.issuerRef"
type TLSSpec struct {
	// Enabled turns TLS on.
	Enabled bool `json:"enabled"`

	// SecretName names a kubernetes.io/tls Secret in this namespace
	// holding tls.crt, tls.key and ca.crt for the nodes.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// IssuerRef names a cert-manager issuer; the operator requests a
	// certificate from it into the Secret <cluster>-tls.
	// +optional
	IssuerRef *IssuerReference `json:"issuerRef,omitempty"`
}

// IssuerReference names a cert-manager Issuer or ClusterIssuer.
type IssuerReference struct {
	// Name of the issuer.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Kind of the issuer: Issuer (in this namespace) or ClusterIssuer.
	// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
	// +kubebuilder:default=Issuer
	// +optional
	Kind string `json:"kind,omitempty"`

	// Group of the issuer's API.
	// +kubebuilder:default="cert-manager.io"
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Group string `json:"group,omitempty"`
}

// SnapshotStoreSpec chooses a Cluster's snapshot store other than its
// log's JetStream object store.
//
// +kubebuilder:validation:XValidation:rule="has(self.s3)",message="snapshotStore needs an s3 block (endpoint and bucket); leave snapshotStore out to keep snapshots in the log"
type SnapshotStoreSpec struct {
	// S3 keeps the snapshots in an S3-compatible bucket (AWS S3, MinIO,
	// Ceph RGW...).
	// +optional
	S3 *S3SnapshotStore `json:"s3,omitempty"`
}

// S3SnapshotStore is an S3-compatible bucket that holds a Cluster's
// snapshots, as the data nodes' and snapshot Jobs' --snapshot-store s3
// flags. Credentials come from the Secret credentialsSecretName names,
// mapped to the pods' environment (the values never appear in a pod
// spec), or, without one, from the pods' ambient credentials (an IAM
// role of the node or the service account).
type S3SnapshotStore struct {
	// Endpoint is the S3 endpoint as HOST or HOST:PORT, without a scheme
	// (s3.amazonaws.com, minio.storage.svc:9000); https unless insecure.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!self.contains('/')",message="s3.endpoint is HOST or HOST:PORT, without http:// or a path (set s3.insecure for http)"
	Endpoint string `json:"endpoint"`

	// Bucket is the bucket's name; it must exist.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9][a-z0-9.-]*[a-z0-9]$')",message="s3.bucket must be a bucket name: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
	Bucket string `json:"bucket"`

	// Prefix is the folder of the Cluster's snapshots in the bucket (a '/'
	// is added when it does not end with one), so clusters can share a
	// bucket. Unset, it is <namespace>/<cluster>/: two Clusters never mix
	// their snapshots unless they are given the same prefix.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/')",message="s3.prefix must not start with '/'"
	// +optional
	Prefix string `json:"prefix,omitempty"`

	// Region is the bucket's region; the endpoint's default when unset.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Region string `json:"region,omitempty"`

	// Insecure talks http, not https, to the endpoint (a MinIO in the
	// cluster without TLS).
	// +optional
	Insecure bool `json:"insecure,omitempty"`

	// CredentialsSecretName names a Secret in the Cluster's namespace
	// with the keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and,
	// optionally, AWS_SESSION_TOKEN). Unset, the pods use their ambient
	// credentials (environment, IAM role).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	CredentialsSecretName string `json:"credentialsSecretName,omitempty"`
}

// RestoreSource is where a new Cluster's data comes from.
type RestoreSource struct {
	// SnapshotName names a Snapshot in this namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SnapshotName string `json:"snapshotName"`

	// PointInTime, when set, restores the data of the Snapshot's Cluster
	// as it was at this time: the operator builds a Snapshot of that
	// Cluster with this pointInTime (named <cluster>-pitr, owned by this
	// Cluster) and restores from it. It must be at or after the named
	// Snapshot's start and not in the future; the source's log must still
	// cover it.
	// +optional
	PointInTime *metav1.Time `json:"pointInTime,omitempty"`
}

// LogSpec configures the transactional-log servers (NATS JetStream).
//
// +kubebuilder:validation:XValidation:rule="has(oldSelf.storageClassName) == has(self.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)",message="log.storageClassName is immutable"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.size) == has(self.size) && (!has(self.size) || self.size == oldSelf.size)",message="log.size is immutable"
type LogSpec struct {
	// Replicas is the number of log servers: 3 (a quorum survives one loss),
	// 5, or 1 for development only.
	// +kubebuilder:validation:Enum=1;3;5
	// +kubebuilder:default=3
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// StorageClassName is the storage class of each log server's volume;
	// the cluster's default when unset.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`

	// Size of each log server's volume.
	// +kubebuilder:default="10Gi"
	// +optional
	Size resource.Quantity `json:"size,omitempty"`

	// RetainVolumesOnDelete keeps the log servers' volumes when the Cluster
	// is deleted, so the log can be recovered.
	// +optional
	RetainVolumesOnDelete bool `json:"retainVolumesOnDelete,omitempty"`
}

// TopologySpec spreads pods over failure domains.
type TopologySpec struct {
	// ZoneKey is the node label that names a zone.
	// +kubebuilder:default="topology.kubernetes.io/zone"
	// +kubebuilder:validation:MaxLength=317
	// +optional
	ZoneKey string `json:"zoneKey,omitempty"`

	// ZoneSpread says what to do when pods cannot be spread evenly over
	// zones: ScheduleAnyway (default) or DoNotSchedule.
	// +kubebuilder:validation:Enum=ScheduleAnyway;DoNotSchedule
	// +kubebuilder:default=ScheduleAnyway
	// +optional
	ZoneSpread corev1.UnsatisfiableConstraintAction `json:"zoneSpread,omitempty"`

	// AntiAffinity keeps a shard's nodes, and the log servers, on different
	// hosts: Preferred (default) or Required.
	// +kubebuilder:validation:Enum=Preferred;Required
	// +kubebuilder:default=Preferred
	// +optional
	AntiAffinity string `json:"antiAffinity,omitempty"`
}

// ClusterPhase is a Cluster's state for people.
// +kubebuilder:validation:Enum=Creating;Available;Updating;Snapshotting;Paused;Failed;Deleting
type ClusterPhase string

// Cluster phases.
const (
	// ClusterCreating: created, not yet all ready.
	ClusterCreating ClusterPhase = "Creating"
	// ClusterAvailable: every node and log server ready, spec applied.
	ClusterAvailable ClusterPhase = "Available"
	// ClusterUpdating: a change is rolling out to a cluster that was
	// available.
	ClusterUpdating ClusterPhase = "Updating"
	// ClusterSnapshotting: a snapshot is being taken.
	ClusterSnapshotting ClusterPhase = "Snapshotting"
	// ClusterPaused: spec.paused is set.
	ClusterPaused ClusterPhase = "Paused"
	// ClusterFailed: the spec cannot be applied; see the Degraded condition.
	ClusterFailed ClusterPhase = "Failed"
	// ClusterDeleting: the Cluster is being deleted.
	ClusterDeleting ClusterPhase = "Deleting"
)

// ClusterStatus is what the operator observed of a Cluster.
type ClusterStatus struct {
	// Phase is a one-word summary for people; machines read Conditions.
	// +optional
	Phase ClusterPhase `json:"phase,omitempty"`

	// Conditions are Ready, Progressing and Degraded.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status
	// describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Endpoint is where Redis Cluster clients connect.
	// +optional
	Endpoint *Endpoint `json:"endpoint,omitempty"`

	// Shards summarises each shard.
	// +listType=map
	// +listMapKey=name
	// +optional
	Shards []ShardSummary `json:"shards,omitempty"`

	// PendingUpdates lists the changes still rolling out.
	// +optional
	PendingUpdates *PendingUpdates `json:"pendingUpdates,omitempty"`

	// LastSnapshot is the newest snapshot taken of this Cluster.
	// +optional
	LastSnapshot *LastSnapshot `json:"lastSnapshot,omitempty"`

	// AppliedParameters is the parameter group generation every running
	// node has been given (live, with CONFIG SET).
	// +optional
	AppliedParameters *AppliedParameters `json:"appliedParameters,omitempty"`

	// BootstrapShards is numShards as the operator first saw it, recorded
	// once. Data nodes take it as --cluster-shards, which matters only when
	// the first node creates the slot map in the log's KV (afterwards that
	// slot map wins): keeping it fixed means a change of numShards, which
	// reshards online, does not change the nodes' pod template.
	// +kubebuilder:validation:Minimum=1
	// +optional
	BootstrapShards int32 `json:"bootstrapShards,omitempty"`

	// Restore is spec.restoreFrom resolved, recorded once before the
	// first data node is made: the data nodes' restore flags are built
	// from it, so they do not change (and the nodes do not roll) when the
	// Snapshot or its Cluster goes away later.
	// +optional
	Restore *RestoreStatus `json:"restore,omitempty"`
}

// RestoreStatus is where a restored Cluster's data nodes read their first
// data from. A node restores only into an empty shard (empty log and
// snapshot store), so these stay in the nodes' command line and are
// ignored after the first start.
type RestoreStatus struct {
	// SnapshotName is the Snapshot restored.
	SnapshotName string `json:"snapshotName"`
	// SourceCluster is the Cluster the Snapshot was taken of; its log's
	// object store holds the snapshot's files.
	SourceCluster string `json:"sourceCluster"`
	// Log is the URL of that log, the nodes' --restore-log.
	Log string `json:"log"`
	// Sources are the per-shard snapshots, as SHARD/NAME, every shard of
	// the Snapshot: each new shard keeps the keys of its own slots.
	Sources []string `json:"sources"`
}

// AppliedParameters names what a Cluster's running nodes were last given.
type AppliedParameters struct {
	// GroupName is the ParameterGroup.
	GroupName string `json:"groupName"`
	// Generation is the group's generation that was applied.
	Generation int64 `json:"generation"`
	// Hash identifies the values applied (node type's maxmemory included),
	// so a change of either is applied again.
	Hash string `json:"hash"`
	// Time is when the last node took them.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// Endpoint is a DNS name and a port.
type Endpoint struct {
	// Address is the DNS name of the cluster endpoint Service.
	Address string `json:"address"`
	// Port is the client port (the TLS port with TLS on).
	Port int32 `json:"port"`
}

// ShardSummary is one shard as the Cluster's status shows it.
type ShardSummary struct {
	// Name of the Shard object.
	Name string `json:"name"`
	// Slots are the hash slots the shard owns, as ranges ("0-5460").
	// +optional
	Slots string `json:"slots,omitempty"`
	// PrimaryPod is the pod currently serving as primary.
	// +optional
	PrimaryPod string `json:"primaryPod,omitempty"`
	// ReadyNodes is how many of the shard's nodes are ready.
	ReadyNodes int32 `json:"readyNodes"`
	// Nodes is how many nodes the shard has (1 + replicas).
	Nodes int32 `json:"nodes"`
	// Lag is the largest replica lag in log entries (log tail − applied).
	// +optional
	Lag int64 `json:"lag,omitempty"`
}

// PendingUpdates are changes still rolling out.
type PendingUpdates struct {
	// Resharding reports a change of numShards in progress.
	// +optional
	Resharding *ReshardingStatus `json:"resharding,omitempty"`
	// NodeTypeRollout reports a change of nodeType in progress.
	// +optional
	NodeTypeRollout *RolloutStatus `json:"nodeTypeRollout,omitempty"`
}

// ReshardingStatus is the progress of an online resharding: the operator
// moves slot ranges one move at a time, each planned from the live slot
// map, then deletes the Shards left without slots.
type ReshardingStatus struct {
	// FromShards is the number of shards that owned slots when the
	// change started.
	FromShards int32 `json:"fromShards"`
	// ToShards is the number of shards after it.
	ToShards int32 `json:"toShards"`
	// SlotsToMove is how many slots change owner in the plan.
	SlotsToMove int32 `json:"slotsToMove"`
	// SlotsMoved is how many of them have moved.
	// +optional
	SlotsMoved int32 `json:"slotsMoved"`
	// ProgressPercent is how much of the plan is done, 0 to 100: the
	// slots moved of SlotsToMove.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	ProgressPercent int32 `json:"progressPercent"`
	// StartTime is when the operator saw the change first.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// CurrentMove is the slot move in progress, if one is.
	// +optional
	CurrentMove *SlotMove `json:"currentMove,omitempty"`
	// Waiting says what the resharding waits for, when it does not move
	// slots: new shards to be ready, a shard's primary, the slot map.
	// +optional
	Waiting string `json:"waiting,omitempty"`
}

// SlotMove is one move of a resharding: slot ranges going from one
// shard's primary to another's, atomically (CLUSTER MIGRATESLOTS).
type SlotMove struct {
	// FromShard is the index of the shard giving the slots.
	FromShard int32 `json:"fromShard"`
	// ToShard is the index of the shard taking them.
	ToShard int32 `json:"toShard"`
	// Slots are the ranges, as CLUSTER NODES writes them ("0-99,200").
	Slots string `json:"slots"`
	// SlotCount is how many slots the ranges hold.
	SlotCount int32 `json:"slotCount"`
	// State is the source primary's state of the move (snapshot, delta,
	// frozen, flipping, cleanup), as CLUSTER GETSLOTMIGRATIONS reports.
	// +optional
	State string `json:"state,omitempty"`
	// StartTime is when the move was started or first seen.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
}

// RolloutStatus is the progress of a rolling change of node type.
type RolloutStatus struct {
	// From is the node type being replaced.
	From string `json:"from"`
	// To is the node type being rolled out.
	To string `json:"to"`
	// Blocked says why the rollout does not go on, when it does not.
	// +optional
	Blocked string `json:"blocked,omitempty"`
	// UpdatedNodes is how many nodes run the new type.
	UpdatedNodes int32 `json:"updatedNodes"`
	// TotalNodes is how many nodes the Cluster has.
	TotalNodes int32 `json:"totalNodes"`
}

// LastSnapshot names the newest snapshot of a Cluster.
type LastSnapshot struct {
	// Name of the Snapshot.
	Name string `json:"name"`
	// Time the snapshot finished (or started, while it runs).
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// Cluster is a durable, sharded, Redis-compatible database with a Redis
// Cluster endpoint.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mc;mnemo
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Shards",type=integer,JSONPath=`.spec.numShards`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.spec.numReplicasPerShard`,description="replicas per shard"
// +kubebuilder:printcolumn:name="Node Type",type=string,JSONPath=`.spec.nodeType`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpoint.address`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Cluster struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired Cluster.
	// +optional
	Spec ClusterSpec `json:"spec,omitempty"`

	// Status is the observed Cluster.
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
//
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Clusters.
	Items []Cluster `json:"items"`
}

func init() {
	register(&Cluster{}, &ClusterList{})
}
