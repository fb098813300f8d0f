package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ParameterGroupSpec is a named set of engine parameters that Clusters
// run with.
type ParameterGroupSpec struct {
	// Family is the engine family the parameters are for.
	// +kubebuilder:validation:Enum=mnemo-redis7
	// +kubebuilder:default="mnemo-redis7"
	// +optional
	Family string `json:"family,omitempty"`

	// Description says what the group is for.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Description string `json:"description,omitempty"`

	// Parameters are engine parameters by name (as in redis.conf) with
	// their values as strings. Only the parameters of the allowlist may be
	// set, each within its type and range (see docs/parameters.md);
	// changes apply to running nodes without a restart.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['maxmemory', 'maxmemory-policy', 'proto-max-bulk-len', 'client-query-buffer-limit', 'hz', 'timeout', 'tcp-keepalive', 'maxclients', 'slowlog-log-slower-than', 'slowlog-max-len', 'latency-monitor-threshold', 'hash-max-listpack-entries', 'hash-max-listpack-value', 'set-max-intset-entries', 'zset-max-listpack-entries', 'zset-max-listpack-value'])",message="parameters: only these may be set: maxmemory, maxmemory-policy, proto-max-bulk-len, client-query-buffer-limit, hz, timeout, tcp-keepalive, maxclients, slowlog-log-slower-than, slowlog-max-len, latency-monitor-threshold, hash-max-listpack-entries, hash-max-listpack-value, set-max-intset-entries, zset-max-listpack-entries, zset-max-listpack-value"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 32)",message="parameters: a value may be at most 32 characters"
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`
}

// ParameterGroupStatus is what the operator observed of a group.
type ParameterGroupStatus struct {
	// Conditions: Ready is False when a value is outside its type or range.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status
	// describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Clusters are the Clusters in this namespace that use the group.
	// +listType=set
	// +optional
	Clusters []string `json:"clusters,omitempty"`

	// Applied says which generation of the group each Cluster using it
	// has applied to its running nodes.
	// +listType=map
	// +listMapKey=cluster
	// +optional
	Applied []ParameterGroupApplied `json:"applied,omitempty"`
}

// ParameterGroupApplied is the generation of a group a Cluster applied.
type ParameterGroupApplied struct {
	// Cluster is the Cluster's name.
	Cluster string `json:"cluster"`
	// Generation is the group generation its nodes run with; 0 when none
	// yet.
	Generation int64 `json:"generation"`
}

// ParameterGroup is a named set of engine parameters; every node of every
// Cluster that names it runs with them. Groups named default.* are the
// built-in defaults and hold no parameters.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mpg
// +kubebuilder:validation:XValidation:rule="!self.metadata.name.startsWith('default.') || !has(self.spec.parameters) || size(self.spec.parameters) == 0",message="default.* parameter groups are built in and cannot be changed; create your own group"
// +kubebuilder:printcolumn:name="Family",type=string,JSONPath=`.spec.family`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Description",type=string,JSONPath=`.spec.description`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ParameterGroup struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the group's parameters.
	// +kubebuilder:default={}
	// +optional
	Spec ParameterGroupSpec `json:"spec,omitempty"`

	// Status is the observed group.
	// +optional
	Status ParameterGroupStatus `json:"status,omitempty"`
}

// ParameterGroupList is a list of ParameterGroups.
//
// +kubebuilder:object:root=true
type ParameterGroupList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ParameterGroups.
	Items []ParameterGroup `json:"items"`
}

func init() {
	register(&ParameterGroup{}, &ParameterGroupList{})
}
