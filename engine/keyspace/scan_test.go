package keyspace

import (
	"fmt"
	"sort"
	"testing"
)

// scanAll runs a whole SCAN iteration and returns every key seen and the
// number of calls.
func scanAll(db *DB, count int) ([]string, int) {
	var keys []string
	calls := 0
	for cursor := uint64(0); ; {
		calls++
		cursor = db.Scan(cursor, count, func(k string, _ *Entry) { keys = append(keys, k) })
		if cursor == 0 {
			return keys, calls
		}
	}
}

func TestScan(t *testing.T) {
	db := New()
	want := map[string]bool{}
	for i := range 1000 {
		k := fmt.Sprintf("key:%d", i)
		db.Set(k, NewString(nil))
		want[k] = true
	}
	// Keys sharing a slot come back in the same call.
	for i := range 50 {
		k := fmt.Sprintf("{tag}%d", i)
		db.Set(k, NewString(nil))
		want[k] = true
	}
	for _, count := range []int{1, 10, 100, 5000} {
		keys, calls := scanAll(db, count)
		sort.Strings(keys)
		if len(keys) != len(want) {
			t.Fatalf("count %d: %d keys, want %d", count, len(keys), len(want))
		}
		for i, k := range keys {
			if !want[k] || (i > 0 && keys[i-1] == k) {
				t.Fatalf("count %d: unexpected or repeated key %q", count, k)
			}
		}
		if count >= len(want) && calls != 1 {
			t.Errorf("count %d: %d calls, want 1", count, calls)
		}
		if count == 1 && calls < 500 {
			t.Errorf("count 1: only %d calls", calls)
		}
	}
}

func TestScanStepStopsAfterWholeSlot(t *testing.T) {
	db := New()
	for i := range 5 {
		db.Set(fmt.Sprintf("{a}%d", i), NewString(nil))
	}
	slot := uint64(KeySlot("{a}"))
	n := 0
	next := db.Scan(0, 1, func(string, *Entry) { n++ })
	if n != 5 || next != slot+1 {
		t.Errorf("Scan(0, 1) saw %d keys, next %d; want 5, %d", n, next, slot+1)
	}
	if next := db.Scan(slot+1, 1, func(string, *Entry) { n++ }); next != 0 || n != 5 {
		t.Errorf("Scan after the only slot: next %d, keys %d", next, n)
	}
	if next := db.Scan(1<<40, 10, func(string, *Entry) { n++ }); next != 0 {
		t.Errorf("Scan past the last slot: next %d", next)
	}
}

func TestForEachStops(t *testing.T) {
	db := New()
	for i := range 10 {
		db.Set(fmt.Sprint(i), NewString(nil))
	}
	n := 0
	db.ForEach(func(string, *Entry) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("ForEach visited %d keys after stopping at 3", n)
	}
}
