package keyspace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// zelem is an element of the reference model: a slice kept sorted.
type zelem struct {
	m string
	s float64
}

func modelLess(a, b zelem) int {
	switch {
	case a.s < b.s:
		return -1
	case a.s > b.s:
		return 1
	}
	return strings.Compare(a.m, b.m)
}

func elems(z *ZSet) []zelem {
	var out []zelem
	for n := z.First(); n != nil; n = n.Next() {
		out = append(out, zelem{n.member, n.score})
	}
	return out
}

// checkInvariants verifies the skiplist's links and spans against the
// map: every level's spans must add up to the length, backward links must
// mirror level 0, and the order must be strict.
func checkInvariants(t *testing.T, z *ZSet) {
	t.Helper()
	sl := z.sl
	if sl.length != len(z.dict) {
		t.Fatalf("length %d, dict %d", sl.length, len(z.dict))
	}
	for i := 0; i < sl.level; i++ {
		pos := 0
		for x := sl.header; x.level[i].forward != nil; x = x.level[i].forward {
			pos += x.level[i].span
			if got := sl.rank(x.level[i].forward.score, x.level[i].forward.member); got != pos {
				t.Fatalf("level %d: span sum %d, rank %d", i, pos, got)
			}
		}
	}
	var prev *ZNode
	for x := z.First(); x != nil; x = x.Next() {
		if x.backward != prev {
			t.Fatalf("backward link of %q wrong", x.member)
		}
		if prev != nil && !zslLess(prev.score, prev.member, x.score, x.member) {
			t.Fatalf("order: %q(%v) before %q(%v)", prev.member, prev.score, x.member, x.score)
		}
		if s, ok := z.dict[x.member]; !ok || s != x.score {
			t.Fatalf("dict disagrees on %q", x.member)
		}
		prev = x
	}
	if sl.tail != prev {
		t.Fatalf("tail wrong")
	}
}

