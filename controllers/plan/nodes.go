package plan

import (
	"cmp"
	"slices"
	"time"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// MaxCaughtUpLag is how many log entries a node may still have to apply
// and count as caught up with the log. Under steady writes a replica is
// always a few entries behind the tail it last read; what matters before
// the next node restarts is that it has rebuilt and follows, not that it
// hit an exact zero between two writes.
const MaxCaughtUpLag = 100

// Node is what the operator saw of one data node: its pod, and what the
// engine answered to INFO replication when asked.
type Node struct {
	// Name of the pod; Ordinal its StatefulSet ordinal.
	Name    string
	Ordinal int
	// Running: the pod's container runs (phase Running), so the node can
	// be asked.
	Running bool
	// Ready: the pod's Ready condition is True.
	Ready bool
	// Terminating: the pod has a deletion timestamp.
	Terminating bool
	// Updated: the pod runs the StatefulSet's update revision.
	Updated bool
	// Age is how long ago the pod was created.
	Age time.Duration
	// Answered: the node answered INFO; the fields below are its reply.
	Answered bool
	// Role is primary or replica when the node answered, else unknown.
	Role mnemov1.NodeRole
	// Epoch is the lease epoch the node last saw; Offset its applied
	// (replica) or committed (primary) log sequence; Lag the entries it
	// has yet to apply.
	Epoch, Offset, Lag int64
	// UsedMemory and MaxMemory are INFO memory's used_memory and
	// maxmemory (0: no limit), in bytes.
	UsedMemory, MaxMemory int64
	// FailingOver: the node, a primary, is handing its lease over.
	FailingOver bool
}

// CaughtUp reports whether the node serves and follows the log closely
// enough for the next node of its shard to restart.
func (n Node) CaughtUp() bool {
	return n.Running && n.Ready && !n.Terminating && n.Answered && n.Role != mnemov1.RoleUnknown && n.Lag <= MaxCaughtUpLag
}

// Primary returns the shard's primary: of the nodes that answered as
// primary, the one with the highest lease epoch (a deposed primary may
// still say primary until it notices), or "" when none did.
func Primary(nodes []Node) string {
	best := -1
	for i, n := range nodes {
		if !n.Answered || n.Role != mnemov1.RolePrimary || n.Terminating {
			continue
		}
		if best < 0 || n.Epoch > nodes[best].Epoch {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return nodes[best].Name
}

// bestReplica returns the most caught-up replica among nodes that keep
// returns true for, lowest ordinal first on ties, and whether there is one.
func bestReplica(nodes []Node, keep func(Node) bool) (Node, bool) {
	var cands []Node
	for _, n := range nodes {
		if n.Role == mnemov1.RoleReplica && n.CaughtUp() && keep(n) {
			cands = append(cands, n)
		}
	}
	if len(cands) == 0 {
		return Node{}, false
	}
	slices.SortFunc(cands, func(a, b Node) int {
		return cmp.Or(cmp.Compare(a.Lag, b.Lag), cmp.Compare(a.Ordinal, b.Ordinal))
	})
	return cands[0], true
}

// MaxLag is the largest lag any answering node reported.
func MaxLag(nodes []Node) int64 {
	var m int64
	for _, n := range nodes {
		if n.Answered {
			m = max(m, n.Lag)
		}
	}
	return m
}
