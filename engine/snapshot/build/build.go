// Package build builds a shard's snapshot off the data path: it loads the
// newest snapshot into a private engine, replays the log after it up to a
// sequence or a time, writes the result to the snapshot store, then
// applies retention and trims the log below what the retained snapshots
// need. It is what `mnemo snapshot` runs (a Job, never on the primary)
// and what `mnemo local` runs in-process for BGSAVE and its schedule. It
// is not the format (package snapshot) nor the engine (package command).
package build

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// Config says what to build.
type Config struct {
	Stream *txlog.Stream
	Store  *snapshot.Store
	Shard  int
	// Slots are the slot ranges recorded in the snapshot; nil for all.
	Slots []snapshot.SlotRange
	// Name names the snapshot; "" for one made of its time and sequence.
	Name string
	// ToSeq stops the replay after this sequence; 0 for the log's end
	// when the build starts.
	ToSeq uint64
	// ToTime stops the replay before the first entry committed after it
	// (a point in time); zero for no limit.
	ToTime time.Time
	// Retention and Trim: when Trim is set, snapshots that Retention does
	// not keep are deleted and the log is trimmed below the oldest kept.
	Retention snapshot.Retention
	Trim      bool
	// LeftoverAge is how old what killed builds left in the store must
	// be before this build removes it (snapshot/leftovers.go); 0 for
	// snapshot.LeftoverAge, negative to leave it.
	LeftoverAge time.Duration
	// Output, if set, receives the snapshot instead of the store (an
	// export): no manifest, no retention, no trimming. Format "rdb"
	// makes it a Redis RDB file.
	Output io.Writer
	Format string
	// Engine is the configuration of the private engine (its encoding
	// thresholds decide the snapshot's encodings); nil for the defaults.
	Engine *config.Config
	Log    *slog.Logger
	// Now replaces the clock (tests).
	Now func() time.Time
}

// Result describes a build.
type Result struct {
	Info snapshot.Info
	// Base is the snapshot the build started from ("" for the log's start).
	Base string
	// Replayed counts the log entries applied.
	Replayed uint64
	// TrimmedBelow is the sequence the log was trimmed below (0: not).
	TrimmedBelow uint64
	// Deleted names the snapshots retention removed.
	Deleted []string
	// Leftovers lists what killed builds had left, removed.
	Leftovers []snapshot.Leftover
	Took      time.Duration
}

