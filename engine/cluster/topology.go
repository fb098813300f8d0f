package cluster

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// NumSlots is the number of Redis Cluster hash slots.
const NumSlots = 16384

// Role is a node's role in its shard.
type Role uint8

// The roles of a node.
const (
	Primary Role = iota
	Replica
)

// String returns the role as CLUSTER SHARDS names it.
func (r Role) String() string {
	if r == Replica {
		return "replica"
	}
	return "master"
}

// Health values, as CLUSTER SHARDS reports them.
const (
	HealthOnline  = "online"
	HealthLoading = "loading"
	HealthFail    = "fail"
)

// Node is one data node as clients are told about it.
type Node struct {
	// ID is 40 lowercase hex characters, stable for the node's life.
	ID string
	// IP and Port are the address clients connect to.
	IP   string
	Port int
	// BusPort is what CLUSTER NODES shows after '@'. Mnemo has no cluster
	// bus (nodes agree through the log's KV store), so it is 0 unless a
	// source has something better to say.
	BusPort int
	// Hostname, if set, is announced next to the IP.
	Hostname string
	Role     Role
	// ConfigEpoch is the epoch of the node's claim on its slots.
	ConfigEpoch uint64
	// ReplOffset is how far the node has applied its shard's log.
	ReplOffset int64
	// Failed marks a node the cluster considers down; it is left out of
	// CLUSTER SLOTS and flagged "fail" elsewhere.
	Failed bool
}

// Health returns the node's health as CLUSTER SHARDS reports it: a
// replica that has applied nothing yet is still loading.
func (n *Node) Health() string {
	switch {
	case n.Failed:
		return HealthFail
	case n.Role == Replica && n.ReplOffset == 0:
		return HealthLoading
	}
	return HealthOnline
}

// SlotRange is an inclusive range of hash slots.
type SlotRange struct{ Start, End int }

// Len returns the number of slots in the range.
func (r SlotRange) Len() int { return r.End - r.Start + 1 }

// Shard is a set of slot ranges served by one primary and its replicas.
type Shard struct {
	// ID is the shard's 40-hex ID (CLUSTER MYSHARDID).
	ID string
	// Num is the shard's number: its log is stream MNEMO_SHARD_<Num>.
	Num      int
	Slots    []SlotRange
	Primary  Node
	Replicas []Node
}

// Nodes returns the shard's primary followed by its replicas.
func (s *Shard) Nodes() []*Node {
	out := make([]*Node, 0, 1+len(s.Replicas))
	out = append(out, &s.Primary)
	for i := range s.Replicas {
		out = append(out, &s.Replicas[i])
	}
	return out
}

// Topology is the whole cluster as one node sees it. Build it with New or
// SingleNode and never change it afterwards: readers hold it without a
// lock.
type Topology struct {
	self         string
	currentEpoch uint64
	shards       []Shard
	// owner maps each slot to an index into shards, -1 when unassigned.
	owner [NumSlots]int16
	// migrations are the slot moves in progress; mig maps each slot to
	// an index into them, -1 when the slot is not moving (nil: none).
	migrations []Migration
	mig        *[NumSlots]int16
}

// Errors New returns for a topology that cannot be.
var (
	ErrBadNodeID     = errors.New("node ID is not 40 lowercase hex characters")
	ErrDuplicateNode = errors.New("node appears twice")
	ErrBadSlotRange  = errors.New("slot range out of bounds or reversed")
	ErrSlotTwice     = errors.New("slot assigned to two shards")
	ErrUnknownSelf   = errors.New("this node is not in the topology")
)

// New validates shards and returns the topology seen by the node whose ID
// is self. Each shard's slot ranges are kept sorted by start.
func New(self string, currentEpoch uint64, shards []Shard) (*Topology, error) {
	t := &Topology{self: self, currentEpoch: currentEpoch, shards: make([]Shard, len(shards))}
	for i := range t.owner {
		t.owner[i] = -1
	}
	seen := map[string]bool{}
	for i, s := range shards {
		if !ValidNodeID(s.ID) {
			return nil, fmt.Errorf("shard %q: %w", s.ID, ErrBadNodeID)
		}
		s.Slots = slices.Clone(s.Slots)
		slices.SortFunc(s.Slots, func(a, b SlotRange) int { return a.Start - b.Start })
		s.Replicas = slices.Clone(s.Replicas)
		s.Primary.Role = Primary
		for j := range s.Replicas {
			s.Replicas[j].Role = Replica
		}
		for _, n := range s.Nodes() {
			if !ValidNodeID(n.ID) {
				return nil, fmt.Errorf("node %q: %w", n.ID, ErrBadNodeID)
			}
			if seen[n.ID] {
				return nil, fmt.Errorf("node %s: %w", n.ID, ErrDuplicateNode)
			}
			seen[n.ID] = true
		}
		for _, r := range s.Slots {
			if r.Start < 0 || r.End >= NumSlots || r.Start > r.End {
				return nil, fmt.Errorf("shard %s, range %d-%d: %w", s.ID, r.Start, r.End, ErrBadSlotRange)
			}
			for slot := r.Start; slot <= r.End; slot++ {
				if t.owner[slot] >= 0 {
					return nil, fmt.Errorf("slot %d: %w", slot, ErrSlotTwice)
				}
				t.owner[slot] = int16(i)
			}
		}
		t.shards[i] = s
	}
	if !seen[self] {
		return nil, fmt.Errorf("node %q: %w", self, ErrUnknownSelf)
	}
	return t, nil
}

