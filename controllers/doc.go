// Package controllers holds the Mnemo operator's reconcilers, one per kind:
// Cluster, Shard, ParameterGroup, User, ACL and Snapshot, built on
// controller-runtime.
//
// They are thin. Each Reconcile loads its object, handles deletion, then
// runs an ordered list of small steps that return early. What to create
// comes from the builders in controllers/specs (which take the custom
// resources and never a client); what to decide (slot plans, phases,
// snapshot schedule and retention) from the pure functions in
// controllers/plan. Status is changed only through patchStatus, which
// applies a pure mutation with retry on conflict.
//
// Passwords are read from their Secrets only to be hashed into the ACL
// Secret; no password, and no hash, is ever logged, put in an Event or in
// any status.
package controllers
