package command

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// FAILOVER [TO host port [FORCE]] [ANY] [ABORT] [TIMEOUT ms]: a planned
// handoff of the primary's lease, with Redis 7's syntax and errors. The
// primary holds new writes, waits until every write it took is committed,
// then hands the lease to the target (the named replica, or the most
// caught-up live one; ANY says so explicitly, a Mnemo extension), which
// applies the whole log and appends its epoch marker before it serves.
// The held writes are answered only once the target serves, with a MOVED
// redirect to it: nothing of theirs ran, so clients retry them there and
// see a pause, not a failure. As in Redis the command replies +OK at once
// and the handoff runs in the background; INFO's master_failover_state
// shows its progress.
//
// Unlike Redis, FAILOVER is allowed in cluster mode: Mnemo decides
// topology itself and this is its manual failover (MemoryDB's
// FailoverShard).

// Errors of FAILOVER, as Redis words them.
const (
	errFailoverNone       = "ERR No failover in progress."
	errFailoverTimeout    = "ERR FAILOVER timeout must be greater than 0"
	errFailoverRunning    = "ERR FAILOVER already in progress."
	errFailoverOnReplica  = "ERR FAILOVER is not valid when server is a replica."
	errFailoverNoReplicas = "ERR FAILOVER requires connected replicas."
	errFailoverForce      = "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
	errFailoverNotReplica = "ERR FAILOVER target HOST and PORT is not a replica."
	errFailoverNoLog      = "ERR FAILOVER needs a node of a replicated shard (mnemo node --role auto)"
)

// Failover states, as INFO master_failover_state reports them.
const (
	failoverWaitingForSync = "waiting-for-sync"
	failoverInProgress     = "failover-in-progress"
)

// defaultFailoverTimeout bounds a handoff given no TIMEOUT: Redis would
// wait for ever, a bounded wait is kinder to held clients.
const defaultFailoverTimeout = 60 * time.Second

// failoverState is a planned handoff in progress.
type failoverState struct {
	state  string
	target txlog.NodeStatus
	force  bool
	// deadline ends the wait for the pipeline to drain.
	deadline time.Time
	abort    chan struct{}
}

// handoffReq asks the election loop, which owns the lease's revision, to
// give the lease to target.
type handoffReq struct {
	target txlog.NodeStatus
	result chan error
}

func init() {
	register("failover", failoverCmd)
}

type failoverOpts struct {
	host    string
	port    int64
	to      bool
	force   bool
	abort   bool
	timeout int64
}

func failoverCmd(c *Ctx) {
	var o failoverOpts
	for j := 1; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch {
		case c.ArgIs(j, "timeout") && more >= 1 && o.timeout == 0:
			v, ok := c.Int(j + 1)
			if !ok {
				return
			}
			if v <= 0 {
				c.Error(errFailoverTimeout)
				return
			}
			o.timeout = v
			j++
		case c.ArgIs(j, "to") && more >= 2 && !o.to:
			v, ok := c.Int(j + 2)
			if !ok {
				return
			}
			o.to, o.host, o.port = true, c.Arg(j+1), v
			j += 2
		case c.ArgIs(j, "force") && !o.force:
			o.force = true
		case c.ArgIs(j, "abort") && !o.abort:
			o.abort = true
		case c.ArgIs(j, "any"):
		default:
			c.ErrSyntax()
			return
		}
	}
	e := c.E
	d := e.log
	if o.abort {
		if o.force || o.to || o.timeout != 0 {
			c.ErrSyntax()
			return
		}
		if d == nil || d.repl == nil || d.repl.failover == nil {
			c.Error(errFailoverNone)
			return
		}
		f := d.repl.failover
		select {
		case <-f.abort:
		default:
			close(f.abort)
		}
		c.W.OK()
		return
	}
	if d == nil || d.repl == nil {
		c.Error(errFailoverNoLog)
		return
	}
	r := d.repl
	if r.failover != nil {
		c.Error(errFailoverRunning)
		return
	}
	if r.role.Load() != rolePrimary {
		c.Error(errFailoverOnReplica)
		return
	}
	_, nodes := r.view()
	var replicas []txlog.NodeStatus
	for _, n := range nodes {
		if n.ID != r.opts.NodeID && n.Role != "primary" {
			replicas = append(replicas, n)
		}
	}
	if len(replicas) == 0 {
		c.Error(errFailoverNoReplicas)
		return
	}
	if o.force && (o.timeout == 0 || !o.to) {
		c.Error(errFailoverForce)
		return
	}
	// nodes are ordered most caught-up first: without a target, take the
	// first.
	target := replicas[0]
	if o.to {
		want := net.JoinHostPort(o.host, strconv.FormatInt(o.port, 10))
		found := false
		for _, n := range replicas {
			if n.Addr == want {
				target, found = n, true
			}
		}
		if !found {
			c.Error(errFailoverNotReplica)
			return
		}
	}
	timeout := defaultFailoverTimeout
	if o.timeout > 0 {
		timeout = time.Duration(o.timeout) * time.Millisecond
	}
	f := &failoverState{state: failoverWaitingForSync, target: target, force: o.force,
		deadline: time.Now().Add(timeout), abort: make(chan struct{})}
	r.failover = f
	r.hold = make(chan struct{})
	r.movedTo = ""
	d.log.Info("Failover requested", "target", target.Addr, "timeout", timeout)
	go e.runFailover(f)
	c.W.OK()
}

