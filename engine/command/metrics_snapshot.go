package command

import (
	"strconv"
	"time"
)

// Metrics is a point-in-time copy of the figures INFO reports, in the
// form an exporter needs: counters since start (or the last CONFIG
// RESETSTAT) and gauges. It is read under the engine lock in one go, so
// the figures agree with one another, and holds no references into the
// engine.
type Metrics struct {
	// Commands are the commands and subcommands called or rejected at
	// least once, in name order.
	Commands []CommandMetrics

	ConnectedClients    int
	BlockedClients      int
	TotalConnections    int64
	RejectedConnections int64
	TotalCommands       int64
	ErrorReplies        int64

	Keys         int
	ExpiringKeys int
	ExpiredKeys  int64
	EvictedKeys  int64
	KeyspaceHits int64
	KeyspaceMiss int64

	// UsedMemory is used_memory, what maxmemory is checked against;
	// MaxMemory is 0 when unlimited.
	UsedMemory int64
	MaxMemory  int64

	NetInputBytes  int64
	NetOutputBytes int64

	// Log is the transactional log's state (Enabled false without one).
	Log LogStats

	// Replicated is set when the node is one of several nodes of its
	// shard (it takes part in elections); Primary says whether it serves
	// writes now.
	Replicated bool
	Primary    bool
	// AppliedSeq is the last log sequence applied (a replica) or
	// committed (a primary); TailSeq the newest the node knows of. Their
	// difference is the replication lag.
	AppliedSeq uint64
	TailSeq    uint64
	// LeaseEpoch is the epoch of the shard's primary lease as the node
	// last saw it, 0 without replication.
	LeaseEpoch uint64

	// Snapshot is the state of the snapshots the node builds itself
	// (BGSAVE, SAVE, mnemo local's schedule).
	Snapshot SnapshotStats

	// Migration sums the slot migrations this node drove as a source,
	// the one running included; nil when the node is not in a cluster.
	Migration *MigrationStats
}

// MigrationStats are counts of the slot migrations a node drove.
type MigrationStats struct {
	// Running is set while a migration runs; KeysPlanned is its keys at
	// its start (0 when none runs).
	Running     bool
	KeysPlanned int64
	// Done, Cancelled and Failed count finished migrations by outcome.
	Done, Cancelled, Failed int64
	// KeysSent and BytesSent count what was sent to targets (keys sent
	// again in a later round count again); KeysDropped the keys the
	// source deleted once its slots had moved.
	KeysSent, BytesSent, KeysDropped int64
}

// add counts migration m's work, and its outcome once it has one. With
// the engine lock held.
func (s *MigrationStats) add(m *outMigration) {
	s.KeysSent += m.keysSent
	s.BytesSent += m.bytesSent
	s.KeysDropped += m.keysDropped
	switch m.state {
	case migDone:
		s.Done++
	case migCancelled:
		s.Cancelled++
	case migFailed:
		s.Failed++
	}
}

// SnapshotStats are INFO persistence's figures, for the metrics.
type SnapshotStats struct {
	// LastSave is when the newest snapshot the node built completed;
	// zero when it built none (snapshots made by a Job off the node).
	LastSave time.Time
	// InProgress is set while a BGSAVE runs.
	InProgress bool
	// LastFailed is set when the last BGSAVE failed.
	LastFailed bool
	// Changes counts writes since the newest snapshot began.
	Changes int64
}

// CommandMetrics are one command's statistics (INFO commandstats and
// latencystats).
type CommandMetrics struct {
	// Name is the full lowercase name ("get", "config|get").
	Name string
	// Family is the command's data type or concern ("string", "hash",
	// "keyspace", "server"…), a small fixed set: see CommandFamilies.
	Family string
	// Calls counts executions, Failed those that replied with an error
	// (Failed ≤ Calls), Rejected those refused before they ran (ACL,
	// slot, role, OOM, …).
	Calls, Failed, Rejected int64
	// Usec is the time spent executing, in microseconds.
	Usec int64
	// LatencyCounts[i] counts executions that took at most the i-th of
	// the bounds Metrics was given (cumulative, like a Prometheus
	// bucket); LatencyTotal counts them all.
	LatencyCounts []uint64
	LatencyTotal  uint64
}

