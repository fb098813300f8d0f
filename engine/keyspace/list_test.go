package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func listOf(elems ...string) *List {
	l := NewList()
	for _, e := range elems {
		l.PushBack([]byte(e))
	}
	return l
}

func contents(l *List) []string {
	out := make([]string, l.Len())
	for i := range out {
		out[i] = string(l.Index(i))
	}
	return out
}

// offset returns a list holding elems whose ring buffer wraps around, so
// the tests exercise the index arithmetic across the buffer's end.
func offset(elems ...string) *List {
	l := NewList()
	for range 6 {
		l.PushBack([]byte("x"))
	}
	for range 6 {
		l.PopFront()
	}
	for _, e := range elems {
		l.PushBack([]byte(e))
	}
	return l
}

func TestListInsert(t *testing.T) {
	tests := []struct {
		elems []string
		at    int
		want  []string
	}{
		{nil, 0, []string{"N"}},
		{[]string{"a"}, 0, []string{"N", "a"}},
		{[]string{"a"}, 1, []string{"a", "N"}},
		{[]string{"a", "b", "c", "d"}, 1, []string{"a", "N", "b", "c", "d"}},
		{[]string{"a", "b", "c", "d"}, 3, []string{"a", "b", "c", "N", "d"}},
		{[]string{"a", "b", "c", "d", "e", "f", "g", "h"}, 4, []string{"a", "b", "c", "d", "N", "e", "f", "g", "h"}},
	}
	for _, tc := range tests {
		for _, mk := range []func(...string) *List{listOf, offset} {
			l := mk(tc.elems...)
			l.Insert(tc.at, []byte("N"))
			if got := contents(l); !slices.Equal(got, tc.want) {
				t.Errorf("Insert(%d) into %v = %v, want %v", tc.at, tc.elems, got, tc.want)
			}
		}
	}
}

func TestListTrim(t *testing.T) {
	tests := []struct {
		start, stop int
		want        []string
	}{
		{0, 4, []string{"a", "b", "c", "d", "e"}},
		{1, 3, []string{"b", "c", "d"}},
		{4, 4, []string{"e"}},
		{0, 0, []string{"a"}},
	}
	for _, tc := range tests {
		for _, mk := range []func(...string) *List{listOf, offset} {
			l := mk("a", "b", "c", "d", "e")
			l.Trim(tc.start, tc.stop)
			if got := contents(l); !slices.Equal(got, tc.want) {
				t.Errorf("Trim(%d, %d) = %v, want %v", tc.start, tc.stop, got, tc.want)
			}
		}
	}
}

func TestListRemove(t *testing.T) {
	elems := []string{"a", "b", "a", "c", "a"}
	tests := []struct {
		count    int64
		fromTail bool
		want     []string
		removed  int64
	}{
		{0, false, []string{"b", "c"}, 3},
		{0, true, []string{"b", "c"}, 3},
		{1, false, []string{"b", "a", "c", "a"}, 1},
		{2, true, []string{"a", "b", "c"}, 2},
		{9, false, []string{"b", "c"}, 3},
	}
	for _, tc := range tests {
		for _, mk := range []func(...string) *List{listOf, offset} {
			l := mk(elems...)
			n := l.Remove([]byte("a"), tc.count, tc.fromTail)
			if got := contents(l); n != tc.removed || !slices.Equal(got, tc.want) {
				t.Errorf("Remove(a, %d, %v) = %d %v, want %d %v", tc.count, tc.fromTail, n, got, tc.removed, tc.want)
			}
		}
	}
	l := listOf("z", "z")
	if n := l.Remove([]byte("a"), 0, false); n != 0 || l.Len() != 2 {
		t.Errorf("Remove of an absent element removed %d", n)
	}
}

// TestListModel runs a deterministic random mix of operations against the
// ring buffer and against a plain slice, through growth, wrap-around and
// shrinking.
func TestListModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := NewList()
	var model [][]byte
	for step := range 6000 {
		v := []byte(fmt.Sprint(step))
		// Bias towards growth in the first half and draining after.
		grow := step < 3000
		switch op := r.IntN(10); {
		case op < 3 && (grow || r.IntN(3) == 0):
			l.PushFront(v)
			model = append([][]byte{v}, model...)
		case op < 6 && (grow || r.IntN(3) == 0):
			l.PushBack(v)
			model = append(model, v)
		case op < 7:
			got := l.PopFront()
			var want []byte
			if len(model) > 0 {
				want, model = model[0], model[1:]
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("step %d: PopFront = %q, want %q", step, got, want)
			}
		case op < 8:
			got := l.PopBack()
			var want []byte
			if len(model) > 0 {
				want, model = model[len(model)-1], model[:len(model)-1]
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("step %d: PopBack = %q, want %q", step, got, want)
			}
		case op < 9 && len(model) > 0:
			i := r.IntN(len(model))
			l.Set(i, v)
			model[i] = v
		default:
			i := r.IntN(len(model) + 1)
			l.Insert(i, v)
			model = slices.Insert(model, i, v)
		}
		if l.Len() != len(model) {
			t.Fatalf("step %d: Len = %d, want %d", step, l.Len(), len(model))
		}
		if step%97 == 0 {
			for i, want := range model {
				if !bytes.Equal(l.Index(i), want) {
					t.Fatalf("step %d: Index(%d) = %q, want %q", step, i, l.Index(i), want)
				}
			}
		}
	}
}

func TestListCopiesAndClone(t *testing.T) {
	arg := []byte("abc")
	l := NewList()
	l.PushBack(arg)
	l.PushFront(arg)
	l.Insert(1, arg)
	arg[0] = 'X'
	if got := contents(l); !slices.Equal(got, []string{"abc", "abc", "abc"}) {
		t.Fatalf("list aliases its arguments: %v", got)
	}
	c := l.Clone().(*List)
	l.Set(0, []byte("changed"))
	l.Index(1)[0] = 'Y'
	if got := contents(c); !slices.Equal(got, []string{"abc", "abc", "abc"}) {
		t.Fatalf("clone shares with the original: %v", got)
	}
	if l.Type() != "list" || l.Encoding(Limits{}) != "quicklist" {
		t.Fatalf("Type/Encoding = %s/%s", l.Type(), l.Encoding(Limits{}))
	}
}

func TestListShrinks(t *testing.T) {
	l := NewList()
	for i := range 1000 {
		l.PushBack([]byte{byte(i)})
	}
	for l.Len() > 3 {
		l.PopFront()
	}
	if len(l.buf) > 4*minListCap {
		t.Fatalf("buffer of %d slots kept for %d elements", len(l.buf), l.Len())
	}
	if s := l.Size(); s <= 0 || s > 2000 {
		t.Fatalf("Size = %d after draining", s)
	}
}
