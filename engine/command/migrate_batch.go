package command

import (
	"encoding/binary"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
)

// A migration moves keys in batches, each one command on the wire and one
// atomic group in the target's log:
//
//	CLUSTER IMPORTKEYS <migration-id> <key> <expire-at-ms> <payload> [...]
//
// payload is the key's DUMP payload (uncompressed: the source serialises
// under its engine lock, where LZF would only cost the foreground time),
// or empty when the key is gone and the target must delete it;
// expire-at-ms is an absolute Unix time, 0 for none. The target checks
// that it imports every key's slot in that migration, decodes the
// payloads without its engine lock, applies them, and logs one RESTORE …
// REPLACE [ABSTTL] or DEL effect per key; it answers with the number of
// keys once its log committed them.
//
// A batch is closed when it reaches migrateBatchBytes of payload or
// migrateBatchKeys keys, whichever comes first: that bounds both how long
// the source holds its engine lock to fill one and how long the target
// holds its own to apply one. A single key bigger than the byte bound
// goes alone.
const (
	migrateBatchBytes = 256 << 10
	migrateBatchKeys  = 2048
)

// errImportUnknown refuses CLUSTER IMPORTKEYS for a migration this
// shard does not import (cancelled, or never started); the migration's
// id follows.
const errImportUnknown = "ERR This shard imports no slot in migration "

// importBatch collects the keys of one CLUSTER IMPORTKEYS command. The
// payloads live in one arena, each followed by room for its footer
// (version and checksum), which finish fills in without the lock.
type importBatch struct {
	maxBytes, maxKeys int

	items []batchItem
	arena []byte
	// bytes counts keys and payloads: what the batch is bounded by.
	bytes int
}

type batchItem struct {
	key string
	at  int64
	// start, end delimit the payload in the arena; start == end for a
	// deletion.
	start, end int
}

func newImportBatch(maxBytes, maxKeys int) *importBatch {
	return &importBatch{maxBytes: maxBytes, maxKeys: maxKeys}
}

// full reports whether the batch has reached one of its bounds.
func (b *importBatch) full() bool {
	return len(b.items) >= b.maxKeys || b.bytes >= b.maxBytes
}

// len returns the number of keys in the batch.
func (b *importBatch) len() int { return len(b.items) }

// reset empties the batch, keeping its memory.
func (b *importBatch) reset() {
	b.items = b.items[:0]
	b.arena = b.arena[:0]
	b.bytes = 0
}

// addDelete adds a key that is gone.
func (b *importBatch) addDelete(key string) {
	n := len(b.arena)
	b.items = append(b.items, batchItem{key: key, start: n, end: n})
	b.bytes += len(key)
}

// addValue serialises v as key's payload, expiring at at (0 for never);
// with the engine lock held, since values change in place.
func (b *importBatch) addValue(key string, v keyspace.Value, at int64, l keyspace.Limits) error {
	start := len(b.arena)
	enc := rdb.NewEncoder((*arenaWriter)(&b.arena), l)
	enc.Compress = false
	if err := enc.WriteValue(v); err != nil {
		b.arena = b.arena[:start]
		return err
	}
	b.arena = append(b.arena, make([]byte, 10)...) // the footer, filled by finish
	b.items = append(b.items, batchItem{key: key, at: at, start: start, end: len(b.arena)})
	b.bytes += len(key) + len(b.arena) - start
	return nil
}

// finish writes each payload's footer (RDB version and CRC64, as DUMP
// does); without the engine lock.
func (b *importBatch) finish() {
	for _, it := range b.items {
		if it.start == it.end {
			continue
		}
		p := b.arena[it.start:it.end]
		body := len(p) - 10
		binary.LittleEndian.PutUint16(p[body:], rdb.Version)
		binary.LittleEndian.PutUint64(p[body+2:], rdb.CRC64(0, p[:body+2]))
	}
}

// args returns the batch as the arguments of CLUSTER IMPORTKEYS; they
// alias the batch until its next reset.
func (b *importBatch) args(id string) [][]byte {
	args := make([][]byte, 0, 3+3*len(b.items))
	args = append(args, []byte("CLUSTER"), []byte("IMPORTKEYS"), []byte(id))
	for _, it := range b.items {
		args = append(args, []byte(it.key), strconv.AppendInt(nil, it.at, 10), b.arena[it.start:it.end])
	}
	return args
}

