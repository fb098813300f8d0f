package keyspace

import (
	"fmt"
	"strings"
	"testing"
)

var defaultLimits = Limits{HashMaxListpackEntries: 128, HashMaxListpackValue: 64}

func TestHashSetGetDelete(t *testing.T) {
	h := NewHash()
	steps := []struct {
		op, field, value string
		want             bool // Set: field is new; Delete: field existed
		wantLen          int
	}{
		{"set", "a", "1", true, 1},
		{"set", "b", "2", true, 2},
		{"set", "a", "3", false, 2},
		{"del", "c", "", false, 2},
		{"del", "a", "", true, 1},
		{"del", "a", "", false, 1},
		{"set", "", "", true, 2}, // empty field and value are legal
		{"del", "b", "", true, 1},
		{"del", "", "", true, 0},
	}
	for i, s := range steps {
		var got bool
		if s.op == "set" {
			got = h.Set(s.field, s.value, defaultLimits)
		} else {
			got = h.Delete(s.field)
		}
		if got != s.want || h.Len() != s.wantLen {
			t.Fatalf("step %d %s %q: got %v len %d, want %v len %d", i, s.op, s.field, got, h.Len(), s.want, s.wantLen)
		}
		if s.op == "set" {
			if v, ok := h.Get(s.field); !ok || v != s.value {
				t.Fatalf("step %d: Get(%q) = %q, %v", i, s.field, v, ok)
			}
		} else if h.Has(s.field) {
			t.Fatalf("step %d: %q still present", i, s.field)
		}
	}
}

func TestHashEncoding(t *testing.T) {
	long := strings.Repeat("x", 65)
	tests := []struct {
		name string
		fill func(h *Hash)
		want string
	}{
		{"empty", func(h *Hash) {}, "listpack"},
		{"128 fields", func(h *Hash) { fillHash(h, 128) }, "listpack"},
		{"129 fields", func(h *Hash) { fillHash(h, 129) }, "hashtable"},
		{"64-byte value", func(h *Hash) { h.Set("f", long[:64], defaultLimits) }, "listpack"},
		{"65-byte value", func(h *Hash) { h.Set("f", long, defaultLimits) }, "hashtable"},
		{"65-byte field", func(h *Hash) { h.Set(long, "v", defaultLimits) }, "hashtable"},
		{"overwrite does not count", func(h *Hash) {
			for i := 0; i < 200; i++ {
				h.Set("same", "v", defaultLimits)
			}
		}, "listpack"},
		{"long argument noted", func(h *Hash) { h.NoteLength(65, defaultLimits) }, "hashtable"},
		{"conversion is one-way", func(h *Hash) {
			fillHash(h, 200)
			for i := 0; i < 200; i++ {
				h.Delete(fmt.Sprint("f", i))
			}
			h.Set("a", "b", defaultLimits)
		}, "hashtable"},
		{"long value then deleted", func(h *Hash) {
			h.Set("f", long, defaultLimits)
			h.Set("f", "short", defaultLimits)
		}, "hashtable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHash()
			tt.fill(h)
			if got := h.Encoding(defaultLimits); got != tt.want {
				t.Fatalf("Encoding = %q, want %q", got, tt.want)
			}
			if h.Listpack() != (tt.want == "listpack") {
				t.Fatalf("Listpack() disagrees with Encoding")
			}
		})
	}
}

func fillHash(h *Hash, n int) {
	for i := 0; i < n; i++ {
		h.Set(fmt.Sprint("f", i), fmt.Sprint("v", i), defaultLimits)
	}
}

func TestHashCloneIsDeep(t *testing.T) {
	h := NewHash()
	fillHash(h, 300)
	c := h.Clone().(*Hash)
	h.Set("f1", "changed", defaultLimits)
	h.Delete("f2")
	if v, _ := c.Get("f1"); v != "v1" {
		t.Fatalf("clone saw a change: f1 = %q", v)
	}
	if !c.Has("f2") || c.Len() != 300 {
		t.Fatalf("clone lost a field: len %d", c.Len())
	}
	if c.Encoding(defaultLimits) != "hashtable" {
		t.Fatalf("clone lost the encoding")
	}
	// The clone is a working table on its own.
	for i := 0; i < 300; i++ {
		c.Delete(fmt.Sprint("f", i))
	}
	if c.Len() != 0 || h.Len() != 299 {
		t.Fatalf("after deleting from the clone: clone %d, original %d", c.Len(), h.Len())
	}
}

func TestHashSize(t *testing.T) {
	h := NewHash()
	empty := h.Size()
	h.Set("field", strings.Repeat("v", 1000), defaultLimits)
	if h.Size() < empty+1005 {
		t.Fatalf("Size %d does not count the data", h.Size())
	}
	h.Delete("field")
	if h.Size() != empty {
		t.Fatalf("Size %d after delete, want %d", h.Size(), empty)
	}
}

