package command

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// Errors of the durable write path.
const (
	errLogDown = "CLUSTERDOWN The transactional log is unavailable: writes are refused until this node has rebuilt its state from the log"
	// errNotCommitted is sent instead of the reply of a command whose
	// write did not commit: the client cannot know whether it happened.
	errNotCommitted = "CLUSTERDOWN The write was not committed to the transactional log (%s); it may or may not have taken effect"
	// errTooBigForLog refuses a write before it runs when its effects
	// could not fit in one append.
	errTooBigForLog = "ERR write of %d bytes is larger than the transactional log accepts (%d bytes)"
)

// tooBigForLog returns the error for a write whose arguments could not
// fit in one append, or "".
func (e *Engine) tooBigForLog(cmd *Command, args [][]byte) string {
	if e.log == nil || !cmd.Is(FlagWrite) {
		return ""
	}
	n := 0
	for _, a := range args {
		n += len(a)
	}
	if n <= txlog.MaxEffectBytes {
		return ""
	}
	return fmt.Sprintf(errTooBigForLog, n, txlog.MaxEffectBytes)
}

// LogOptions tune the durable write path.
type LogOptions struct {
	// MaxInflight is how many appends may be outstanding at once.
	MaxInflight int
	// CommitTimeout bounds how long a write waits for the log before it
	// fails.
	CommitTimeout time.Duration
	// Log receives the durable path's events (failures, rebuilds); nil
	// discards them.
	Log *slog.Logger
	// Replication, if set, makes the node one of its shard's nodes: it
	// starts as a replica and takes part in the election for primary.
	// Without it the node is the shard's only writer.
	Replication *ReplOptions
	// Snapshots, if set, opens the newest snapshot: the node loads it
	// and replays only the log after it (snapshot.go).
	Snapshots SnapshotSource
}

// durable links the engine to its shard's log. The engine has none in
// unit tests, where writes are acknowledged at once.
type durable struct {
	st  *txlog.Stream
	com *txlog.Committer
	// down is set from the moment the pipeline fails until the node has
	// rebuilt its state from the log.
	down atomic.Bool
	// lastErr is why the pipeline last failed; guarded by the engine lock.
	lastErr error

	// keys maps a key to the newest batch holding an uncommitted write of
	// it (MemoryDB's key tracker); pending lists, in batch order, the keys
	// each batch wrote, so finished batches are forgotten in O(1) each.
	// Guarded by the engine lock.
	keys    map[string]*txlog.Batch
	pending []batchKeys
	// latest is the newest batch that received a write; keyless reads of
	// the keyspace (DBSIZE, SCAN…) wait for it. Guarded by the engine lock.
	latest *txlog.Batch

	// repl is the node's part in replication, nil when it is the shard's
	// only node.
	repl *replState

	replayClient *Client
	rebuilds     atomic.Int64
	log          *slog.Logger

	// snapshots opens the newest snapshot a rebuild starts from.
	snapshots SnapshotSource
}

type batchKeys struct {
	b    *txlog.Batch
	keys []string
}

// effects is what the running command group has done, collected until the
// end of Execute. Guarded by the engine lock.
type effects struct {
	args  [][][]byte
	keys  []string
	marks []pendingMark
	dep   *txlog.Batch // newest uncommitted batch the group's reads saw
	wake  []chan struct{}
}

// pendingMark is a reply range waiting for the group's batch.
type pendingMark struct {
	c          *Client
	start, end int
}

// replyMark is a reply range in a client's output that must not leave
// before batch b commits, and becomes an error if b fails.
type replyMark struct {
	start, end int
	b          *txlog.Batch
}

// AttachLog makes the engine durable on stream st: it rebuilds the
// keyspace from the log, then starts the committer. Until ctx ends, every
// write is acknowledged only after the log has committed it.
func (e *Engine) AttachLog(ctx context.Context, st *txlog.Stream, opts LogOptions) error {
	if opts.MaxInflight <= 0 {
		opts.MaxInflight = 4
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 5 * time.Second
	}
	d := &durable{st: st, keys: map[string]*txlog.Batch{}, log: opts.Log, snapshots: opts.Snapshots}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.replayClient = newReplayClient()
	e.mu.Lock()
	e.log = d
	last, err := e.rebuild(ctx)
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("cannot rebuild from the log: %w", err)
	}
	// Appends carry ids that name this writer, so a retried append can be
	// told from another writer's.
	var rnd [8]byte
	rand.Read(rnd[:])
	d.com = txlog.NewCommitter(st, last, opts.MaxInflight, opts.CommitTimeout, hex.EncodeToString(rnd[:]))
	d.com.OnFail = func(err error) { go e.recover(ctx, err) }
	go d.com.Run(ctx)
	if ro := opts.Replication; ro != nil {
		if ro.LeaseTTL <= 0 {
			ro.LeaseTTL = 2 * time.Second
		}
		r := &replState{opts: *ro, base: time.Now(), handoff: make(chan handoffReq)}
		r.applied.Store(last)
		r.tail.Store(last)
		e.mu.Lock()
		d.repl = r
		e.setRole(roleReplica)
		e.mu.Unlock()
		e.startFollowing(ctx)
		go e.runElection(ctx)
	}
	return nil
}

