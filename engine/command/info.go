package command

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Version is Mnemo's own version, reported by INFO as mnemo_version next to
// the Redis version whose behaviour Mnemo follows (redis_version, which
// clients read to decide what they may send). Set at link time with
// -ldflags "-X github.com/mnemo-dev/mnemo/engine/command.Version=...".
var Version = "0.0.0-dev"

func init() {
	register("info", infoCmd)
	register("time", timeCmd)
	register("lastsave", lastsaveCmd)
}

// infoSections are INFO's sections in the order Redis writes them.
var infoSections = []struct {
	name  string
	title string
	write func(e *Engine, b *infoBuilder)
}{
	{"server", "Server", infoServer},
	{"clients", "Clients", infoClients},
	{"memory", "Memory", infoMemory},
	{"persistence", "Persistence", infoPersistence},
	{"stats", "Stats", infoStats},
	{"replication", "Replication", infoReplication},
	{"cpu", "CPU", infoCPU},
	{"modules", "Modules", func(*Engine, *infoBuilder) {}},
	{"commandstats", "Commandstats", infoCommandStats},
	{"errorstats", "Errorstats", infoErrorStats},
	{"latencystats", "Latencystats", infoLatencyStats},
	{"cluster", "Cluster", infoCluster},
	{"log", "Log", infoLog},
	{"keyspace", "Keyspace", infoKeyspace},
}

// defaultInfoSections are those INFO and INFO default show: all but the
// per-command statistics.
var defaultInfoSections = map[string]bool{
	"server": true, "clients": true, "memory": true, "persistence": true, "stats": true,
	"replication": true, "cpu": true, "modules": true, "errorstats": true, "cluster": true,
	"keyspace": true, "log": true,
}

// infoCmd is INFO [section ...]: sections are named case-insensitively,
// "default", "all" and "everything" name groups of them, unknown names
// are ignored, and the reply is a verbatim string in RESP3.
func infoCmd(c *Ctx) {
	want := map[string]bool{}
	all := false
	for _, a := range c.Args[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "all", "everything":
			all = true
		case "default":
			for k := range defaultInfoSections {
				want[k] = true
			}
		default:
			want[s] = true
		}
	}
	if len(c.Args) == 1 {
		want = defaultInfoSections
	}
	c.W.Verbatim(c.E.info(want, all))
}

// info renders the chosen sections.
func (e *Engine) info(want map[string]bool, all bool) string {
	var b infoBuilder
	for _, s := range infoSections {
		if !all && !want[s.name] {
			continue
		}
		if b.sections > 0 {
			b.sb.WriteString("\r\n")
		}
		b.sections++
		b.sb.WriteString("# " + s.title + "\r\n")
		s.write(e, &b)
	}
	return b.sb.String()
}

// infoBuilder accumulates INFO's "field:value" lines.
type infoBuilder struct {
	sb       strings.Builder
	sections int
}

func (b *infoBuilder) add(field string, value any) {
	b.sb.WriteString(field)
	b.sb.WriteByte(':')
	switch v := value.(type) {
	case string:
		b.sb.WriteString(v)
	case int:
		b.sb.WriteString(strconv.Itoa(v))
	case int64:
		b.sb.WriteString(strconv.FormatInt(v, 10))
	case uint64:
		b.sb.WriteString(strconv.FormatUint(v, 10))
	default:
		fmt.Fprint(&b.sb, v)
	}
	b.sb.WriteString("\r\n")
}

// Process-wide identities: Redis creates them once per process.
var (
	runID    = sync.OnceValue(randomHexID)
	replID   = sync.OnceValue(randomHexID)
	peakHeap atomic.Uint64
)

// randomHexID returns 40 random hex characters, like Redis's run_id.
func randomHexID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// lruClock is Redis's LRU clock: seconds, on 24 bits.
func lruClock(ms int64) int64 { return (ms / 1000) & (1<<24 - 1) }