// arenaWriter appends what an Encoder writes to a byte slice.
type arenaWriter []byte

func (w *arenaWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}

func init() {
	register("cluster|importkeys", clusterImportKeysCmd)
}

// importItem is one decoded key of CLUSTER IMPORTKEYS.
type importItem struct {
	key     string
	at      int64
	atArg   []byte
	payload []byte
	value   keyspace.Value // nil to delete
}

// clusterImportKeysCmd applies a batch of a migration's keys on the
// target's primary (see importBatch). Nothing is applied unless the whole
// batch is valid. The payloads are decoded with the engine lock released:
// the command is refused in MULTI and scripts, and nothing of the engine
// has been read or changed yet, as when a held write waits in
// clusterRoute.
func clusterImportKeysCmd(c *Ctx) {
	if (len(c.Args)-3)%3 != 0 {
		c.Error(errWrongArgs(c.Cmd.Name))
		return
	}
	e := c.E
	cl := e.topo.cl
	if cl == nil {
		c.Error(errNotClustered)
		return
	}
	id := string(c.Args[2])
	t := cl.routed.Load()
	if importingMigration(t, id, cl.opts.Shard) == nil {
		c.Error(errImportUnknown + id)
		return
	}
	items := make([]importItem, 0, (len(c.Args)-3)/3)
	for i := 3; i < len(c.Args); i += 3 {
		key := c.Args[i]
		if slot := keySlot(key); t.MigrationOf(slot) == nil || t.MigrationOf(slot).ID != id {
			c.Error("ERR Slot " + strconv.Itoa(slot) + " is not imported by migration " + id)
			return
		}
		at, err := strconv.ParseInt(string(c.Args[i+1]), 10, 64)
		if err != nil || at < 0 {
			c.Error(errRestoreTTL)
			return
		}
		items = append(items, importItem{key: string(key), at: at, atArg: c.Args[i+1], payload: c.Args[i+2]})
	}
	limits := c.limits()
	// Other clients' writes run while the lock is released: mark the
	// command as logging only its own effects, or Engine.collect would
	// take their changes for this command's and log its arguments.
	c.NoEffect()
	e.mu.Unlock()
	msg := decodeImports(items, limits)
	e.mu.Lock()
	if msg != "" {
		c.Error(msg)
		return
	}
	// The slot map may have changed while the lock was released.
	if importingMigration(cl.routed.Load(), id, cl.opts.Shard) == nil {
		c.Error(errImportUnknown + id)
		return
	}
	c.Now = e.now().UnixMilli()
	for i := range items {
		it := &items[i]
		if it.value == nil || (it.at != 0 && it.at <= c.Now) {
			// Gone on the source, or expired on the way: as RESTORE
			// REPLACE of an expired key, only the old value goes.
			if c.DB.Delete(it.key) {
				c.Modified(it.key)
				c.Effect(bDEL, []byte(it.key))
			}
			continue
		}
		ent := c.DB.Set(it.key, it.value)
		ent.Access = c.Now
		ent.Freq = 0
		fx := [][]byte{[]byte("RESTORE"), []byte(it.key), it.atArg, it.payload, []byte("REPLACE")}
		if it.at != 0 {
			c.DB.SetExpire(it.key, ent, it.at)
			fx = append(fx, []byte("ABSTTL"))
		}
		c.movedValue(it.key, it.value)
		c.Modified(it.key)
		c.Effect(fx...)
	}
	c.W.Int(int64(len(items)))
}

// decodeImports verifies and decodes the payloads of items; it returns
// the error to answer, or "".
func decodeImports(items []importItem, l keyspace.Limits) string {
	for i := range items {
		it := &items[i]
		if len(it.payload) == 0 {
			continue
		}
		if rdb.VerifyPayload(it.payload) != nil {
			return errDumpPayload
		}
		v, err := rdb.Restore(it.payload, l)
		if err != nil {
			return errBadDataFormat
		}
		it.value = v
	}
	return ""
}

// importingMigration returns the migration id of t that moves slots into
// shard me, or nil.
func importingMigration(t *cluster.Topology, id string, me int) *cluster.Migration {
	if t == nil {
		return nil
	}
	ms := t.Migrations()
	for i := range ms {
		if ms[i].ID == id && ms[i].To == me {
			return &ms[i]
		}
	}
	return nil
}
