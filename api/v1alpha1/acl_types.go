package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ACLSpec is the set of users a Cluster lets in.
type ACLSpec struct {
	// UserNames name Users in this namespace.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	UserNames []string `json:"userNames,omitempty"`
}

// ACLStatus is what the operator observed of an ACL.
type ACLStatus struct {
	// Conditions: Ready is False while a listed user does not exist.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status
	// describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Clusters are the Clusters in this namespace that use the ACL.
	// +listType=set
	// +optional
	Clusters []string `json:"clusters,omitempty"`
}

// ACL is a list of Users; a Cluster that names it lets exactly those users
// in. The built-in open-access ACL lists no users and lets the default user
// in without a password.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=macl
// +kubebuilder:validation:XValidation:rule="self.metadata.name != 'open-access' || !has(self.spec.userNames) || size(self.spec.userNames) == 0",message="the open-access ACL is built in and lists no users; create your own ACL"
// +kubebuilder:printcolumn:name="Users",type=string,JSONPath=`.spec.userNames`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Clusters",type=string,JSONPath=`.status.clusters`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ACL struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired ACL.
	// +kubebuilder:default={}
	// +optional
	Spec ACLSpec `json:"spec,omitempty"`

	// Status is the observed ACL.
	// +optional
	Status ACLStatus `json:"status,omitempty"`
}

// ACLList is a list of ACLs.
//
// +kubebuilder:object:root=true
type ACLList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ACLs.
	Items []ACL `json:"items"`
}

func init() {
	register(&ACL{}, &ACLList{})
}
