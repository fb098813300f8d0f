package command

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// A node of a multi-shard cluster watches the slot map and the shards'
// leases in the control bucket (cluster.Store), publishes the topology
// the CLUSTER commands show, and routes each keyed command: keys of slots
// its shard owns run here, others get -MOVED to the owner's primary. A
// primary also keeps its keyspace to the slots it owns: it drops keys of
// slots that moved away or whose import was given up, and it cancels a
// migration out of its shard that a previous primary left behind.

// Errors of cluster routing.
const (
	errSlotNotServed = "CLUSTERDOWN Hash slot not served"
	// errTryAgain answers a write held while its slot migrates, when the
	// migration takes longer than a client should wait.
	errTryAgain = "TRYAGAIN Multiple keys request during rehashing of slot"
)

// maxHold bounds how long a write waits for a migration of its slot to
// flip or be given up.
const maxHold = 10 * time.Second

// maxImportHold bounds how long an importing target holds a command for
// a slot it may just have been given (see clusterRoute).
const maxImportHold = time.Second

// importHoldUntil is when an importing target stops holding a command
// whose hold began maxHold before deadline.
func importHoldUntil(deadline time.Time) time.Time {
	return deadline.Add(maxImportHold - maxHold)
}

// ClusterOptions make a node one of a multi-shard cluster.
type ClusterOptions struct {
	Store *cluster.Store
	// Shard is the node's shard; NodeID and Addr name it, as its
	// election does.
	Shard        int
	NodeID, Addr string
	// LeaseTTL is the shards' lease TTL: nodes not heard from for two
	// are left out of the topology.
	LeaseTTL time.Duration
	Log      *slog.Logger
}

// clusterState is the node's part in the cluster.
type clusterState struct {
	opts ClusterOptions
	// ctx bounds the node's cluster work (StartCluster's).
	ctx context.Context

	// viewMu guards view, which the watcher and a migration's driver
	// both update.
	viewMu sync.Mutex
	view   *cluster.View

	// asking holds the clients whose next command was flagged by ASKING.
	// Guarded by the engine lock.
	asking map[int64]struct{}
	// changed is closed and replaced whenever a new topology is
	// published: writes held by a migration wait for it. Guarded by the
	// engine lock.
	changed chan struct{}

	// routed is the topology keys are routed by, nil until the node has
	// read the slot map: until then it serves no key.
	routed atomic.Pointer[cluster.Topology]

	// resolving is the ID of a stale migration being cancelled, so the
	// watcher does not start a second cancel. Watcher goroutine only.
	resolving string
	// history keeps the last migrations this node drove, for
	// CLUSTER GETSLOTMIGRATIONS. Guarded by the engine lock.
	history []*outMigration
	// migrated sums what the node's finished migrations did, for the
	// metrics' counters (history forgets). Guarded by the engine lock.
	migrated MigrationStats
}

// EnableCluster makes the node route by the cluster's slot map. Call it
// before AttachLog, then StartCluster once the log is attached.
func (e *Engine) EnableCluster(opts ClusterOptions) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 2 * time.Second
	}
	e.mu.Lock()
	e.topo.cl = &clusterState{opts: opts, view: cluster.NewView(), asking: map[int64]struct{}{}, changed: make(chan struct{})}
	e.topo.clustered.Store(true)
	e.mu.Unlock()
}

// StartCluster watches the control bucket until ctx ends.
func (e *Engine) StartCluster(ctx context.Context) {
	e.topo.cl.ctx = ctx
	go e.watchCluster(ctx)
}

// watchCluster applies the bucket's changes to the view and publishes the
// topology, at once for the slot map and leases, every TTL/4 for node
// liveness; a primary then tidies its keyspace and stale migrations.
func (e *Engine) watchCluster(ctx context.Context) {
	cl := e.topo.cl
	updates := make(chan cluster.Update, 1024)
	go cl.opts.Store.Watch(ctx, updates)
	tick := time.NewTicker(cl.opts.LeaseTTL / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case u := <-updates:
			cl.viewMu.Lock()
			cl.view.Apply(u, time.Now())
			for drained := false; !drained; {
				select {
				case u := <-updates:
					cl.view.Apply(u, time.Now())
				default:
					drained = true
				}
			}
			cl.viewMu.Unlock()
		case <-tick.C:
		}
		e.publishCluster()
		if e.IsPrimary() {
			e.resolveStaleMigrations(ctx)
			e.dropUnownedSlots()
		}
	}
}