func infoServer(e *Engine, b *infoBuilder) {
	now := e.now()
	uptime := int64(now.Sub(e.started) / time.Second)
	exe, _ := os.Executable()
	b.add("redis_version", e.tab.redisVersion)
	b.add("mnemo_version", Version)
	b.add("redis_git_sha1", "00000000")
	b.add("redis_git_dirty", 0)
	b.add("redis_build_id", "0")
	b.add("redis_mode", "cluster")
	b.add("os", runtime.GOOS+" "+runtime.GOARCH)
	b.add("arch_bits", strconv.IntSize)
	b.add("monotonic_clock", "POSIX clock_gettime")
	b.add("multiplexing_api", "go netpoll")
	b.add("go_version", runtime.Version())
	b.add("process_id", os.Getpid())
	b.add("process_supervised", "no")
	b.add("run_id", runID())
	b.add("tcp_port", e.cfg.Int("port"))
	b.add("server_time_usec", now.UnixMicro())
	b.add("uptime_in_seconds", uptime)
	b.add("uptime_in_days", uptime/86400)
	b.add("hz", e.cfg.Int("hz"))
	b.add("configured_hz", e.cfg.Int("hz"))
	b.add("lru_clock", lruClock(now.UnixMilli()))
	b.add("executable", exe)
	b.add("config_file", "")
	b.add("io_threads_active", 0)
}

func infoClients(e *Engine, b *infoBuilder) {
	blocked, timeouts := 0, 0
	for _, c := range e.clients {
		if c.block != nil {
			blocked++
			if c.block.deadline != 0 {
				timeouts++
			}
		}
	}
	b.add("connected_clients", len(e.clients))
	b.add("cluster_connections", 0)
	b.add("maxclients", e.cfg.Int("maxclients"))
	b.add("client_recent_max_input_buffer", 0)
	b.add("client_recent_max_output_buffer", 0)
	b.add("blocked_clients", blocked)
	b.add("tracking_clients", 0)
	b.add("clients_in_timeout_table", timeouts)
}

// memStats are the figures INFO memory and MEMORY STATS report, from the
// Go runtime: the heap in use stands for Redis's allocator figure, and
// what the runtime holds from the OS (less what it gave back) for RSS.
type memStats struct {
	used, rss, peak uint64
}

func readMemStats() memStats {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(samples)
	var v [3]uint64
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	m := memStats{used: v[0], rss: v[1] - min(v[2], v[1])}
	for {
		p := peakHeap.Load()
		if m.used <= p || peakHeap.CompareAndSwap(p, m.used) {
			m.peak = max(p, m.used)
			return m
		}
	}
}

// bytesToHuman formats a byte count as Redis's bytesToHuman does.
func bytesToHuman(n uint64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatUint(n, 10) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", d/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", d/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.2fG", d/(1<<30))
	case n < 1<<50:
		return fmt.Sprintf("%.2fT", d/(1<<40))
	default:
		return fmt.Sprintf("%.2fP", d/(1<<50))
	}
}

func infoMemory(e *Engine, b *infoBuilder) {
	m := readMemStats()
	var maxmemory uint64
	if v, ok := e.cfg.Get("maxmemory"); ok {
		maxmemory, _ = strconv.ParseUint(v, 10, 64)
	}
	policy := "noeviction"
	if v, ok := e.cfg.Get("maxmemory-policy"); ok {
		policy = v
	}
	// used_memory is the engine's accounting (memory_used.go), which
	// maxmemory is checked against; the runtime's figures follow it.
	goHeap := m.used
	m.used = uint64(e.usedMemory())
	m.peak = uint64(usedPeak.Load())
	frag := 0.0
	if m.used > 0 {
		frag = float64(m.rss) / float64(m.used)
	}
	b.add("used_memory", m.used)
	b.add("used_memory_human", bytesToHuman(m.used))
	b.add("used_memory_rss", m.rss)
	b.add("used_memory_rss_human", bytesToHuman(m.rss))
	b.add("used_memory_peak", m.peak)
	b.add("used_memory_peak_human", bytesToHuman(m.peak))
	b.add("used_memory_peak_perc", fmt.Sprintf("%.2f%%", float64(m.used)/float64(max(m.peak, 1))*100))
	b.add("used_memory_startup", startupHeap())
	b.add("used_memory_dataset", e.db.Used)
	b.add("used_memory_go_heap", goHeap)
	b.add("used_memory_go_heap_live", heapLive())
	b.add("maxmemory", maxmemory)
	b.add("maxmemory_human", bytesToHuman(maxmemory))
	b.add("maxmemory_policy", policy)
	b.add("mem_fragmentation_ratio", fmt.Sprintf("%.2f", frag))
	b.add("mem_fragmentation_bytes", int64(m.rss)-int64(m.used))
	b.add("mem_allocator", "go")
	b.add("lazyfree_pending_objects", 0)
}

