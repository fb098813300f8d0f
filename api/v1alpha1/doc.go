// Package v1alpha1 holds the Mnemo operator's API, group mnemo.dev, version
// v1alpha1: Cluster, Shard, ParameterGroup, User, ACL and Snapshot.
//
// Types and their kubebuilder markers live in <kind>_types.go; helpers that
// never call the API server (defaults, lookups, the parameter allowlist) in
// <kind>_funcs.go. Validation is in the CRD schema (OpenAPI markers and CEL
// rules) wherever a schema can say it. This package never imports the engine
// or the controllers: it is the contract between users and the operator.
//
// +kubebuilder:object:generate=true
// +groupName=mnemo.dev
package v1alpha1
