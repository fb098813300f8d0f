package e2e

import (
	"testing"
	"time"
)

// TestLogServerKilledUnderLoad kills one of a Cluster's three log servers
// while a client writes: writes go on (a quorum of two remains), no
// acknowledged write is lost, and the killed server comes back and the log
// StatefulSet is whole again.
func TestLogServerKilledUnderLoad(t *testing.T) {
	e := suite(t)
	const spec = "log server killed under load"
	ns := e.namespace(t, "e2e-logkill")
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "logkill"
	record(spec, "time to Available", e.createAvailable(t, ns, c))

	const load = 40 * time.Second
	r := e.killUnderLoad(t, ns, c, spec, c.LogName()+"-1", "killed log server back and Ready", load)
	// Writes went on: no stall as long as the rest of the run.
	if r.LongestGap > load/2 {
		t.Errorf("writes stopped for %v of a %v run after a log server was killed", r.LongestGap, load)
	}
	e.waitStatefulSetReady(t, ns, c.LogName(), 2*time.Minute)
}
