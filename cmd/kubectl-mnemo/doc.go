// Command kubectl-mnemo is the kubectl plugin for Mnemo (installed on the
// PATH as kubectl-mnemo, run as `kubectl mnemo`): the things a manifest
// does not express well — a Cluster's state on one screen, a manual
// failover, a snapshot now, a shell into the database, its nodes' logs and
// a support bundle.
//
// It talks to the API server only, with the user's kubeconfig and
// permissions: every action goes through the Mnemo resources the operator
// reconciles (a Snapshot object, the Shard annotation
// mnemo.dev/failover-requested), so the plugin can do nothing the user's
// RBAC does not allow, and nothing the operator does not know about. For
// cli and logs it runs kubectl itself.
//
// It is a small binary of its own rather than a role of mnemo: it carries
// no engine, and kubectl finds it by its name.
package main