// learnConfig records a slot map this node wrote itself, without waiting
// for the watch to bring it back, and publishes it.
func (e *Engine) learnConfig(c *cluster.Config, rev uint64) {
	cl := e.topo.cl
	cl.viewMu.Lock()
	cl.view.Apply(cluster.Update{Config: c, Rev: rev}, time.Now())
	cl.viewMu.Unlock()
	e.publishCluster()
}

// publishCluster builds the topology from the view and puts it in force.
func (e *Engine) publishCluster() {
	cl := e.topo.cl
	self := cluster.Self{ID: cl.opts.NodeID, Shard: cl.opts.Shard, Addr: cl.opts.Addr}
	if e.log != nil && e.log.repl != nil {
		self.Applied = e.log.repl.applied.Load()
	}
	cl.viewMu.Lock()
	t, err := cl.view.Topology(self, time.Now(), 2*cl.opts.LeaseTTL)
	cl.viewMu.Unlock()
	if err != nil {
		cl.opts.Log.Warn("Cannot build the cluster topology", "error", err)
		return
	}
	e.mu.Lock()
	e.topo.once.Do(func() {})
	e.topo.cur.Store(t)
	cl.routed.Store(t)
	close(cl.changed)
	cl.changed = make(chan struct{})
	e.redirectBlocked(t)
	e.mu.Unlock()
}

// redirectBlocked answers the clients blocked on keys of a slot this
// node's shard no longer serves, which no write here would ever wake, as
// Redis 7's clusterRedirectBlockedClientIfNeeded does: -MOVED to the
// slot's owner, or CLUSTERDOWN when nobody serves it. A slot being
// imported into this shard keeps its clients. With the engine lock held.
func (e *Engine) redirectBlocked(t *cluster.Topology) {
	if len(e.blockedOn) == 0 {
		return
	}
	me := e.topo.cl.opts.Shard
	var moved []*Client
	seen := map[*Client]struct{}{}
	for _, q := range e.blockedOn {
		for _, c := range q {
			b := c.block
			if _, dup := seen[c]; dup || b == nil || len(b.keys) == 0 {
				continue
			}
			seen[c] = struct{}{}
			// A blocking command's keys share one slot (CROSSSLOT).
			slot := keySlot([]byte(b.keys[0]))
			if o := t.Owner(slot); o != nil && o.Num == me {
				continue
			}
			if m := t.MigrationOf(slot); m != nil && m.To == me {
				continue
			}
			moved = append(moved, c)
		}
	}
	for _, c := range moved {
		slot := keySlot([]byte(c.block.keys[0]))
		msg := errSlotNotServed
		if o := t.Owner(slot); o != nil && !o.Primary.Failed && o.Primary.IP != "" {
			msg = "MOVED " + strconv.Itoa(slot) + " " +
				net.JoinHostPort(o.Primary.IP, strconv.Itoa(e.clientPort(c, o.Primary.Port)))
		}
		// The reply goes before the wake-up, which hands W over to the
		// client's connection.
		e.stats.countError([]byte(msg))
		c.W.Error(msg)
		e.unblock(c)
	}
}

// config returns the slot map in force and its revision (nil before the
// first one is read).
func (cl *clusterState) config() (*cluster.Config, uint64) {
	cl.viewMu.Lock()
	defer cl.viewMu.Unlock()
	return cl.view.Config, cl.view.Rev
}

// shardAddr returns the address of shard n's primary, from its lease.
func (cl *clusterState) shardAddr(n int) string {
	cl.viewMu.Lock()
	defer cl.viewMu.Unlock()
	if s := cl.view.Shards[n]; s != nil {
		return s.Addr
	}
	return ""
}

