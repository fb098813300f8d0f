package keyspace

import (
	"math/rand/v2"
)

// Hash is a hash value: a map of fields to values.
//
// Fields live in a chained hash table whose bucket is chosen by the top
// bits of the field's 64-bit hash and whose chains are kept sorted by that
// hash, so walking the buckets in order visits fields in increasing hash
// order whatever the table's size. HSCAN's cursor is therefore simply a
// hash value: "every field hashing below the cursor has been returned".
// That holds across any number of resizes between calls, which is the
// guarantee Redis gets from its reverse-binary cursor (the two orders are
// the same thing, Redis indexes buckets by the low bits and reverses
// them). A dense slice of the entries gives uniform O(1) random picks
// (HRANDFIELD) and O(1) deletion by swapping with the last one.
type Hash struct {
	buckets []*hashEntry // len is a power of two, at least minHashBuckets
	shift   uint         // 64 - log2(len(buckets)): bucket of h is h>>shift
	dense   []*hashEntry // every entry once; in insertion order while a listpack
	bytes   int64        // sum of the lengths of fields and values
	// hashtable is set once the hash has outgrown the listpack limits;
	// like Redis's conversion it is never undone, so OBJECT ENCODING
	// keeps reporting "hashtable" after the hash shrinks again.
	hashtable bool
	// ex is set once a field-expiration command has written the hash:
	// Redis 7.4 then keeps a small hash as a "listpackex" for good.
	ex bool
	// ttls orders the fields that have an expiry time (hash_ttl.go); nil
	// while no field ever had one, so plain hashes pay nothing.
	ttls *fieldHeap
}

// hashEntry is one field of a Hash.
type hashEntry struct {
	field, value string
	h            uint64
	next         *hashEntry // next in the bucket, by increasing h
	pos          int        // index in Hash.dense
	ttl          *fieldTTL  // nil unless the field has an expiry time
}

const minHashBuckets = 4

func hashField(f string) uint64 { return hashString(f) }

// NewHash returns an empty hash.
func NewHash() *Hash {
	return &Hash{buckets: make([]*hashEntry, minHashBuckets), shift: 64 - 2}
}

// Type implements Value.
func (h *Hash) Type() string { return "hash" }

// Encoding implements Value: "listpack" until the hash has once had more
// than hash-max-listpack-entries fields or a field or value longer than
// hash-max-listpack-value bytes (checked on every write, see Set), then
// "hashtable" for good, as Redis 7.0 reports it.
func (h *Hash) Encoding(Limits) string {
	if h.hashtable {
		return "hashtable"
	}
	if h.ex {
		return "listpackex"
	}
	return "listpack"
}

// Listpack reports whether Redis would still keep the hash in a listpack,
// in which case HSCAN returns it whole in one reply.
func (h *Hash) Listpack() bool { return !h.hashtable }

// Clone implements Value.
func (h *Hash) Clone() Value {
	c := &Hash{
		buckets:   make([]*hashEntry, len(h.buckets)),
		shift:     h.shift,
		dense:     make([]*hashEntry, len(h.dense)),
		bytes:     h.bytes,
		hashtable: h.hashtable,
		ex:        h.ex,
	}
	for i, b := range h.buckets {
		tail := &c.buckets[i]
		for e := b; e != nil; e = e.next {
			ne := &hashEntry{field: e.field, value: e.value, h: e.h, pos: e.pos}
			c.dense[e.pos] = ne
			*tail = ne
			tail = &ne.next
		}
	}
	c.cloneTTLs(h)
	return c
}

// Size implements Value: the fields and values plus the per-entry and
// per-bucket overhead of this representation.
func (h *Hash) Size() int64 {
	return 64 + h.bytes + int64(len(h.dense))*(64+8) + int64(len(h.buckets))*8 + h.ttlSize()
}

// Len returns the number of fields.
func (h *Hash) Len() int { return len(h.dense) }

// find returns the entry of field, or nil.
func (h *Hash) find(field string) *hashEntry {
	hv := hashField(field)
	for e := h.buckets[hv>>h.shift]; e != nil && e.h <= hv; e = e.next {
		if e.h == hv && e.field == field {
			return e
		}
	}
	return nil
}

// Get returns field's value.
func (h *Hash) Get(field string) (string, bool) {
	if e := h.find(field); e != nil {
		return e.value, true
	}
	return "", false
}

// Has reports whether field exists.
func (h *Hash) Has(field string) bool { return h.find(field) != nil }

// NoteLength records that a field or value of n bytes is being written,
// converting the hash for good if n exceeds hash-max-listpack-value. HSET
// calls it for all its arguments before setting any, as Redis's
// hashTypeTryConversion does; Set calls it for what it stores.
func (h *Hash) NoteLength(n int, l Limits) {
	if int64(n) > l.HashMaxListpackValue {
		h.hashtable = true
	}
}

// Set sets field to value and reports whether the field is new. Like
// Redis's HSET it drops an expiry time the field had (SetKeepTTL keeps
// it). The limits decide whether the write converts the hash (see
// Encoding).
func (h *Hash) Set(field, value string, l Limits) bool {
	isNew := h.SetKeepTTL(field, value, l)
	if !isNew && h.ttls != nil {
		h.PersistField(field)
	}
	return isNew
}

