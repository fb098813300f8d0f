package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mnemo-dev/mnemo/engine/command"
)

// Source is what the collector reads at scrape time: a *command.Engine.
type Source interface {
	Metrics(latencyBounds []time.Duration) command.Metrics
}

// commandLatencyBounds are the buckets of mnemo_command_duration_seconds:
// a command's execution in the engine, from microseconds (a GET) to a
// second (a slow script). The write's wait for the log is not in it; that
// is mnemo_log_append_duration_seconds.
var commandLatencyBounds = []time.Duration{
	5 * time.Microsecond, 10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond,
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second,
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The families read from the engine at scrape time.
var (
	descInfo = desc("mnemo_node_info", "Always 1: the node's identity and version, as labels.",
		"node_id", "shard", "version", "redis_version")
	descCommands = desc("mnemo_commands_total",
		"Commands processed, by command and result: ok, error (ran and replied with an error) or rejected (refused before running: ACL, slot, role, memory).",
		"command", "result")
	descCommandDuration = desc("mnemo_command_duration_seconds",
		"Time commands spent executing in the engine, by command family; excludes the wait for the log to commit a write.",
		"family")
	descErrorReplies  = desc("mnemo_error_replies_total", "Error replies sent to clients.")
	descClients       = desc("mnemo_connected_clients", "Client connections open now.")
	descBlocked       = desc("mnemo_blocked_clients", "Clients waiting in a blocking command (BLPOP, XREAD BLOCK, WAIT…).")
	descConnections   = desc("mnemo_connections_received_total", "Client connections accepted.")
	descRejectedConns = desc("mnemo_rejected_connections_total", "Client connections refused because maxclients was reached.")
	descKeys          = desc("mnemo_keys", "Keys in the node's keyspace.")
	descExpiringKeys  = desc("mnemo_expiring_keys", "Keys with a time to live.")
	descExpired       = desc("mnemo_expired_keys_total", "Keys removed because their time to live passed.")
	descEvicted       = desc("mnemo_evicted_keys_total", "Keys evicted to stay under maxmemory.")
	descHits          = desc("mnemo_keyspace_hits_total", "Reads of keys that existed.")
	descMisses        = desc("mnemo_keyspace_misses_total", "Reads of keys that did not exist.")
	descMemUsed       = desc("mnemo_memory_used_bytes", "Memory the engine accounts for (INFO used_memory), the figure maxmemory is checked against.")
	descMemMax        = desc("mnemo_memory_max_bytes", "The maxmemory setting; 0 means no limit.")
	descNetIn         = desc("mnemo_net_input_bytes_total", "Bytes read from clients.")
	descNetOut        = desc("mnemo_net_output_bytes_total", "Bytes written to clients.")
	descLogUp         = desc("mnemo_log_up", "1 while the node's transactional log takes writes, 0 while the node rebuilds after a failed append.")
	descLogCommitted  = desc("mnemo_log_committed_sequence", "The log sequence of the newest append this node committed (a primary) or knows committed.")
	descLogPending    = desc("mnemo_log_pending_batches", "Batches of writes waiting for the log: sent and not yet acknowledged, or waiting to be sent.")
	descLogAppends    = desc("mnemo_log_appends_total", "Appends sent to the log, retries included.")
	descLogBytes      = desc("mnemo_log_appended_bytes_total", "Bytes sent to the log.")
	descLogWrites     = desc("mnemo_log_committed_writes_total", "Write commands (or transactions) the log committed.")
	descLogFence      = desc("mnemo_log_fence_rejections_total", "Appends the log refused because another writer appended first: this node was deposed.")
	descLogFailures   = desc("mnemo_log_failures_total", "Times the commit pipeline failed (fence, timeout, log unavailable).")
	descLogRebuilds   = desc("mnemo_log_rebuilds_total", "Times the node rebuilt its state from the log after a failure.")
	descPrimary       = desc("mnemo_primary", "1 while the node serves writes as its shard's primary, 0 while it is a replica.")
	descLeaseEpoch    = desc("mnemo_lease_epoch", "Epoch of the shard's primary lease as the node last saw it; it grows by one at each failover.")
	descApplied       = desc("mnemo_replication_applied_sequence", "Last log sequence the node applied (a replica) or committed (a primary).")
	descTail          = desc("mnemo_replication_log_tail_sequence", "Newest log sequence the node knows of.")
	descLag           = desc("mnemo_replication_lag_entries", "Log entries the node has yet to apply: tail minus applied; 0 on a primary.")
	descSnapLast      = desc("mnemo_snapshot_last_success_timestamp_seconds", "When the newest snapshot this node built (BGSAVE, SAVE, mnemo local's schedule) completed, as a Unix time; absent before the first. Snapshots built by a Job off the node are the operator's mnemo_cluster_last_snapshot_age_seconds.")
	descSnapRunning   = desc("mnemo_snapshot_in_progress", "1 while a snapshot (BGSAVE) of this node is being built.")
	descSnapFailed    = desc("mnemo_snapshot_last_failed", "1 when the node's last BGSAVE failed (INFO rdb_last_bgsave_status:err).")
	descSnapChanges   = desc("mnemo_snapshot_changes_since_last", "Writes since the newest snapshot began (INFO rdb_changes_since_last_save).")
	descMigRunning    = desc("mnemo_slot_migration_running", "1 while this node drives a slot migration as its source.")
	descMigPlanned    = desc("mnemo_slot_migration_keys_planned", "Keys of the slots the running migration moves, counted at its start; 0 when none runs. With mnemo_slot_migration_keys_sent_total's rate, how long it has to go.")
	descMigrations    = desc("mnemo_slot_migrations_total", "Slot migrations this node drove to an end, by result: done, cancelled or failed.", "result")
	descMigKeys       = desc("mnemo_slot_migration_keys_sent_total", "Keys this node sent to the targets of its slot migrations (a key sent again in a later round counts again).")
	descMigBytes      = desc("mnemo_slot_migration_bytes_sent_total", "Bytes of keys this node sent to the targets of its slot migrations.")
	descMigDropped    = desc("mnemo_slot_migration_keys_dropped_total", "Keys this node deleted after their slots moved away.")
	engineDescs       = []*prometheus.Desc{
		descInfo, descCommands, descCommandDuration, descErrorReplies, descClients, descBlocked, descConnections,
		descRejectedConns, descKeys, descExpiringKeys, descExpired, descEvicted, descHits, descMisses, descMemUsed,
		descMemMax, descNetIn, descNetOut, descLogUp, descLogCommitted, descLogPending, descLogAppends, descLogBytes,
		descLogWrites, descLogFence, descLogFailures, descLogRebuilds, descPrimary, descLeaseEpoch, descApplied,
		descTail, descLag, descSnapLast, descSnapRunning, descSnapFailed, descSnapChanges,
		descMigRunning, descMigPlanned, descMigrations, descMigKeys, descMigBytes, descMigDropped,
	}
)

// engineCollector turns one command.Metrics snapshot per scrape into
// constant metrics.
type engineCollector struct {
	src    Source
	labels [4]string // node_id, shard, version, redis_version
}

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range engineDescs {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.src.Metrics(commandLatencyBounds)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descInfo, 1, c.labels[:]...)

	type family struct {
		buckets []uint64
		sum     float64
		n       uint64
	}
	families := map[string]*family{}
	for _, cm := range m.Commands {
		counter(descCommands, float64(cm.Calls-cm.Failed), cm.Name, "ok")
		counter(descCommands, float64(cm.Failed), cm.Name, "error")
		counter(descCommands, float64(cm.Rejected), cm.Name, "rejected")
		f := families[cm.Family]
		if f == nil {
			f = &family{buckets: make([]uint64, len(commandLatencyBounds))}
			families[cm.Family] = f
		}
		for i, n := range cm.LatencyCounts {
			f.buckets[i] += n
		}
		f.n += cm.LatencyTotal
		f.sum += float64(cm.Usec) / 1e6
	}
	for name, f := range families {
		buckets := make(map[float64]uint64, len(commandLatencyBounds))
		for i, b := range commandLatencyBounds {
			buckets[b.Seconds()] = f.buckets[i]
		}
		ch <- prometheus.MustNewConstHistogram(descCommandDuration, f.n, f.sum, buckets, name)
	}
	counter(descErrorReplies, float64(m.ErrorReplies))
	gauge(descClients, float64(m.ConnectedClients))
	gauge(descBlocked, float64(m.BlockedClients))
	counter(descConnections, float64(m.TotalConnections))
	counter(descRejectedConns, float64(m.RejectedConnections))
	gauge(descKeys, float64(m.Keys))
	gauge(descExpiringKeys, float64(m.ExpiringKeys))
	counter(descExpired, float64(m.ExpiredKeys))
	counter(descEvicted, float64(m.EvictedKeys))
	counter(descHits, float64(m.KeyspaceHits))
	counter(descMisses, float64(m.KeyspaceMiss))
	gauge(descMemUsed, float64(m.UsedMemory))
	gauge(descMemMax, float64(m.MaxMemory))
	counter(descNetIn, float64(m.NetInputBytes))
	counter(descNetOut, float64(m.NetOutputBytes))

	if l := m.Log; l.Enabled {
		gauge(descLogUp, boolValue(!l.Down))
		gauge(descLogCommitted, float64(l.CommittedSeq))
		gauge(descLogPending, float64(l.PendingBatches))
		counter(descLogAppends, float64(l.Appends))
		counter(descLogBytes, float64(l.Bytes))
		counter(descLogWrites, float64(l.Writes))
		counter(descLogFence, float64(l.FenceErrors))
		counter(descLogFailures, float64(l.Failures))
		counter(descLogRebuilds, float64(l.Rebuild))
	}
	gauge(descPrimary, boolValue(m.Primary))
	gauge(descLeaseEpoch, float64(m.LeaseEpoch))
	gauge(descApplied, float64(m.AppliedSeq))
	gauge(descTail, float64(m.TailSeq))
	gauge(descLag, float64(m.TailSeq-min(m.AppliedSeq, m.TailSeq)))
	if !m.Snapshot.LastSave.IsZero() {
		gauge(descSnapLast, float64(m.Snapshot.LastSave.UnixMilli())/1000)
	}
	gauge(descSnapRunning, boolValue(m.Snapshot.InProgress))
	gauge(descSnapFailed, boolValue(m.Snapshot.LastFailed))
	gauge(descSnapChanges, float64(m.Snapshot.Changes))
	if mg := m.Migration; mg != nil {
		gauge(descMigRunning, boolValue(mg.Running))
		gauge(descMigPlanned, float64(mg.KeysPlanned))
		counter(descMigrations, float64(mg.Done), "done")
		counter(descMigrations, float64(mg.Cancelled), "cancelled")
		counter(descMigrations, float64(mg.Failed), "failed")
		counter(descMigKeys, float64(mg.KeysSent))
		counter(descMigBytes, float64(mg.BytesSent))
		counter(descMigDropped, float64(mg.KeysDropped))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// shardLabel is the shard label value: the number, or "" when unknown.
func shardLabel(shard int) string {
	if shard < 0 {
		return ""
	}
	return strconv.Itoa(shard)
}