// SingleNode returns the topology of a cluster of one node, self, which
// is the primary of the only shard and owns every slot. The shard ID is
// derived from the node ID, so it is as stable as the node ID is.
func SingleNode(self Node) *Topology {
	self.Role = Primary
	t, err := New(self.ID, self.ConfigEpoch, []Shard{{
		ID:      ShardIDOf(self.ID),
		Slots:   []SlotRange{{0, NumSlots - 1}},
		Primary: self,
	}})
	if err != nil {
		// Only a malformed node ID gets here, and that is a bug of the
		// caller: node IDs come from NewNodeID or LoadOrCreateNodeID.
		panic(err)
	}
	return t
}

// ShardIDOf derives a shard ID from the ID of the node that founded the
// shard: 40 hex characters, distinct from the node ID.
func ShardIDOf(nodeID string) string {
	sum := sha1.Sum([]byte("mnemo-shard:" + nodeID))
	return hex.EncodeToString(sum[:])
}

// WithMigrations records the slot moves in progress; call it before the
// topology is shared.
func (t *Topology) WithMigrations(ms []Migration) *Topology {
	if len(ms) == 0 {
		return t
	}
	t.migrations = ms
	var mig [NumSlots]int16
	for i := range mig {
		mig[i] = -1
	}
	for i, m := range ms {
		for _, r := range m.Slots {
			for slot := max(r.Start, 0); slot <= min(r.End, NumSlots-1); slot++ {
				mig[slot] = int16(i)
			}
		}
	}
	t.mig = &mig
	return t
}

// Migrations returns the slot moves in progress.
func (t *Topology) Migrations() []Migration { return t.migrations }

// MigrationOf returns the migration moving slot, or nil.
func (t *Topology) MigrationOf(slot int) *Migration {
	if t.mig == nil || slot < 0 || slot >= NumSlots || t.mig[slot] < 0 {
		return nil
	}
	return &t.migrations[t.mig[slot]]
}

// Self returns this node's ID.
func (t *Topology) Self() string { return t.self }

// CurrentEpoch returns the cluster's current epoch.
func (t *Topology) CurrentEpoch() uint64 { return t.currentEpoch }

// Shards returns the shards; callers must not modify them.
func (t *Topology) Shards() []Shard { return t.shards }

// Node finds a node by ID and returns it with its shard, or nil, nil.
func (t *Topology) Node(id string) (*Node, *Shard) {
	for i := range t.shards {
		s := &t.shards[i]
		for _, n := range s.Nodes() {
			if n.ID == id {
				return n, s
			}
		}
	}
	return nil, nil
}

// Myself returns this node and its shard.
func (t *Topology) Myself() (*Node, *Shard) { return t.Node(t.self) }

// Owner returns the shard that owns slot, or nil when no shard does.
func (t *Topology) Owner(slot int) *Shard {
	if slot < 0 || slot >= NumSlots || t.owner[slot] < 0 {
		return nil
	}
	return &t.shards[t.owner[slot]]
}

// SlotsAssigned returns how many slots some shard owns.
func (t *Topology) SlotsAssigned() int {
	n := 0
	for i := range t.shards {
		for _, r := range t.shards[i].Slots {
			n += r.Len()
		}
	}
	return n
}

// KnownNodes returns the number of nodes in the cluster.
func (t *Topology) KnownNodes() int {
	n := 0
	for i := range t.shards {
		n += 1 + len(t.shards[i].Replicas)
	}
	return n
}

// Size returns the number of shards that own at least one slot, Redis's
// cluster_size.
func (t *Topology) Size() int {
	n := 0
	for i := range t.shards {
		if len(t.shards[i].Slots) > 0 {
			n++
		}
	}
	return n
}

// FailedSlots returns how many assigned slots have a failed primary.
func (t *Topology) FailedSlots() int {
	n := 0
	for i := range t.shards {
		if t.shards[i].Primary.Failed {
			for _, r := range t.shards[i].Slots {
				n += r.Len()
			}
		}
	}
	return n
}

// OK reports whether the cluster can serve every slot, Redis's
// cluster_state:ok: all slots assigned and no primary failed.
func (t *Topology) OK() bool {
	return t.SlotsAssigned() == NumSlots && t.FailedSlots() == 0
}

// OwnedRange is a maximal run of slots owned by one shard.
type OwnedRange struct {
	SlotRange
	Shard *Shard
}

// SlotMap returns every maximal run of consecutive slots with the same
// owner, in slot order, as CLUSTER SLOTS lists them.
func (t *Topology) SlotMap() []OwnedRange {
	var out []OwnedRange
	start := -1
	for slot := 0; slot <= NumSlots; slot++ {
		if start >= 0 && (slot == NumSlots || t.owner[slot] != t.owner[start]) {
			out = append(out, OwnedRange{SlotRange{start, slot - 1}, &t.shards[t.owner[start]]})
			start = -1
		}
		if slot < NumSlots && start < 0 && t.owner[slot] >= 0 {
			start = slot
		}
	}
	return out
}