func infoPersistence(e *Engine, b *infoBuilder) {
	// Mnemo's durability is its transactional log and no node ever forks:
	// snapshots are built off the data path (save.go), so the copy-on-write
	// and AOF figures stay at their never-happened values, and the RDB
	// ones describe the snapshots this node built (BGSAVE, SAVE: mnemo
	// local). A node whose snapshots a Job builds reports none, as a Redis
	// with persistence off does.
	p := e.persistence()
	status := "ok"
	if p.bgFailed {
		status = "err"
	}
	b.add("loading", 0)
	b.add("async_loading", 0)
	b.add("current_cow_peak", 0)
	b.add("current_cow_size", 0)
	b.add("current_cow_size_age", 0)
	b.add("current_fork_perc", "0.00")
	b.add("current_save_keys_processed", 0)
	b.add("current_save_keys_total", 0)
	b.add("rdb_changes_since_last_save", p.changes)
	b.add("rdb_bgsave_in_progress", boolInt(p.bgInProgress))
	b.add("rdb_last_save_time", p.lastSave.Unix())
	b.add("rdb_last_bgsave_status", status)
	b.add("rdb_last_bgsave_time_sec", p.bgLastSec)
	b.add("rdb_current_bgsave_time_sec", p.bgCurrentSec)
	b.add("rdb_saves", p.saves)
	b.add("rdb_last_cow_size", 0)
	b.add("rdb_last_load_keys_expired", 0)
	b.add("rdb_last_load_keys_loaded", 0)
	b.add("aof_enabled", 0)
	b.add("aof_rewrite_in_progress", 0)
	b.add("aof_rewrite_scheduled", 0)
	b.add("aof_last_rewrite_time_sec", -1)
	b.add("aof_current_rewrite_time_sec", -1)
	b.add("aof_last_bgrewrite_status", "ok")
	b.add("aof_rewrites", 0)
	b.add("aof_rewrites_consecutive_failures", 0)
	b.add("aof_last_write_status", "ok")
	b.add("aof_last_cow_size", 0)
	b.add("module_fork_in_progress", 0)
	b.add("module_fork_last_cow_size", 0)
}

// infoLog describes the transactional log: how far it has committed, what
// is pending, how fast appends are, and how often it failed.
func infoLog(e *Engine, b *infoBuilder) {
	ls := e.logStats()
	if !ls.Enabled {
		b.add("log_enabled", 0)
		return
	}
	state := "ok"
	if ls.Down {
		state = "rebuilding"
	}
	b.add("log_enabled", 1)
	b.add("log_state", state)
	b.add("log_committed_seq", ls.CommittedSeq)
	b.add("log_pending_batches", ls.PendingBatches)
	b.add("log_appends", ls.Appends)
	b.add("log_bytes_appended", ls.Bytes)
	b.add("log_writes_committed", ls.Writes)
	b.add("log_append_latency_p50_usec", ls.P50)
	b.add("log_append_latency_p99_usec", ls.P99)
	b.add("log_fence_errors", ls.FenceErrors)
	b.add("log_failures", ls.Failures)
	b.add("log_rebuilds", ls.Rebuild)
}

func infoStats(e *Engine, b *infoBuilder) {
	s := &e.stats
	b.add("total_connections_received", s.totalConnections)
	b.add("total_commands_processed", s.totalCommands)
	b.add("instantaneous_ops_per_sec", 0)
	b.add("total_net_input_bytes", s.net.Input.Load())
	b.add("total_net_output_bytes", s.net.Output.Load())
	b.add("rejected_connections", s.rejectedConns)
	b.add("expired_keys", e.db.Expired)
	b.add("expired_stale_perc", fmt.Sprintf("%.2f", s.expiredStalePerc))
	b.add("evicted_keys", s.evictedKeys)
	b.add("evicted_clients", 0)
	b.add("keyspace_hits", s.keyspaceHits)
	b.add("keyspace_misses", s.keyspaceMisses)
	b.add("pubsub_channels", len(e.pubsub.channels))
	b.add("pubsub_patterns", len(e.pubsub.patterns))
	b.add("pubsubshard_channels", 0)
	b.add("total_forks", 0)
	b.add("unexpected_error_replies", 0)
	b.add("total_error_replies", s.errorReplies)
}

