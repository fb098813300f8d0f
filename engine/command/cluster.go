package command

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// The Redis Cluster protocol: CLUSTER INFO, MYID, MYSHARDID, SLOTS,
// SHARDS, NODES, LINKS, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT, REPLICAS,
// COUNT-FAILURE-REPORTS and HELP render the engine's cluster.Topology;
// READONLY, READWRITE and ASKING set a connection's mode.
//
// Mnemo decides its topology itself (today: one node owning every slot;
// later: the shared store), as MemoryDB does, so the subcommands that let
// a client reshape a Redis cluster — ADDSLOTS, MEET, FAILOVER, SETSLOT… —
// answer errManagedTopology and change nothing.

const (
	errInvalidSlot        = "ERR Invalid slot"
	errInvalidSlotOrCount = "ERR Invalid slot or number of keys"
	errNotAPrimary        = "ERR The specified node is not a master"
)

// errManagedTopology is the answer to the cluster-management subcommands
// Mnemo does not give clients. sub is the subcommand's name in upper case.
func errManagedTopology(sub string) string {
	return "ERR CLUSTER " + sub + " is not allowed: Mnemo manages the cluster topology"
}

// managedSubcommands are the CLUSTER subcommands that would change the
// topology, epochs or the node's configuration file.
var managedSubcommands = []string{
	"addslots", "addslotsrange", "delslots", "delslotsrange", "flushslots",
	"meet", "forget", "replicate", "reset", "failover", "setslot",
	"set-config-epoch", "bumpepoch", "saveconfig",
}

func init() {
	register("cluster|info", clusterInfoCmd)
	register("cluster|myid", clusterMyIDCmd)
	register("cluster|myshardid", clusterMyShardIDCmd)
	register("cluster|slots", clusterSlotsCmd)
	register("cluster|shards", clusterShardsCmd)
	register("cluster|nodes", clusterNodesCmd)
	register("cluster|links", clusterLinksCmd)
	register("cluster|keyslot", clusterKeySlotCmd)
	register("cluster|countkeysinslot", clusterCountKeysInSlotCmd)
	register("cluster|getkeysinslot", clusterGetKeysInSlotCmd)
	register("cluster|replicas", clusterReplicasCmd)
	register("cluster|slaves", clusterReplicasCmd)
	register("cluster|count-failure-reports", clusterCountFailureReportsCmd)
	register("cluster|help", clusterHelpCmd)
	for _, sub := range managedSubcommands {
		msg := errManagedTopology(strings.ToUpper(sub))
		register("cluster|"+sub, func(c *Ctx) { c.Error(msg) })
	}
	register("readonly", readonlyCmd)
	register("readwrite", readwriteCmd)
	register("asking", askingCmd)
}

// topoState is the engine's view of the cluster (Engine.topo).
type topoState struct {
	once sync.Once
	// nodeID is the ID the process gave the node (SetNodeID); empty, the
	// node takes a fresh one in memory.
	nodeID string
	// cur is the topology in force. It is read without the engine lock
	// and replaced whole, never changed in place.
	cur atomic.Pointer[cluster.Topology]

	// readOnly holds the IDs of the clients that sent READONLY (replica
	// reads allowed). Guarded by the engine lock. Entries of clients that
	// are gone are pruned when the map has doubled since the last prune,
	// so it stays within twice the live clients that use it.
	readOnly  map[int64]struct{}
	pruneSize int

	// cl is set when the node is one of a multi-shard cluster
	// (AttachCluster); nil, it is alone and owns every slot.
	// clustered says so without the engine lock.
	cl        *clusterState
	clustered atomic.Bool
	// out is the slot migration this node drives as the source primary,
	// nil when none runs. Guarded by the engine lock.
	out *outMigration
}

// topology returns the topology in force, building the single-node one
// on first use.
func (s *topoState) topology(cfg *config.Config) *cluster.Topology {
	s.once.Do(func() {
		if s.cur.Load() == nil {
			s.cur.Store(singleNodeTopology(cfg, s.nodeID))
		}
	})
	return s.cur.Load()
}

// SetNodeID gives the node the ID it keeps across restarts; the process
// loads or creates it (cluster.LoadOrCreateNodeID) before the engine
// serves. The engine itself never writes files: without an ID it takes a
// fresh one for the process.
func (e *Engine) SetNodeID(id string) { e.topo.nodeID = id }

// singleNodeTopology is the topology of a node alone in its cluster: the
// ID it was given (or a fresh one), its bound address.
func singleNodeTopology(cfg *config.Config, id string) *cluster.Topology {
	if id == "" {
		id = cluster.NewNodeID()
	}
	return cluster.SingleNode(cluster.Node{
		ID:   id,
		IP:   announceIP(cfg.String("bind")),
		Port: int(cfg.Int("port")),
	})
}

