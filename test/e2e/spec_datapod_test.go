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

	const load = 45 * time.Second
	e.startCheck(t, ns, "load", "--cluster", "--addr", endpoint(c), "--duration", load.String(), "--prefix", "datapod")
	time.Sleep(load / 4)
	victim := c.ShardName(0) + "-0"
	uid := e.killPod(t, ns, victim)
	record(spec, "pod replaced and Ready", e.waitReplaced(t, ns, victim, uid, 3*time.Minute))

	r := e.waitCheck(t, ns, "load", load+3*time.Minute)
	record(spec, "longest write gap seen by the client", r.LongestGap)
	requireNoLoss(t, r)
	e.waitAvailable(t, c)
}
