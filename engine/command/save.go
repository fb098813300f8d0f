package command

import (
	"context"
	"sync"
	"time"
)

// BGSAVE, SAVE and LASTSAVE. Mnemo never forks and never writes an RDB
// file from the primary: a snapshot is built off the data path from the
// newest snapshot and the log (`mnemo snapshot`). `mnemo local` runs that
// builder in-process on request, so these commands answer as Redis's do;
// a data node in Kubernetes leaves snapshots to its cluster's Job and
// refuses them.

const (
	errNoSaver        = "ERR This node does not build snapshots: they are built off the data path by `mnemo snapshot` (a Job per shard)"
	errSaveInProgress = "ERR Background save already in progress"
	errSaveFailed     = "ERR Snapshot failed: "
)

// Saver builds a snapshot of the node's shard and returns when it is
// complete, with its completion time.
type Saver func(ctx context.Context) (time.Time, error)

// snapState is the node's part in snapshots.
type snapState struct {
	// client runs log entries in an engine without a log (a builder's);
	// guarded by the engine lock.
	client *Client

	mu        sync.Mutex
	saver     Saver // guarded by mu
	ctx       context.Context
	running   bool      // guarded by mu
	scheduled bool      // guarded by mu: BGSAVE SCHEDULE while running
	last      time.Time // guarded by mu: last successful snapshot
	lastErr   error     // guarded by mu
}

// SetSaver lets the node build snapshots on request (BGSAVE, SAVE) until
// ctx ends; last is when the newest existing snapshot was completed
// (LASTSAVE), zero for none.
func (e *Engine) SetSaver(ctx context.Context, s Saver, last time.Time) {
	e.snap.mu.Lock()
	defer e.snap.mu.Unlock()
	e.snap.saver, e.snap.ctx, e.snap.last = s, ctx, last
}

// BackgroundSave starts a snapshot as BGSAVE does and reports whether it
// started (false: one is running, or the node has no saver).
func (e *Engine) BackgroundSave() bool {
	s := &e.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saver == nil || s.running {
		return false
	}
	s.running = true
	go e.runSave()
	return true
}

func (e *Engine) runSave() {
	s := &e.snap
	for {
		s.mu.Lock()
		save, ctx := s.saver, s.ctx
		s.mu.Unlock()
		at, err := save(ctx)
		s.mu.Lock()
		s.lastErr = err
		if err == nil {
			s.last = at
		}
		again := s.scheduled && ctx.Err() == nil
		s.scheduled = false
		if !again {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// lastSave is LASTSAVE's time: the newest snapshot's, or the node's start
// when it has none (Redis reports its start when it never saved).
func (e *Engine) lastSave() time.Time {
	e.snap.mu.Lock()
	defer e.snap.mu.Unlock()
	if e.snap.last.IsZero() {
		return e.started
	}
	return e.snap.last
}

func init() {
	register("bgsave", bgsaveCmd)
	register("save", saveCmd)
}

// bgsaveCmd is BGSAVE [SCHEDULE].
func bgsaveCmd(c *Ctx) {
	schedule := false
	if len(c.Args) > 2 || len(c.Args) == 2 && !c.ArgIs(1, "SCHEDULE") {
		c.ErrSyntax()
		return
	}
	schedule = len(c.Args) == 2
	s := &c.E.snap
	s.mu.Lock()
	saver, running := s.saver, s.running
	if saver != nil && running && schedule {
		s.scheduled = true
	}
	s.mu.Unlock()
	switch {
	case saver == nil:
		c.Error(errNoSaver)
	case running && schedule:
		c.W.Status("Background saving scheduled")
	case running:
		c.Error(errSaveInProgress)
	case c.E.BackgroundSave():
		c.W.Status("Background saving started")
	default:
		c.Error(errSaveInProgress)
	}
}

// saveCmd is SAVE: a snapshot, waited for. The builder reads the log,
// not this node's keyspace, so unlike Redis's SAVE it copies nothing under
// the lock; the node waits only as Redis's would.
func saveCmd(c *Ctx) {
	s := &c.E.snap
	s.mu.Lock()
	saver, ctx, running := s.saver, s.ctx, s.running
	if saver != nil && !running {
		s.running = true
	}
	s.mu.Unlock()
	switch {
	case saver == nil:
		c.Error(errNoSaver)
		return
	case running:
		c.Error(errSaveInProgress)
		return
	}
	at, err := saver(ctx)
	s.mu.Lock()
	s.running = false
	s.lastErr = err
	if err == nil {
		s.last = at
	}
	s.mu.Unlock()
	if err != nil {
		c.Error(errSaveFailed + err.Error())
		return
	}
	c.W.OK()
}
