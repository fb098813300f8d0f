package txlog

import (
	"testing"
	"time"
)

func TestElectionDecide(t *testing.T) {
	const ttl = 2 * time.Second
	t0 := time.Unix(1000, 0)
	type step struct {
		lease   *Lease
		rev     uint64
		status  []NodeStatus
		at      time.Duration // since t0
		applied uint64
		claim   bool
	}
	st := func(id string, applied uint64) NodeStatus { return NodeStatus{ID: id, Applied: applied} }
	tests := []struct {
		name  string
		self  string
		steps []step
	}{
		{"nothing observed: wait", "b", []step{{at: 0, claim: false}}},
		{"no lease yet: the first candidate claims at once", "a", []step{
			{lease: &Lease{}, rev: 0, status: []NodeStatus{st("a", 5), st("b", 5)}, at: 0, applied: 5, claim: true}}},
		{"no lease yet: the second waits half a TTL", "b", []step{
			{lease: &Lease{}, rev: 0, status: []NodeStatus{st("a", 5), st("b", 5)}, at: 0, applied: 5, claim: false},
			{at: ttl / 2, applied: 5, claim: true}}},
		{"held lease renewed: never claim", "b", []step{
			{lease: &Lease{Holder: "p"}, rev: 3, status: []NodeStatus{st("b", 5)}, at: 0, applied: 5},
			{lease: &Lease{Holder: "p"}, rev: 4, at: ttl - time.Millisecond, applied: 5},
			{at: ttl + time.Millisecond, applied: 5, claim: false}}},
		{"held lease not renewed for a TTL: claim", "b", []step{
			{lease: &Lease{Holder: "p"}, rev: 3, status: []NodeStatus{st("p", 5), st("b", 5)}, at: 0, applied: 5},
			{at: ttl - time.Millisecond, applied: 5, claim: false},
			{at: ttl, applied: 5, claim: true}}},
		{"more caught-up candidate goes first", "a", []step{
			{lease: &Lease{Holder: "p"}, rev: 3, status: []NodeStatus{st("a", 4), st("b", 5)}, at: 0, applied: 4},
			{at: ttl, applied: 4, claim: false},
			{at: ttl + ttl/2, applied: 4, claim: true}}},
		{"a restarted holder takes its lease back at once", "p", []step{
			{lease: &Lease{Holder: "p"}, rev: 3, at: 0, applied: 5, claim: true}}},
		{"a handoff target claims at once", "b", []step{
			{lease: &Lease{Holder: "b", Handoff: true}, rev: 7, at: 0, applied: 5, claim: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := NewElection(tt.self, ttl)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.lease != nil {
					el.ObserveLease(*s.lease, s.rev, now)
				}
				for _, ns := range s.status {
					el.ObserveStatus(ns, now)
				}
				if d := el.Decide(now, s.applied); d.Claim != s.claim {
					t.Fatalf("step %d: claim = %v (%s), want %v", i, d.Claim, d.Reason, s.claim)
				}
			}
		})
	}
}