// clusterRoute decides whether this node runs cmd: "" when it does, or
// the redirect or error to answer. Like Redis it runs before a replica
// refuses a write (READONLY), so a key of another shard is redirected to
// that shard's primary from any node. A write to a slot that is migrating
// out of this shard waits (without the engine lock) while the move is in
// its final step or was left behind by a previous primary, then is
// routed by the topology that follows. queued is set when the command
// is only being queued in MULTI: it is routed, never held. With the
// engine lock held.
func (e *Engine) clusterRoute(c *Client, cmd *Command, args [][]byte, queued bool) string {
	cl := e.topo.cl
	if cl == nil {
		return ""
	}
	_, asking := cl.asking[c.ID]
	if asking && cmd.Name != "asking" {
		delete(cl.asking, c.ID)
	}
	exec := cmd.Name == "exec" && c.multi != nil
	if (cmd.Name == "flushall" || cmd.Name == "flushdb") && e.topo.out != nil {
		// The migration's copies would outlive the flush: give it up.
		e.topo.out.fail(errors.New("the keyspace was flushed"))
	}
	if len(cmd.keySpecs) == 0 && !exec {
		return ""
	}
	// Redis answers CROSSSLOT before it redirects.
	if msg := e.checkSlots(cmd, args); msg != "" {
		return msg
	}
	slot, write, ok := e.routedSlot(c, cmd, args, exec)
	if !ok {
		return ""
	}
	deadline := time.Now().Add(maxHold)
	for {
		t := cl.routed.Load()
		if t == nil {
			return e.routeRefusal(c, exec, errNoPrimary)
		}
		owner := t.Owner(slot)
		if owner == nil {
			return e.routeRefusal(c, exec, errSlotNotServed)
		}
		me := cl.opts.Shard
		if owner.Num != me {
			m := t.MigrationOf(slot)
			if asking && m != nil && m.To == me {
				return ""
			}
			// A slot this node imports, asked for without ASKING: the
			// source may have flipped it already and redirected the
			// client here before this node's watch has seen the flip.
			// Sending it back to the source would bounce the client
			// between the two until it runs out of redirects; hold it
			// (briefly: a client with a stale map may have come on its
			// own) until the slot map changes, then route again.
			if m != nil && m.To == me && !queued && e.IsPrimary() && time.Now().Before(importHoldUntil(deadline)) {
				wait := cl.changed
				e.mu.Unlock()
				select {
				case <-wait:
				case <-time.After(time.Until(importHoldUntil(deadline))):
				}
				e.mu.Lock()
				if exec && c.multi == nil {
					return ""
				}
				continue
			}
			if owner.Primary.Failed || owner.Primary.IP == "" {
				return e.routeRefusal(c, exec, errSlotNotServed)
			}
			return e.routeRefusal(c, exec, "MOVED "+strconv.Itoa(slot)+" "+
				net.JoinHostPort(owner.Primary.IP, strconv.Itoa(e.clientPort(c, owner.Primary.Port))))
		}
		m := t.MigrationOf(slot)
		if !write || queued || m == nil || m.From != me || !e.IsPrimary() {
			return ""
		}
		var wait chan struct{}
		if out := e.topo.out; out != nil && out.id == m.ID {
			if !out.frozen {
				return ""
			}
			wait = out.thawed
		} else {
			// A migration a previous primary drove: the watcher cancels
			// it; until then the slot's writes wait.
			wait = cl.changed
		}
		if time.Now().After(deadline) {
			return e.routeRefusal(c, exec, errTryAgain)
		}
		e.mu.Unlock()
		select {
		case <-wait:
		case <-time.After(time.Until(deadline)):
		}
		e.mu.Lock()
		if exec && c.multi == nil {
			return ""
		}
	}
}

// routeRefusal refuses a command; EXEC's transaction is discarded, as
// Redis does when a transaction's slot is served elsewhere.
func (e *Engine) routeRefusal(c *Client, exec bool, msg string) string {
	if exec {
		c.multi = nil
		e.unwatchAll(c)
	}
	return msg
}

