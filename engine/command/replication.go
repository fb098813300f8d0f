package command

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// Replication: a shard is one primary and its replicas, all durable on
// the same log. Replicas follow the log (JetStream delivers only committed
// entries, so a replica never holds a write that could still be lost) and
// apply its effects the way a rebuild replays them. Who is primary is a
// lease in the log's KV store (txlog.Election decides when to claim it);
// the fenced append, not the lease, is what keeps a second primary out.

// Errors of replication.
const (
	errReadOnlyReplica = "READONLY You can't write against a read only replica."
	// errLeaseExpired refuses writes and reads on a primary that could
	// not renew its lease: another node may be primary by now.
	errLeaseExpired = "CLUSTERDOWN This node's lease as primary expired: it cannot tell whether it is still the primary"
	errNoPrimary    = "CLUSTERDOWN The cluster is down"
	errExecAbortFmt = "EXECABORT Transaction discarded because of: %s"
)

// ReplOptions make a node take part in its shard's election.
type ReplOptions struct {
	Control *txlog.Control
	// NodeID and Addr name the node to the others and to clients.
	NodeID, Addr string
	// LeaseTTL is how long a lease lasts unrenewed.
	LeaseTTL time.Duration
	// Candidate false makes the node a replica that never claims the
	// lease.
	Candidate bool
}

// Roles of a node in its shard.
const (
	roleReplica int32 = iota
	rolePrimary
)

// replState is a node's part in replication. Fields without a note are
// used only by the election goroutine.
type replState struct {
	opts ReplOptions
	// role is rolePrimary or roleReplica; it changes with the engine lock
	// held and is read without it.
	role atomic.Int32
	// applied is the last log sequence applied (replica) or known
	// committed when the node became primary.
	applied atomic.Uint64
	// tail is the newest log sequence the node knows of, for the lag.
	tail atomic.Uint64
	// base anchors leaseUntil on the monotonic clock.
	base time.Time
	// leaseUntil is how long after base the primary may still serve
	// (TTL·4/5 after sending its last successful renewal).
	leaseUntil atomic.Int64
	lastIO     atomic.Int64 // unix seconds of the last entry applied

	leaseRev  uint64
	epoch     uint64
	renewSent time.Time

	// follow is the running log follower; guarded by followMu.
	followMu     sync.Mutex
	followCancel context.CancelFunc
	followDone   chan struct{}

	// hold, while not nil, holds writes (a planned handoff); it is closed
	// when they may go on. Guarded by the engine lock.
	hold chan struct{}
	// movedTo is the address held writes are sent to once the handoff is
	// done. Guarded by the engine lock.
	movedTo string
	// failover is the handoff in progress, if any. Guarded by the engine
	// lock.
	failover *failoverState
	// handoff carries FAILOVER's request to the election loop.
	handoff chan handoffReq

	// view is what INFO, ROLE and CLUSTER report; guarded by viewMu.
	viewMu sync.Mutex
	lease  txlog.Lease
	nodes  []txlog.NodeStatus
	topoID string
	// topoOffsets and topoAt are the offsets the topology shows and when
	// it was built.
	topoOffsets string
	topoAt      time.Time
}

// offsetRefresh is how often the replication offsets that CLUSTER SHARDS
// and INFO show may change: as often as nodes publish their status.
func (r *replState) offsetRefresh() time.Duration { return r.opts.LeaseTTL / 4 }

// IsPrimary reports whether the node serves writes: always without
// replication.
func (e *Engine) IsPrimary() bool {
	return e.log == nil || e.log.repl == nil || e.log.repl.role.Load() == rolePrimary
}

// setRole makes the node primary or replica; with the engine lock held.
// The keyspace follows the role: a replica hides keys whose time passed
// but leaves their removal to the primary's DEL in the log.
func (e *Engine) setRole(role int32) {
	e.log.repl.role.Store(role)
	e.db.SetReplica(role != rolePrimary)
}

func (r *replState) leaseValid() bool {
	return int64(time.Since(r.base)) < r.leaseUntil.Load()
}

func (r *replState) extendLease(sent time.Time) {
	r.leaseUntil.Store(int64(sent.Sub(r.base) + r.opts.LeaseTTL*4/5))
}

