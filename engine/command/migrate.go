package command

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// Online slot migration, atomic per set of slot ranges (Valkey 9's
// atomic slot migration): the source primary drives it.
//
//  1. start: the migration goes into the slot map (compare-and-set); the
//     source starts noting every key of the ranges that changes;
//  2. snapshot: every key of the ranges is sent to the target primary in
//     batches (CLUSTER IMPORTKEYS, migrate_batch.go): the target writes
//     each batch through its own log as one group of RESTORE … REPLACE
//     effects and answers once it is committed;
//  3. delta: keys changed meanwhile are sent again (their value, or
//     their deletion), in rounds, until few are left;
//  4. freeze: writes to the ranges wait; the last changed keys are sent
//     and every reply read: the target's log now holds the latest value
//     of every key of the ranges;
//  5. flip: the slot map gives the ranges to the target (compare-and-set,
//     new config epoch); once the target has seen it, the held writes go
//     on and are answered -MOVED to the target;
//  6. cleanup: the source deletes the ranges' keys through its log.
//
// Until the flip, the ranges are the source's and only the source serves
// them, so clients never see a half-moved slot: no -ASK, no TRYAGAIN
// (unless a hold outlasts maxHold). Cancelling, or any failure before the
// flip, takes the migration out of the slot map; the target then drops
// what it received. A new primary of the source finds its predecessor's
// migration in the slot map and cancels it the same way before it takes
// writes to those slots. So at every step each key has one owner, and
// the owner's log holds its latest acknowledged value.

// Migration states, as CLUSTER GETSLOTMIGRATIONS reports them.
const (
	migStarting  = "starting"
	migSnapshot  = "snapshot"
	migDelta     = "delta"
	migFrozen    = "frozen"
	migFlipping  = "flipping"
	migCleanup   = "cleanup"
	migDone      = "done"
	migCancelled = "cancelled"
	migFailed    = "failed"
)

// Delta rounds end when fewer keys than this changed in the last one;
// after maxDeltaRounds the source freezes anyway.
const (
	deltaThreshold = 256
	maxDeltaRounds = 10
)

// migrateLockSlice bounds how long the source holds its engine lock to
// fill one batch, besides the batch's own bounds: values that are slow to
// serialise (big hashes, sets) close a batch early rather than hold the
// foreground back. A single value takes what it takes.
const migrateLockSlice = time.Millisecond

// errMigrationCancelled is why a cancelled migration stopped.
var errMigrationCancelled = errors.New("cancelled")

// outMigration is a migration this node drives. Fields without a note
// are the driver goroutine's.
type outMigration struct {
	id     string
	from   int
	to     int
	ranges []cluster.SlotRange
	// auth authenticates the connections to the target; never shown.
	auth migrateAuth
	// listed marks the slots whose keys the snapshot has listed: only
	// their changes need sending again, since the keys of a slot not
	// listed yet are read when it is. Guarded by the engine lock.
	listed [cluster.NumSlots / 64]uint64

	// Guarded by the engine lock:
	dirty  map[string]struct{}
	frozen bool
	// thawed is closed when the freeze ends (flip or cancel).
	thawed chan struct{}
	state  string
	err    error
	// keysTotal is the ranges' key count at the start; keysSent and
	// bytesSent count what was sent (keys sent again count again).
	keysTotal, keysSent, bytesSent, keysDropped int64
	started, finished                           time.Time

	// stop is closed to cancel or fail the migration.
	stopOnce sync.Once
	stop     chan struct{}
	stopErr  error
}

// slotList returns the ranges' slots in order.
func (m *outMigration) slotList() []int {
	var out []int
	for _, r := range m.ranges {
		for s := r.Start; s <= r.End; s++ {
			out = append(out, s)
		}
	}
	return out
}

// fail stops the migration with err (it is cancelled if not flipped yet).
func (m *outMigration) fail(err error) {
	m.stopOnce.Do(func() {
		m.stopErr = err
		close(m.stop)
	})
}

func (m *outMigration) stopped() error {
	select {
	case <-m.stop:
		return m.stopErr
	default:
		return nil
	}
}

// migrationTouched notes a changed key of a migrating range; called from
// keyModified with the engine lock held.
func (e *Engine) migrationTouched(key string) {
	m := e.topo.out
	if slot := keyspace.KeySlot(key); m.dirty != nil && m.listed[slot/64]&(1<<(slot%64)) != 0 {
		m.dirty[key] = struct{}{}
	}
}

