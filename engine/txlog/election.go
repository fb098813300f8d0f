package txlog

import (
	"sort"
	"time"
)

// Election is a shard's election as one node sees it: the lease as last
// observed, when its revision was first seen, and the status of the
// shard's nodes. It does no I/O and reads no clock: the node feeds it what
// it observes with the time it observed it, and asks it what to do.
//
// A lease expires for an observer when its revision has not changed for
// TTL on the observer's own clock since the observer first saw it. The
// holder's last renewal was sent before that revision existed, so a
// holder that stops serving TTL·4/5 after sending its last successful
// renewal has stopped before anyone may take over, as long as clocks run
// at about the same rate. Nothing depends on clocks agreeing, and safety
// of writes does not depend on clocks at all: a new primary's epoch
// marker fences the old one's appends.
type Election struct {
	Self string
	TTL  time.Duration

	lease     Lease
	leaseRev  uint64
	leaseSeen time.Time
	known     bool // a lease value (or its absence) was observed

	nodes map[string]seenStatus
}

type seenStatus struct {
	NodeStatus
	at time.Time
}

// NewElection returns the election of node self with lease time ttl.
func NewElection(self string, ttl time.Duration) *Election {
	return &Election{Self: self, TTL: ttl, nodes: map[string]seenStatus{}}
}

// ObserveLease records the lease at revision rev (an empty Holder: no
// lease), seen at now.
func (el *Election) ObserveLease(l Lease, rev uint64, now time.Time) {
	if el.known && rev == el.leaseRev {
		return
	}
	el.lease, el.leaseRev, el.leaseSeen, el.known = l, rev, now, true
}

// ObserveStatus records a node's status, seen at now.
func (el *Election) ObserveStatus(s NodeStatus, now time.Time) {
	el.nodes[s.ID] = seenStatus{s, now}
}

// Lease returns the lease last observed and its revision.
func (el *Election) Lease() (Lease, uint64) { return el.lease, el.leaseRev }

// Expired reports whether the lease is free for the taking at now: never
// written, released, or unchanged for a TTL.
func (el *Election) Expired(now time.Time) bool {
	if !el.known {
		return false
	}
	return el.lease.Holder == "" || now.Sub(el.leaseSeen) >= el.TTL
}

// Live returns the nodes whose status was seen within two TTLs, ordered
// as candidates: most caught-up first, then by node ID.
func (el *Election) Live(now time.Time) []NodeStatus {
	var out []NodeStatus
	for _, s := range el.nodes {
		if now.Sub(s.at) < 2*el.TTL {
			out = append(out, s.NodeStatus)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Applied != out[j].Applied {
			return out[i].Applied > out[j].Applied
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Decision is what the election tells a replica to do.
type Decision struct {
	Claim  bool
	Rev    uint64 // the revision to claim at
	Reason string
}

// Decide tells a replica that has applied the log up to applied whether
// to claim the lease now. Candidates break ties deterministically: the
// live node ranked first (most caught-up, then lowest ID; the lease's
// holder excluded) claims as soon as the lease expires; the one ranked k
// waits k·TTL/2 longer, in case those before it are gone too. A node may
// take back at once a lease that still names it: it is a restarted
// incarnation of the holder, whose old process is dead. The claim is a
// compare-and-set on the revision, so at most one candidate wins.
func (el *Election) Decide(now time.Time, applied uint64) Decision {
	if !el.known {
		return Decision{Reason: "lease not read yet"}
	}
	if el.lease.Holder == el.Self && !el.lease.Handoff {
		return Decision{Claim: true, Rev: el.leaseRev, Reason: "the lease names this node"}
	}
	if el.lease.Holder == el.Self && el.lease.Handoff {
		return Decision{Claim: true, Rev: el.leaseRev, Reason: "handed the lease by the primary"}
	}
	if !el.Expired(now) {
		return Decision{Reason: "the lease is held"}
	}
	rank := 0
	for _, s := range el.Live(now) {
		if s.ID == el.Self {
			break
		}
		if s.ID == el.lease.Holder || s.Applied < applied {
			continue
		}
		rank++
	}
	wait := time.Duration(rank) * el.TTL / 2
	over := now.Sub(el.leaseSeen) - el.TTL
	if el.lease.Holder == "" {
		over = now.Sub(el.leaseSeen)
	}
	if over < wait {
		return Decision{Reason: "a better candidate goes first"}
	}
	return Decision{Claim: true, Rev: el.leaseRev, Reason: "the lease expired"}
}