// roleRefusal returns why the node refuses to run cmd now, or "": writes
// wait while a handoff holds them and are then redirected; a replica
// refuses writes (READONLY) and redirects keyed reads of clients that did
// not ask for replica reads; a primary whose lease expired refuses both.
// With the engine lock held; it may release it while a write is held.
func (e *Engine) roleRefusal(c *Client, cmd *Command, args [][]byte) string {
	d := e.log
	if d == nil {
		return ""
	}
	write := cmd.Is(FlagWrite)
	exec := cmd.Name == "exec" && c.multi != nil
	if exec {
		for _, q := range c.multi.cmds {
			write = write || q.cmd.Is(FlagWrite)
		}
	}
	r := d.repl
	if write && r != nil && r.hold != nil {
		e.holdWrite(c, r)
		if r.role.Load() != rolePrimary && r.movedTo != "" {
			return e.refuseExec(c, exec, "MOVED "+strconv.Itoa(e.firstSlot(cmd, args, c))+" "+e.clientAddr(c, r.movedTo))
		}
	}
	if write && d.down.Load() {
		return errLogDown
	}
	if r == nil {
		return ""
	}
	if r.role.Load() != rolePrimary {
		if write {
			return e.refuseExec(c, exec, errReadOnlyReplica)
		}
		if len(cmd.keySpecs) > 0 && !e.isReadOnly(c) && cmd.Name != "exec" {
			var posArr [8]int
			if pos := cmd.KeyPositions(args, posArr[:0]); len(pos) > 0 {
				r.viewMu.Lock()
				addr, holder := r.lease.Addr, r.lease.Holder
				r.viewMu.Unlock()
				// The lease may still name this node (or, by its address,
				// a predecessor of it) while it rebuilds to serve again:
				// a redirect to itself would send the client round in
				// circles until it gives up, where CLUSTERDOWN makes it
				// back off and retry.
				if addr == "" || holder == r.opts.NodeID || addr == r.opts.Addr {
					return errNoPrimary
				}
				return "MOVED " + strconv.Itoa(keySlot(args[pos[0]])) + " " + e.clientAddr(c, addr)
			}
		}
		return ""
	}
	if !r.leaseValid() && !unsafeNoLeaseRefusal && (write || len(cmd.keySpecs) > 0) {
		return e.refuseExec(c, exec, errLeaseExpired)
	}
	return ""
}

// scriptWriteRefusal returns the error for a write a script attempts
// with redis.call on a node that may not write now, or "". EVAL itself is
// not a write command, so roleRefusal lets a keyless script through on a
// replica, during a handoff or past the lease; its writes stop here.
// Called with the engine lock held.
func (e *Engine) scriptWriteRefusal() string {
	d := e.log
	if d == nil {
		return ""
	}
	if d.down.Load() {
		return errLogDown
	}
	r := d.repl
	switch {
	case r == nil:
		return ""
	case r.role.Load() != rolePrimary:
		return errReadOnlyReplica
	case r.hold != nil || !r.leaseValid():
		return errLeaseExpired
	}
	return ""
}

// refuseExec turns a refusal of EXEC into Redis's EXECABORT, discarding
// the transaction.
func (e *Engine) refuseExec(c *Client, exec bool, msg string) string {
	if !exec {
		return msg
	}
	c.multi = nil
	e.unwatchAll(c)
	return fmt.Sprintf(errExecAbortFmt, msg)
}

// firstSlot returns the slot of a write's first key (of the first queued
// command with keys, for EXEC), 0 without keys.
func (e *Engine) firstSlot(cmd *Command, args [][]byte, c *Client) int {
	var posArr [8]int
	if cmd.Name == "exec" && c.multi != nil {
		for _, q := range c.multi.cmds {
			if pos := q.cmd.KeyPositions(q.args, posArr[:0]); len(pos) > 0 {
				return keySlot(q.args[pos[0]])
			}
		}
		return 0
	}
	if pos := cmd.KeyPositions(args, posArr[:0]); len(pos) > 0 {
		return keySlot(args[pos[0]])
	}
	return 0
}