func TestZSetOrder(t *testing.T) {
	tests := []struct {
		name string
		add  []zelem
		want []string
	}{
		{"empty", nil, nil},
		{"by score", []zelem{{"a", 3}, {"b", 1}, {"c", 2}}, []string{"b", "c", "a"}},
		{"ties by member bytes", []zelem{{"b", 1}, {"a", 1}, {"B", 1}, {"ab", 1}}, []string{"B", "a", "ab", "b"}},
		{"update moves", []zelem{{"a", 1}, {"b", 2}, {"a", 3}}, []string{"b", "a"}},
		{"infinities", []zelem{{"x", math.Inf(1)}, {"y", math.Inf(-1)}, {"z", 0}}, []string{"y", "z", "x"}},
		{"negative zero is zero", []zelem{{"b", 0}, {"a", math.Copysign(0, -1)}}, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := NewZSet()
			for _, e := range tt.add {
				z.Add(e.m, e.s)
			}
			checkInvariants(t, z)
			var got []string
			for _, e := range elems(z) {
				got = append(got, e.m)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestZSetRanges(t *testing.T) {
	z := NewZSet()
	for i, m := range []string{"a", "b", "c", "d", "e"} {
		z.Add(m, float64(i+1)) // a=1 ... e=5
	}
	scoreTests := []struct {
		r           ScoreRange
		first, last string
		count       int
	}{
		{ScoreRange{Min: 2, Max: 4}, "b", "d", 3},
		{ScoreRange{Min: 2, Max: 4, MinEx: true, MaxEx: true}, "c", "c", 1},
		{ScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}, "a", "e", 5},
		{ScoreRange{Min: 6, Max: 9}, "", "", 0},
		{ScoreRange{Min: 3, Max: 3, MinEx: true}, "", "", 0},
		{ScoreRange{Min: 4, Max: 2}, "", "", 0},
		{ScoreRange{Min: 2.5, Max: 2.7}, "", "", 0},
	}
	name := func(n *ZNode) string {
		if n == nil {
			return ""
		}
		return n.member
	}
	for _, tt := range scoreTests {
		if f, l, c := name(z.FirstInScore(&tt.r)), name(z.LastInScore(&tt.r)), z.CountInScore(&tt.r); f != tt.first || l != tt.last || c != tt.count {
			t.Errorf("%+v: got %q %q %d, want %q %q %d", tt.r, f, l, c, tt.first, tt.last, tt.count)
		}
	}
	lz := NewZSet()
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		lz.Add(m, 0)
	}
	b := func(s string, ex bool) LexBound { return LexBound{S: s, Ex: ex} }
	lexTests := []struct {
		r           LexRange
		first, last string
		count       int
	}{
		{LexRange{b("b", false), b("d", false)}, "b", "d", 3},
		{LexRange{b("b", true), b("d", true)}, "c", "c", 1},
		{LexRange{LexBound{Inf: -1}, LexBound{Inf: 1}}, "a", "e", 5},
		{LexRange{LexBound{Inf: 1}, LexBound{Inf: 1}}, "", "", 0},
		{LexRange{LexBound{Inf: -1}, b("bb", false)}, "a", "b", 2},
		{LexRange{b("d", false), b("b", false)}, "", "", 0},
		{LexRange{b("c", true), b("c", false)}, "", "", 0},
	}
	for _, tt := range lexTests {
		if f, l, c := name(lz.FirstInLex(&tt.r)), name(lz.LastInLex(&tt.r)), lz.CountInLex(&tt.r); f != tt.first || l != tt.last || c != tt.count {
			t.Errorf("%+v: got %q %q %d, want %q %q %d", tt.r, f, l, c, tt.first, tt.last, tt.count)
		}
	}
}

func TestZSetEncoding(t *testing.T) {
	l := Limits{ZsetMaxListpackEntries: 3, ZsetMaxListpackValue: 4}
	z := NewZSet()
	for _, m := range []string{"a", "b", "c"} {
		z.Add(m, 1)
		z.NoteInsert(l, m)
	}
	if got := z.Encoding(l); got != "listpack" {
		t.Fatalf("3 elements: %s", got)
	}
	z.Add("d", 1)
	z.NoteInsert(l, "d")
	if got := z.Encoding(l); got != "skiplist" {
		t.Fatalf("4 elements: %s", got)
	}
	z.Remove("d")
	if got := z.Encoding(l); got != "skiplist" {
		t.Fatalf("conversion must be one-way: %s", got)
	}
	z.FitEncoding(l)
	if got := z.Encoding(l); got != "listpack" {
		t.Fatalf("fit: %s", got)
	}
	z.Add("long member", 1)
	z.NoteInsert(l, "long member")
	if got := z.Clone().Encoding(l); got != "skiplist" {
		t.Fatalf("long member, cloned: %s", got)
	}
}

// TestZSetRandom runs random operations against a sorted-slice model and
// compares everything observable after each step.
func TestZSetRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	z := NewZSet()
	var model []zelem
	find := func(m string) int {
		return slices.IndexFunc(model, func(e zelem) bool { return e.m == m })
	}
	for step := 0; step < 4000; step++ {
		m := fmt.Sprintf("m%d", rng.IntN(300))
		s := float64(rng.IntN(50)) / 2
		switch op := rng.IntN(10); {
		case op < 5:
			z.Add(m, s)
			if i := find(m); i >= 0 {
				model = slices.Delete(model, i, i+1)
			}
			e := zelem{m, s}
			i, _ := slices.BinarySearchFunc(model, e, modelLess)
			model = slices.Insert(model, i, e)
		case op < 7:
			got := z.Remove(m)
			i := find(m)
			if got != (i >= 0) {
				t.Fatalf("step %d: Remove(%s) = %v", step, m, got)
			}
			if i >= 0 {
				model = slices.Delete(model, i, i+1)
			}
		case op < 8:
			r := ScoreRange{Min: s, Max: s + float64(rng.IntN(4)), MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
			n := z.RemoveRangeByScore(&r)
			before := len(model)
			model = slices.DeleteFunc(model, func(e zelem) bool { return r.Contains(e.s) })
			if n != before-len(model) {
				t.Fatalf("step %d: RemoveRangeByScore %+v = %d, want %d", step, r, n, before-len(model))
			}
		case op < 9 && len(model) > 0:
			a, b := rng.IntN(len(model)), rng.IntN(len(model))
			a, b = min(a, b), max(a, b)
			b = min(b, a+5)
			if n := z.RemoveRangeByRank(a, b); n != b-a+1 {
				t.Fatalf("step %d: RemoveRangeByRank(%d,%d) = %d", step, a, b, n)
			}
			model = slices.Delete(model, a, b+1)
		default:
			r := ScoreRange{Min: s, Max: s + float64(rng.IntN(6))/2, MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
			want := 0
			for _, e := range model {
				if r.Contains(e.s) {
					want++
				}
			}
			if got := z.CountInScore(&r); got != want {
				t.Fatalf("step %d: CountInScore %+v = %d, want %d", step, r, got, want)
			}
		}
		if step%97 == 0 {
			checkInvariants(t, z)
		}
		if !slices.Equal(elems(z), model) {
			t.Fatalf("step %d: set %v, model %v", step, elems(z), model)
		}
		if len(model) > 0 {
			i := rng.IntN(len(model))
			if n := z.ByRank(i); n == nil || n.member != model[i].m {
				t.Fatalf("step %d: ByRank(%d) wrong", step, i)
			}
			if r, ok := z.Rank(model[i].m, false); !ok || r != i {
				t.Fatalf("step %d: Rank(%s) = %d, want %d", step, model[i].m, r, i)
			}
			if r, _ := z.Rank(model[i].m, true); r != len(model)-1-i {
				t.Fatalf("step %d: reverse Rank wrong", step)
			}
		}
	}
	checkInvariants(t, z)
}

func TestZSetLexRemove(t *testing.T) {
	z := NewZSet()
	for c := 'a'; c <= 'j'; c++ {
		z.Add(string(c), 0)
	}
	r := LexRange{LexBound{S: "c"}, LexBound{S: "f", Ex: true}}
	if n := z.RemoveRangeByLex(&r); n != 3 {
		t.Fatalf("removed %d", n)
	}
	checkInvariants(t, z)
	if got := len(elems(z)); got != 7 || z.Len() != 7 {
		t.Fatalf("left %d", got)
	}
	if _, ok := z.Score("d"); ok {
		t.Fatalf("d still there")
	}
}
