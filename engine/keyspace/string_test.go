package keyspace

import (
	"bytes"
	"math"
	"testing"
)

func TestStringEncoding(t *testing.T) {
	for _, tc := range []struct {
		s    *String
		want string
	}{
		{NewString([]byte("12345")), "int"},
		{NewString([]byte("-12345")), "int"},
		{NewString([]byte("0")), "int"},
		{NewString([]byte("9223372036854775807")), "int"},
		{NewString([]byte("-9223372036854775808")), "int"},
		{NewString([]byte("9223372036854775808")), "embstr"},
		{NewString([]byte("-0")), "embstr"},
		{NewString([]byte("0123")), "embstr"},
		{NewString([]byte("+1")), "embstr"},
		{NewString([]byte(" 1")), "embstr"},
		{NewString([]byte("")), "embstr"},
		{NewString(bytes.Repeat([]byte("x"), 44)), "embstr"},
		{NewString(bytes.Repeat([]byte("x"), 45)), "raw"},
		{&String{B: []byte("12"), Raw: true}, "raw"},
		{&String{B: []byte("12"), NoInt: true}, "embstr"},
		{&String{B: bytes.Repeat([]byte("1"), 45), NoInt: true}, "raw"},
		{NewInt(-7), "int"},
	} {
		if got := tc.s.Encoding(Limits{}); got != tc.want {
			t.Errorf("Encoding(%q, raw=%v, noint=%v) = %s, want %s", tc.s.B, tc.s.Raw, tc.s.NoInt, got, tc.want)
		}
	}
}

func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7, true},
		{"-7", -7, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"1a", 0, false},
		{"1.0", 0, false},
	} {
		got, ok := parseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStringRange(t *testing.T) {
	s := NewString([]byte("This is a string"))
	for _, tc := range []struct {
		start, end int64
		want       string
	}{
		{0, 3, "This"},
		{-3, -1, "ing"},
		{0, -1, "This is a string"},
		{10, 100, "string"},
		{5, 3, ""},
		{-1, -5, ""},
		// Redis 7.0 clamps both ends to 0 here: one byte.
		{-100, -50, "T"},
		{-100, 2, "Thi"},
		{100, 200, ""},
		{math.MaxInt64, math.MaxInt64, ""},
		{math.MinInt64, math.MinInt64, "T"},
	} {
		if got := string(s.Range(tc.start, tc.end)); got != tc.want {
			t.Errorf("Range(%d, %d) = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
	if got := NewString(nil).Range(0, -1); len(got) != 0 {
		t.Errorf("Range of empty = %q", got)
	}
}

func TestStringSetRange(t *testing.T) {
	for _, tc := range []struct {
		init   string
		offset int
		b      string
		want   string
	}{
		{"", 5, "hello", "\x00\x00\x00\x00\x00hello"},
		{"Hello World", 6, "Redis", "Hello Redis"},
		{"abc", 1, "XYZW", "aXYZW"},
		{"abc", 0, "x", "xbc"},
	} {
		s := NewString([]byte(tc.init))
		if n := s.SetRange(tc.offset, []byte(tc.b)); n != len(tc.want) || string(s.B) != tc.want || !s.Raw {
			t.Errorf("SetRange(%q, %d, %q) = %d %q raw=%v, want %q", tc.init, tc.offset, tc.b, n, s.B, s.Raw, tc.want)
		}
	}
	// Growing within capacity must zero the gap, not expose old bytes.
	s := &String{B: []byte("abcdef")[:2]}
	s.SetRange(4, []byte("x"))
	if string(s.B) != "ab\x00\x00x" {
		t.Errorf("SetRange within capacity = %q", s.B)
	}
}

func TestStringInPlace(t *testing.T) {
	s := &String{B: []byte("10"), Raw: true, NoInt: true, Copied: true}
	s.SetInt(-42)
	if string(s.B) != "-42" || s.Raw || s.NoInt || s.Copied || s.Encoding(Limits{}) != "int" {
		t.Errorf("SetInt: %+v", s)
	}
	if n := s.Append([]byte("0")); n != 4 || string(s.B) != "-420" || s.Encoding(Limits{}) != "raw" {
		t.Errorf("Append: %d %+v", n, s)
	}
	c := s.Clone().(*String)
	c.B[0] = 'x'
	if s.B[0] != '-' || !c.Copied || !c.Raw {
		t.Errorf("Clone shares or loses state: %+v %+v", s, c)
	}
}
