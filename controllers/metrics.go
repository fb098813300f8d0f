package controllers

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// The operator's own families, next to controller-runtime's
// (controller_runtime_reconcile_total, _errors_total, _time_seconds, the
// work queues) on the manager's /metrics. They describe each Cluster as
// its status says, so they read the cache at scrape time and keep no
// state, except the last failover's duration, which no status field holds.
var (
	clusterLabels      = []string{"namespace", "cluster"}
	descClusterPhase   = prometheus.NewDesc("mnemo_cluster_phase", "1 for the Cluster's current phase, 0 for the others.", append(clusterLabels, "phase"), nil)
	descClusterShards  = prometheus.NewDesc("mnemo_cluster_shards", "Shards the Cluster asks for (spec.numShards).", clusterLabels, nil)
	descShardsReady    = prometheus.NewDesc("mnemo_cluster_shards_ready", "Shards whose every node is ready.", clusterLabels, nil)
	descShardsNoPrim   = prometheus.NewDesc("mnemo_cluster_shards_without_primary", "Shards with no known primary pod.", clusterLabels, nil)
	descClusterNodes   = prometheus.NewDesc("mnemo_cluster_nodes", "Data nodes the Cluster's shards have.", clusterLabels, nil)
	descNodesReady     = prometheus.NewDesc("mnemo_cluster_nodes_ready", "Data nodes that are ready.", clusterLabels, nil)
	descPendingUpdates = prometheus.NewDesc("mnemo_cluster_pending_updates", "Changes still rolling out (resharding, node-type rollout).", clusterLabels, nil)
	descUpdateProgress = prometheus.NewDesc("mnemo_cluster_update_progress_ratio", "Progress of a change rolling out, 0 to 1.", append(clusterLabels, "update"), nil)
	descSnapshotAge    = prometheus.NewDesc("mnemo_cluster_last_snapshot_age_seconds", "Time since the newest finished snapshot; absent before the first.", clusterLabels, nil)
	descFailoverDur    = prometheus.NewDesc("mnemo_cluster_last_failover_duration_seconds", "Duration of the last failover the operator saw completed, by shard; absent before the first.", append(clusterLabels, "shard"), nil)
)

// clusterPhases are every phase mnemo_cluster_phase reports, so an alert
// on a phase has a 0 to compare with rather than an absent series.
var clusterPhases = []mnemov1.ClusterPhase{
	mnemov1.ClusterCreating, mnemov1.ClusterAvailable, mnemov1.ClusterUpdating, mnemov1.ClusterSnapshotting,
	mnemov1.ClusterPaused, mnemov1.ClusterFailed, mnemov1.ClusterDeleting,
}

// clusterSample is one value of one family for one Cluster.
type clusterSample struct {
	desc   *prometheus.Desc
	value  float64
	labels []string // after namespace and cluster
}

// clusterSamples is what the collector reports for c at time now: a pure
// function of the Cluster's spec and status.
func clusterSamples(c *mnemov1.Cluster, now time.Time) []clusterSample {
	var out []clusterSample
	add := func(d *prometheus.Desc, v float64, labels ...string) {
		out = append(out, clusterSample{d, v, labels})
	}
	for _, p := range clusterPhases {
		v := 0.0
		if c.Status.Phase == p {
			v = 1
		}
		add(descClusterPhase, v, string(p))
	}
	var ready, noPrimary, nodes, nodesReady int32
	for _, s := range c.Status.Shards {
		nodes += s.Nodes
		nodesReady += s.ReadyNodes
		if s.Nodes > 0 && s.ReadyNodes >= s.Nodes {
			ready++
		}
		if s.PrimaryPod == "" {
			noPrimary++
		}
	}
	add(descClusterShards, float64(c.Spec.NumShards))
	add(descShardsReady, float64(ready))
	add(descShardsNoPrim, float64(noPrimary))
	add(descClusterNodes, float64(nodes))
	add(descNodesReady, float64(nodesReady))
	pending := 0
	if pu := c.Status.PendingUpdates; pu != nil {
		if r := pu.Resharding; r != nil {
			pending++
			add(descUpdateProgress, float64(r.ProgressPercent)/100, "resharding")
		}
		if r := pu.NodeTypeRollout; r != nil {
			pending++
			if r.TotalNodes > 0 {
				add(descUpdateProgress, float64(r.UpdatedNodes)/float64(r.TotalNodes), "node_type")
			}
		}
	}
	add(descPendingUpdates, float64(pending))
	if ls := c.Status.LastSnapshot; ls != nil && ls.Time != nil {
		add(descSnapshotAge, max(now.Sub(ls.Time.Time).Seconds(), 0))
	}
	return out
}

// failoverKey names a shard of a Cluster.
type failoverKey struct{ namespace, cluster, shard string }

// clusterCollector reports every Cluster in the manager's cache.
type clusterCollector struct {
	reader client.Reader
	now    func() time.Time

	mu        sync.Mutex
	failovers map[failoverKey]time.Duration // guarded by mu
}

// metricsCollector is the collector SetupWithManager registered, for
// ObserveFailover; nil before.
var (
	metricsMu        sync.Mutex
	metricsCollector *clusterCollector // guarded by metricsMu
)

// registerMetrics adds the per-Cluster families to controller-runtime's
// registry, which the manager serves on --metrics-bind-address. A process
// registers them once: a second manager (tests) keeps the first's.
func registerMetrics(mgr ctrl.Manager) error {
	c := &clusterCollector{reader: mgr.GetClient(), now: time.Now, failovers: map[failoverKey]time.Duration{}}
	if err := ctrlmetrics.Registry.Register(c); err != nil {
		if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
			return nil
		}
		return err
	}
	metricsMu.Lock()
	metricsCollector = c
	metricsMu.Unlock()
	return nil
}

// ObserveFailover records that a failover of the shard (its index, as
// text) of the Cluster namespace/cluster completed in d, for
// mnemo_cluster_last_failover_duration_seconds. The Shard reconciler calls
// it when it sees the new primary serving.
func ObserveFailover(namespace, cluster, shard string, d time.Duration) {
	metricsMu.Lock()
	c := metricsCollector
	metricsMu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	c.failovers[failoverKey{namespace, cluster, shard}] = d
	c.mu.Unlock()
}

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descClusterPhase, descClusterShards, descShardsReady, descShardsNoPrim,
		descClusterNodes, descNodesReady, descPendingUpdates, descUpdateProgress, descSnapshotAge, descFailoverDur} {
		ch <- d
	}
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var list mnemov1.ClusterList
	if err := c.reader.List(ctx, &list); err != nil {
		ch <- prometheus.NewInvalidMetric(descClusterPhase, err)
		return
	}
	now := c.now()
	live := map[[2]string]bool{}
	for i := range list.Items {
		cl := &list.Items[i]
		live[[2]string{cl.Namespace, cl.Name}] = true
		for _, s := range clusterSamples(cl, now) {
			ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, s.value, append([]string{cl.Namespace, cl.Name}, s.labels...)...)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, d := range c.failovers {
		// A deleted Cluster's failovers go with it: the series stay bounded.
		if !live[[2]string{k.namespace, k.cluster}] {
			delete(c.failovers, k)
			continue
		}
		ch <- prometheus.MustNewConstMetric(descFailoverDur, prometheus.GaugeValue, d.Seconds(), k.namespace, k.cluster, k.shard)
	}
}