// replay applies the log's entries after sequence from; with the lock.
func (e *Engine) replay(ctx context.Context, from uint64) (uint64, error) {
	d := e.log
	e.replaying = true
	defer func() { e.replaying = false }()
	return d.st.Replay(ctx, from, func(seq uint64, data []byte) error {
		return txlog.DecodeBatch(data, func(group [][][]byte) error {
			for _, args := range group {
				e.applyEffect(d.replayClient, args)
			}
			return nil
		})
	})
}

// applyEffect runs one effect read from the log. The clock reads zero, so
// that nothing counts as already expired: keys leave only through the DEL
// effects the primary logged, as in Redis while it loads its AOF.
func (e *Engine) applyEffect(cl *Client, args [][]byte) {
	cmd := e.tab.lookupBytes(args[0])
	if cmd == nil {
		return
	}
	if cmd.Subcommands != nil && len(args) >= 2 {
		if sub := cmd.Subcommands[string(lower(args[1]))]; sub != nil {
			cmd = sub
		}
	}
	if cmd.Handler == nil || !cmd.arityOK(len(args)) {
		return
	}
	// inExec: a blocking command replayed never waits.
	ctx := &Ctx{E: e, C: cl, Cmd: cmd, Args: args, W: cl.W, DB: e.db, inExec: true}
	cmd.Handler(ctx)
	cl.W.Reset()
}

func lower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// recover rebuilds the node after the pipeline failed: its memory may
// hold writes that never committed, so it waits for the log to answer,
// throws the keyspace away and replays the log, then takes writes again.
func (e *Engine) recover(ctx context.Context, cause error) {
	d := e.log
	d.down.Store(true)
	e.mu.Lock()
	d.lastErr = cause
	e.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	d.log.Error("Transactional log failed: refusing writes until the node has rebuilt from the log", "error", cause)
	started := time.Now()
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
		probe, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := d.st.LastSeq(probe)
		cancel()
		if err != nil {
			continue
		}
		// Replay into a shadow engine, without the lock: reads of clean
		// keys go on meanwhile (writes are refused, so nothing can be
		// missed), and a replay that fails leaves the keyspace as it was.
		shadow := New(e.cfg)
		shadow.log = &durable{st: d.st, log: d.log, replayClient: newReplayClient(), snapshots: d.snapshots}
		// No deadline on the whole: a large snapshot and a long tail take
		// what they take, and every read on the way has its own bound
		// (Stream.Replay per entry, the store per object size), so a log
		// that stops answering still fails the attempt.
		last, err := shadow.rebuild(ctx)
		if err != nil {
			d.log.Warn("Cannot rebuild from the log yet", "error", err)
			continue
		}
		e.mu.Lock()
		e.swapKeyspace(shadow)
		d.com.Reset(last)
		follow := d.repl != nil && d.repl.role.Load() != rolePrimary
		if follow {
			d.repl.applied.Store(last)
		}
		d.down.Store(false)
		d.rebuilds.Add(1)
		keys := e.db.Len()
		e.mu.Unlock()
		if follow {
			d.log.Info("Rebuilt state from the log; following it as a replica", "keys", keys, "seq", last, "down", time.Since(started).Round(time.Millisecond))
			e.startFollowing(ctx)
		} else {
			d.log.Info("Rebuilt state from the log; taking writes again", "keys", keys, "seq", last, "down", time.Since(started).Round(time.Millisecond))
		}
		e.serveAfterRebuild()
		return
	}
}

