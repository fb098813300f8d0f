package e2e

import (
	"testing"
	"time"
)

// TestDevClusterOnOneLogServer runs the development sample — one data
// node on one log server — and deletes the log server's pod while a
// client writes: the single server runs unclustered (a JetStream cluster
// of one would never start), its streams have one replica, writes wait
// while it is gone and resume when its replacement mounts the same
// volume, and no acknowledged write is lost.
func TestDevClusterOnOneLogServer(t *testing.T) {
	e := suite(t)
	const spec = "dev sample, one log server"
	ns := e.namespace(t, "e2e-dev")
	c := sample(t, "cluster_dev.yaml")
	record(spec, "time to Available", e.createAvailable(t, ns, c))

	r := e.killUnderLoad(t, ns, c, spec, c.LogName()+"-0", "deleted log server back and Ready", 40*time.Second)
	if r.Acked == 0 {
		t.Fatal("no write was acknowledged")
	}
}
