package command

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// Snapshots and the engine: a node starts from the newest snapshot and
// replays only the log after it; `mnemo snapshot` drives a private engine
// the same way (load, apply log entries, write) off the data path.

// SnapshotSource opens the newest complete snapshot of the node's shard,
// or returns nil when there is none (the log then replays from its
// start). LogOptions.Snapshots takes one.
type SnapshotSource func(ctx context.Context) (io.ReadCloser, error)

// rebuild loads the newest snapshot, if any, then replays the log after
// it; with the lock. It returns the last sequence applied.
func (e *Engine) rebuild(ctx context.Context) (uint64, error) {
	from := uint64(0)
	if src := e.log.snapshots; src != nil {
		started := time.Now()
		rc, err := src(ctx)
		if err != nil {
			return 0, fmt.Errorf("cannot open the newest snapshot: %w", err)
		}
		if rc != nil {
			m, err := e.loadSnapshot(rc)
			rc.Close()
			if err != nil {
				return 0, err
			}
			from = m.Seq
			e.log.log.Info("Loaded snapshot", "seq", m.Seq, "keys", e.db.Len(), "took", time.Since(started).Round(time.Millisecond))
		}
	}
	return e.replay(ctx, from)
}

// loadSnapshot replaces the keyspace with the snapshot read from r; with
// the lock. On error the keyspace is left as it was.
func (e *Engine) loadSnapshot(r io.Reader) (snapshot.Meta, error) {
	db := keyspace.New()
	m, err := snapshot.Load(r, db, limitsOf(e))
	if err != nil {
		return snapshot.Meta{}, fmt.Errorf("cannot load snapshot: %w", err)
	}
	db.OnExpire = e.keyExpired
	e.db = db
	return m, nil
}

// LoadSnapshot replaces the keyspace of an engine that is not serving
// (a snapshot builder, a restore) with the snapshot read from r.
func (e *Engine) LoadSnapshot(r io.Reader) (snapshot.Meta, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loadSnapshot(r)
}

// ApplyLogEntry applies one log entry as a replay does: effects run with
// the clock at zero, so keys leave only by the DELs the primary logged.
func (e *Engine) ApplyLogEntry(data []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	cl := e.builderClient()
	e.replaying = true
	defer func() { e.replaying = false }()
	return txlog.DecodeBatch(data, func(group [][][]byte) error {
		for _, args := range group {
			e.applyEffect(cl, args)
		}
		return nil
	})
}

// builderClient is the client log entries run as in an engine without a
// log of its own.
func (e *Engine) builderClient() *Client {
	if e.log != nil {
		return e.log.replayClient
	}
	if e.snap.client == nil {
		e.snap.client = newReplayClient()
	}
	return e.snap.client
}

// WriteSnapshot writes the whole keyspace as a snapshot with metadata m.
// It holds the engine lock throughout: for a builder's private engine,
// never a serving one.
func (e *Engine) WriteSnapshot(w io.Writer, m snapshot.Meta) (snapshot.Summary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sw, err := snapshot.NewWriter(w, m, limitsOf(e))
	if err != nil {
		return snapshot.Summary{}, err
	}
	if err := sw.WriteDB(e.db); err != nil {
		return snapshot.Summary{}, err
	}
	return sw.Close()
}

// WriteRDB writes the whole keyspace as a Redis RDB file.
func (e *Engine) WriteRDB(w io.Writer) (snapshot.Summary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return snapshot.WriteRDB(w, e.db, limitsOf(e), e.now().UnixMilli())
}

// LoadRDB replaces the keyspace of an engine that is not serving with
// the keys of a Redis RDB file.
func (e *Engine) LoadRDB(r io.Reader, now int64) (snapshot.RDBInfo, error) {
	db := keyspace.New()
	e.mu.Lock()
	defer e.mu.Unlock()
	info, err := snapshot.ReadRDB(r, db, limitsOf(e), now)
	if err != nil {
		return info, err
	}
	db.OnExpire = e.keyExpired
	e.db = db
	return info, nil
}

// EncodingLimits returns the encoding thresholds of cfg: snapshots and
// RDB files hold values in the encodings the engine would report.
func EncodingLimits(cfg *config.Config) keyspace.Limits {
	return limitsOf(&Engine{cfg: cfg})
}
