package command

import (
	"container/heap"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Removal of expired hash fields, lazily when a hash command looks a hash
// up and actively from the cron, with their effects on the log: HDEL of
// the fields, or DEL of the key when its last field goes (as Redis
// propagates them).
//
// hfeRegistry finds the hashes due without scanning the keyspace: a heap
// of (time, key) holding for each hash with TTL fields a time at or before
// its earliest field's, as Redis's db->hexpires ebuckets. An entry may be
// stale (the key deleted, renamed or its hash replaced, or its earliest
// time moved later): the cycle checks the key when the entry comes due
// and registers it again at its current earliest time if it still has
// TTLs. A hash is (re)registered whenever a hash command touches it, so a
// renamed or copied hash is found again on its first access.
type hfeRegistry struct {
	db    *keyspace.DB     // the keyspace the entries are about
	at    map[string]int64 // live entry of each key
	items hfeHeap
	// expired counts fields removed because their time passed.
	expired int64
}

type hfeItem struct {
	at  int64
	key string
}

type hfeHeap []hfeItem

func (h hfeHeap) Len() int           { return len(h) }
func (h hfeHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h hfeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hfeHeap) Push(x any)        { *h = append(*h, x.(hfeItem)) }
func (h *hfeHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// hfeFieldsPerCycle bounds the fields one active cycle removes, as Redis's
// active expiry bounds its work per cron tick.
const hfeFieldsPerCycle = 1000

// sync makes the registry describe the engine's current keyspace. At
// first use nothing can be missing (every TTL was set through a command
// that registered it, replayed ones included); after a rebuild swapped
// the keyspace, it scans the new one once for hashes with TTLs.
func (r *hfeRegistry) sync(db *keyspace.DB) {
	if r.db == db {
		return
	}
	first := r.db == nil
	r.db, r.at, r.items = db, map[string]int64{}, nil
	if first {
		return
	}
	for slot := range keyspace.NumSlots {
		db.KeysInSlot(slot, func(key string, e *keyspace.Entry) bool {
			if h, ok := e.Value.(*keyspace.Hash); ok && h.HasTTLs() {
				r.track(key, h)
			}
			return true
		})
	}
}

// track registers key's hash at its earliest field time unless an entry
// at least as early exists.
func (r *hfeRegistry) track(key string, h *keyspace.Hash) {
	at := h.MinExpire()
	if at == 0 {
		return
	}
	if cur, ok := r.at[key]; ok && cur <= at {
		return
	}
	r.at[key] = at
	heap.Push(&r.items, hfeItem{at, key})
}

// hashTTLsChanged registers a hash whose field TTLs a command just set.
func (c *Ctx) hashTTLsChanged(key string, h *keyspace.Hash) {
	e := c.E
	e.hfe.sync(e.db)
	e.hfe.track(key, h)
}

// movedValue registers, for active expiry, the field TTLs of a value a
// command stored whole under key (RENAME, COPY, RESTORE): they arrive
// without passing through the field-expiration commands.
func (c *Ctx) movedValue(key string, v keyspace.Value) {
	if h, ok := v.(*keyspace.Hash); ok && h.HasTTLs() {
		c.hashTTLsChanged(key, h)
	}
}

// expireHashFields removes h's fields whose time has passed, for a
// command about to use the hash under key; it returns the hash, or nil
// when no field is left and the key is gone. Replaying the log removes
// nothing, and neither does a replica: fields leave through the effects
// the primary logged. (A replica shows a due field until the primary's
// HDEL arrives, one cron tick later at most while the primary is up;
// unlike whole keys, it does not hide it.)
func (c *Ctx) expireHashFields(key string, h *keyspace.Hash) *keyspace.Hash {
	e := c.E
	if e.replaying || e.db.Replica() {
		return h
	}
	e.hfe.sync(e.db)
	if h.MinExpire() > c.Now {
		e.hfe.track(key, h)
		return h
	}
	var fields [][]byte
	h.ExpireFields(c.Now, 0, func(f string) { fields = append(fields, []byte(f)) })
	e.hashFieldsExpired(key, h, fields)
	if h.Len() == 0 {
		return nil
	}
	e.hfe.track(key, h)
	return h
}

// hashFieldsExpired accounts for fields of key removed by expiry: the key
// goes with its last field, and the removal is logged as HDEL (or DEL).
func (e *Engine) hashFieldsExpired(key string, h *keyspace.Hash, fields [][]byte) {
	if len(fields) == 0 {
		return
	}
	e.hfe.expired += int64(len(fields))
	var fx [][]byte
	if h.Len() == 0 {
		e.db.Delete(key)
		fx = [][]byte{bDEL, []byte(key)}
	} else {
		fx = append([][]byte{bHDEL, []byte(key)}, fields...)
	}
	e.keyModified(key)
	if e.log != nil && !e.replaying {
		e.fx.args = append(e.fx.args, fx)
		e.fx.keys = append(e.fx.keys, key)
	}
}

// activeExpireHashFields is the cron's field expiry: it takes the hashes
// whose earliest field is due, in time order, and removes their due
// fields, up to hfeFieldsPerCycle fields per call.
func (e *Engine) activeExpireHashFields() {
	r := &e.hfe
	r.sync(e.db)
	now := e.now().UnixMilli()
	budget := hfeFieldsPerCycle
	for len(r.items) > 0 && r.items[0].at <= now && budget > 0 {
		it := heap.Pop(&r.items).(hfeItem)
		if r.at[it.key] != it.at {
			continue // superseded by an earlier entry
		}
		delete(r.at, it.key)
		ent := e.db.Lookup(it.key, now)
		if ent == nil {
			continue
		}
		h, ok := ent.Value.(*keyspace.Hash)
		if !ok || !h.HasTTLs() {
			continue
		}
		var fields [][]byte
		budget -= h.ExpireFields(now, budget, func(f string) { fields = append(fields, []byte(f)) })
		e.hashFieldsExpired(it.key, h, fields)
		if h.Len() > 0 {
			r.track(it.key, h)
		}
	}
}
