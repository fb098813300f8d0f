package rdb

import (
	"bytes"
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
