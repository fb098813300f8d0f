// Package specs builds the Kubernetes objects the operator wants to exist:
// the log StatefulSet and its Services, one Shard per shard and each shard's
// StatefulSet, Services, PodDisruptionBudgets, NetworkPolicies, the
// ConfigMap holding the rendered parameters, the Secret holding the rendered
// ACL file, and the Jobs that build snapshots.
//
// Builders take the custom resources (and values the reconciler resolved,
// such as a node type or password hashes) and never a client: the same
// inputs give the same objects, so table tests pin them down and the
// reconcilers only create or update what these return. The command lines
// are the data plane's contracts (mnemo node, mnemo log, mnemo snapshot).
package specs
