package keyspace

import (
	"math/rand/v2"
	"unsafe"
)

// Memory accounting. DB.Used is the keyspace's share of the process's
// heap: for each key its bytes, its entry, its slots in the keyspace's maps
// and its value (Value.Size), each allocation rounded up to the size class
// Go's allocator serves it from. It is kept exact incrementally, so that
// maxmemory can be checked before every command in O(1): a removal
// subtracts the entry's Mem at once, and a write re-accounts the key it
// changed (Account, called where the engine learns of every change).
// docs/memory.md compares it with the Go runtime's own figures.

// entryOverhead is what a key costs besides its bytes and its value: the
// Entry and the keyspace map's slot (string header, pointer, control byte,
// at the map's average load).
var entryOverhead = allocSize(int64(unsafe.Sizeof(Entry{}))) + mapSlot

// mapSlot is one map[string]*Entry slot: a string header and a pointer,
// plus the swiss table's control byte, at the 7/8 maximum load and half
// that after growth, so about 3/4 on average.
const mapSlot = (16 + 8 + 1) * 4 / 3

// slotMapOverhead is the fixed cost of a slot's map, allocated with the
// slot's first key and dropped with its last (dropIfEmpty): its
// header and first group of eight slots, less the per-key share of
// that group already counted in mapSlot.
const slotMapOverhead = 160

// volatileOverhead is a key's extra slot in the map of keys with a TTL.
const volatileOverhead = mapSlot

// sizeClasses are the Go allocator's small size classes (runtime
// sizeclasses.go): an allocation takes the smallest class that fits it.
var sizeClasses = [...]int64{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792,
	2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240,
	10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}

// allocSize returns the bytes the Go allocator uses for an n-byte object:
// its size class, or whole 8 KiB pages above 32 KiB.
func allocSize(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if n > 32768 {
		return (n + 8191) &^ 8191
	}
	lo, hi := 0, len(sizeClasses)-1
	for lo < hi {
		m := (lo + hi) / 2
		if sizeClasses[m] < n {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return sizeClasses[lo]
}

// EntrySize returns the memory key and its entry account for.
func EntrySize(key string, e *Entry) int64 {
	n := allocSize(int64(len(key))) + entryOverhead + valueSize(e.Value)
	if e.ExpireAt != 0 {
		n += volatileOverhead
	}
	return n
}

// valueSize is Value.Size in O(1) for every type: a large set's exact
// size takes a walk over its members, so it is estimated from a sample of
// them instead.
func valueSize(v Value) int64 {
	switch v := v.(type) {
	case *String:
		// The String and its bytes are two allocations.
		return allocSize(int64(unsafe.Sizeof(String{}))) + allocSize(int64(cap(v.B)))
	case *Set:
		const exactUpTo = 128
		n := len(v.members)
		if n <= exactUpTo {
			return v.Size()
		}
		var sum int64
		for range 32 {
			sum += int64(len(v.members[rand.IntN(n)]))
		}
		return int64(64+4*len(v.buckets)) + int64(n)*(16+8+4) + sum*int64(n)/32
	case nil:
		return 0
	}
	return v.Size()
}

// Account brings key's share of Used up to date after a change and
// reports whether the key had never been accounted: that is, it is new to
// the keyspace since the last call (Redis's "new" keyspace event).
func (db *DB) Account(key string, e *Entry) (isNew bool) {
	n := EntrySize(key, e)
	isNew = e.Mem == 0
	db.Used += n - e.Mem
	e.Mem = n
	return isNew
}

// unaccount takes a removed entry out of Used; an entry moved to another
// key is then accounted afresh.
func (db *DB) unaccount(e *Entry) {
	if e != nil {
		db.Used -= e.Mem
		e.Mem = 0
	}
}

// dropIfEmpty frees the map of a slot whose last key left: Go maps never
// shrink, so a slot that once held many keys would keep their table, and
// 16384 empty maps would hold memory that evicting every key cannot free.
func (db *DB) dropIfEmpty(s *slotData) {
	if len(s.keys) == 0 && s.keys != nil {
		s.keys = nil
		db.Used -= slotMapOverhead
	}
}

// Sample calls fn with up to n keys picked at random, from every key, or
// only from those with a TTL when volatile is set, as Redis's
// dictGetSomeKeys feeds its eviction pool: a few neighbours at a time from
// a random place, which is cheap and random enough for an approximation.
// Expired keys are offered too, as in Redis.
func (db *DB) Sample(n int, volatile bool, fn func(key string, e *Entry)) {
	if volatile {
		// Map iteration starts at a random place.
		i := 0
		for k, e := range db.volatile {
			if i == n {
				return
			}
			fn(k, e)
			i++
		}
		return
	}
	if db.count == 0 {
		return
	}
	got := 0
	// Take a few keys from each of a few random non-empty slots, so that
	// one large slot does not stand for the whole keyspace.
	per := max(1, n/4)
	for tries := 0; got < n && tries < 4*n; tries++ {
		// From a random slot, the next one holding keys: short walks
		// in a dense keyspace, at worst all slots in a sparse one.
		s := db.nextNonEmpty(rand.IntN(NumSlots))
		i := 0
		for k, e := range s.keys {
			if i == per || got == n {
				break
			}
			fn(k, e)
			i++
			got++
		}
	}
}

func (db *DB) nextNonEmpty(start int) *slotData {
	for i := 0; i < NumSlots; i++ {
		if s := &db.slots[(start+i)%NumSlots]; len(s.keys) > 0 {
			return s
		}
	}
	return &db.slots[start]
}

// RandomEntry returns a key picked at random, from those with a TTL when
// volatile is set, for the random eviction policies; "" when there is none.
func (db *DB) RandomEntry(volatile bool) (string, *Entry) {
	var key string
	var entry *Entry
	db.Sample(1, volatile, func(k string, e *Entry) { key, entry = k, e })
	return key, entry
}