// runFailover drains the pipeline, hands the lease over and waits until
// the target serves, then lets the held writes go (to the target).
func (e *Engine) runFailover(f *failoverState) {
	d := e.log
	r := d.repl
	started := time.Now()
	err := e.drain(f)
	if err == nil {
		e.mu.Lock()
		f.state = failoverInProgress
		e.mu.Unlock()
		req := handoffReq{target: f.target, result: make(chan error, 1)}
		select {
		case r.handoff <- req:
			err = <-req.result
		case <-time.After(time.Until(f.deadline)):
			err = errors.New("timed out handing the lease over")
		}
	}
	if err == nil {
		e.waitServing(f)
	}
	e.mu.Lock()
	if err == nil {
		r.movedTo = f.target.Addr
	}
	close(r.hold)
	r.hold = nil
	r.failover = nil
	e.mu.Unlock()
	if err != nil {
		d.log.Warn("FAILOVER to "+f.target.Addr+" aborted", "error", err)
		return
	}
	d.log.Info("Handed the primary's lease over", "target", f.target.Addr, "took", time.Since(started).Round(time.Millisecond))
}

// drain waits until every write taken before writes were held is
// committed; FORCE hands over at the deadline anyway.
func (e *Engine) drain(f *failoverState) error {
	d := e.log
	for i := 0; ; i++ {
		if err := d.com.Failed(); err != nil {
			return err
		}
		if d.com.Pending() == 0 {
			return nil
		}
		select {
		case <-f.abort:
			return errors.New("failover manually aborted")
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(f.deadline) {
			if f.force {
				return nil
			}
			return errors.New("the pipeline did not drain in time")
		}
	}
}

// waitServing waits, within twice the lease time, until the lease shows
// the target serving: it clears the handoff flag with its first renewal
// as primary.
func (e *Engine) waitServing(f *failoverState) {
	r := e.log.repl
	limit := time.Now().Add(2 * r.opts.LeaseTTL)
	for i := 0; i < 10000 && time.Now().Before(limit); i++ {
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.LeaseTTL/4)
		l, _, err := r.opts.Control.Lease(ctx)
		cancel()
		if err == nil && (l.Holder != f.target.ID || !l.Handoff) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// handOver gives the lease to target; run by the election loop, which
// owns the lease's revision. The node then follows the log as a replica:
// its pipeline is drained, so its memory holds nothing uncommitted.
func (e *Engine) handOver(ctx context.Context, el *txlog.Election, target txlog.NodeStatus) error {
	d := e.log
	r := d.repl
	if r.role.Load() != rolePrimary {
		return errors.New("no longer primary")
	}
	l := txlog.Lease{Holder: target.ID, Addr: target.Addr, Epoch: r.epoch, Handoff: true}
	cctx, cancel := context.WithTimeout(ctx, r.opts.LeaseTTL/2)
	rev, err := r.opts.Control.ClaimLease(cctx, l, r.leaseRev)
	cancel()
	if err != nil {
		if errors.Is(err, txlog.ErrLeaseLost) {
			e.depose(ctx, "another node took the lease")
		}
		return err
	}
	el.ObserveLease(l, rev, time.Now())
	e.mu.Lock()
	r.applied.Store(d.com.LastSeq())
	e.setRole(roleReplica)
	r.leaseUntil.Store(0)
	e.mu.Unlock()
	e.startFollowing(ctx)
	e.publishView(el, time.Now())
	return nil
}