// swapKeyspace puts the keyspace rebuilt in shadow in place of the node's
// own; with the lock. Every watched key may have changed, and keys that
// blocked clients wait for may now hold data.
func (e *Engine) swapKeyspace(shadow *Engine) {
	d := e.log
	expired := e.db.Expired
	e.db = shadow.db
	e.db.Expired = expired
	e.db.OnExpire = e.keyExpired
	e.db.SetReplica(d.repl != nil && d.repl.role.Load() != rolePrimary)
	// Function libraries and the index of hash field TTLs are state the
	// log rebuilds too: take the shadow's, dropping any uncommitted load.
	e.scripts.fn, e.scripts.libs, e.scripts.funcs = shadow.scripts.fn, shadow.scripts.libs, shadow.scripts.funcs
	e.hfe = shadow.hfe
	d.keys = map[string]*txlog.Batch{}
	d.pending = nil
	d.latest = nil
	for _, ws := range e.watchers {
		for c := range ws {
			c.dirtyCAS = true
		}
	}
	for key := range e.blockedOn {
		if !e.readySet[key] {
			e.readySet[key] = true
			e.readyKeys = append(e.readyKeys, key)
		}
	}
}

// serveAfterRebuild serves clients whose keys received data in a rebuild.
func (e *Engine) serveAfterRebuild() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.serveBlocked()
	e.commitGroup()
}

// newReplayClient returns the client effects read from the log run as.
func newReplayClient() *Client {
	return &Client{W: newWriter(), pushW: newWriter(), Notify: make(chan struct{}, 1)}
}

// Effect records an effect of the running command in place of the command
// itself: handlers whose command is not deterministic (relative times,
// random choices, blocking) log what they did instead, so that replaying
// the log rebuilds exactly this state.
func (c *Ctx) Effect(args ...[]byte) {
	c.rewritten = true
	if e := c.E; e.log != nil && !e.replaying {
		e.fx.args = append(e.fx.args, args)
	}
}

// NoEffect says the command logs nothing of its own (EXEC, whose queued
// commands log theirs).
func (c *Ctx) NoEffect() { c.rewritten = true }

// Effect argument words.
var (
	bSET       = []byte("SET")
	bDEL       = []byte("DEL")
	bPXAT      = []byte("PXAT")
	bKEEPTTL   = []byte("KEEPTTL")
	bPEXPIREAT = []byte("PEXPIREAT")
	bPERSIST   = []byte("PERSIST")
	bHSET      = []byte("HSET")
	bSREM      = []byte("SREM")
	bLPOP      = []byte("LPOP")
	bRPOP      = []byte("RPOP")
	bLMOVE     = []byte("LMOVE")
	bLMPOP     = []byte("LMPOP")
	bLEFT      = []byte("LEFT")
	bRIGHT     = []byte("RIGHT")
	bCOUNT     = []byte("COUNT")
	bOne       = []byte("1")
	bZPOPMIN   = []byte("ZPOPMIN")
	bZPOPMAX   = []byte("ZPOPMAX")
)

// fxInt formats an integer effect argument.
func fxInt(v int64) []byte { return strconv.AppendInt(nil, v, 10) }

// collect records the effect of a command that ran, after its handler:
// its own arguments when it changed something and did not log effects of
// its own; and, for a read, the newest uncommitted batch among its keys.
func (e *Engine) collect(ctx *Ctx, dirtyBefore int64) {
	if e.log == nil || e.replaying {
		return
	}
	if e.dirty != dirtyBefore && !ctx.rewritten {
		e.fx.args = append(e.fx.args, ctx.Args)
	}
	if dep := e.readDependency(ctx.Cmd, ctx.Args); dep != nil {
		if e.fx.dep == nil || dep.ID > e.fx.dep.ID {
			e.fx.dep = dep
		}
	}
}

// readDependency returns the newest uncommitted batch that wrote one of
// the command's keys; for commands that read the keyspace without naming
// keys, the newest batch of all.
func (e *Engine) readDependency(cmd *Command, args [][]byte) *txlog.Batch {
	d := e.log
	var newest *txlog.Batch
	if len(cmd.keySpecs) == 0 {
		if d.latest != nil && !batchDone(d.latest) && readsKeyspace(cmd) {
			return d.latest
		}
		return nil
	}
	if len(d.keys) == 0 {
		return nil
	}
	var posArr [8]int
	for _, p := range cmd.KeyPositions(args, posArr[:0]) {
		if b := d.keys[string(args[p])]; b != nil && !batchDone(b) {
			if newest == nil || b.ID > newest.ID {
				newest = b
			}
		}
	}
	return newest
}

func readsKeyspace(cmd *Command) bool {
	for _, cat := range cmd.Categories {
		if cat == "keyspace" || cat == "read" {
			return true
		}
	}
	return false
}

func batchDone(b *txlog.Batch) bool {
	select {
	case <-b.Done():
		return b.Err() == nil
	default:
		return false
	}
}