// Errors of CLUSTER MIGRATESLOTS.
const (
	errNotClustered      = "ERR This node is not part of a multi-shard cluster"
	errMigrateNotPrimary = "ERR Slot migrations are driven by the source shard's primary"
	errMigrationRunning  = "ERR A slot migration is already in progress on this node"
	errNoMigration       = "ERR No slot migration in progress"
)

// startMigration begins moving ranges from this node's shard to shard
// to, in the background; with the engine lock held.
func (e *Engine) startMigration(ctx context.Context, to int, ranges []cluster.SlotRange, auth migrateAuth) (string, string) {
	cl := e.topo.cl
	if cl == nil {
		return "", errNotClustered
	}
	if !e.IsPrimary() || e.log == nil {
		return "", errMigrateNotPrimary
	}
	if e.topo.out != nil {
		return "", errMigrationRunning
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	m := &outMigration{
		id: hex.EncodeToString(rnd[:]), from: cl.opts.Shard, to: to, ranges: ranges, auth: auth,
		dirty: map[string]struct{}{}, thawed: make(chan struct{}), stop: make(chan struct{}),
		state: migStarting, started: time.Now(),
	}
	for _, r := range ranges {
		for s := r.Start; s <= r.End; s++ {
			m.keysTotal += int64(e.db.CountInSlot(s))
		}
	}
	e.topo.out = m
	cl.history = append(cl.history, m)
	if len(cl.history) > 16 {
		cl.history = cl.history[len(cl.history)-16:]
	}
	go e.runMigration(ctx, m)
	return m.id, ""
}

// setState records the migration's state for the status reply.
func (e *Engine) setMigState(m *outMigration, state string) {
	e.mu.Lock()
	m.state = state
	e.mu.Unlock()
}

// runMigration drives m to its end.
func (e *Engine) runMigration(ctx context.Context, m *outMigration) {
	cl := e.topo.cl
	log := cl.opts.Log.With("migration", m.id, "to", m.to, "slots", formatRanges(m.ranges))
	log.Info("Started a slot migration", "keys", m.keysTotal)
	flipped, err := e.migrate(ctx, m)
	e.mu.Lock()
	switch {
	case flipped:
		m.state = migDone
	case errors.Is(err, errMigrationCancelled):
		m.state = migCancelled
	default:
		m.state = migFailed
	}
	m.err = err
	m.finished = time.Now()
	m.dirty = nil
	if m.frozen {
		m.frozen = false
		close(m.thawed)
	}
	e.topo.out = nil
	sent, bytes, dropped := m.keysSent, m.bytesSent, m.keysDropped
	cl.migrated.add(m)
	e.mu.Unlock()
	took := time.Since(m.started).Round(time.Millisecond)
	if flipped {
		log.Info("Moved slots", "keysSent", sent, "bytes", bytes, "keysDropped", dropped, "took", took)
	} else {
		log.Warn("Slot migration ended without moving the slots", "error", err, "took", took)
	}
}

// migrate runs the steps; it reports whether the slots flipped.
func (e *Engine) migrate(ctx context.Context, m *outMigration) (bool, error) {
	cl := e.topo.cl
	// 1. start
	cfg, err := e.changeConfig(ctx, func(c *cluster.Config) (*cluster.Config, error) {
		return c.StartMigration(cluster.Migration{ID: m.id, From: m.from, To: m.to, Slots: m.ranges, Driver: cl.opts.NodeID})
	})
	if err != nil {
		return false, err
	}
	target := cl.shardAddr(m.to)
	if target == "" {
		return false, e.cancelMigration(ctx, m, fmt.Errorf("shard %d has no primary", m.to))
	}
	if err := e.awaitEpoch(ctx, m, target, cfg.Epoch); err != nil {
		return false, e.cancelMigration(ctx, m, err)
	}
	conn, err := dialMigrateLink(target, m.auth)
	if err != nil {
		return false, e.cancelMigration(ctx, m, fmt.Errorf("cannot reach the target: %w", err))
	}
	defer conn.close()
	// 2. snapshot: list a slot's keys under the lock (from then on the
	// slot's changes are noted), ship them in batches.
	e.setMigState(m, migSnapshot)
	var pending []string
	slots := m.slotList()
	for i, slot := range slots {
		if err := m.stopped(); err != nil {
			return false, e.cancelMigration(ctx, m, err)
		}
		e.mu.Lock()
		m.listed[slot/64] |= 1 << (slot % 64)
		e.db.KeysInSlot(slot, func(k string, _ *keyspace.Entry) bool {
			pending = append(pending, k)
			return true
		})
		e.mu.Unlock()
		if len(pending) >= 4*migrateBatchKeys || i == len(slots)-1 {
			if err := e.shipKeys(m, conn, pending); err != nil {
				return false, e.cancelMigration(ctx, m, err)
			}
			pending = pending[:0]
		}
	}
	// 3. delta: each round starts once the previous one was answered, so
	// that a key sent again never overtakes its earlier value on another
	// connection.
	e.setMigState(m, migDelta)
	for round := 0; round < maxDeltaRounds; round++ {
		if err := conn.wait(); err != nil {
			return false, e.cancelMigration(ctx, m, err)
		}
		e.mu.Lock()
		keys := takeDirty(m)
		e.mu.Unlock()
		if err := e.shipKeys(m, conn, keys); err != nil {
			return false, e.cancelMigration(ctx, m, err)
		}
		if len(keys) < deltaThreshold {
			break
		}
	}
	if err := conn.wait(); err != nil {
		return false, e.cancelMigration(ctx, m, err)
	}
	// 4. freeze
	e.mu.Lock()
	m.frozen = true
	m.state = migFrozen
	keys := takeDirty(m)
	e.mu.Unlock()
	frozeAt := time.Now()
	if err := e.shipKeys(m, conn, keys); err != nil {
		return false, e.cancelMigration(ctx, m, err)
	}
	if err := conn.wait(); err != nil {
		return false, e.cancelMigration(ctx, m, err)
	}
	if err := m.stopped(); err != nil {
		return false, e.cancelMigration(ctx, m, err)
	}
	// 5. flip
	e.setMigState(m, migFlipping)
	cfg, rev, err := e.changeConfigRev(ctx, false, func(c *cluster.Config) (*cluster.Config, error) {
		if c.Migration(m.id) == nil {
			if ownsAll(c, m.to, m.ranges) {
				return nil, nil // the flip went through; its answer was lost
			}
			return nil, errors.New("the migration was cancelled by another node")
		}
		return c.EndMigration(m.id, true)
	})
	if err != nil {
		return false, e.cancelMigration(ctx, m, err)
	}
	// The target must route the slots to itself before the held writes
	// are redirected to it, or they would bounce back.
	if err := e.awaitEpoch(ctx, m, target, cfg.Epoch); err != nil {
		cl.opts.Log.Warn("The target has not seen the flip yet; redirecting anyway", "error", err)
	}
	e.learnConfig(cfg, rev)
	e.mu.Lock()
	m.frozen = false
	close(m.thawed)
	m.state = migCleanup
	m.dirty = nil
	e.mu.Unlock()
	cl.opts.Log.Info("Flipped slots to the target", "migration", m.id, "heldFor", time.Since(frozeAt).Round(time.Microsecond))
	// 6. cleanup: the moved keys leave through the log, at most a
	// batch's worth per hold of the lock and per group; each group waits
	// for the commit of the one before, so the deletions never queue
	// ahead of the foreground's writes by more than two groups.
	var prev *txlog.Batch
	for i := 0; i < len(slots); {
		e.mu.Lock()
		if !e.IsPrimary() {
			e.mu.Unlock()
			break
		}
		n := 0
		for n < migrateBatchKeys && i < len(slots) {
			got := e.deleteSlotKeys(slots[i], migrateBatchKeys-n)
			n += got
			if got == 0 || e.db.CountInSlot(slots[i]) == 0 {
				i++
			}
		}
		e.commitGroup()
		m.keysDropped += int64(n)
		var b *txlog.Batch
		if e.log != nil {
			b = e.log.latest
		}
		e.mu.Unlock()
		if prev != nil {
			<-prev.Done()
		}
		prev = b
	}
	return true, nil
}

// takeDirty returns and clears the keys changed since the last call.
func takeDirty(m *outMigration) []string {
	keys := make([]string, 0, len(m.dirty))
	for k := range m.dirty {
		keys = append(keys, k)
	}
	clear(m.dirty)
	return keys
}

// shipKeys sends each key's present value (or its deletion) to the
// target in batches (CLUSTER IMPORTKEYS, migrate_batch.go): each batch is
// filled under the engine lock, within its bounds, and finished and sent
// without it. The link keeps a few batches in flight.
func (e *Engine) shipKeys(m *outMigration, link *migrateLink, keys []string) error {
	limits := e.limits()
	b := link.buf
	for len(keys) > 0 {
		if err := m.stopped(); err != nil {
			return err
		}
		b.reset()
		var err error
		n := 0
		e.mu.Lock()
		held := time.Now()
		now := e.now().UnixMilli()
		for n < len(keys) && !b.full() {
			if n%64 == 63 && time.Since(held) > migrateLockSlice {
				break
			}
			k := keys[n]
			n++
			ent := e.db.Peek(k)
			if ent == nil || (ent.ExpireAt != 0 && ent.ExpireAt <= now) {
				b.addDelete(k)
				continue
			}
			if err = b.addValue(k, ent.Value, ent.ExpireAt, limits); err != nil {
				break
			}
		}
		e.mu.Unlock()
		if err != nil {
			return fmt.Errorf("cannot serialise a key: %w", err)
		}
		keys = keys[n:]
		b.finish()
		if err := link.send(b.args(m.id)); err != nil {
			return err
		}
		e.mu.Lock()
		m.keysSent += int64(b.len())
		m.bytesSent += int64(b.bytes)
		e.mu.Unlock()
	}
	return nil
}

// limits are the encoding limits DUMP payloads are written with.
func (e *Engine) limits() keyspace.Limits {
	return (&Ctx{E: e}).limits()
}

// cancelMigration takes the migration out of the slot map, so that the
// target drops what it received, and returns why it stopped.
func (e *Engine) cancelMigration(ctx context.Context, m *outMigration, why error) error {
	cl := e.topo.cl
	_, err := e.changeConfig(ctx, func(c *cluster.Config) (*cluster.Config, error) {
		if c.Migration(m.id) == nil {
			return nil, nil
		}
		return c.EndMigration(m.id, false)
	})
	if err != nil {
		cl.opts.Log.Warn("Cannot take a stopped migration out of the slot map; the next primary will", "error", err)
	}
	return why
}

// changeConfig applies change to the slot map by compare-and-set,
// reading it again when another change won, and publishes the result. A
// nil config from change means there is nothing to do.
func (e *Engine) changeConfig(ctx context.Context, change func(*cluster.Config) (*cluster.Config, error)) (*cluster.Config, error) {
	c, _, err := e.changeConfigRev(ctx, true, change)
	return c, err
}

// changeConfigRev is changeConfig returning the new revision; with
// learn false the node does not put the new slot map in force itself
// (the watch brings it, or the caller does).
func (e *Engine) changeConfigRev(ctx context.Context, learn bool, change func(*cluster.Config) (*cluster.Config, error)) (*cluster.Config, uint64, error) {
	cl := e.topo.cl
	var lastErr error
	for attempt := 0; attempt < 50 && ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(min(attempt, 10)) * 20 * time.Millisecond)
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, rev, err := cl.opts.Store.Config(rctx)
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		if c == nil {
			return nil, 0, errors.New("the cluster has no slot map")
		}
		if learn {
			e.learnConfig(c, rev)
		}
		next, err := change(c)
		if err != nil || next == nil {
			return c, rev, err
		}
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		nrev, err := cl.opts.Store.PutConfig(wctx, next, rev)
		cancel()
		if err == nil {
			if learn {
				e.learnConfig(next, nrev)
			}
			return next, nrev, nil
		}
		lastErr = err
		if !errors.Is(err, cluster.ErrConfigChanged) {
			// The write may have happened: read before trying again.
			continue
		}
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	return nil, 0, fmt.Errorf("cannot change the slot map: %w", lastErr)
}

