package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ShardSpec is one shard of a Cluster: the hash slots it owns and the nodes
// that serve them. The operator writes it from the Cluster; people read it.
type ShardSpec struct {
	// ClusterName names the Cluster this shard belongs to.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterName is immutable"
	ClusterName string `json:"clusterName"`

	// Index is the shard's number in its Cluster, from 0; the data nodes
	// take it as --shard and the log keeps one stream per index.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=499
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="index is immutable"
	Index int32 `json:"index"`

	// SlotRanges are the hash slots the shard owns, as the operator last
	// read them from the live slot map. The data plane does not read this
	// field: the slot map in the log's KV is the truth, and resharding
	// changes it online. Before the slot map exists, they are the slots
	// the first node will give the shard.
	// +kubebuilder:validation:MaxItems=16384
	// +listType=atomic
	// +optional
	SlotRanges []SlotRange `json:"slotRanges,omitempty"`

	// Nodes is the number of data nodes: one primary and its replicas
	// (1 to 6).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=6
	Nodes int32 `json:"nodes"`

	// NodeType is the size of each node, from the node-type catalog.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	NodeType string `json:"nodeType"`
}

// SlotRange is an inclusive range of hash slots.
//
// +kubebuilder:validation:XValidation:rule="self.start <= self.end",message="a slot range's start must not be after its end"
type SlotRange struct {
	// Start is the first slot of the range.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=16383
	Start int32 `json:"start"`
	// End is the last slot of the range, included.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=16383
	End int32 `json:"end"`
}

// NodeRole is what a data node does in its shard.
// +kubebuilder:validation:Enum=primary;replica;unknown
type NodeRole string

// Node roles.
const (
	// RolePrimary: the node holds the shard's lease and takes writes.
	RolePrimary NodeRole = "primary"
	// RoleReplica: the node follows the log and serves reads.
	RoleReplica NodeRole = "replica"
	// RoleUnknown: the data plane has not reported the node's role.
	RoleUnknown NodeRole = "unknown"
)

// ShardStatus is what the operator observed of a shard's nodes.
type ShardStatus struct {
	// Conditions are Ready, Progressing and Degraded.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status
	// describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Slots are the slot ranges as text ("0-5460,10923-16383").
	// +optional
	Slots string `json:"slots,omitempty"`

	// Primary is the pod serving as primary, when known.
	// +optional
	Primary string `json:"primary,omitempty"`

	// ReadyNodes is how many nodes are ready.
	// +optional
	ReadyNodes int32 `json:"readyNodes"`

	// Nodes are the shard's data nodes.
	// +listType=map
	// +listMapKey=name
	// +optional
	Nodes []ShardNode `json:"nodes,omitempty"`

	// Lag is the largest replica lag in log entries (log tail − applied)
	// the nodes last reported.
	// +optional
	Lag int64 `json:"lag,omitempty"`

	// ManualFailover is the failover the operator started on request (the
	// mnemo.dev/failover-requested annotation) and is waiting for.
	// +optional
	ManualFailover *ManualFailoverStatus `json:"manualFailover,omitempty"`
}

// ManualFailoverStatus is a requested failover in progress.
type ManualFailoverStatus struct {
	// Request is the annotation's value: a pod name or "any".
	Request string `json:"request"`
	// From is the pod that was primary when the handoff was asked for.
	From string `json:"from"`
	// StartTime is when the operator sent FAILOVER to the primary.
	StartTime metav1.Time `json:"startTime"`
}

// ShardNode is one data node of a shard.
type ShardNode struct {
	// Name of the node's pod.
	Name string `json:"name"`
	// Role of the node.
	Role NodeRole `json:"role"`
	// Ready is whether the pod is ready.
	Ready bool `json:"ready"`
	// NodeType is the node type the pod runs with.
	// +optional
	NodeType string `json:"nodeType,omitempty"`
	// AppliedSequence is the last log sequence the node has applied.
	// +optional
	AppliedSequence int64 `json:"appliedSequence,omitempty"`
	// Lag is how many log entries the node has yet to apply, as it
	// reported (INFO replication mnemo_repl_lag).
	// +optional
	Lag int64 `json:"lag,omitempty"`
	// UsedMemoryBytes is the memory the node's data takes, as it reported
	// (INFO memory used_memory, what maxmemory is checked against).
	// +optional
	UsedMemoryBytes int64 `json:"usedMemoryBytes,omitempty"`
	// MaxMemoryBytes is the node's maxmemory; 0 is no limit.
	// +optional
	MaxMemoryBytes int64 `json:"maxMemoryBytes,omitempty"`
	// Updated is whether the pod runs the StatefulSet's current template.
	// +optional
	Updated bool `json:"updated,omitempty"`
}

// Shard is one shard of a Cluster: a StatefulSet of one primary and its
// replicas serving a set of hash slots. The operator owns it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=msh
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Slots",type=string,JSONPath=`.status.slots`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.spec.nodes`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyNodes`
// +kubebuilder:printcolumn:name="Primary",type=string,JSONPath=`.status.primary`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Shard struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired shard, written by the operator.
	Spec ShardSpec `json:"spec"`

	// Status is the observed shard.
	// +optional
	Status ShardStatus `json:"status,omitempty"`
}

// ShardList is a list of Shards.
//
// +kubebuilder:object:root=true
type ShardList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Shards.
	Items []Shard `json:"items"`
}

func init() {
	register(&Shard{}, &ShardList{})
}