// commitGroup ends a command group (end of Execute, or of an active
// expiry cycle): its effects join the open batch as one atomic group, the
// replies that depend on it are marked, and clients served from blocking
// are woken. With the lock held.
func (e *Engine) commitGroup() {
	d := e.log
	fx := &e.fx
	if d == nil {
		for _, w := range fx.wake {
			close(w)
		}
		fx.wake = fx.wake[:0]
		return
	}
	e.forgetCommitted()
	b := fx.dep
	if len(fx.args) > 0 && d.repl != nil && d.repl.role.Load() != rolePrimary {
		// A replica writes nothing to the log: what it changes comes from
		// the log (a key it expired itself, the primary deletes too).
		fx.args = fx.args[:0]
	}
	if len(fx.args) > 0 {
		var err error
		size := 0
		for _, a := range fx.args {
			for _, x := range a {
				size += len(x) + 10
			}
		}
		b, err = d.com.Add(size, func(w *txlog.BatchWriter) {
			for _, a := range fx.args {
				w.Effect(a)
			}
		})
		if err != nil {
			// The pipeline failed since this command ran: its change is
			// in memory only, and its reply must say so.
			b = txlog.FailedBatch(err)
		}
		for _, k := range fx.keys {
			d.keys[k] = b
		}
		d.pending = append(d.pending, batchKeys{b, append([]string(nil), fx.keys...)})
		d.latest = b
	}
	if b != nil {
		for _, m := range fx.marks {
			m.c.marks = append(m.c.marks, replyMark{m.start, m.end, b})
		}
	}
	for _, w := range fx.wake {
		close(w)
	}
	fx.args, fx.keys, fx.marks, fx.wake = fx.args[:0], fx.keys[:0], fx.marks[:0], fx.wake[:0]
	fx.dep = nil
}

// forgetCommitted drops key-tracker entries of finished batches.
func (e *Engine) forgetCommitted() {
	d := e.log
	n := 0
	for n < len(d.pending) {
		p := d.pending[n]
		select {
		case <-p.b.Done():
		default:
			d.pending = d.pending[n:]
			return
		}
		if p.b.Err() == nil {
			for _, k := range p.keys {
				if d.keys[k] == p.b {
					delete(d.keys, k)
				}
			}
		}
		n++
	}
	d.pending = d.pending[:0]
}

// AwaitCommit waits until every reply in out may be sent, and returns out
// with the replies of writes that did not commit (and of reads that saw
// them) replaced by an error. Only the connection's goroutine calls it,
// without the engine lock.
func (c *Client) AwaitCommit(out []byte, marks []replyMark) []byte {
	if len(marks) == 0 {
		return out
	}
	last := marks[len(marks)-1].b
	<-last.Done()
	if last.Err() == nil {
		// Batches finish in order: the newest committed, so did all.
		return out
	}
	var fixed []byte
	prev := 0
	for _, m := range marks {
		<-m.b.Done()
		if m.b.Err() == nil || m.start >= len(out) {
			continue
		}
		fixed = append(fixed, out[prev:m.start]...)
		msg := fmt.Sprintf(errNotCommitted, errReason(m.b.Err()))
		fixed = append(fixed, '-')
		fixed = append(fixed, msg...)
		fixed = append(fixed, '\r', '\n')
		prev = min(m.end, len(out))
	}
	return append(fixed, out[prev:]...)
}

// TakeMarks returns and clears the client's reply marks.
func (c *Client) TakeMarks() []replyMark {
	m := c.marks
	c.marks = nil
	return m
}

func errReason(err error) string {
	switch {
	case errors.Is(err, txlog.ErrFenced):
		return "another writer appended to the log first"
	case errors.Is(err, txlog.ErrCommitTimeout):
		return "the log did not answer in time"
	case errors.Is(err, context.Canceled):
		return "the node is shutting down"
	default:
		return "the log failed: " + err.Error()
	}
}

// LogStats describes the durable write path for INFO.
type LogStats struct {
	Enabled                        bool
	Down                           bool
	CommittedSeq                   uint64
	PendingBatches                 int
	Appends, Bytes, Writes         int64
	FenceErrors, Failures, Rebuild int64
	P50, P99                       int64 // append latency, µs
}

func (e *Engine) logStats() LogStats {
	d := e.log
	if d == nil || d.com == nil {
		return LogStats{}
	}
	s := &d.com.Stats
	return LogStats{
		Enabled: true, Down: d.down.Load(),
		CommittedSeq: d.com.LastSeq(), PendingBatches: d.com.Pending(),
		Appends: s.Appends.Load(), Bytes: s.Bytes.Load(), Writes: s.Writes.Load(),
		FenceErrors: s.FenceErrors.Load(), Failures: s.Failures.Load(), Rebuild: d.rebuilds.Load(),
		P50: s.Latency.Percentile(50), P99: s.Latency.Percentile(99),
	}
}
