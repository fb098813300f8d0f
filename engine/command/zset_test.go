package command

import (
	"math"
	"testing"
)

func TestParseScore(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1", 1, true},
		{"-2.5", -2.5, true},
		{"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"0x10", 16, true}, // strtod needs no binary exponent
		{"0x1p3", 8, true},
		{"1e-310", 1e-310, true}, // denormal: accepted
		{"1e-400", 0, false},     // total underflow: ERANGE with 0
		{"1e400", 0, false},      // overflow: ERANGE with HUGE_VAL
		{"0e-500", 0, true},
		{"nan", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"", 0, false},
		{"1_0", 0, false},
		{"--1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseScore([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseScore(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseScoreBound(t *testing.T) {
	tests := []struct {
		in     string
		want   float64
		ex, ok bool
	}{
		{"1.5", 1.5, false, true},
		{"(1.5", 1.5, true, true},
		{"", 0, false, true}, // strtod reads nothing and Redis does not mind
		{"(", 0, true, true},
		{"( 2", 2, true, true},  // strtod skips leading space
		{"( ", 0, false, false}, // but with no number its end is the start
		{"1e400", math.Inf(1), false, true},
		{"2 ", 0, false, false},
		{"[1", 0, false, false},
		{"(nan", 0, false, false},
	}
	for _, tt := range tests {
		v, ex, ok := parseScoreBound([]byte(tt.in))
		if ok != tt.ok || (ok && (v != tt.want || ex != tt.ex)) {
			t.Errorf("parseScoreBound(%q) = %v, %v, %v", tt.in, v, ex, ok)
		}
	}
}

func TestParseLexBound(t *testing.T) {
	tests := []struct {
		in       string
		s        string
		ex       bool
		inf      int8
		ok       bool
		scenario string
	}{
		{"-", "", true, -1, true, "minus infinity"},
		{"+", "", true, 1, true, "plus infinity"},
		{"[a", "a", false, 0, true, "inclusive"},
		{"(a", "a", true, 0, true, "exclusive"},
		{"[", "", false, 0, true, "empty member"},
		{"--", "", false, 0, false, "long minus"},
		{"a", "", false, 0, false, "no prefix"},
		{"", "", false, 0, false, "empty"},
	}
	for _, tt := range tests {
		b, ok := parseLexBound([]byte(tt.in))
		if ok != tt.ok || (ok && (b.S != tt.s || b.Ex != tt.ex || b.Inf != tt.inf)) {
			t.Errorf("%s: parseLexBound(%q) = %+v, %v", tt.scenario, tt.in, b, ok)
		}
	}
}

// TestScoreCursor checks that ZSCAN's cursors keep the order of scores,
// never collide with the final cursor 0, and decode to their score.
func TestScoreCursor(t *testing.T) {
	scores := []float64{math.Inf(-1), -1e300, -2, -5e-324, 0, 5e-324, 1, 2.5, 1e300, math.Inf(1)}
	var prev uint64
	for i, s := range scores {
		k := scoreCursor(s)
		if k == 0 {
			t.Fatalf("cursor of %v is 0", s)
		}
		if i > 0 && k <= prev {
			t.Fatalf("cursor of %v not above the previous one", s)
		}
		if got := cursorScore(k); got != s {
			t.Fatalf("cursorScore(scoreCursor(%v)) = %v", s, got)
		}
		prev = k
	}
	if scoreCursor(math.Copysign(0, -1)) != scoreCursor(0) {
		t.Fatalf("-0 and 0 must share a cursor")
	}
}