// CommandFamilies are the values CommandMetrics.Family takes, in the order
// a command's ACL categories are matched against them: a command gets the
// first family among its categories, "server" when none matches.
var CommandFamilies = []string{
	"bitmap", "hyperloglog", "geo", "stream", "sortedset", "set", "hash", "list", "string",
	"pubsub", "scripting", "transaction", "keyspace", "connection", "server",
}

// commandFamily returns the family of cmd (see CommandFamilies).
func commandFamily(cmd *Command) string {
	if cmd.Parent != nil && len(cmd.Categories) == 0 {
		cmd = cmd.Parent
	}
	for _, f := range CommandFamilies {
		for _, c := range cmd.Categories {
			if c == f {
				return f
			}
		}
	}
	return "server"
}

// Metrics returns the engine's figures now. latencyBounds are the upper
// bounds, ascending, of the latency buckets each command's executions are
// counted into; the engine's own histograms have two significant digits,
// so a count is exact to within a percent of its bound.
func (e *Engine) Metrics(latencyBounds []time.Duration) Metrics {
	var maxmemory int64
	if v, ok := e.cfg.Get("maxmemory"); ok {
		maxmemory, _ = strconv.ParseInt(v, 10, 64)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &e.stats
	m := Metrics{
		ConnectedClients:    len(e.clients),
		TotalConnections:    s.totalConnections,
		RejectedConnections: s.rejectedConns,
		TotalCommands:       s.totalCommands,
		ErrorReplies:        s.errorReplies,
		Keys:                e.db.Len(),
		ExpiringKeys:        e.db.VolatileLen(),
		ExpiredKeys:         e.db.Expired,
		EvictedKeys:         s.evictedKeys,
		KeyspaceHits:        s.keyspaceHits,
		KeyspaceMiss:        s.keyspaceMisses,
		UsedMemory:          e.usedMemory(),
		MaxMemory:           maxmemory,
		NetInputBytes:       s.net.Input.Load(),
		NetOutputBytes:      s.net.Output.Load(),
		Log:                 e.logStats(),
	}
	for _, c := range e.clients {
		if c.block != nil {
			m.BlockedClients++
		}
	}
	p := e.persistence()
	m.Snapshot = SnapshotStats{InProgress: p.bgInProgress, LastFailed: p.bgFailed, Changes: p.changes}
	e.snap.mu.Lock()
	m.Snapshot.LastSave = e.snap.last
	e.snap.mu.Unlock()
	if cl := e.topo.cl; cl != nil {
		ms := cl.migrated
		if out := e.topo.out; out != nil {
			ms.add(out)
			ms.Running, ms.KeysPlanned = true, out.keysTotal
		}
		m.Migration = &ms
	}
	ri := e.replInfo()
	m.Primary, m.AppliedSeq, m.TailSeq, m.LeaseEpoch = ri.primary, ri.offset, ri.tail, ri.epoch
	m.Replicated = e.log != nil && e.log.repl != nil
	for _, cmd := range e.allCommands() {
		if cmd.Calls == 0 && cmd.Failed == 0 && cmd.Rejected == 0 {
			continue
		}
		cm := CommandMetrics{
			Name: cmd.Name, Family: commandFamily(cmd),
			Calls: cmd.Calls, Failed: cmd.Failed, Rejected: cmd.Rejected, Usec: cmd.Usec,
			LatencyCounts: make([]uint64, len(latencyBounds)),
		}
		if h := e.latency.hists[cmd]; h != nil {
			h.countBelow(latencyBounds, cm.LatencyCounts)
			cm.LatencyTotal = uint64(h.total)
		}
		m.Commands = append(m.Commands, cm)
	}
	return m
}

// countBelow sets out[i] to the number of values at most bounds[i]: a
// bucket counts towards a bound when its highest value is within it.
func (h *latencyHistogram) countBelow(bounds []time.Duration, out []uint64) {
	var cum uint64
	b := 0
	for i, n := range h.counts {
		hi := histHighest(i)
		for b < len(bounds) && hi > bounds[b].Nanoseconds() {
			out[b] = cum
			b++
		}
		cum += uint64(n)
	}
	for ; b < len(bounds); b++ {
		out[b] = cum
	}
}
