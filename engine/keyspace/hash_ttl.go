package keyspace

// Hash field expiration (Redis 7.4's HEXPIRE family).
//
// A field with an expiry time carries a fieldTTL and sits in its hash's
// fieldHeap, a binary min-heap ordered by expiry time: the next field to
// expire is found in O(1) and removed in O(log n), which is the cost
// Redis's per-hash ebuckets give. A hash whose fields never had a TTL has
// no heap at all.
//
// While the hash is small (Redis's listpackex), Redis keeps the fields
// with a TTL first in its listpack, ordered by expiry time, and the
// others after them in insertion order; HGETALL shows that order, so the
// dense slice follows it (O(n) per change, as Redis's listpack is).

// fieldTTL is a field's absolute expiry time (Unix ms) and its index in
// the heap.
type fieldTTL struct {
	at  int64
	idx int
}

// fieldHeap is a min-heap of the entries that have an expiry time.
type fieldHeap []*hashEntry

func (hp *fieldHeap) less(i, j int) bool { return (*hp)[i].ttl.at < (*hp)[j].ttl.at }

func (hp *fieldHeap) swap(i, j int) {
	s := *hp
	s[i], s[j] = s[j], s[i]
	s[i].ttl.idx = i
	s[j].ttl.idx = j
}

func (hp *fieldHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !hp.less(i, p) {
			return
		}
		hp.swap(i, p)
		i = p
	}
}

func (hp *fieldHeap) down(i int) {
	n := len(*hp)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && hp.less(r, l) {
			m = r
		}
		if !hp.less(m, i) {
			return
		}
		hp.swap(i, m)
		i = m
	}
}

func (hp *fieldHeap) push(e *hashEntry) {
	e.ttl.idx = len(*hp)
	*hp = append(*hp, e)
	hp.up(e.ttl.idx)
}

// remove takes e out of the heap and clears its TTL.
func (hp *fieldHeap) remove(e *hashEntry) {
	i := e.ttl.idx
	last := len(*hp) - 1
	if i != last {
		hp.swap(i, last)
	}
	(*hp)[last] = nil
	*hp = (*hp)[:last]
	if i != last {
		hp.down(i)
		hp.up(i)
	}
	e.ttl = nil
}

// fix restores the heap after e's time changed.
func (hp *fieldHeap) fix(e *hashEntry) {
	hp.down(e.ttl.idx)
	hp.up(e.ttl.idx)
}

// MarkExpiring records that a field-expiration command wrote the hash, so
// that a small hash reports "listpackex" from now on, as in Redis 7.4.
func (h *Hash) MarkExpiring() { h.ex = true }

// HasTTLs reports whether some field has an expiry time.
func (h *Hash) HasTTLs() bool { return h.ttls != nil && len(*h.ttls) > 0 }

// MinExpire returns the earliest expiry time of a field, 0 if none has one.
func (h *Hash) MinExpire() int64 {
	if !h.HasTTLs() {
		return 0
	}
	return (*h.ttls)[0].ttl.at
}

// FieldExpireAt returns field's expiry time (0 when it has none) and
// whether the field exists.
func (h *Hash) FieldExpireAt(field string) (at int64, ok bool) {
	e := h.find(field)
	if e == nil {
		return 0, false
	}
	if e.ttl != nil {
		return e.ttl.at, true
	}
	return 0, true
}

// SetFieldExpire sets the expiry time (Unix ms, > 0) of an existing field
// and reports whether the field exists.
func (h *Hash) SetFieldExpire(field string, at int64) bool {
	e := h.find(field)
	if e == nil {
		return false
	}
	if h.ttls == nil {
		h.ttls = &fieldHeap{}
	}
	if e.ttl == nil {
		e.ttl = &fieldTTL{at: at}
		h.ttls.push(e)
	} else {
		e.ttl.at = at
		h.ttls.fix(e)
	}
	if !h.hashtable {
		h.placeByTTL(e)
	}
	return true
}

// PersistField removes field's expiry time and reports whether it had one.
func (h *Hash) PersistField(field string) bool {
	e := h.find(field)
	if e == nil || e.ttl == nil {
		return false
	}
	h.ttls.remove(e)
	if !h.hashtable {
		h.placeByTTL(e)
	}
	return true
}

// placeByTTL moves e to its place in listpackex order: fields with a TTL
// by increasing time (a field goes before those expiring at the same time
// or later, as Redis inserts it), then the others; a field losing its TTL
// goes to the end.
func (h *Hash) placeByTTL(e *hashEntry) {
	i := e.pos
	copy(h.dense[i:], h.dense[i+1:])
	h.dense = h.dense[:len(h.dense)-1]
	at := len(h.dense)
	if e.ttl != nil {
		for j, o := range h.dense {
			if o.ttl == nil || o.ttl.at >= e.ttl.at {
				at = j
				break
			}
		}
	}
	h.dense = append(h.dense, nil)
	copy(h.dense[at+1:], h.dense[at:])
	h.dense[at] = e
	for j := min(i, at); j < len(h.dense); j++ {
		h.dense[j].pos = j
	}
}

// ExpireFields removes up to max fields (all when max <= 0) whose time is
// at or before now, earliest first, calling fn with each before it goes,
// and returns how many it removed.
func (h *Hash) ExpireFields(now int64, max int, fn func(field string)) int {
	n := 0
	for h.HasTTLs() && (max <= 0 || n < max) {
		e := (*h.ttls)[0]
		if e.ttl.at > now {
			break
		}
		fn(e.field)
		h.Delete(e.field)
		n++
	}
	return n
}

// cloneTTLs gives c, a fresh copy of src, src's expiry times.
func (c *Hash) cloneTTLs(src *Hash) {
	if !src.HasTTLs() {
		return
	}
	hp := make(fieldHeap, len(*src.ttls))
	for i, e := range *src.ttls {
		ne := c.dense[e.pos]
		ne.ttl = &fieldTTL{at: e.ttl.at, idx: i}
		hp[i] = ne
	}
	c.ttls = &hp
}

// ttlSize is the memory the expiry times take (MEMORY USAGE).
func (h *Hash) ttlSize() int64 {
	if h.ttls == nil {
		return 0
	}
	return int64(cap(*h.ttls))*8 + int64(len(*h.ttls))*16
}
