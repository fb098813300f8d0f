package keyspace

import "math/rand/v2"

// Entry is one key's value with its metadata.
type Entry struct {
	// Value is one of the value types of this package: *String, *List,
	// *Hash, *Set, *ZSet (and the types later packages add).
	Value Value
	// ExpireAt is the absolute expiry time in Unix milliseconds, 0 for none.
	ExpireAt int64
	// Access is the last access time in Unix milliseconds (OBJECT
	// IDLETIME and LRU eviction).
	Access int64
	// Freq is the logarithmic access counter (OBJECT FREQ and LFU
	// eviction).
	Freq uint8
	// Mem is what the entry counted for in DB.Used when it was last
	// accounted (Account); 0 for an entry never accounted yet, which is
	// how a key new to the keyspace is told apart.
	Mem int64
}

// slotData is the keys of one hash slot.
type slotData struct {
	keys map[string]*Entry
}

// DB is a slot-partitioned keyspace.
type DB struct {
	slots [NumSlots]slotData
	// volatile holds every key with an expiry time, for active expiry to
	// sample from.
	volatile map[string]*Entry
	count    int
	// Expired counts keys removed because their time passed
	// (INFO expired_keys).
	Expired int64
	// AvgTTL is a running estimate of the remaining time to live of keys
	// with one, in ms, from active expiry's samples (INFO keyspace
	// avg_ttl), kept as Redis keeps it.
	AvgTTL int64
	// OnExpire, if set, is called for every key removed by expiry, lazy or
	// active, after it is gone.
	OnExpire func(key string)
	// Used is the memory the keys hold, the sum of their entries' Mem
	// (memory.go): removals subtract at once, writes add when accounted.
	Used int64

	// replica hides expired keys instead of removing them: on a replica
	// keys leave only through the primary's DEL in the log, so that its
	// keyspace stays the log's (see SetReplica).
	replica bool

	// lastKey and lastSlot remember the last slot computed: a command
	// usually looks a key up and then writes it, and CRC16 is the costliest
	// part of a lookup.
	lastKey  string
	lastSlot int
}

// slotOf returns the hash slot of key.
func (db *DB) slotOf(key string) int {
	if key == db.lastKey && key != "" {
		return db.lastSlot
	}
	s := KeySlot(key)
	db.lastKey, db.lastSlot = key, s
	return s
}

// New returns an empty DB.
func New() *DB {
	return &DB{volatile: make(map[string]*Entry)}
}

// Len returns the number of keys, including expired keys not yet removed
// (DBSIZE counts them too).
func (db *DB) Len() int { return db.count }

// VolatileLen returns the number of keys with an expiry time.
func (db *DB) VolatileLen() int { return len(db.volatile) }

// SetReplica switches replica mode on or off. In replica mode a key whose
// time has passed reads as missing but stays in the keyspace, as on a
// Redis replica: the primary removes it and its DEL reaches the replica
// through the log. A replica that removed keys itself would drift from the
// log (and a later promotion would act on a keyspace the log never held).
func (db *DB) SetReplica(on bool) { db.replica = on }

// Replica reports whether the DB is in replica mode.
func (db *DB) Replica() bool { return db.replica }

// Lookup returns key's entry, or nil if it does not exist. A key whose time
// has passed at now is reported missing and removed, except in replica
// mode, where it is only hidden.
func (db *DB) Lookup(key string, now int64) *Entry {
	s := &db.slots[db.slotOf(key)]
	e := s.keys[key]
	if e == nil {
		return nil
	}
	if e.ExpireAt != 0 && e.ExpireAt <= now {
		if !db.replica {
			db.expire(key, s)
		}
		return nil
	}
	return e
}

// Peek returns key's entry without checking or acting on its expiry time.
func (db *DB) Peek(key string) *Entry {
	return db.slots[db.slotOf(key)].keys[key]
}

// Set stores value under key with no expiry time, replacing what was there,
// and returns the new entry.
func (db *DB) Set(key string, value Value) *Entry {
	s := &db.slots[db.slotOf(key)]
	if s.keys == nil {
		s.keys = make(map[string]*Entry)
		db.Used += slotMapOverhead
	}
	e := s.keys[key]
	if e == nil {
		e = &Entry{}
		s.keys[key] = e
		db.count++
	} else if e.ExpireAt != 0 {
		delete(db.volatile, key)
		e.ExpireAt = 0
	}
	e.Value = value
	return e
}

