package cluster

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// View is everything a node has read from the control bucket: the slot
// map and, per shard, its lease and its nodes' statuses. It turns into
// the Topology that clients are shown (Topology).
type View struct {
	// Config is the slot map (nil until one exists) and Rev its revision.
	Config *Config
	Rev    uint64
	Shards map[int]*ShardState
}

// ShardState is a shard's lease and the nodes that announced themselves.
type ShardState struct {
	Holder, Addr string
	LeaseEpoch   uint64
	Nodes        map[string]NodeInfo
}

// NodeInfo is a node's last published status and when it was seen.
type NodeInfo struct {
	ID, Addr, Role string
	Applied        uint64
	Seen           time.Time
}

// NewView returns an empty view.
func NewView() *View { return &View{Shards: map[int]*ShardState{}} }

// shard returns shard n's state, creating it.
func (v *View) shard(n int) *ShardState {
	s := v.Shards[n]
	if s == nil {
		s = &ShardState{Nodes: map[string]NodeInfo{}}
		v.Shards[n] = s
	}
	return s
}

// SetLease records shard n's lease.
func (v *View) SetLease(n int, holder, addr string, epoch uint64) {
	s := v.shard(n)
	s.Holder, s.Addr, s.LeaseEpoch = holder, addr, epoch
}

// SetNode records a node's status, seen at now.
func (v *View) SetNode(n int, info NodeInfo) {
	v.shard(n).Nodes[info.ID] = info
}

// Self names the node a topology is built for.
type Self struct {
	ID    string
	Shard int
	Addr  string
	// Applied is how far this node applied its log.
	Applied uint64
}

// Topology builds what CLUSTER SLOTS/SHARDS/NODES show: every shard of
// the slot map or with a lease, its lease holder as primary and its other
// nodes seen within stale as replicas. A shard without a known primary is
// left out (its slots read as unassigned) unless it is self's, whose
// primary is then shown failed.
func (v *View) Topology(self Self, now time.Time, stale time.Duration) (*Topology, error) {
	nums := map[int]bool{self.Shard: true}
	var epochs map[int]uint64
	var cfg Config
	if v.Config != nil {
		cfg = *v.Config
		epochs = map[int]uint64{}
		for _, s := range cfg.Shards {
			nums[s.Num] = true
			epochs[s.Num] = s.Epoch
		}
	}
	for n := range v.Shards {
		nums[n] = true
	}
	order := make([]int, 0, len(nums))
	for n := range nums {
		order = append(order, n)
	}
	slices.Sort(order)
	var shards []Shard
	for _, n := range order {
		st := v.Shards[n]
		if st == nil {
			st = &ShardState{}
		}
		sh := Shard{ID: ShardID(n), Num: n}
		if sc := cfg.Shard(n); sc != nil {
			sh.Slots = sc.Slots
		}
		epoch := epochs[n]
		switch {
		case ValidNodeID(st.Holder):
			sh.Primary = endpoint(st.Holder, st.Addr)
			if info, ok := st.Nodes[st.Holder]; ok {
				sh.Primary.ReplOffset = int64(info.Applied)
			}
		case n == self.Shard:
			sh.Primary = endpoint(self.ID, self.Addr)
			sh.Primary.Failed = true
		default:
			continue
		}
		sh.Primary.ConfigEpoch = epoch
		ids := make([]string, 0, len(st.Nodes))
		for id, info := range st.Nodes {
			if id != sh.Primary.ID && ValidNodeID(id) && now.Sub(info.Seen) <= stale && id != self.ID {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			r := endpoint(id, st.Nodes[id].Addr)
			r.ReplOffset = int64(st.Nodes[id].Applied)
			r.ConfigEpoch = epoch
			sh.Replicas = append(sh.Replicas, r)
		}
		if n == self.Shard && sh.Primary.ID != self.ID {
			r := endpoint(self.ID, self.Addr)
			r.ReplOffset = int64(self.Applied)
			r.ConfigEpoch = epoch
			sh.Replicas = append(sh.Replicas, r)
		}
		shards = append(shards, sh)
	}
	t, err := New(self.ID, cfg.Epoch, shards)
	if err != nil {
		return nil, err
	}
	return t.WithMigrations(cfg.Migrations), nil
}

// endpoint splits a host:port announcement into a node. A node that
// announces a hostname (mnemo node --announce-hostname) has it as its
// preferred endpoint, as Redis's cluster-preferred-endpoint-type
// hostname: clients are sent to it (first field of CLUSTER SLOTS, MOVED),
// and it is also its hostname. The bucket holds no IP next to it, so the
// hostname stands in the ip fields too.
func endpoint(id, addr string) Node {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.TrimSpace(addr)
	}
	port, _ := strconv.Atoi(ps)
	n := Node{ID: id, IP: host, Port: port}
	if host != "" && net.ParseIP(host) == nil {
		n.Hostname = host
	}
	return n
}