func infoCPU(e *Engine, b *infoBuilder) {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) string {
		return fmt.Sprintf("%d.%06d", t.Sec, t.Usec)
	}
	b.add("used_cpu_sys", tv(self.Stime))
	b.add("used_cpu_user", tv(self.Utime))
	b.add("used_cpu_sys_children", tv(children.Stime))
	b.add("used_cpu_user_children", tv(children.Utime))
}

// allCommands returns every command and served subcommand, sorted by full
// name: the rows of INFO commandstats and latencystats.
func (e *Engine) allCommands() []*Command {
	var out []*Command
	for _, cmd := range e.tab.Commands() {
		out = append(out, cmd)
		for _, sub := range cmd.Subcommands {
			out = append(out, sub)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func infoCommandStats(e *Engine, b *infoBuilder) {
	for _, cmd := range e.allCommands() {
		if cmd.Calls == 0 && cmd.Failed == 0 && cmd.Rejected == 0 {
			continue
		}
		perCall := 0.0
		if cmd.Calls > 0 {
			perCall = float64(cmd.Usec) / float64(cmd.Calls)
		}
		b.add("cmdstat_"+cmd.Name, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			cmd.Calls, cmd.Usec, perCall, cmd.Rejected, cmd.Failed))
	}
}

// infoErrorStats would list error replies by their first word
// ("errorstat_ERR:count=3"); the engine counts only their total so far
// (total_error_replies), so the section is empty.
func infoErrorStats(e *Engine, b *infoBuilder) {
	for _, code := range sortedKeys(e.stats.errorCodes) {
		b.add("errorstat_"+code, fmt.Sprintf("count=%d", e.stats.errorCodes[code]))
	}
}

func infoLatencyStats(e *Engine, b *infoBuilder) {
	for _, cmd := range e.allCommands() {
		h := e.latency.hists[cmd]
		if h == nil || h.total == 0 {
			continue
		}
		b.add("latency_percentiles_usec_"+cmd.Name, fmt.Sprintf("p50=%.3f,p99=%.3f,p99.9=%.3f",
			float64(h.percentile(50))/1000, float64(h.percentile(99))/1000, float64(h.percentile(99.9))/1000))
	}
}

func infoCluster(e *Engine, b *infoBuilder) { b.add("cluster_enabled", 1) }

func infoKeyspace(e *Engine, b *infoBuilder) {
	if n := e.db.Len(); n > 0 {
		b.add("db0", fmt.Sprintf("keys=%d,expires=%d,avg_ttl=%d", n, e.db.VolatileLen(), e.db.AvgTTL))
	}
}

// resetStats zeroes the statistics CONFIG RESETSTAT resets.
func (e *Engine) resetStats() {
	s := &e.stats
	s.totalConnections, s.totalCommands, s.rejectedConns = 0, 0, 0
	s.keyspaceHits, s.keyspaceMisses, s.errorReplies = 0, 0, 0
	s.expiredStalePerc, s.pubsubMessages, s.evictedKeys = 0, 0, 0
	s.errorCodes = nil
	s.net.Input.Store(0)
	s.net.Output.Store(0)
	e.db.Expired = 0
	for _, cmd := range e.allCommands() {
		cmd.Calls, cmd.Usec, cmd.Rejected, cmd.Failed = 0, 0, 0, 0
	}
	e.latency.hists = nil
	peakHeap.Store(0)
	usedPeak.Store(0)
}

// timeCmd is TIME: Unix seconds and microseconds, as two bulk strings.
func timeCmd(c *Ctx) {
	now := c.E.now()
	c.W.Array(2)
	c.W.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.W.BulkString(strconv.Itoa(now.Nanosecond() / 1000))
}

// lastsaveCmd is LASTSAVE: when the last snapshot this node built (BGSAVE,
// SAVE) completed, or, as in a Redis that never saved, when it started.
func lastsaveCmd(c *Ctx) { c.W.Int(c.E.lastSave().Unix()) }