// holdWrite waits, without the engine lock, until the handoff that holds
// writes is over; with the lock held on entry and on return.
func (e *Engine) holdWrite(c *Client, r *replState) {
	for i := 0; i < 4 && r.hold != nil; i++ {
		ch := r.hold
		e.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(time.Minute):
		}
		e.mu.Lock()
	}
}

// applyEntry applies the log entry at seq on a replica. Entries already
// applied are skipped; a gap is an error (the follower starts again from
// what was applied).
func (e *Engine) applyEntry(seq uint64, data []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.log
	r := d.repl
	if r.role.Load() == rolePrimary || d.down.Load() {
		return errNotFollowing
	}
	a := r.applied.Load()
	if seq <= a {
		return nil
	}
	if seq != a+1 {
		return fmt.Errorf("%w: log entry %d follows %d", errLogGap, seq, a)
	}
	e.replaying = true
	err := txlog.DecodeBatch(data, func(group [][][]byte) error {
		for _, args := range group {
			e.applyEffect(d.replayClient, args)
		}
		return nil
	})
	e.replaying = false
	if err != nil {
		return fmt.Errorf("log entry %d: %w", seq, err)
	}
	r.applied.Store(seq)
	if seq > r.tail.Load() {
		r.tail.Store(seq)
	}
	r.lastIO.Store(time.Now().Unix())
	e.serveBlocked()
	return nil
}

var errNotFollowing = errors.New("the node no longer follows the log")

// errLogGap is a follower finding entries missing after what it applied:
// the log was trimmed below it (after a snapshot) while it was away.
var errLogGap = errors.New("entries missing")

