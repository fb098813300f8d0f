package e2e

import (
	"testing"
	"time"
)

// TestMinimalClusterServesThroughItsService applies the smallest sample
// Cluster as a user would, waits until it is Available, and has a client
// inside the cluster write keys and read them back through the Cluster's
// endpoint Service, by its DNS name.
func TestMinimalClusterServesThroughItsService(t *testing.T) {
	e := suite(t)
	const spec = "minimal sample"
	ns := e.namespace(t, "e2e-minimal")
	c := sample(t, "cluster_minimal.yaml")
	record(spec, "time to Available", e.createAvailable(t, ns, c))

	start := time.Now()
	e.startCheck(t, ns, "check", "--cluster", "--addr", endpoint(c), "--keys", "500", "--prefix", "minimal")
	r := e.waitCheck(t, ns, "check", 3*time.Minute)
	record(spec, "500 writes and reads from a pod (with its start)", time.Since(start))
	requireNoLoss(t, r)
	if r.Failed != 0 {
		t.Errorf("%d writes failed on a healthy Cluster", r.Failed)
	}
}
