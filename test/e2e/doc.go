// Package e2e is the end-to-end suite: the operator installed by its Helm
// chart into a real one-node Kubernetes (hack/local-k8s), Clusters applied
// from config/samples, and a client inside the cluster (mnemo check, from
// the same image) writing and reading through a Cluster's Service while
// pods are killed.
//
// Each spec is one file, spec_<what>_test.go, holding one Test function in
// its own namespace; helpers_test.go has what specs share (making a Cluster
// and waiting for it, running the client, deleting pods), suite_test.go the
// setup and the timing report printed at the end. Run it with make
// test-e2e; without E2E_KUBECONFIG every spec skips.
package e2e
