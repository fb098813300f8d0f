package keyspace

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

func TestIsSetInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"0", true},
		{"1", true},
		{"-1", true},
		{"9223372036854775807", true},
		{"-9223372036854775808", true},
		{"9223372036854775808", false},
		{"-9223372036854775809", false},
		{"-0", false},
		{"007", false},
		{"+5", false},
		{" 5", false},
		{"5 ", false},
		{"-", false},
		{"", false},
		{"1.0", false},
		{"1e3", false},
		{"abc", false},
		{"123456789012345678901", false},
	} {
		if got := IsSetInt(tc.in); got != tc.want {
			t.Errorf("IsSetInt(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// checkSet verifies the table's invariants against a model.
func checkSet(t *testing.T, s *Set, model map[string]bool) {
	t.Helper()
	if s.Len() != len(model) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(model))
	}
	for m := range model {
		if !s.Has(m) {
			t.Fatalf("Has(%q) = false", m)
		}
	}
	chained := 0
	for b := range s.buckets {
		for p := s.buckets[b]; p != 0; p = s.next[p-1] {
			if int(s.hashes[p-1]&uint64(len(s.buckets)-1)) != b {
				t.Fatalf("member %q chained in the wrong bucket", s.members[p-1])
			}
			chained++
		}
	}
	if chained != len(model) {
		t.Fatalf("%d members chained, want %d", chained, len(model))
	}
}

func TestSetAddRemove(t *testing.T) {
	s := NewSet()
	model := map[string]bool{}
	for i := range 1000 {
		m := "m" + strconv.Itoa(i%700)
		if got, want := s.Add(m), !model[m]; got != want {
			t.Fatalf("Add(%q) = %v, want %v", m, got, want)
		}
		model[m] = true
	}
	checkSet(t, s, model)
	for i := range 800 {
		m := "m" + strconv.Itoa(i)
		if got, want := s.Remove(m), model[m]; got != want {
			t.Fatalf("Remove(%q) = %v, want %v", m, got, want)
		}
		delete(model, m)
		if i%97 == 0 {
			checkSet(t, s, model)
		}
	}
	checkSet(t, s, model)
	if s.Has("m1") || s.Remove("m1") {
		t.Fatal("removed member still present")
	}
	if len(s.buckets) != minBuckets {
		t.Errorf("empty set kept %d buckets", len(s.buckets))
	}
}

func TestSetEncoding(t *testing.T) {
	lim := Limits{SetMaxIntsetEntries: 3}
	for _, tc := range []struct {
		name string
		ops  func(s *Set)
		want string
	}{
		{"ints", func(s *Set) { s.Add("1"); s.Add("-2"); s.Add("3") }, "intset"},
		{"too many ints", func(s *Set) {
			for _, m := range []string{"1", "2", "3", "4"} {
				s.Add(m)
			}
		}, "hashtable"},
		{"shrunk back stays converted", func(s *Set) {
			for _, m := range []string{"1", "2", "3", "4"} {
				s.Add(m)
			}
			s.Remove("4")
		}, "hashtable"},
		{"duplicate does not count", func(s *Set) {
			for _, m := range []string{"1", "2", "3", "3"} {
				s.Add(m)
			}
		}, "intset"},
		{"non-integer", func(s *Set) { s.Add("1"); s.Add("x") }, "hashtable"},
		{"non-integer removed stays converted", func(s *Set) { s.Add("1"); s.Add("x"); s.Remove("x") }, "hashtable"},
		{"leading zero", func(s *Set) { s.Add("01") }, "hashtable"},
		{"rebuilt", func(s *Set) { s.Add("1"); s.Add("x"); s.Remove("x"); s.Rebuilt() }, "intset"},
		{"clone keeps encoding", func(s *Set) {
			s.Add("x")
			s.Remove("x")
			s.Add("1")
			*s = *s.Clone().(*Set)
		}, "hashtable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSet()
			tc.ops(s)
			if got := s.Encoding(lim); got != tc.want {
				t.Errorf("Encoding = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSetMembersOrder(t *testing.T) {
	s := NewSet()
	for _, m := range []string{"10", "-3", "2", "-9223372036854775808", "0"} {
		s.Add(m)
	}
	want := []string{"-9223372036854775808", "-3", "0", "2", "10"}
	if got := s.Members(Limits{SetMaxIntsetEntries: 512}); !slices.Equal(got, want) {
		t.Errorf("intset Members = %v, want %v", got, want)
	}
	got := s.Members(Limits{SetMaxIntsetEntries: 2})
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("hashtable Members = %v, want %v", got, want)
	}
}

func TestSetClone(t *testing.T) {
	s := NewSet()
	s.Add("a")
	c := s.Clone().(*Set)
	c.Add("b")
	c.Remove("a")
	if !s.Has("a") || s.Has("b") || s.Len() != 1 {
		t.Error("changing the clone changed the original")
	}
}

// TestSetScanGuarantee checks SSCAN's promise: every member present during
// the whole scan is returned, even when the table grows or shrinks between
// calls.
func TestSetScanGuarantee(t *testing.T) {
	for _, tc := range []struct {
		name    string
		initial int
		between func(s *Set, step int)
	}{
		{"stable", 1000, func(*Set, int) {}},
		{"growing", 100, func(s *Set, step int) {
			for i := range 50 {
				s.Add(fmt.Sprintf("new%d-%d", step, i))
			}
		}},
		{"shrinking", 2000, func(s *Set, step int) {
			for i := range 150 {
				s.Remove(fmt.Sprintf("m%d", 100+step*150+i))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSet()
			for i := range tc.initial {
				s.Add(fmt.Sprintf("m%d", i))
			}
			// Members that stay for the whole scan: m0..m99 are never removed;
			// the shrinking case empties the rest, so the table shrinks too.
			seen := map[string]bool{}
			cursor := uint64(0)
			for step := 0; ; step++ {
				cursor = s.Scan(cursor, 10, func(m string) { seen[m] = true })
				if cursor == 0 {
					break
				}
				if step > 100000 {
					t.Fatal("scan does not end")
				}
				tc.between(s, step)
			}
			if tc.name == "shrinking" && len(s.buckets) >= 2048 {
				t.Fatalf("table did not shrink: %d buckets for %d members", len(s.buckets), s.Len())
			}
			for i := range min(tc.initial, 100) {
				if m := fmt.Sprintf("m%d", i); !seen[m] {
					t.Fatalf("member %s never returned", m)
				}
			}
		})
	}
}

func TestSetScanCount(t *testing.T) {
	s := NewSet()
	for i := range 100 {
		s.Add(strconv.Itoa(i))
	}
	n := 0
	if c := s.Scan(0, 1000, func(string) { n++ }); c != 0 || n != 100 {
		t.Errorf("Scan with COUNT above size: cursor %d, %d members; want 0, 100", c, n)
	}
	n = 0
	if c := s.Scan(0, 10, func(string) { n++ }); c == 0 || n < 10 {
		t.Errorf("Scan COUNT 10: cursor %d, %d members", c, n)
	}
	if c := NewSet().Scan(5, 10, func(string) {}); c != 0 {
		t.Errorf("Scan of empty set: cursor %d", c)
	}
}

func TestSetSample(t *testing.T) {
	s := NewSet()
	for i := range 10 {
		s.Add(strconv.Itoa(i))
	}
	counts := map[string]int{}
	const rounds = 4000
	for range rounds {
		got := s.Sample(3)
		if len(got) != 3 {
			t.Fatalf("Sample(3) returned %d members", len(got))
		}
		uniq := map[string]bool{}
		for _, m := range got {
			if uniq[m] || !s.Has(m) {
				t.Fatalf("Sample(3) = %v: duplicate or foreign member", got)
			}
			uniq[m] = true
			counts[m]++
		}
	}
	// Each member is expected 1200 times; allow a generous margin.
	for m, n := range counts {
		if n < 1000 || n > 1400 {
			t.Errorf("member %s sampled %d times of %d, expected about 1200", m, n, rounds)
		}
	}
	if got := s.Sample(10); len(got) != 10 {
		t.Errorf("Sample(Len) returned %d members", len(got))
	}
}

func TestSetPopAndRandom(t *testing.T) {
	counts := map[string]int{}
	for range 3000 {
		s := NewSet()
		for _, m := range []string{"a", "b", "c"} {
			s.Add(m)
		}
		m := s.Pop()
		if s.Has(m) || s.Len() != 2 {
			t.Fatalf("Pop returned %q but left it in", m)
		}
		counts[m]++
		if r := s.Random(); !s.Has(r) {
			t.Fatalf("Random returned non-member %q", r)
		}
	}
	for m, n := range counts {
		if n < 850 || n > 1150 {
			t.Errorf("member %s popped %d times of 3000, expected about 1000", m, n)
		}
	}
}