// routedSlot returns the slot a command is routed by (its first key's,
// or the first queued command's with keys for EXEC) and whether it
// writes; ok false when it has no key.
func (e *Engine) routedSlot(c *Client, cmd *Command, args [][]byte, exec bool) (slot int, write, ok bool) {
	var posArr [8]int
	if exec {
		for _, q := range c.multi.cmds {
			write = write || q.cmd.Is(FlagWrite)
			if !ok {
				if pos := q.cmd.KeyPositions(q.args, posArr[:0]); len(pos) > 0 {
					slot, ok = keySlot(q.args[pos[0]]), true
				}
			}
		}
		return slot, write, ok
	}
	pos := cmd.KeyPositions(args, posArr[:0])
	if len(pos) == 0 {
		return 0, false, false
	}
	return keySlot(args[pos[0]]), cmd.Is(FlagWrite), true
}

// resolveStaleMigrations cancels the migrations out of this shard that
// this node does not drive: their driver was a previous primary, whose
// copies on the target are given up (the target drops them). Until the
// cancel is in the slot map, writes to their slots wait.
func (e *Engine) resolveStaleMigrations(ctx context.Context) {
	cl := e.topo.cl
	c, rev := cl.config()
	if c == nil {
		return
	}
	e.mu.Lock()
	var mine string
	if e.topo.out != nil {
		mine = e.topo.out.id
	}
	e.mu.Unlock()
	for _, m := range c.Migrations {
		if m.From != cl.opts.Shard || m.ID == mine || m.ID == cl.resolving {
			continue
		}
		cl.resolving = m.ID
		next, err := c.EndMigration(m.ID, false)
		if err != nil {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, cl.opts.LeaseTTL)
		nrev, err := cl.opts.Store.PutConfig(wctx, next, rev)
		cancel()
		cl.resolving = ""
		if err != nil {
			cl.opts.Log.Info("Cannot cancel a migration left by a previous primary yet", "migration", m.ID, "error", err)
			return
		}
		cl.opts.Log.Info("Cancelled a migration left by a previous primary", "migration", m.ID, "to", m.To)
		e.learnConfig(next, nrev)
		return
	}
}

// dropUnownedSlots deletes, through the log, the keys of slots this
// shard neither owns nor imports: what stays of slots that moved away,
// or of an import that was given up. A few slots at a time, so clients
// are not held long.
func (e *Engine) dropUnownedSlots() {
	cl := e.topo.cl
	c, _ := cl.config()
	if c == nil {
		return
	}
	own := c.Owners()
	me := int16(cl.opts.Shard)
	importing := map[int]bool{}
	for _, m := range c.Migrations {
		if m.To == cl.opts.Shard {
			for _, r := range m.Slots {
				for s := r.Start; s <= r.End; s++ {
					importing[s] = true
				}
			}
		}
	}
	for slot := 0; slot < cluster.NumSlots; slot++ {
		if own[slot] == me || importing[slot] {
			continue
		}
		e.mu.Lock()
		// The slots of this node's own migration are its driver's to
		// clean up, paced by the log (migrate.go).
		out := e.topo.out
		mine := out != nil && out.listed[slot/64]&(1<<(slot%64)) != 0
		if !mine && e.IsPrimary() && e.db.CountInSlot(slot) > 0 {
			e.dropSlotKeys(slot)
		}
		e.mu.Unlock()
	}
}

// dropSlotKeys deletes every key of a slot, logging a DEL for each; with
// the engine lock held. It returns the number of keys deleted.
func (e *Engine) dropSlotKeys(slot int) int {
	n := e.deleteSlotKeys(slot, e.db.CountInSlot(slot))
	e.commitGroup()
	return n
}

// deleteSlotKeys deletes at most limit keys of a slot, adding a DEL
// effect for each to the running group, which the caller ends
// (commitGroup); with the engine lock held. It returns the number of
// keys deleted.
func (e *Engine) deleteSlotKeys(slot, limit int) int {
	keys := make([]string, 0, min(limit, e.db.CountInSlot(slot)))
	e.db.KeysInSlot(slot, func(k string, _ *keyspace.Entry) bool {
		keys = append(keys, k)
		return len(keys) < limit
	})
	for _, k := range keys {
		if e.db.Delete(k) {
			e.keyModified(k)
			if e.log != nil {
				e.fx.args = append(e.fx.args, [][]byte{bDEL, []byte(k)})
				e.fx.keys = append(e.fx.keys, k)
			}
		}
	}
	e.dirty += int64(len(keys))
	return len(keys)
}
