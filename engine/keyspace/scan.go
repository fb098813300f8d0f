package keyspace

// Scan is one step of a SCAN iteration. The cursor is the next hash slot
// to visit: Scan visits whole slots from cursor on, calling fn for every
// key they hold (expired ones included), until it has looked at count keys
// or run out of slots, and returns the next cursor, 0 once every slot was
// visited. Visiting whole slots is what gives SCAN its guarantee: a key
// present for the whole iteration is returned, since its slot is visited
// exactly once whatever else changes. A cursor past the last slot ends the
// iteration at once.
func (db *DB) Scan(cursor uint64, count int, fn func(key string, e *Entry)) uint64 {
	seen := 0
	for slot := cursor; slot < NumSlots; slot++ {
		s := &db.slots[slot]
		for k, e := range s.keys {
			fn(k, e)
		}
		seen += len(s.keys)
		if seen >= count && slot+1 < NumSlots {
			return slot + 1
		}
	}
	return 0
}

// ForEach calls fn for every key (expired ones included) until fn returns
// false.
func (db *DB) ForEach(fn func(key string, e *Entry) bool) {
	for i := range db.slots {
		for k, e := range db.slots[i].keys {
			if !fn(k, e) {
				return
			}
		}
	}
}