// announceIP is the address to announce for a bind setting: its first
// address, or loopback when that is a wildcard, which no client can
// connect to.
func announceIP(bind string) string {
	f := strings.Fields(bind)
	if len(f) == 0 {
		return "127.0.0.1"
	}
	ip := strings.TrimPrefix(f[0], "-") // "-addr": bind if available
	switch ip {
	case "", "*", "0.0.0.0", "::", "::*":
		return "127.0.0.1"
	}
	return ip
}

// setReadOnly records a client's READONLY / READWRITE mode.
func (e *Engine) setReadOnly(c *Client, on bool) {
	s := &e.topo
	if !on {
		delete(s.readOnly, c.ID)
		return
	}
	if s.readOnly == nil {
		s.readOnly = map[int64]struct{}{}
	}
	s.readOnly[c.ID] = struct{}{}
	if len(s.readOnly) > 2*s.pruneSize+16 {
		for id := range s.readOnly {
			if e.clients[id] == nil {
				delete(s.readOnly, id)
			}
		}
		s.pruneSize = len(s.readOnly)
	}
}

// isReadOnly reports whether a client asked for replica reads (READONLY).
func (e *Engine) isReadOnly(c *Client) bool {
	_, ok := e.topo.readOnly[c.ID]
	return ok
}

func readonlyCmd(c *Ctx) {
	c.E.setReadOnly(c.C, true)
	c.W.OK()
}

func readwriteCmd(c *Ctx) {
	c.E.setReadOnly(c.C, false)
	c.W.OK()
}

// askingCmd flags the client's next command as allowed in a slot being
// imported into this node's shard (cluster_route.go): a migration's
// source sends the keys that way.
func askingCmd(c *Ctx) {
	if cl := c.E.topo.cl; cl != nil {
		cl.asking[c.C.ID] = struct{}{}
	}
	c.W.OK()
}

