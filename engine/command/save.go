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

	// What INFO persistence reports, as Redis counts it; guarded by mu.
	// background is set while a BGSAVE (not a SAVE) runs, since
	// bgStarted. bgLast is how long the last BGSAVE took, once bgDone;
	// bgFailed whether it failed. saves counts the saves started.
	// dirtyStart is the engine's change count when the running save
	// started, dirtySaved when the last successful one did: changes since
	// the last save are those after it.
	background bool
	bgStarted  time.Time
	bgLast     time.Duration
	bgDone     bool
	bgFailed   bool
	saves      int64
	dirtyStart int64
	dirtySaved int64
}

// saveStarted records a save starting with the engine's change count at
// dirty; with mu held.
func (s *snapState) saveStarted(background bool, dirty int64) {
	s.saves++
	s.background = background
	s.dirtyStart = dirty
	if background {
		s.bgStarted = time.Now()
	}
}

// saveDone records the end of the running save; with mu held.
func (s *snapState) saveDone(at time.Time, err error) {
	s.lastErr = err
	if err == nil {
		s.last = at
		s.dirtySaved = s.dirtyStart
	}
	if s.background {
		s.bgLast, s.bgDone = time.Since(s.bgStarted), true
		s.bgFailed = err != nil
		s.background = false
	} else if err == nil {
		// Redis's SAVE resets the status a failed BGSAVE left.
		s.bgFailed = false
	}
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
		// The engine lock before the snapshot lock, as in the handlers.
		e.mu.Lock()
		dirty := e.dirty
		e.mu.Unlock()
		s.mu.Lock()
		save, ctx := s.saver, s.ctx
		s.saveStarted(true, dirty)
		s.mu.Unlock()
		at, err := save(ctx)
		s.mu.Lock()
		s.saveDone(at, err)
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

// persistenceInfo is what INFO persistence reports of snapshots.
type persistenceInfo struct {
	changes      int64
	bgInProgress bool
	lastSave     time.Time
	bgFailed     bool
	bgLastSec    int64
	bgCurrentSec int64
	saves        int64
}

// persistence returns the figures of INFO persistence; with the engine
// lock held (the change count is guarded by it). A node that started from
// a snapshot counts the log entries it replayed after it as changes: they
// are what the newest snapshot does not hold.
func (e *Engine) persistence() persistenceInfo {
	s := &e.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	p := persistenceInfo{changes: e.dirty - s.dirtySaved, bgInProgress: s.background, lastSave: s.last,
		bgFailed: s.bgFailed, bgLastSec: -1, bgCurrentSec: -1, saves: s.saves}
	if p.lastSave.IsZero() {
		p.lastSave = e.started
	}
	if s.bgDone {
		p.bgLastSec = int64(s.bgLast / time.Second)
	}
	if s.background {
		p.bgCurrentSec = int64(time.Since(s.bgStarted) / time.Second)
	}
	return p
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
		s.saveStarted(false, c.E.dirty)
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
	s.saveDone(at, err)
	s.mu.Unlock()
	if err != nil {
		c.Error(errSaveFailed + err.Error())
		return
	}
	c.W.OK()
}

// boolInt is INFO's 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
