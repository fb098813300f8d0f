package build

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// RestoreConfig says what a new cluster's shard starts from.
type RestoreConfig struct {
	// Sources are files (Mnemo snapshots or Redis RDB files, told apart
	// by their magic) or [SHARD/]NAME of snapshots in Store. Several
	// sources merge: restoring a cluster into fewer shards.
	Sources []string
	// Slots are the slots the shard serves; keys of other slots are left
	// out, so a restore into more shards splits by slot.
	Slots []snapshot.SlotRange
	Store *snapshot.Store
	// SourceStore, when set, opens the store that holds the named
	// sources (another cluster's log) instead of Store, and release
	// closes it. It is called only when a restore is due, so a restarted
	// node does not need the source any more.
	SourceStore func(context.Context) (store *snapshot.Store, release func(), err error)
	Stream      *txlog.Stream
	Shard       int
	Engine      *config.Config
	Log         *slog.Logger
}

// Restore makes a new cluster's first snapshot from the sources: the
// shard's nodes then start from it like from any snapshot, with the log
// beginning after it (sequence 0). A cluster whose log or store holds
// anything already is not new — the restore happened before a restart —
// and is left alone: Restore then returns false.
func Restore(ctx context.Context, cfg RestoreConfig) (bool, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	last, err := cfg.Stream.LastSeq(ctx)
	if err != nil {
		return false, err
	}
	_, has, err := cfg.Store.Newest(ctx, cfg.Shard, nil)
	if err != nil {
		return false, err
	}
	if has || last > 0 {
		log.Info("Not restoring: the cluster has data already", "logSeq", last)
		return false, nil
	}
	ecfg := cfg.Engine
	if ecfg == nil {
		ecfg = config.New()
	}
	l := command.EncodingLimits(ecfg)
	slots := cfg.Slots
	if slots == nil {
		slots = snapshot.AllSlots
	}
	inSlots := make([]bool, keyspace.NumSlots)
	for _, r := range slots {
		for s := r.Start; s <= r.End; s++ {
			inSlots[s] = true
		}
	}
	sources := cfg.Store
	if cfg.SourceStore != nil {
		s, release, err := cfg.SourceStore(ctx)
		if err != nil {
			return false, err
		}
		defer release()
		sources = s
	}
	db := keyspace.New()
	for _, src := range cfg.Sources {
		part := keyspace.New()
		if err := loadSource(ctx, src, part, sources, cfg.Shard, l, log); err != nil {
			return false, fmt.Errorf("cannot restore from %s: %w", src, err)
		}
		for slot := range keyspace.NumSlots {
			if !inSlots[slot] {
				continue
			}
			part.KeysInSlot(slot, func(k string, en *keyspace.Entry) bool {
				ne := db.Set(k, en.Value)
				if en.ExpireAt != 0 {
					db.SetExpire(k, ne, en.ExpireAt)
				}
				return true
			})
		}
	}
	m := snapshot.Meta{Shard: cfg.Shard, Slots: slots, Created: time.Now().UTC(), Engine: command.Version}
	name := "restore-" + m.Created.Format("20060102T150405.000Z")
	info, err := cfg.Store.Save(ctx, cfg.Shard, name, m, func(w io.Writer) (snapshot.Summary, error) {
		sw, err := snapshot.NewWriter(w, m, l)
		if err != nil {
			return snapshot.Summary{}, err
		}
		if err := sw.WriteDB(db); err != nil {
			return snapshot.Summary{}, err
		}
		return sw.Close()
	})
	if err != nil {
		return false, err
	}
	log.Info("Restored", "from", strings.Join(cfg.Sources, ","), "snapshot", info.Name, "keys", info.Keys)
	return true, nil
}

// loadSource loads one restore source into db.
func loadSource(ctx context.Context, src string, db *keyspace.DB, store *snapshot.Store, shard int, l keyspace.Limits, log *slog.Logger) error {
	if f, err := os.Open(src); err == nil {
		defer f.Close()
		br := bufio.NewReaderSize(f, 1<<20)
		head, _ := br.Peek(8)
		if strings.HasPrefix(string(head), "REDIS") {
			info, err := snapshot.ReadRDB(br, db, l, time.Now().UnixMilli())
			if err == nil && info.Expired > 0 {
				log.Info("Left out keys of the RDB file that had expired", "count", info.Expired)
			}
			return err
		}
		_, err := snapshot.Load(br, db, l)
		return err
	}
	name := src
	if s, n, ok := strings.Cut(src, "/"); ok {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is neither a file nor [SHARD/]NAME", src)
		}
		shard, name = v, n
	}
	info, err := store.Get(ctx, shard, name)
	if err != nil {
		return err
	}
	rc, err := store.Open(ctx, shard, info)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = snapshot.Load(rc, db, l)
	return err
}