// Build builds a snapshot as cfg says.
func Build(ctx context.Context, cfg Config) (Result, error) {
	started := time.Now()
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, store := cfg.Stream, cfg.Store
	last, err := st.LastSeq(ctx)
	if err != nil {
		return Result{}, err
	}
	target := last
	if cfg.ToSeq > 0 {
		if cfg.ToSeq > last {
			return Result{}, fmt.Errorf("--to-seq %d is past the log's end (%d)", cfg.ToSeq, last)
		}
		target = cfg.ToSeq
	}
	base, ok, err := store.Newest(ctx, cfg.Shard, func(i snapshot.Info) bool {
		return i.Meta.Seq <= target && (cfg.ToTime.IsZero() || !i.Meta.SeqTime.After(cfg.ToTime))
	})
	if err != nil {
		return Result{}, err
	}
	ecfg := cfg.Engine
	if ecfg == nil {
		ecfg = config.New()
	}
	e := command.New(ecfg)
	res := Result{}
	meta := snapshot.Meta{Shard: cfg.Shard, Slots: cfg.Slots, Engine: command.Version}
	if meta.Slots == nil {
		meta.Slots = snapshot.AllSlots
	}
	if ok {
		rc, err := store.Open(ctx, cfg.Shard, base)
		if err != nil {
			return Result{}, fmt.Errorf("cannot open snapshot %s: %w", base.Name, err)
		}
		m, err := e.LoadSnapshot(rc)
		rc.Close()
		if err != nil {
			return Result{}, fmt.Errorf("snapshot %s: %w", base.Name, err)
		}
		meta.Seq, meta.SeqTime = m.Seq, m.SeqTime
		res.Base = base.Name
		log.Info("Loaded snapshot", "name", base.Name, "seq", m.Seq, "keys", base.Keys)
	}
	if meta.Seq < target {
		first, err := st.FirstSeq(ctx)
		if err != nil {
			return Result{}, err
		}
		if first > meta.Seq+1 {
			return Result{}, fmt.Errorf("the log was trimmed past the snapshot to start from: it begins at %d, the snapshot covers up to %d", first, meta.Seq)
		}
	}
	err = st.ReplayRange(ctx, meta.Seq, target, func(seq uint64, at time.Time, data []byte) (bool, error) {
		if !cfg.ToTime.IsZero() && at.After(cfg.ToTime) {
			return true, nil
		}
		if err := e.ApplyLogEntry(data); err != nil {
			return false, err
		}
		meta.Seq, meta.SeqTime = seq, at.UTC()
		res.Replayed++
		return false, nil
	})
	if err != nil {
		return Result{}, err
	}
	meta.Created = now().UTC()
	name := cfg.Name
	if name == "" {
		name = meta.Created.Format("20060102T150405.000Z") + "-seq" + strconv.FormatUint(meta.Seq, 10)
	}
	if cfg.Output != nil {
		var sum snapshot.Summary
		if cfg.Format == "rdb" {
			sum, err = e.WriteRDB(cfg.Output)
		} else {
			sum, err = e.WriteSnapshot(cfg.Output, meta)
		}
		res.Info = snapshot.Info{Meta: meta, Keys: sum.Keys, Size: int64(sum.Bytes)}
		res.Took = time.Since(started)
		return res, err
	}
	info, err := store.Save(ctx, cfg.Shard, name, meta, func(w io.Writer) (snapshot.Summary, error) {
		return e.WriteSnapshot(w, meta)
	})
	if err != nil {
		return Result{}, err
	}
	res.Info = info
	log.Info("Wrote snapshot", "name", name, "seq", meta.Seq, "keys", info.Keys, "bytes", info.Size, "replayed", res.Replayed)
	cleanLeftovers(ctx, cfg, now(), &res, log)
	if cfg.Trim {
		if err := trim(ctx, cfg, now(), &res, log); err != nil {
			return res, err
		}
	}
	res.Took = time.Since(started)
	return res, nil
}

// trim applies retention, then trims the log below the oldest complete
// snapshot kept: every kept snapshot, and every point in time after the
// oldest, stays restorable.
func trim(ctx context.Context, cfg Config, now time.Time, res *Result, log *slog.Logger) error {
	kept, deleted, err := cfg.Store.Prune(ctx, cfg.Shard, cfg.Retention, now)
	res.Deleted = deleted
	if err != nil {
		return err
	}
	if len(kept) == 0 {
		return nil
	}
	below := kept[0].Meta.Seq + 1
	if err := cfg.Stream.TrimBelow(ctx, below); err != nil {
		return err
	}
	res.TrimmedBelow = below
	log.Info("Trimmed the log", "below", below, "snapshots", len(kept))
	return nil
}

// cleanLeftovers removes what builds killed while uploading left in the
// store. The snapshot just built is complete whatever happens here, so a
// failure is logged, not returned: the next build tries again.
func cleanLeftovers(ctx context.Context, cfg Config, now time.Time, res *Result, log *slog.Logger) {
	age := cfg.LeftoverAge
	if age == 0 {
		age = snapshot.LeftoverAge
	}
	if age < 0 {
		return
	}
	removed, err := cfg.Store.CleanLeftovers(ctx, cfg.Shard, now.Add(-age))
	res.Leftovers = removed
	for _, l := range removed {
		log.Info("Removed what a killed build left", "leftover", l.String())
	}
	if err != nil {
		log.Warn("Cannot remove what killed builds left; the next build tries again", "error", err)
	}
}