func clusterInfoCmd(c *Ctx) {
	t := c.E.Topology()
	me, shard := t.Myself()
	assigned, failed := t.SlotsAssigned(), t.FailedSlots()
	state := "fail"
	if t.OK() {
		state = "ok"
	}
	myEpoch := me.ConfigEpoch
	if me.Role == cluster.Replica {
		myEpoch = shard.Primary.ConfigEpoch
	}
	var b strings.Builder
	field := func(name, v string) {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	num := func(name string, v int64) { field(name, strconv.FormatInt(v, 10)) }
	field("cluster_state", state)
	num("cluster_slots_assigned", int64(assigned))
	num("cluster_slots_ok", int64(assigned-failed))
	num("cluster_slots_pfail", 0)
	num("cluster_slots_fail", int64(failed))
	num("cluster_known_nodes", int64(t.KnownNodes()))
	num("cluster_size", int64(t.Size()))
	field("cluster_current_epoch", strconv.FormatUint(t.CurrentEpoch(), 10))
	field("cluster_my_epoch", strconv.FormatUint(myEpoch, 10))
	// No cluster bus: nodes agree through the log's store, not messages.
	num("cluster_stats_messages_sent", 0)
	num("cluster_stats_messages_received", 0)
	num("total_cluster_links_buffer_limit_exceeded", 0)
	c.W.Verbatim(b.String())
}

func clusterMyIDCmd(c *Ctx) { c.W.BulkString(c.E.Topology().Self()) }

func clusterMyShardIDCmd(c *Ctx) {
	_, shard := c.E.Topology().Myself()
	c.W.BulkString(shard.ID)
}

// clusterSlotsCmd lists each run of slots with its primary then its
// replicas that are not failed, as Redis 7.0 does; each node as
// [ip, port, id, {other endpoints}].
func clusterSlotsCmd(c *Ctx) {
	slots := c.E.Topology().SlotMap()
	c.W.Array(len(slots))
	for _, r := range slots {
		nodes := r.Shard.Nodes()
		n := 1
		for _, rep := range nodes[1:] {
			if !rep.Failed {
				n++
			}
		}
		c.W.Array(2 + n)
		c.W.Int(int64(r.Start))
		c.W.Int(int64(r.End))
		for i, nd := range nodes {
			if i > 0 && nd.Failed {
				continue
			}
			c.W.Array(4)
			c.W.BulkString(nd.IP)
			c.W.Int(int64(c.E.clientPort(c.C, nd.Port)))
			c.W.BulkString(nd.ID)
			if nd.Hostname != "" {
				c.W.Map(1)
				c.W.BulkString("hostname")
				c.W.BulkString(nd.Hostname)
			} else {
				c.W.Map(0)
			}
		}
	}
}

func clusterShardsCmd(c *Ctx) {
	shards := c.E.Topology().Shards()
	c.W.Array(len(shards))
	for i := range shards {
		s := &shards[i]
		c.W.Map(2)
		c.W.BulkString("slots")
		c.W.Array(2 * len(s.Slots))
		for _, r := range s.Slots {
			c.W.Int(int64(r.Start))
			c.W.Int(int64(r.End))
		}
		c.W.BulkString("nodes")
		nodes := s.Nodes()
		c.W.Array(len(nodes))
		for _, nd := range nodes {
			writeShardNode(c, nd)
		}
	}
}

// writeShardNode writes one node of a CLUSTER SHARDS reply, the fields in
// Redis 7.0's order; the endpoint is the IP (Redis's default
// cluster-preferred-endpoint-type).
func writeShardNode(c *Ctx, nd *cluster.Node) {
	n := 7
	if nd.Hostname != "" {
		n++
	}
	c.W.Map(n)
	c.W.BulkString("id")
	c.W.BulkString(nd.ID)
	if c.E.tlsShift(c.C) != 0 {
		c.W.BulkString("tls-port")
	} else {
		c.W.BulkString("port")
	}
	c.W.Int(int64(c.E.clientPort(c.C, nd.Port)))
	c.W.BulkString("ip")
	c.W.BulkString(nd.IP)
	c.W.BulkString("endpoint")
	c.W.BulkString(nd.IP)
	if nd.Hostname != "" {
		c.W.BulkString("hostname")
		c.W.BulkString(nd.Hostname)
	}
	c.W.BulkString("role")
	c.W.BulkString(nd.Role.String())
	c.W.BulkString("replication-offset")
	c.W.Int(nd.ReplOffset)
	c.W.BulkString("health")
	c.W.BulkString(nd.Health())
}

// clusterNodesCmd writes one line per node, this node first.
func clusterNodesCmd(c *Ctx) {
	t := c.E.Topology()
	var b []byte
	me, myShard := t.Myself()
	shift := c.E.tlsShift(c.C)
	b = appendNodeLine(b, t, me, myShard, shift)
	b = append(b, '\n')
	shards := t.Shards()
	for i := range shards {
		for _, nd := range shards[i].Nodes() {
			if nd != me {
				b = appendNodeLine(b, t, nd, &shards[i], shift)
				b = append(b, '\n')
			}
		}
	}
	c.W.Verbatim(string(b))
}

// appendNodeLine appends a node's CLUSTER NODES line, without its newline:
//
//	<id> <ip:port@cport[,hostname]> <flags> <primary> <ping-sent> <pong-recv> <epoch> <link> <slots>...
//
// Mnemo sends no pings, so both times are 0, as Redis shows them for
// itself. Like Redis, a replica shows its primary's epoch. shift moves
// the port for a TLS client (see tlsShift).
func appendNodeLine(b []byte, t *cluster.Topology, nd *cluster.Node, s *cluster.Shard, shift int) []byte {
	b = append(b, nd.ID...)
	b = append(b, ' ')
	b = append(b, nd.IP...)
	b = append(b, ':')
	port := nd.Port
	if port != 0 {
		port += shift
	}
	b = strconv.AppendInt(b, int64(port), 10)
	b = append(b, '@')
	b = strconv.AppendInt(b, int64(nd.BusPort), 10)
	if nd.Hostname != "" {
		b = append(b, ',')
		b = append(b, nd.Hostname...)
	}
	b = append(b, ' ')
	if nd.ID == t.Self() {
		b = append(b, "myself,"...)
	}
	if nd.Role == cluster.Replica {
		b = append(b, "slave"...)
	} else {
		b = append(b, "master"...)
	}
	if nd.Failed {
		b = append(b, ",fail"...)
	}
	b = append(b, ' ')
	if nd.Role == cluster.Replica {
		b = append(b, s.Primary.ID...)
	} else {
		b = append(b, '-')
	}
	b = append(b, " 0 0 "...)
	b = strconv.AppendUint(b, s.Primary.ConfigEpoch, 10)
	b = append(b, " connected"...)
	if nd.Role == cluster.Primary {
		for _, r := range s.Slots {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(r.Start), 10)
			if r.End != r.Start {
				b = append(b, '-')
				b = strconv.AppendInt(b, int64(r.End), 10)
			}
		}
	}
	return b
}

// clusterLinksCmd answers an empty list: Mnemo nodes keep no bus links.
func clusterLinksCmd(c *Ctx) { c.W.Array(0) }

func clusterKeySlotCmd(c *Ctx) { c.W.Int(int64(keySlot(c.Args[2]))) }

