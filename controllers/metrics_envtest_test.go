package controllers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/mnemo-dev/mnemo/controllers"
)

// clusterSeries gathers the registry the manager serves on /metrics and
// returns the mnemo_cluster_ values of the Cluster ns/name, keyed by family
// and extra labels ("mnemo_cluster_phase{phase=Creating}").
func clusterSeries(t *testing.T, ns, name string) map[string]float64 {
	t.Helper()
	fams, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range fams {
		if !strings.HasPrefix(mf.GetName(), "mnemo_cluster_") {
			continue
		}
	next:
		for _, m := range mf.Metric {
			var extra []string
			for _, lp := range m.Label {
				switch lp.GetName() {
				case "namespace":
					if lp.GetValue() != ns {
						continue next
					}
				case "cluster":
					if lp.GetValue() != name {
						continue next
					}
				default:
					extra = append(extra, lp.GetName()+"="+lp.GetValue())
				}
			}
			key := mf.GetName()
			if len(extra) > 0 {
				key += "{" + strings.Join(extra, ",") + "}"
			}
			out[key] = gaugeValue(m)
		}
	}
	return out
}

func gaugeValue(m *dto.Metric) float64 {
	if m.Gauge != nil {
		return m.Gauge.GetValue()
	}
	return m.GetUntyped().GetValue()
}

// The operator's per-Cluster gauges follow a Cluster from its status, on
// the registry controller-runtime serves, and pass the client library's
// lint; a failover the operator reports shows up by shard.
func TestClusterMetrics(t *testing.T) {
	ns := newNamespace(t)
	applyFile(t, ns, "../config/samples/cluster_minimal.yaml")
	var got map[string]float64
	eventually(t, "the minimal Cluster's gauges", func() error {
		got = clusterSeries(t, ns, "minimal")
		want := map[string]float64{
			"mnemo_cluster_phase{phase=Creating}": 1, "mnemo_cluster_phase{phase=Available}": 0,
			"mnemo_cluster_shards": 1, "mnemo_cluster_shards_ready": 0,
			// Pods never run on envtest: two nodes (a primary and a
			// replica), none ready, no primary known.
			"mnemo_cluster_nodes": 2, "mnemo_cluster_nodes_ready": 0, "mnemo_cluster_shards_without_primary": 1,
			"mnemo_cluster_pending_updates": 0,
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				return fmt.Errorf("%s = %v (present %v), want %v; all: %v", k, g, ok, v, got)
			}
		}
		return nil
	})
	if _, ok := got["mnemo_cluster_last_snapshot_age_seconds"]; ok {
		t.Errorf("a snapshot age before any snapshot: %v", got)
	}
	if _, ok := got["mnemo_cluster_last_failover_duration_seconds{shard=0}"]; ok {
		t.Errorf("a failover duration before any failover: %v", got)
	}

	controllers.ObserveFailover(ns, "minimal", "0", 1500*time.Millisecond)
	controllers.ObserveFailover(ns, "no-such-cluster", "0", time.Second)
	got = clusterSeries(t, ns, "minimal")
	if d := got["mnemo_cluster_last_failover_duration_seconds{shard=0}"]; d != 1.5 {
		t.Errorf("last failover duration %v, want 1.5; all: %v", d, got)
	}
	if other := clusterSeries(t, ns, "no-such-cluster"); len(other) != 0 {
		t.Errorf("series of a Cluster that does not exist: %v", other)
	}

	problems, err := testutil.GatherAndLint(ctrlmetrics.Registry)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "mnemo_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
	// controller-runtime's reconcile metrics are there for the
	// reconcile-errors alert.
	fams, _ := ctrlmetrics.Registry.Gather()
	found := false
	for _, mf := range fams {
		found = found || mf.GetName() == "controller_runtime_reconcile_errors_total"
	}
	if !found {
		t.Error("controller_runtime_reconcile_errors_total is not on the registry")
	}
}