// SetKeepTTL is Set keeping the expiry time of an existing field, as
// HINCRBY and HSETEX KEEPTTL do.
func (h *Hash) SetKeepTTL(field, value string, l Limits) bool {
	h.NoteLength(len(field), l)
	h.NoteLength(len(value), l)
	hv := hashField(field)
	link := &h.buckets[hv>>h.shift]
	for e := *link; e != nil && e.h <= hv; e = *link {
		if e.h == hv && e.field == field {
			h.bytes += int64(len(value) - len(e.value))
			e.value = value
			return false
		}
		link = &e.next
	}
	e := &hashEntry{field: field, value: value, h: hv, next: *link, pos: len(h.dense)}
	*link = e
	h.dense = append(h.dense, e)
	h.bytes += int64(len(field) + len(value))
	if int64(len(h.dense)) > l.HashMaxListpackEntries {
		h.hashtable = true
	}
	if len(h.dense) > len(h.buckets) {
		h.resize(len(h.buckets) * 2)
	}
	return true
}

// Delete removes field and reports whether it existed.
func (h *Hash) Delete(field string) bool {
	hv := hashField(field)
	link := &h.buckets[hv>>h.shift]
	for e := *link; e != nil && e.h <= hv; e = *link {
		if e.h == hv && e.field == field {
			*link = e.next
			if e.ttl != nil {
				h.ttls.remove(e)
			}
			h.unlinkDense(e.pos)
			h.bytes -= int64(len(e.field) + len(e.value))
			if len(h.buckets) > minHashBuckets && len(h.dense)*8 < len(h.buckets) {
				h.resize(len(h.buckets) / 2)
			}
			return true
		}
		link = &e.next
	}
	return false
}

// unlinkDense removes the entry at position i of the dense slice. While
// the hash is a listpack the others keep their order, as in Redis's
// listpack, whose order HGETALL and DUMP show (O(n), as Redis's listpack
// deletion is); afterwards the last entry fills the hole in O(1).
func (h *Hash) unlinkDense(i int) {
	last := len(h.dense) - 1
	if h.hashtable {
		h.dense[i] = h.dense[last]
		h.dense[i].pos = i
	} else {
		copy(h.dense[i:], h.dense[i+1:])
		for j := i; j < last; j++ {
			h.dense[j].pos = j
		}
	}
	h.dense[last] = nil
	h.dense = h.dense[:last]
}

// resize rebuilds the table with n buckets (a power of two). Because
// chains are sorted by hash and buckets are ranges of hash values,
// doubling splits each chain in two and halving concatenates neighbours,
// both keeping the order. Amortised over the writes that triggered it, it
// costs O(1) per write.
func (h *Hash) resize(n int) {
	shift := uint(64)
	for s := n; s > 1; s >>= 1 {
		shift--
	}
	nb := make([]*hashEntry, n)
	tails := make([]**hashEntry, n)
	for i := range nb {
		tails[i] = &nb[i]
	}
	for _, b := range h.buckets {
		for e := b; e != nil; {
			next := e.next
			i := e.h >> shift
			e.next = nil
			*tails[i] = e
			tails[i] = &e.next
			e = next
		}
	}
	h.buckets, h.shift = nb, shift
}

// Each calls fn for every field until fn returns false; while the hash
// is a listpack, in Redis's listpack order (insertion order).
func (h *Hash) Each(fn func(field, value string) bool) {
	for _, e := range h.dense {
		if !fn(e.field, e.value) {
			return
		}
	}
}

// Random returns a field chosen uniformly at random; the hash must not be
// empty.
func (h *Hash) Random() (field, value string) {
	e := h.dense[rand.IntN(len(h.dense))]
	return e.field, e.value
}

// RandomDistinct calls fn for n distinct fields chosen uniformly at
// random, in random order; n must not exceed Len. It costs O(n) whatever
// the size of the hash: a Fisher-Yates shuffle stopped after n steps,
// recording only the positions it swapped.
func (h *Hash) RandomDistinct(n int, fn func(field, value string)) {
	size := len(h.dense)
	swapped := make(map[int]int, n)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	for i := 0; i < n; i++ {
		j := i + rand.IntN(size-i)
		vi, vj := at(i), at(j)
		swapped[j] = vi
		e := h.dense[vj]
		fn(e.field, e.value)
	}
}

// Scan calls fn for the fields hashing at or above cursor, in hash order,
// a whole bucket at a time, until at least count were visited or 10*count
// empty buckets were passed (as Redis bounds SCAN's work), and returns the
// cursor to continue from, 0 when the walk is complete. A field present
// for the whole walk is visited exactly once; one added or removed during
// it may or may not be.
func (h *Hash) Scan(cursor uint64, count int, fn func(field, value string)) uint64 {
	visited, empty := 0, 0
	for b := cursor >> h.shift; ; {
		e := h.buckets[b]
		if e == nil {
			empty++
		}
		for ; e != nil; e = e.next {
			if e.h >= cursor {
				fn(e.field, e.value)
				visited++
			}
		}
		b++
		if b == uint64(len(h.buckets)) {
			return 0
		}
		if visited >= count || empty > count*10 {
			return b << h.shift
		}
	}
}