func clusterCountKeysInSlotCmd(c *Ctx) {
	slot, ok := c.Int(2)
	if !ok {
		return
	}
	if slot < 0 || slot >= keyspace.NumSlots {
		c.Error(errInvalidSlot)
		return
	}
	c.W.Int(int64(c.DB.CountInSlot(int(slot))))
}

// clusterGetKeysInSlotCmd lists up to count keys of a slot. Like Redis it
// reads the slot's index, not the keys, so keys that have expired but are
// not yet removed are listed too.
func clusterGetKeysInSlotCmd(c *Ctx) {
	slot, ok := c.Int(2)
	if !ok {
		return
	}
	count, ok := c.Int(3)
	if !ok {
		return
	}
	if slot < 0 || slot >= keyspace.NumSlots || count < 0 {
		c.Error(errInvalidSlotOrCount)
		return
	}
	n := int64(c.DB.CountInSlot(int(slot)))
	if count > n {
		count = n
	}
	c.W.Array(int(count))
	left := count
	c.DB.KeysInSlot(int(slot), func(key string, _ *keyspace.Entry) bool {
		if left == 0 {
			return false
		}
		c.W.BulkString(key)
		left--
		return left > 0
	})
}

// clusterReplicasCmd lists a primary's replicas as CLUSTER NODES lines
// (CLUSTER REPLICAS and its old name SLAVES).
func clusterReplicasCmd(c *Ctx) {
	t := c.E.Topology()
	id := c.Arg(2)
	nd, s := t.Node(id)
	if nd == nil {
		c.Error("ERR Unknown node " + id)
		return
	}
	if nd.Role != cluster.Primary {
		c.Error(errNotAPrimary)
		return
	}
	c.W.Array(len(s.Replicas))
	for i := range s.Replicas {
		c.W.BulkString(string(appendNodeLine(nil, t, &s.Replicas[i], s, c.E.tlsShift(c.C))))
	}
}

// clusterCountFailureReportsCmd answers 0 for any known node: failures are
// decided by leases in the shared store, not by nodes reporting each
// other.
func clusterCountFailureReportsCmd(c *Ctx) {
	id := c.Arg(2)
	if nd, _ := c.E.Topology().Node(id); nd == nil {
		c.Error("ERR Unknown node " + id)
		return
	}
	c.W.Int(0)
}

// clusterHelpCmd answers Redis 7.0's text, management subcommands
// included: tools match on it, and those subcommands exist (they answer
// an error).
func clusterHelpCmd(c *Ctx) {
	replyHelp(c, "CLUSTER", []string{
		"ADDSLOTS <slot> [<slot> ...]",
		"    Assign slots to current node.",
		"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Assign slots which are between <start-slot> and <end-slot> to current node.",
		"BUMPEPOCH",
		"    Advance the cluster config epoch.",
		"COUNT-FAILURE-REPORTS <node-id>",
		"    Return number of failure reports for <node-id>.",
		"COUNTKEYSINSLOT <slot>",
		"    Return the number of keys in <slot>.",
		"DELSLOTS <slot> [<slot> ...]",
		"    Delete slots information from current node.",
		"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
		"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
		"FAILOVER [FORCE|TAKEOVER]",
		"    Promote current replica node to being a master.",
		"FORGET <node-id>",
		"    Remove a node from the cluster.",
		"GETKEYSINSLOT <slot> <count>",
		"    Return key names stored by current node in a slot.",
		"FLUSHSLOTS",
		"    Delete current node own slots information.",
		"INFO",
		"    Return information about the cluster.",
		"KEYSLOT <key>",
		"    Return the hash slot for <key>.",
		"MEET <ip> <port> [<bus-port>]",
		"    Connect nodes into a working cluster.",
		"MYID",
		"    Return the node id.",
		"NODES",
		"    Return cluster configuration seen by node. Output format:",
		"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
		"REPLICATE <node-id>",
		"    Configure current node as replica to <node-id>.",
		"RESET [HARD|SOFT]",
		"    Reset current node (default: soft).",
		"SET-CONFIG-EPOCH <epoch>",
		"    Set config epoch of current node.",
		"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
		"    Set slot state.",
		"REPLICAS <node-id>",
		"    Return <node-id> replicas.",
		"SAVECONFIG",
		"    Force saving cluster configuration on disk.",
		"SLOTS",
		"    Return information about slots range mappings. Each range is made of:",
		"    start, end, master and replicas IP addresses, ports and ids",
		"SHARDS",
		"    Return information about slot range mappings and the nodes associated with them.",
		"LINKS",
		"    Return information about all network links between this node and its peers.",
		"    Output format is an array where each array element is a map containing attributes of a link",
	})
}
