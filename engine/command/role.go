package command

import (
	"crypto/sha1"
	"encoding/hex"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// ROLE and INFO replication describe a shard's replication as Redis does,
// with log sequences for replication offsets: a replica's offset is the
// last log entry it applied, the primary's the last one it committed.

func init() {
	register("role", roleCmd)
}

// replInfo is a snapshot of the node's replication for ROLE and INFO.
type replInfo struct {
	primary    bool
	offset     uint64 // applied (replica) or committed (primary)
	tail       uint64
	epoch      uint64
	masterHost string
	masterPort int
	lastIO     int64
	replicas   []txlog.NodeStatus
	failover   string
}

func (e *Engine) replInfo() replInfo {
	d := e.log
	if d == nil || d.repl == nil {
		ri := replInfo{primary: true, failover: "no-failover"}
		if d != nil && d.com != nil {
			ri.offset = d.com.LastSeq()
			ri.tail = ri.offset
		}
		return ri
	}
	r := d.repl
	l, nodes := r.view()
	ri := replInfo{primary: r.role.Load() == rolePrimary, epoch: l.Epoch, failover: "no-failover"}
	if r.failover != nil {
		ri.failover = r.failover.state
	}
	if ri.primary {
		ri.offset = d.com.LastSeq()
		ri.tail = ri.offset
		for _, n := range nodes {
			if n.ID != r.opts.NodeID && n.Role != "primary" {
				ri.replicas = append(ri.replicas, n)
			}
		}
		// The view is refreshed every election tick with the offsets the
		// replicas last published; list them in a stable order (slaveN
		// keeps naming the same replica as offsets move).
		slices.SortFunc(ri.replicas, func(a, b txlog.NodeStatus) int { return strings.Compare(a.ID, b.ID) })
		return ri
	}
	ri.offset = r.applied.Load()
	ri.tail = max(r.tail.Load(), ri.offset)
	ri.lastIO = r.lastIO.Load()
	if host, port, err := net.SplitHostPort(l.Addr); err == nil && l.Holder != r.opts.NodeID {
		ri.masterHost = host
		ri.masterPort, _ = strconv.Atoi(port)
	}
	return ri
}

// lag returns how many log entries the node has yet to apply.
func (ri replInfo) lag() uint64 { return ri.tail - ri.offset }

// roleCmd answers ROLE: ["master", offset, [[ip, port, offset]...]] or
// ["slave", ip, port, state, offset].
func roleCmd(c *Ctx) {
	ri := c.E.replInfo()
	w := c.W
	if ri.primary {
		w.Array(3)
		w.BulkString("master")
		w.Int(int64(ri.offset))
		w.Array(len(ri.replicas))
		for _, n := range ri.replicas {
			host, port, _ := net.SplitHostPort(n.Addr)
			w.Array(3)
			w.BulkString(host)
			w.BulkString(port)
			w.BulkString(strconv.FormatUint(n.Applied, 10))
		}
		return
	}
	w.Array(5)
	w.BulkString("slave")
	host, state := ri.masterHost, "connected"
	if host == "" {
		host, state = "?", "connect"
	}
	w.BulkString(host)
	w.Int(int64(ri.masterPort))
	w.BulkString(state)
	w.Int(int64(ri.offset))
}

// shardReplID is the replication ID every node of the shard reports: the
// log is the replication stream, so it names the log.
func (e *Engine) shardReplID() string {
	if e.log == nil {
		return replID()
	}
	sum := sha1.Sum([]byte(e.log.st.Name()))
	return hex.EncodeToString(sum[:])
}

func infoReplication(e *Engine, b *infoBuilder) {
	ri := e.replInfo()
	if ri.primary {
		b.add("role", "master")
		b.add("connected_slaves", len(ri.replicas))
		for i, n := range ri.replicas {
			host, port, _ := net.SplitHostPort(n.Addr)
			b.add("slave"+strconv.Itoa(i), "ip="+host+",port="+port+",state=online,offset="+
				strconv.FormatUint(n.Applied, 10)+",lag=0")
		}
	} else {
		b.add("role", "slave")
		b.add("master_host", ri.masterHost)
		b.add("master_port", ri.masterPort)
		link := "up"
		if ri.masterHost == "" {
			link = "down"
		}
		b.add("master_link_status", link)
		ago := int64(0)
		if ri.lastIO > 0 {
			ago = time.Now().Unix() - ri.lastIO
		}
		b.add("master_last_io_seconds_ago", ago)
		b.add("master_sync_in_progress", 0)
		b.add("slave_read_repl_offset", ri.tail)
		b.add("slave_repl_offset", ri.offset)
		b.add("slave_priority", 100)
		b.add("slave_read_only", 1)
		b.add("replica_announced", 1)
		b.add("connected_slaves", 0)
	}
	b.add("master_failover_state", ri.failover)
	b.add("master_replid", e.shardReplID())
	b.add("master_replid2", "0000000000000000000000000000000000000000")
	b.add("master_repl_offset", ri.offset)
	b.add("second_repl_offset", -1)
	active := 0
	if e.log != nil {
		active = 1
	}
	b.add("repl_backlog_active", active)
	b.add("repl_backlog_size", 1048576)
	b.add("repl_backlog_first_byte_offset", min(ri.offset, 1))
	b.add("repl_backlog_histlen", ri.offset)
	// Mnemo's own: the lease epoch and the replica's lag in log entries.
	b.add("mnemo_lease_epoch", ri.epoch)
	b.add("mnemo_log_tail", ri.tail)
	b.add("mnemo_repl_lag", ri.lag())
}

// AnnounceIP returns the address a node bound to bind tells others to
// reach it at.
func AnnounceIP(bind string) string { return announceIP(bind) }
