package keyspace

import "bytes"

// List is a list value: a ring buffer (deque) of elements, so pushes and
// pops at either end cost amortised O(1) and access by index O(1), which is
// what LPUSH/RPOP/LINDEX/LSET promise. Insertions and removals in the
// middle shift the shorter side, O(n) as in Redis.
//
// Elements handed to the push, insert and set methods are copied: command
// arguments alias a connection's read buffer. Elements returned are the
// list's own; callers must not change them.
type List struct {
	buf  [][]byte // len(buf) is a power of two, or 0
	head int      // index in buf of element 0
	n    int
	size int64 // bytes held by elements, for Size
}

// minListCap is the smallest buffer a non-empty list keeps.
const minListCap = 8

// NewList returns an empty list.
func NewList() *List { return &List{} }

// Type implements Value.
func (l *List) Type() string { return "list" }

// Encoding implements Value: Redis 7.0 keeps every list in a quicklist.
func (l *List) Encoding(Limits) string { return "quicklist" }

// Clone implements Value.
func (l *List) Clone() Value {
	c := &List{buf: make([][]byte, len(l.buf)), n: l.n, size: l.size}
	for i := 0; i < l.n; i++ {
		c.buf[i] = append([]byte(nil), l.at(i)...)
	}
	return c
}

// Size implements Value: element bytes plus a slice header per slot of
// the buffer.
func (l *List) Size() int64 { return l.size + int64(len(l.buf))*24 + 48 }

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// slot maps element index i to its index in buf.
func (l *List) slot(i int) int { return (l.head + i) & (len(l.buf) - 1) }

func (l *List) at(i int) []byte { return l.buf[l.slot(i)] }

// Index returns element i (0 is the head); i must be in [0, Len()).
func (l *List) Index(i int) []byte { return l.at(i) }

// Set replaces element i with a copy of v; i must be in [0, Len()).
func (l *List) Set(i int, v []byte) {
	s := l.slot(i)
	l.size += int64(len(v)) - int64(len(l.buf[s]))
	l.buf[s] = append([]byte(nil), v...)
}

// resize moves the elements into a buffer of capacity c, a power of two
// of at least l.n.
func (l *List) resize(c int) {
	nb := make([][]byte, c)
	if l.n > 0 {
		end := l.head + l.n
		if end <= len(l.buf) {
			copy(nb, l.buf[l.head:end])
		} else {
			k := copy(nb, l.buf[l.head:])
			copy(nb[k:], l.buf[:end-len(l.buf)])
		}
	}
	l.buf, l.head = nb, 0
}

// grow makes room for one more element.
func (l *List) grow() {
	if l.n < len(l.buf) {
		return
	}
	c := 2 * len(l.buf)
	if c < minListCap {
		c = minListCap
	}
	l.resize(c)
}

// shrink halves the buffer while it is three-quarters empty, so a list
// that grew and drained does not hold its peak memory; halving only at a
// quarter keeps alternate push/pop at a boundary from resizing each time.
func (l *List) shrink() {
	c := len(l.buf)
	for c > minListCap && l.n <= c/4 {
		c /= 2
	}
	if c != len(l.buf) {
		l.resize(c)
	}
}

// PushFront adds a copy of v at the head.
func (l *List) PushFront(v []byte) {
	l.grow()
	l.head = (l.head - 1) & (len(l.buf) - 1)
	l.buf[l.head] = append([]byte(nil), v...)
	l.n++
	l.size += int64(len(v))
}

// PushBack adds a copy of v at the tail.
func (l *List) PushBack(v []byte) {
	l.grow()
	l.buf[l.slot(l.n)] = append([]byte(nil), v...)
	l.n++
	l.size += int64(len(v))
}

// PopFront removes and returns the head element, nil if the list is empty.
func (l *List) PopFront() []byte {
	if l.n == 0 {
		return nil
	}
	v := l.buf[l.head]
	l.buf[l.head] = nil
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	l.size -= int64(len(v))
	l.shrink()
	return v
}

// PopBack removes and returns the tail element, nil if the list is empty.
func (l *List) PopBack() []byte {
	if l.n == 0 {
		return nil
	}
	s := l.slot(l.n - 1)
	v := l.buf[s]
	l.buf[s] = nil
	l.n--
	l.size -= int64(len(v))
	l.shrink()
	return v
}

// Insert puts a copy of v at index i (0 <= i <= Len()), moving the
// elements of the shorter side by one.
func (l *List) Insert(i int, v []byte) {
	l.grow()
	if i < l.n-i {
		l.head = (l.head - 1) & (len(l.buf) - 1)
		for j := 0; j < i; j++ {
			l.buf[l.slot(j)] = l.buf[l.slot(j+1)]
		}
	} else {
		for j := l.n; j > i; j-- {
			l.buf[l.slot(j)] = l.buf[l.slot(j-1)]
		}
	}
	l.buf[l.slot(i)] = append([]byte(nil), v...)
	l.n++
	l.size += int64(len(v))
}

// Trim keeps the elements with indexes in [start, stop], 0 <= start <=
// stop < Len(), and drops the rest.
func (l *List) Trim(start, stop int) {
	for i := 0; i < start; i++ {
		s := l.slot(i)
		l.size -= int64(len(l.buf[s]))
		l.buf[s] = nil
	}
	for i := stop + 1; i < l.n; i++ {
		s := l.slot(i)
		l.size -= int64(len(l.buf[s]))
		l.buf[s] = nil
	}
	l.head = l.slot(start)
	l.n = stop - start + 1
	l.shrink()
}

// Clear removes every element.
func (l *List) Clear() { *l = List{} }

// Remove deletes up to count elements equal to v, scanning from the head,
// or from the tail when fromTail is set; count 0 removes them all. It
// returns how many it removed. One pass compacts the survivors, so the
// cost is O(n) whatever the number removed.
func (l *List) Remove(v []byte, count int64, fromTail bool) int64 {
	var removed int64
	if !fromTail {
		w := 0
		for r := 0; r < l.n; r++ {
			e := l.at(r)
			if (count == 0 || removed < count) && bytes.Equal(e, v) {
				removed++
				l.size -= int64(len(e))
				continue
			}
			l.buf[l.slot(w)] = e
			w++
		}
		for i := w; i < l.n; i++ {
			l.buf[l.slot(i)] = nil
		}
		l.n = w
	} else {
		w := l.n - 1
		for r := l.n - 1; r >= 0; r-- {
			e := l.at(r)
			if (count == 0 || removed < count) && bytes.Equal(e, v) {
				removed++
				l.size -= int64(len(e))
				continue
			}
			l.buf[l.slot(w)] = e
			w--
		}
		for i := 0; i <= w; i++ {
			l.buf[l.slot(i)] = nil
		}
		l.head = l.slot(w + 1)
		l.n -= w + 1
	}
	l.shrink()
	return removed
}