// awaitEpoch waits until the node at addr reports a config epoch of at
// least epoch.
func (e *Engine) awaitEpoch(ctx context.Context, m *outMigration, addr string, epoch uint64) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := request(addr, 2*time.Second, m.auth, "CLUSTER", "INFO")
		if isAuthError(err) {
			return fmt.Errorf("target %s: %w", addr, err)
		}
		if err == nil {
			for _, line := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(line, "cluster_current_epoch:"); ok {
					if n, _ := strconv.ParseUint(v, 10, 64); n >= epoch {
						return nil
					}
				}
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			if err == nil {
				err = fmt.Errorf("it did not reach config epoch %d", epoch)
			}
			return fmt.Errorf("target %s: %w", addr, err)
		}
		if err := m.stopped(); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ownsAll reports whether shard n owns every slot of ranges in c.
func ownsAll(c *cluster.Config, n int, ranges []cluster.SlotRange) bool {
	own := c.Owners()
	for _, r := range ranges {
		for s := r.Start; s <= r.End; s++ {
			if int(own[s]) != n {
				return false
			}
		}
	}
	return true
}

// formatRanges writes ranges as CLUSTER NODES does: "0-99,200".
func formatRanges(rs []cluster.SlotRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.Itoa(r.Start)
		if r.End != r.Start {
			parts[i] += "-" + strconv.Itoa(r.End)
		}
	}
	return strings.Join(parts, ",")
}

// isAuthError reports whether err is the target refusing the migration's
// credentials, or asking for some: retrying does not help.
func isAuthError(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return errors.Is(err, errMigrateAuth) || strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "NOPERM")
}