// startFollowing starts the goroutine that applies the log as it grows.
func (e *Engine) startFollowing(ctx context.Context) {
	r := e.log.repl
	r.followMu.Lock()
	defer r.followMu.Unlock()
	if r.followCancel != nil {
		return
	}
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r.followCancel, r.followDone = cancel, done
	go func() {
		defer close(done)
		for attempt := 0; fctx.Err() == nil; attempt++ {
			err := e.log.st.Follow(fctx, r.applied.Load(), e.applyEntry, func(tail uint64) {
				if tail > r.tail.Load() {
					r.tail.Store(tail)
				}
			})
			if fctx.Err() != nil || errors.Is(err, errNotFollowing) {
				return
			}
			if errors.Is(err, errLogGap) {
				// Following again cannot fill the gap: rebuild from the
				// newest snapshot and the log after it, then follow.
				e.log.log.Warn("The log no longer holds what this replica has not applied: rebuilding from the newest snapshot",
					"error", err, "applied", r.applied.Load())
				r.followMu.Lock()
				r.followCancel, r.followDone = nil, nil
				r.followMu.Unlock()
				cancel()
				go e.recover(ctx, err)
				return
			}
			e.log.log.Warn("Following the log failed; starting again", "error", err, "applied", r.applied.Load())
			select {
			case <-fctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
}

// stopFollowing stops the follower and waits until it has.
func (e *Engine) stopFollowing() {
	r := e.log.repl
	r.followMu.Lock()
	cancel, done := r.followCancel, r.followDone
	r.followCancel, r.followDone = nil, nil
	r.followMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// catchUp applies, by direct reads, every entry up to the log's last
// sequence, and returns that sequence: a candidate must have applied the
// whole log before it claims the lease.
func (e *Engine) catchUp(ctx context.Context) (uint64, error) {
	d := e.log
	r := d.repl
	cctx, cancel := context.WithTimeout(ctx, r.opts.LeaseTTL)
	defer cancel()
	last, err := d.st.LastSeq(cctx)
	if err != nil {
		return 0, err
	}
	r.tail.Store(max(r.tail.Load(), last))
	for seq := r.applied.Load() + 1; seq <= last; seq++ {
		data, err := d.st.Entry(cctx, seq)
		if err != nil {
			return 0, err
		}
		if err := e.applyEntry(seq, data); err != nil {
			return 0, err
		}
	}
	if a := r.applied.Load(); a != last {
		return 0, fmt.Errorf("applied %d, the log ends at %d", a, last)
	}
	return last, nil
}

// status is what the node publishes about itself.
func (e *Engine) status() txlog.NodeStatus {
	r := e.log.repl
	s := txlog.NodeStatus{ID: r.opts.NodeID, Addr: r.opts.Addr, Role: "replica", Applied: r.applied.Load()}
	if r.role.Load() == rolePrimary {
		s.Role = "primary"
		s.Applied = e.log.com.LastSeq()
	}
	return s
}

// runElection is the node's election loop: it watches the shard's lease
// and nodes, publishes its own status, renews its lease as primary and
// claims an expired one as a caught-up replica.
func (e *Engine) runElection(ctx context.Context) {
	d := e.log
	r := d.repl
	ttl := r.opts.LeaseTTL
	el := txlog.NewElection(r.opts.NodeID, ttl)
	updates := make(chan txlog.ControlUpdate, 256)
	go r.opts.Control.Watch(ctx, updates)
	tick := time.NewTicker(ttl / 8)
	defer tick.Stop()
	var lastStatus, lastTail time.Time
	observe := func(u txlog.ControlUpdate, now time.Time) {
		switch {
		case u.Lease != nil:
			el.ObserveLease(*u.Lease, u.Rev, now)
		case u.Status != nil:
			el.ObserveStatus(*u.Status, now)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-updates:
			observe(u, time.Now())
		case req := <-r.handoff:
			req.result <- e.handOver(ctx, el, req.target)
			continue
		case <-tick.C:
		}
		now := time.Now()
		if e.electionPaused(now) {
			// Frozen by DEBUG PAUSE-NODE: as if the process were stopped.
			continue
		}
		for drained := false; !drained; {
			select {
			case u := <-updates:
				observe(u, now)
			default:
				drained = true
			}
		}
		if _, rev := el.Lease(); rev == 0 {
			// The watch says nothing of a lease never written: read it.
			lctx, cancel := context.WithTimeout(ctx, ttl/4)
			if l, rev, err := r.opts.Control.Lease(lctx); err == nil {
				el.ObserveLease(l, rev, now)
			}
			cancel()
		}
		e.publishView(el, now)
		if r.role.Load() == rolePrimary {
			if now.Sub(r.renewSent) >= ttl/4 {
				e.renew(ctx, el)
			}
		} else if r.opts.Candidate && !d.down.Load() {
			if dec := el.Decide(now, r.applied.Load()); dec.Claim {
				e.promote(ctx, el, dec)
			}
		}
		if time.Since(lastTail) >= ttl/4 && r.role.Load() != rolePrimary {
			lastTail = time.Now()
			tctx, cancel := context.WithTimeout(ctx, ttl/4)
			if last, err := d.st.LastSeq(tctx); err == nil && last > r.tail.Load() {
				r.tail.Store(last)
			}
			cancel()
		}
		if time.Since(lastStatus) >= ttl/4 {
			lastStatus = time.Now()
			sctx, cancel := context.WithTimeout(ctx, ttl/4)
			s := e.status()
			if r.opts.Control.PutStatus(sctx, s) == nil {
				el.ObserveStatus(s, time.Now())
			}
			cancel()
		}
	}
}

// renew renews the primary's lease; a primary that finds the lease taken,
// or cannot renew it before it expires, is deposed.
func (e *Engine) renew(ctx context.Context, el *txlog.Election) {
	r := e.log.repl
	ttl := r.opts.LeaseTTL
	sent := time.Now()
	rctx, cancel := context.WithTimeout(ctx, ttl/4)
	l := txlog.Lease{Holder: r.opts.NodeID, Addr: r.opts.Addr, Epoch: r.epoch}
	rev, err := r.opts.Control.ClaimLease(rctx, l, r.leaseRev)
	cancel()
	switch {
	case err == nil:
		r.leaseRev, r.renewSent = rev, sent
		r.extendLease(sent)
		el.ObserveLease(l, rev, time.Now())
	case unsafeNoDepose:
		// Test-only build (unsafe_lease_on.go): stay primary.
	case errors.Is(err, txlog.ErrLeaseLost):
		if e.renewalLanded(ctx, el) {
			return
		}
		e.depose(ctx, "another node took the lease")
	case !r.leaseValid():
		e.depose(ctx, "cannot renew the lease: "+err.Error())
	}
}

// renewalLanded reports whether a lease whose revision moved still names
// this node in its own epoch: a renewal that timed out here (the log under
// heavy I/O) but was written after all. Then the primary adopts the
// revision and stays; it does not extend its lease, whose validity runs
// from renewals it saw succeed, so the next tick renews at once.
func (e *Engine) renewalLanded(ctx context.Context, el *txlog.Election) bool {
	r := e.log.repl
	rctx, cancel := context.WithTimeout(ctx, r.opts.LeaseTTL/4)
	defer cancel()
	cur, rev, err := r.opts.Control.Lease(rctx)
	if err != nil || cur.Holder != r.opts.NodeID || cur.Epoch != r.epoch || cur.Handoff {
		return false
	}
	r.leaseRev = rev
	r.renewSent = time.Time{}
	el.ObserveLease(cur, rev, time.Now())
	d := e.log
	d.log.Info("A lease renewal that timed out had landed; keeping the lease", "epoch", cur.Epoch, "revision", rev)
	return true
}

// depose makes a primary that lost its lease a replica: its memory may
// hold writes that never committed, so it fails its pipeline and rebuilds
// from the log (recover), then follows the log.
func (e *Engine) depose(ctx context.Context, reason string) {
	d := e.log
	r := d.repl
	e.mu.Lock()
	e.setRole(roleReplica)
	r.leaseUntil.Store(0)
	e.mu.Unlock()
	d.log.Warn("No longer primary: rebuilding from the log to rejoin as a replica", "reason", reason)
	if !d.com.Abort(fmt.Errorf("%w: %s", errDeposed, reason)) {
		// The pipeline had already failed: a rebuild is running or
		// done; make sure the node follows the log once it is.
		if !d.down.Load() {
			go e.recover(ctx, errDeposed)
		}
	}
}

var errDeposed = errors.New("no longer primary")

// promote claims the lease at dec.Rev, fences the old primary out with an
// epoch marker, and serves as primary. A candidate first applies the whole
// log; if the marker is fenced (the old primary appended meanwhile) it
// applies what came and tries again.
func (e *Engine) promote(ctx context.Context, el *txlog.Election, dec txlog.Decision) {
	d := e.log
	r := d.repl
	ttl := r.opts.LeaseTTL
	started := time.Now()
	if _, err := e.catchUp(ctx); err != nil {
		d.log.Warn("Cannot catch up with the log to claim the lease", "error", err)
		return
	}
	old, _ := el.Lease()
	epoch := old.Epoch + 1
	l := txlog.Lease{Holder: r.opts.NodeID, Addr: r.opts.Addr, Epoch: epoch, Handoff: true}
	sent := time.Now()
	cctx, cancel := context.WithTimeout(ctx, ttl/2)
	rev, err := r.opts.Control.ClaimLease(cctx, l, dec.Rev)
	cancel()
	if err != nil {
		d.log.Info("Did not get the lease", "reason", dec.Reason, "error", err)
		return
	}
	el.ObserveLease(l, rev, time.Now())
	r.leaseRev, r.renewSent, r.epoch = rev, sent, epoch
	e.stopFollowing()
	for attempt := 0; attempt < 20 && ctx.Err() == nil; attempt++ {
		last, err := e.catchUp(ctx)
		if err == nil {
			mctx, cancel := context.WithTimeout(ctx, ttl)
			var seq uint64
			seq, err = d.st.AppendMarker(mctx, epoch, r.opts.NodeID, last)
			cancel()
			if err == nil {
				e.mu.Lock()
				d.com.Reset(seq)
				r.applied.Store(seq)
				r.tail.Store(seq)
				r.extendLease(sent)
				e.setRole(rolePrimary)
				e.mu.Unlock()
				// Renew at once: it clears the handoff flag and restarts
				// the lease from now.
				r.renewSent = time.Time{}
				e.setTopology(r.opts.NodeID, r.opts.Addr, el.Live(time.Now()))
				d.log.Info("Serving as primary", "epoch", epoch, "seq", seq, "reason", dec.Reason,
					"took", time.Since(started).Round(time.Millisecond))
				return
			}
		}
		d.log.Warn("Cannot append the epoch marker yet", "error", err, "attempt", attempt)
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	// Give up: the lease, not renewed, expires and someone else tries.
	e.startFollowing(ctx)
}

// publishView keeps what INFO, ROLE and CLUSTER report up to date.
func (e *Engine) publishView(el *txlog.Election, now time.Time) {
	r := e.log.repl
	l, _ := el.Lease()
	live := el.Live(now)
	r.viewMu.Lock()
	r.lease = l
	r.nodes = live
	r.viewMu.Unlock()
	e.setTopology(l.Holder, l.Addr, live)
}

// setTopology publishes the shard as CLUSTER SLOTS/SHARDS/NODES show it:
// the lease's holder as primary, the other live nodes as replicas (in node
// ID order, which stays put while their offsets move). It builds a new
// topology when the membership changes, and when only the replication
// offsets do at most every offsetRefresh: nodes publish their offsets no
// more often than that.
func (e *Engine) setTopology(holder, addr string, live []txlog.NodeStatus) {
	r := e.log.repl
	if holder == "" || e.topo.clustered.Load() {
		// A cluster node's topology comes from the slot map (cluster_route.go).
		return
	}
	node := func(id, addr string, off uint64) cluster.Node {
		host, ps, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(ps)
		return cluster.Node{ID: id, IP: host, Port: port, ReplOffset: int64(off)}
	}
	// The node's own offset is fresher than its last published status.
	offset := func(s txlog.NodeStatus) uint64 {
		switch {
		case s.ID != r.opts.NodeID:
			return s.Applied
		case r.role.Load() == rolePrimary:
			return e.log.com.LastSeq()
		}
		return r.applied.Load()
	}
	live = slices.Clone(live)
	slices.SortFunc(live, func(a, b txlog.NodeStatus) int { return strings.Compare(a.ID, b.ID) })
	var primary cluster.Node
	var replicas []cluster.Node
	sig := holder
	primary = node(holder, addr, 0)
	self := false
	for _, s := range live {
		if s.ID == holder {
			primary.ReplOffset = int64(offset(s))
			self = self || s.ID == r.opts.NodeID
			continue
		}
		if !cluster.ValidNodeID(s.ID) {
			continue
		}
		replicas = append(replicas, node(s.ID, s.Addr, offset(s)))
		self = self || s.ID == r.opts.NodeID
		sig += "," + s.ID + "@" + s.Addr
	}
	if !self && holder != r.opts.NodeID {
		replicas = append(replicas, node(r.opts.NodeID, r.opts.Addr, r.applied.Load()))
		sig += ",self"
	}
	if !cluster.ValidNodeID(holder) || !cluster.ValidNodeID(r.opts.NodeID) {
		return
	}
	offs := strconv.FormatInt(primary.ReplOffset, 10)
	for _, n := range replicas {
		offs += "," + strconv.FormatInt(n.ReplOffset, 10)
	}
	now := time.Now()
	r.viewMu.Lock()
	same := sig == r.topoID && (offs == r.topoOffsets || now.Sub(r.topoAt) < r.offsetRefresh())
	if !same {
		r.topoID, r.topoOffsets, r.topoAt = sig, offs, now
	}
	r.viewMu.Unlock()
	if same {
		return
	}
	sum := sha1.Sum([]byte("mnemo-shard-" + strconv.Itoa(0)))
	t, err := cluster.New(r.opts.NodeID, 1, []cluster.Shard{{
		ID:       hex.EncodeToString(sum[:]),
		Slots:    []cluster.SlotRange{{Start: 0, End: cluster.NumSlots - 1}},
		Primary:  primary,
		Replicas: replicas,
	}})
	if err == nil {
		e.topo.once.Do(func() {})
		e.topo.cur.Store(t)
	}
}

// replView returns the lease and the live nodes as last observed.
func (r *replState) view() (txlog.Lease, []txlog.NodeStatus) {
	r.viewMu.Lock()
	defer r.viewMu.Unlock()
	return r.lease, r.nodes
}
