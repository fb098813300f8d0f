package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SnapshotSource says who asked for a snapshot.
// +kubebuilder:validation:Enum=manual;automatic
type SnapshotSource string

// Snapshot sources.
const (
	// SnapshotManual: a person asked for it; it outlives its Cluster.
	SnapshotManual SnapshotSource = "manual"
	// SnapshotAutomatic: the operator took it in the snapshot window; it
	// is deleted after the retention limit or with its Cluster.
	SnapshotAutomatic SnapshotSource = "automatic"
)

// SnapshotSpec names the Cluster to snapshot. It cannot be changed.
//
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a Snapshot's spec is immutable"
type SnapshotSpec struct {
	// ClusterName names the Cluster, in this namespace, to snapshot.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClusterName string `json:"clusterName"`

	// Source is manual (default) or automatic (taken by the operator).
	// +kubebuilder:default=manual
	// +optional
	Source SnapshotSource `json:"source,omitempty"`

	// PointInTime, when set, makes the snapshot hold the Cluster's data as
	// it was at that time rather than now: its Jobs replay the Cluster's
	// log only up to it (mnemo snapshot --to-time). The log must still
	// cover it (the point-in-time window, docs/snapshots.md). The operator
	// sets it on the Snapshot it builds for a Cluster's
	// spec.restoreFrom.pointInTime.
	// +optional
	PointInTime *metav1.Time `json:"pointInTime,omitempty"`
}

// SnapshotPhase is a Snapshot's state for people.
// +kubebuilder:validation:Enum=Creating;Available;Failed
type SnapshotPhase string

// Snapshot phases.
const (
	// SnapshotCreating: the per-shard Jobs are running.
	SnapshotCreating SnapshotPhase = "Creating"
	// SnapshotAvailable: every shard's snapshot is written.
	SnapshotAvailable SnapshotPhase = "Available"
	// SnapshotFailed: a Job failed or the Cluster does not exist.
	SnapshotFailed SnapshotPhase = "Failed"
)

// SnapshotStatus is what the operator observed of a snapshot.
type SnapshotStatus struct {
	// Phase is Creating, Available or Failed.
	// +optional
	Phase SnapshotPhase `json:"phase,omitempty"`

	// Conditions: Ready is True once every shard's snapshot is written.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status
	// describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Shards are the per-shard snapshots.
	// +listType=map
	// +listMapKey=index
	// +optional
	Shards []SnapshotShard `json:"shards,omitempty"`

	// Location is where the snapshot is stored (the log's object store
	// bucket, or an S3 URL).
	// +optional
	Location string `json:"location,omitempty"`

	// StartTime is when the snapshot Jobs were created.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// FinishTime is when the last shard's snapshot was written.
	// +optional
	FinishTime *metav1.Time `json:"finishTime,omitempty"`
}

// SnapshotShard is the snapshot of one shard.
type SnapshotShard struct {
	// Index of the shard.
	Index int32 `json:"index"`
	// Job is the name of the Job that builds it.
	// +optional
	Job string `json:"job,omitempty"`
	// Slots are the shard's slot ranges when the snapshot was taken.
	// +optional
	Slots string `json:"slots,omitempty"`
	// LogSequence is the log sequence the snapshot includes, up to and
	// including; restore replays the log from the next one.
	// +optional
	LogSequence int64 `json:"logSequence,omitempty"`
	// Size of the snapshot.
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
	// Done is whether the shard's snapshot is written.
	// +optional
	Done bool `json:"done,omitempty"`
}

// Snapshot is a point-in-time copy of a Cluster's data, built off the data
// path from the newest snapshot and the log, one Job per shard.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=msnap
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.source`
// +kubebuilder:printcolumn:name="PointInTime",type=date,JSONPath=`.spec.pointInTime`,priority=1
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Finished",type=date,JSONPath=`.status.finishTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Snapshot struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the snapshot's source.
	Spec SnapshotSpec `json:"spec"`

	// Status is the observed snapshot.
	// +optional
	Status SnapshotStatus `json:"status,omitempty"`
}

// SnapshotList is a list of Snapshots.
//
// +kubebuilder:object:root=true
type SnapshotList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Snapshots.
	Items []Snapshot `json:"items"`
}

func init() {
	register(&Snapshot{}, &SnapshotList{})
}
