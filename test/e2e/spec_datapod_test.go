package e2e

import (
	"testing"
	"time"
)

// TestDataPodReplacedUnderLoad deletes a shard's data pod while a client
// writes: the pod is replaced, the new node rebuilds the shard from the log,
// and no acknowledged write is lost.
//
// The Cluster has no replica (numReplicasPerShard 0): the client sees the
// shard down until the replacement has rebuilt, and the gap it reports is
// that time. With replicas it is a failover time: see
// TestPrimaryKilledFailsOver.
func TestDataPodReplacedUnderLoad(t *testing.T) {
	e := suite(t)
	const spec = "data pod deleted under load"
	ns := e.namespace(t, "e2e-datapod")
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "datapod"
	c.Spec.NumReplicasPerShard = 0
	record(spec, "time to Available", e.createAvailable(t, ns, c))

	e.killUnderLoad(t, ns, c, spec, c.ShardName(0)+"-0", "pod replaced and Ready", 45*time.Second)
	e.waitAvailable(t, c)
}