// TestHashScanCoversAcrossResizes checks HSCAN's guarantee: a field present
// for the whole walk is returned, however much the table grows or shrinks
// between calls.
func TestHashScanCoversAcrossResizes(t *testing.T) {
	tests := []struct {
		name   string
		start  int
		change func(h *Hash, step int)
	}{
		{"static", 1000, func(*Hash, int) {}},
		{"growing", 50, func(h *Hash, step int) {
			for i := 0; i < 200 && step < 20; i++ {
				h.Set(fmt.Sprint("new", step, "-", i), "x", defaultLimits)
			}
		}},
		{"shrinking", 5000, func(h *Hash, step int) {
			for i := step * 400; i < (step+1)*400 && i < 4800; i++ {
				h.Delete(fmt.Sprint("f", i))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHash()
			fillHash(h, tt.start)
			// Fields that stay for the whole walk.
			stable := map[string]bool{}
			for i := 0; i < tt.start; i++ {
				stable[fmt.Sprint("f", i)] = true
			}
			if tt.name == "shrinking" {
				stable = map[string]bool{}
				for i := 4800; i < 5000; i++ {
					stable[fmt.Sprint("f", i)] = true
				}
			}
			seen := map[string]int{}
			cursor, step := uint64(0), 0
			for {
				cursor = h.Scan(cursor, 10, func(f, v string) { seen[f]++ })
				if cursor == 0 {
					break
				}
				tt.change(h, step)
				step++
				if step > 100000 {
					t.Fatal("scan does not end")
				}
			}
			for f := range stable {
				if seen[f] == 0 {
					t.Fatalf("field %s never returned", f)
				}
				if seen[f] > 1 && tt.name == "static" {
					t.Fatalf("field %s returned %d times", f, seen[f])
				}
			}
		})
	}
}

func TestHashScanCount(t *testing.T) {
	h := NewHash()
	fillHash(h, 1000)
	n := 0
	next := h.Scan(0, 100, func(string, string) { n++ })
	if next == 0 || n < 100 || n > 150 {
		t.Fatalf("COUNT 100 returned %d fields, next cursor %d", n, next)
	}
	n = 0
	if next := h.Scan(0, 5000, func(string, string) { n++ }); next != 0 || n != 1000 {
		t.Fatalf("COUNT 5000 returned %d fields, next cursor %d", n, next)
	}
	// Mostly empty buckets after deletions: the walk is bounded and
	// resumable.
	for i := 0; i < 990; i++ {
		h.Delete(fmt.Sprint("f", i))
	}
	seen, calls := 0, 0
	for cursor := uint64(0); ; calls++ {
		cursor = h.Scan(cursor, 1, func(string, string) { seen++ })
		if cursor == 0 {
			break
		}
	}
	if seen != 10 {
		t.Fatalf("saw %d of 10 fields after deletions", seen)
	}
}

func TestHashRandom(t *testing.T) {
	h := NewHash()
	fillHash(h, 10)
	hits := map[string]int{}
	for i := 0; i < 2000; i++ {
		f, v := h.Random()
		if got, _ := h.Get(f); got != v {
			t.Fatalf("Random returned %q=%q, stored %q", f, v, got)
		}
		hits[f]++
	}
	if len(hits) != 10 {
		t.Fatalf("2000 picks hit only %d of 10 fields", len(hits))
	}
	for _, n := range []int{0, 1, 5, 10} {
		seen := map[string]bool{}
		h.RandomDistinct(n, func(f, v string) {
			if seen[f] {
				t.Fatalf("RandomDistinct(%d) repeated %q", n, f)
			}
			seen[f] = true
		})
		if len(seen) != n {
			t.Fatalf("RandomDistinct(%d) gave %d fields", n, len(seen))
		}
	}
}

func TestHashEach(t *testing.T) {
	h := NewHash()
	fillHash(h, 50)
	got := map[string]string{}
	h.Each(func(f, v string) bool { got[f] = v; return true })
	if len(got) != 50 || got["f7"] != "v7" {
		t.Fatalf("Each visited %d fields, f7=%q", len(got), got["f7"])
	}
	n := 0
	h.Each(func(string, string) bool { n++; return n < 3 })
	if n != 3 {
		t.Fatalf("Each did not stop: %d calls", n)
	}
}

// TestHashListpackOrder checks that a listpack hash keeps Redis's
// listpack order (insertion order, updates in place) through deletions,
// which HGETALL and DUMP show.
func TestHashListpackOrder(t *testing.T) {
	l := Limits{HashMaxListpackEntries: 128, HashMaxListpackValue: 64}
	for _, tc := range []struct {
		name string
		ops  func(h *Hash)
		want string
	}{
		{"inserts", func(h *Hash) {}, "a b c d"},
		{"delete middle", func(h *Hash) { h.Delete("b") }, "a c d"},
		{"delete first and re-add", func(h *Hash) { h.Delete("a"); h.Set("a", "2", l) }, "b c d a"},
		{"update in place", func(h *Hash) { h.Set("b", "new", l) }, "a b c d"},
	} {
		h := NewHash()
		for _, f := range []string{"a", "b", "c", "d"} {
			h.Set(f, "v", l)
		}
		tc.ops(h)
		var got []string
		h.Each(func(f, _ string) bool { got = append(got, f); return true })
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%s: order %q, want %q", tc.name, s, tc.want)
		}
	}
}
