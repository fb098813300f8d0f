package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AuthenticationType says how a user proves who it is.
// +kubebuilder:validation:Enum=password;no-password
type AuthenticationType string

// Authentication types.
const (
	// AuthPassword: the user authenticates with one of its passwords.
	AuthPassword AuthenticationType = "password"
	// AuthNoPassword: the user needs no password.
	AuthNoPassword AuthenticationType = "no-password"
)

// UserSpec is a database user: what it may do and how it authenticates.
type UserSpec struct {
	// AccessString is the user's Redis ACL rules, as in ACL SETUSER: on or
	// off, key patterns (~), channel patterns (&), commands and categories
	// (+@read, -flushall), for example "on ~app:* &* +@all -@dangerous".
	// Passwords never go here: rules that set or clear passwords (>, <, #,
	// !, nopass, resetpass, reset) are refused.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="!self.split(' ').exists(t, t.startsWith('>') || t.startsWith('<') || t.startsWith('#') || t.startsWith('!') || t in ['nopass', 'resetpass', 'reset'])",message="accessString may not set passwords (>, <, #, !, nopass, resetpass, reset): use authentication.passwordSecretRefs"
	AccessString string `json:"accessString"`

	// Authentication says how the user authenticates.
	Authentication UserAuthentication `json:"authentication"`
}

// UserAuthentication is a user's way to authenticate.
//
// +kubebuilder:validation:XValidation:rule="self.type == 'no-password' ? !has(self.passwordSecretRefs) || size(self.passwordSecretRefs) == 0 : has(self.passwordSecretRefs) && size(self.passwordSecretRefs) >= 1",message="type password needs one or two passwordSecretRefs; type no-password takes none"
type UserAuthentication struct {
	// Type is password or no-password.
	// +kubebuilder:default=password
	Type AuthenticationType `json:"type"`

	// PasswordSecretRefs point at the user's passwords, keys of Secrets in
	// this namespace: one, or two while a password is rotated. Only their
	// SHA-256 hashes reach the nodes.
	// +kubebuilder:validation:MaxItems=2
	// +listType=atomic
	// +optional
	PasswordSecretRefs []corev1.SecretKeySelector `json:"passwordSecretRefs,omitempty"`
}

// UserPhase is a User's state for people.
// +kubebuilder:validation:Enum=active;modifying
type UserPhase string

// User phases, as MemoryDB names them.
const (
	// UserActive: the user's passwords resolve and it is in effect.
	UserActive UserPhase = "active"
	// UserModifying: the user is being applied, or waits for a password
	// Secret to appear.
	UserModifying UserPhase = "modifying"
)

// UserStatus is what the operator observed of a user.
type UserStatus struct {
	// Phase is active or modifying.
	// +optional
	Phase UserPhase `json:"phase,omitempty"`

	// Conditions: Ready is False while a password Secret is missing.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status
	// describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// PasswordCount is how many passwords the user has.
	// +optional
	PasswordCount int32 `json:"passwordCount"`

	// ACLs are the ACLs in this namespace that list the user.
	// +listType=set
	// +optional
	ACLs []string `json:"acls,omitempty"`
}

// User is a database user; its name is the object's name. It takes effect
// on every node of every Cluster whose ACL lists it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mu
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Authentication",type=string,JSONPath=`.spec.authentication.type`
// +kubebuilder:printcolumn:name="Passwords",type=integer,JSONPath=`.status.passwordCount`
// +kubebuilder:printcolumn:name="Access",type=string,JSONPath=`.spec.accessString`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type User struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired user.
	Spec UserSpec `json:"spec"`

	// Status is the observed user.
	// +optional
	Status UserStatus `json:"status,omitempty"`
}

// UserList is a list of Users.
//
// +kubebuilder:object:root=true
type UserList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Users.
	Items []User `json:"items"`
}

func init() {
	register(&User{}, &UserList{})
}
