package txlog

import (
	"errors"
	"reflect"
	"testing"
)

func args(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func decodeAll(t *testing.T, data []byte) [][][]string {
	t.Helper()
	var out [][][]string
	err := DecodeBatch(data, func(g [][][]byte) error {
		var eg [][]string
		for _, e := range g {
			var ss []string
			for _, a := range e {
				ss = append(ss, string(a))
			}
			eg = append(eg, ss)
		}
		out = append(out, eg)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	w := NewBatchWriter()
	w.BeginGroup()
	w.Effect(args("SET", "k", "v", "PXAT", "1700000000000"))
	w.EndGroup()
	w.BeginGroup() // an empty group leaves no trace
	w.EndGroup()
	w.BeginGroup()
	w.Effect(args("INCR", "n"))
	w.Effect(args("LPUSH", "l", "", "b"))
	w.EndGroup()
	if w.Groups() != 2 {
		t.Fatalf("groups = %d, want 2", w.Groups())
	}
	got := decodeAll(t, w.Bytes())
	want := [][][]string{
		{{"SET", "k", "v", "PXAT", "1700000000000"}},
		{{"INCR", "n"}, {"LPUSH", "l", "", "b"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	w.Reset()
	if got := decodeAll(t, w.Bytes()); len(got) != 0 {
		t.Fatalf("empty batch decoded to %q", got)
	}
}

func TestBatchRefusesDamage(t *testing.T) {
	w := NewBatchWriter()
	w.BeginGroup()
	w.Effect(args("SET", "k", "v"))
	w.EndGroup()
	good := w.Bytes()

	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-1] ^= 1
	newer := append([]byte(nil), good...)
	newer[0] = FormatVersion + 1
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"flipped bit": {flipped, ErrCorrupt},
		"truncated":   {good[:len(good)-2], ErrCorrupt},
		"header only": {good[:3], ErrCorrupt},
		"newer":       {newer, ErrNewerFormat},
	} {
		called := false
		err := DecodeBatch(tc.data, func([][][]byte) error { called = true; return nil })
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
		if called {
			t.Errorf("%s: a group was applied from a damaged batch", name)
		}
	}
}

// FuzzDecodeBatch checks that no input makes the decoder panic or return
// effects from a batch it should refuse.
func FuzzDecodeBatch(f *testing.F) {
	w := NewBatchWriter()
	w.BeginGroup()
	w.Effect(args("SET", "k", "v"))
	w.EndGroup()
	f.Add(w.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		DecodeBatch(data, func([][][]byte) error { return nil })
	})
}

// Bytes encodes in place: asking again gives the same bytes, and a group
// added afterwards is in the next encoding.
func TestBatchBytesInPlace(t *testing.T) {
	w := NewBatchWriterSize(64)
	w.BeginGroup()
	w.Effect(args("SET", "k", "v"))
	w.EndGroup()
	first := append([]byte(nil), w.Bytes()...)
	if again := w.Bytes(); string(again) != string(first) {
		t.Fatal("a second Bytes changed the encoding")
	}
	w.BeginGroup()
	w.Effect(args("DEL", "k"))
	w.EndGroup()
	got := decodeAll(t, w.Bytes())
	want := [][][]string{{{"SET", "k", "v"}}, {{"DEL", "k"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := decodeAll(t, first); len(got) != 1 {
		t.Fatalf("the first encoding decoded to %q", got)
	}
}
