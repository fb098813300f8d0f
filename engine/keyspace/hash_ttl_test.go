package keyspace

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func hashFields(h *Hash) []string {
	var out []string
	h.Each(func(f, _ string) bool { out = append(out, f); return true })
	return out
}

func TestHashFieldTTLOrderAndExpiry(t *testing.T) {
	h := NewHash()
	for _, f := range []string{"a", "b", "c", "d"} {
		h.Set(f, "v", defaultLimits)
	}
	steps := []struct {
		op    string // "ttl", "persist", "set", "expire"
		field string
		at    int64
		order []string
		min   int64
	}{
		{"ttl", "c", 300, []string{"c", "a", "b", "d"}, 300},
		{"ttl", "d", 100, []string{"d", "c", "a", "b"}, 100},
		{"ttl", "a", 300, []string{"d", "a", "c", "b"}, 100}, // before equal times
		{"persist", "d", 0, []string{"a", "c", "b", "d"}, 300},
		{"set", "a", 0, []string{"c", "b", "d", "a"}, 300}, // HSET drops the TTL
		{"ttl", "b", 200, []string{"b", "c", "d", "a"}, 200},
		{"expire", "", 250, []string{"c", "d", "a"}, 300},
		{"expire", "", 1000, []string{"d", "a"}, 0},
	}
	for i, s := range steps {
		switch s.op {
		case "ttl":
			if !h.SetFieldExpire(s.field, s.at) {
				t.Fatalf("step %d: field missing", i)
			}
		case "persist":
			if !h.PersistField(s.field) {
				t.Fatalf("step %d: no TTL to remove", i)
			}
		case "set":
			h.Set(s.field, "w", defaultLimits)
		case "expire":
			h.ExpireFields(s.at, 0, func(string) {})
		}
		if got := hashFields(h); !slices.Equal(got, s.order) {
			t.Fatalf("step %d %s %s: order %v, want %v", i, s.op, s.field, got, s.order)
		}
		if got := h.MinExpire(); got != s.min {
			t.Fatalf("step %d: MinExpire %d, want %d", i, got, s.min)
		}
	}
	if h.Encoding(defaultLimits) != "listpack" {
		t.Fatalf("encoding %q before MarkExpiring", h.Encoding(defaultLimits))
	}
	h.MarkExpiring()
	if h.Encoding(defaultLimits) != "listpackex" {
		t.Fatalf("encoding %q", h.Encoding(defaultLimits))
	}
}

// TestHashFieldTTLHeap checks, on a hashtable-encoded hash, that fields
// leave in time order whatever the order their TTLs were set, changed,
// removed and the fields deleted; and that a clone keeps the TTLs.
func TestHashFieldTTLHeap(t *testing.T) {
	h := NewHash()
	want := map[string]int64{}
	for i := range 500 {
		f := string(rune('a'+i%26)) + string(rune('0'+i/26))
		h.Set(f, "v", defaultLimits)
		if i%3 != 0 {
			at := int64(rand.IntN(1000) + 1)
			h.SetFieldExpire(f, at)
			want[f] = at
		}
	}
	for f := range want {
		switch rand.IntN(4) {
		case 0:
			h.PersistField(f)
			delete(want, f)
		case 1:
			h.Delete(f)
			delete(want, f)
		case 2:
			at := int64(rand.IntN(1000) + 1)
			h.SetFieldExpire(f, at)
			want[f] = at
		}
	}
	c := h.Clone().(*Hash)
	for _, hh := range []*Hash{h, c} {
		last := int64(0)
		n := hh.ExpireFields(2000, 0, func(f string) {
			at, ok := hh.FieldExpireAt(f)
			if !ok || at != want[f] || at < last {
				t.Fatalf("field %s at %d (want %d) after %d", f, at, want[f], last)
			}
			last = at
		})
		if n != len(want) || hh.HasTTLs() {
			t.Fatalf("expired %d, want %d", n, len(want))
		}
	}
}