// SetKeepTTL stores value under key, keeping the existing expiry time.
func (db *DB) SetKeepTTL(key string, value Value) *Entry {
	if e := db.Peek(key); e != nil {
		e.Value = value
		return e
	}
	return db.Set(key, value)
}

// Delete removes key and reports whether it existed.
func (db *DB) Delete(key string) bool {
	s := &db.slots[db.slotOf(key)]
	e, ok := s.keys[key]
	if !ok {
		return false
	}
	delete(s.keys, key)
	if e.ExpireAt != 0 {
		delete(db.volatile, key)
	}
	db.count--
	db.unaccount(e)
	db.dropIfEmpty(s)
	return true
}

// SetExpire sets key's absolute expiry time in Unix milliseconds (0 removes
// it). The key must exist.
func (db *DB) SetExpire(key string, e *Entry, at int64) {
	switch {
	case at == 0 && e.ExpireAt != 0:
		delete(db.volatile, key)
	case at != 0 && e.ExpireAt == 0:
		db.volatile[key] = e
	}
	e.ExpireAt = at
}

func (db *DB) expire(key string, s *slotData) {
	e := s.keys[key]
	delete(s.keys, key)
	delete(db.volatile, key)
	db.count--
	db.unaccount(e)
	db.dropIfEmpty(s)
	db.Expired++
	if db.OnExpire != nil {
		db.OnExpire(key)
	}
}

// ExpireSample is one step of active expiry: it looks at up to n random
// keys with an expiry time and removes those whose time has passed at now.
// It returns how many it looked at and how many it removed; like Redis, the
// caller repeats while a good share of the sample was expired. In replica
// mode it removes nothing.
func (db *DB) ExpireSample(n int, now int64) (sampled, expired int) {
	if db.replica {
		return 0, 0
	}
	// Go's map iteration starts at a random point, which makes this a
	// cheap random sample.
	var dead []string
	var ttlSum, ttlN int64
	for key, e := range db.volatile {
		if sampled == n {
			break
		}
		sampled++
		if e.ExpireAt <= now {
			dead = append(dead, key)
		} else {
			ttlSum += e.ExpireAt - now
			ttlN++
		}
	}
	if ttlN > 0 {
		// Weigh the new sample in slowly, as Redis does: 2% per sample.
		avg := ttlSum / ttlN
		if db.AvgTTL == 0 {
			db.AvgTTL = avg
		} else {
			db.AvgTTL = db.AvgTTL/50*49 + avg/50
		}
	}
	for _, key := range dead {
		db.expire(key, &db.slots[db.slotOf(key)])
	}
	return sampled, len(dead)
}

// Flush removes every key.
func (db *DB) Flush() {
	for i := range db.slots {
		db.slots[i].keys = nil
	}
	db.volatile = make(map[string]*Entry)
	db.count = 0
	db.AvgTTL = 0
	db.Used = 0
}

// CountInSlot returns the number of keys in slot.
func (db *DB) CountInSlot(slot int) int { return len(db.slots[slot].keys) }

// KeysInSlot calls fn for each key in slot (expired ones included) until fn
// returns false.
func (db *DB) KeysInSlot(slot int, fn func(key string, e *Entry) bool) {
	for k, e := range db.slots[slot].keys {
		if !fn(k, e) {
			return
		}
	}
}

// RandomKey returns a random key that has not expired at now, or "" and
// false when there is none. Expired keys met on the way are removed
// (skipped in replica mode).
func (db *DB) RandomKey(now int64) (string, bool) {
	for tries := 0; db.count > 0 && tries < 100; tries++ {
		// Pick a random non-empty slot, weighting slots by size would be
		// fairer; Redis's own RANDOMKEY is not uniform either.
		start := rand.IntN(NumSlots)
		for i := 0; i < NumSlots; i++ {
			s := &db.slots[(start+i)%NumSlots]
			if len(s.keys) == 0 {
				continue
			}
			for k, e := range s.keys {
				if e.ExpireAt != 0 && e.ExpireAt <= now {
					if !db.replica {
						db.expire(k, s)
					}
					break
				}
				return k, true
			}
			break
		}
	}
	return "", false
}
