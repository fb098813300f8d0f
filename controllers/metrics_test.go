package controllers

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func TestClusterSamples(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	snapTime := metav1.NewTime(now.Add(-90 * time.Minute))
	for _, tc := range []struct {
		name string
		c    mnemov1.Cluster
		want map[string]float64 // family{extra labels} → value; families not listed must be absent
	}{
		{
			name: "new",
			c:    mnemov1.Cluster{Spec: mnemov1.ClusterSpec{NumShards: 2}},
			want: map[string]float64{
				"mnemo_cluster_phase{Available}": 0, "mnemo_cluster_phase{Creating}": 0,
				"mnemo_cluster_shards": 2, "mnemo_cluster_shards_ready": 0, "mnemo_cluster_shards_without_primary": 0,
				"mnemo_cluster_nodes": 0, "mnemo_cluster_nodes_ready": 0, "mnemo_cluster_pending_updates": 0,
			},
		},
		{
			name: "available, one shard degraded, rolling out, snapshotted",
			c: mnemov1.Cluster{
				Spec: mnemov1.ClusterSpec{NumShards: 2},
				Status: mnemov1.ClusterStatus{
					Phase: mnemov1.ClusterUpdating,
					Shards: []mnemov1.ShardSummary{
						{Name: "s0", PrimaryPod: "s0-0", Nodes: 3, ReadyNodes: 3},
						{Name: "s1", Nodes: 3, ReadyNodes: 1},
					},
					PendingUpdates: &mnemov1.PendingUpdates{
						NodeTypeRollout: &mnemov1.RolloutStatus{UpdatedNodes: 3, TotalNodes: 6},
						Resharding:      &mnemov1.ReshardingStatus{ProgressPercent: 25},
					},
					LastSnapshot: &mnemov1.LastSnapshot{Name: "snap", Time: &snapTime},
				},
			},
			want: map[string]float64{
				"mnemo_cluster_phase{Updating}": 1, "mnemo_cluster_phase{Available}": 0,
				"mnemo_cluster_shards": 2, "mnemo_cluster_shards_ready": 1, "mnemo_cluster_shards_without_primary": 1,
				"mnemo_cluster_nodes": 6, "mnemo_cluster_nodes_ready": 4, "mnemo_cluster_pending_updates": 2,
				"mnemo_cluster_update_progress_ratio{node_type}": 0.5, "mnemo_cluster_update_progress_ratio{resharding}": 0.25,
				"mnemo_cluster_last_snapshot_age_seconds": 5400,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]float64{}
			phases := 0
			for _, s := range clusterSamples(&tc.c, now) {
				key := fqName(s.desc)
				if len(s.labels) > 0 {
					key += "{" + s.labels[0] + "}"
				}
				if s.desc == descClusterPhase {
					phases++
				}
				got[key] = s.value
			}
			if phases != len(clusterPhases) {
				t.Errorf("%d phase series, want one per phase (%d)", phases, len(clusterPhases))
			}
			for k, v := range tc.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
			for k := range got {
				if _, ok := tc.want[k]; !ok && !hasPrefix(k, "mnemo_cluster_phase{") {
					t.Errorf("unexpected series %s = %v", k, got[k])
				}
			}
		})
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// fqName reads a Desc's name (Desc keeps it private).
func fqName(d *prometheus.Desc) string {
	s := d.String() // Desc{fqName: "name", help: ...
	const k = `fqName: "`
	for i := 0; i+len(k) <= len(s); i++ {
		if s[i:i+len(k)] == k {
			rest := s[i+len(k):]
			for j := range len(rest) {
				if rest[j] == '"' {
					return rest[:j]
				}
			}
		}
	}
	return s
}
