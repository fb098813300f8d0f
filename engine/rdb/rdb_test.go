package rdb

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

var limits = keyspace.Limits{
	HashMaxListpackEntries: 128, HashMaxListpackValue: 64,
	SetMaxIntsetEntries: 512, ZsetMaxListpackEntries: 128, ZsetMaxListpackValue: 64,
}

func TestCRC64(t *testing.T) {
	// The check value of Redis's crc64.c test.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %#x", got)
	}
}

// TestDumpMatchesRedis compares payloads with ones redis-server 7.0.15
// produced for the same data.
func TestDumpMatchesRedis(t *testing.T) {
	z := keyspace.NewZSet()
	for _, e := range []struct {
		m string
		s float64
	}{{"a", 0.1}, {"b", 1.5}, {"c", 3}, {"d", 0}} {
		z.Add(e.m, e.s)
	}
	l := keyspace.NewList()
	for _, s := range []string{"a", "1", "-5", "300", "hello"} {
		l.PushBack([]byte(s))
	}
	s := keyspace.NewSet()
	for _, m := range []string{"1", "2", "300"} {
		s.Add(m)
	}
	h := keyspace.NewHash()
	h.Set("f", "v", limits)
	h.Set("f2", "12", limits)
	for _, tc := range []struct {
		name string
		v    keyspace.Value
		want string
	}{
		{"zset listpack", z, "\x11\xc3(1\x121\x00\x00\x00\b\x00\x81d\x02\x00\x01\x81a\x02\x930.10\xe0\x05\x00\x0f1\x14\x81b\x02\x831.5\x04\x81c\x02\x03\x01\xff\n\x00v\x0cs\xc0\x16\x80\x94Z"},
		{"list", l, "\x12\x01\x02\x19\x19\x00\x00\x00\x05\x00\x81a\x02\x01\x01\xdf\xfb\x02\xc1,\x02\x85hello\x06\xff\n\x00;\x04U\xbc2\x96\"\xce"},
		{"lzf string", keyspace.NewString([]byte(strings.Repeat("a", 44))), "\x00\xc3\t,\x01aa\xe0\x1f\x00\x01aa\n\x00\x98\x11\xf4\xb6\xaaSv\xff"},
		{"intset", s, "\x0b\x0e\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00,\x01\n\x00\xe5\x10\xb2\x8e{\x95)\xaa"},
		{"hash listpack", h, "\x10\x13\x13\x00\x00\x00\x04\x00\x81f\x02\x81v\x02\x82f2\x03\x0c\x01\xff\n\x00\xf3d\xf9\x88\x89\x04. "},
		{"string", keyspace.NewString([]byte("v1")), "\x00\x02v1\n\x00_\xe5\xb0^\xcbPy["},
	} {
		got, err := Dump(tc.v, limits)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		if err := VerifyPayload(got); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		back, err := Restore(got, limits)
		if err != nil {
			t.Fatalf("%s: restore: %v", tc.name, err)
		}
		again, _ := Dump(back, limits)
		if !bytes.Equal(again, got) {
			t.Errorf("%s: round trip changed the payload: %q", tc.name, again)
		}
	}
}

func TestLZFRoundTrip(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("abc", 100),
		strings.Repeat("x", 5000) + "tail",
		"the quick brown fox jumps over the lazy dog the quick brown fox",
	} {
		c := lzfCompress([]byte(in), len(in)-4)
		if c == nil {
			t.Fatalf("%q did not compress", in[:10])
		}
		out, ok := lzfDecompress(c, len(in))
		if !ok || string(out) != in {
			t.Fatalf("round trip of %q failed", in[:10])
		}
	}
	if c := lzfCompress([]byte("abcdefghijklmnopqrstuvwxyz"), 22); c != nil {
		t.Fatalf("incompressible input compressed to %q", c)
	}
}

// A hash with field expiry times round-trips with its times (Redis 7.4's
// hash-metadata type), in both of Redis's encodings of the hash.
func TestHashFieldTTLsRoundTrip(t *testing.T) {
	l := limits
	for _, n := range []int{3, 600} { // listpack and hashtable sizes
		h := keyspace.NewHash()
		for i := 0; i < n; i++ {
			h.Set(fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i), l)
		}
		h.NoteLength(n, l)
		want := map[string]int64{"f0": 1_900_000_000_000, "f2": 1_900_000_000_500, "f1": 2_000_000_000_000}
		for f, at := range want {
			h.SetFieldExpire(f, at)
		}
		p, err := Dump(h, l)
		if err != nil {
			t.Fatal(err)
		}
		if p[0] != TypeHashMetadata {
			t.Fatalf("n=%d: type %d, want %d", n, p[0], TypeHashMetadata)
		}
		v, err := Restore(p, l)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		got := v.(*keyspace.Hash)
		if got.Len() != n {
			t.Fatalf("n=%d: %d fields back", n, got.Len())
		}
		for i := 0; i < n; i++ {
			f := fmt.Sprintf("f%d", i)
			at, ok := got.FieldExpireAt(f)
			if want[f] != at || !ok {
				t.Errorf("n=%d: %s expires at %d (%v), want %d", n, f, at, ok, want[f])
			}
			if v, _ := got.Get(f); v != fmt.Sprintf("v%d", i) {
				t.Errorf("n=%d: %s = %q", n, f, v)
			}
		}
	}
}
