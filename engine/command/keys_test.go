package command

import (
	"math"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func TestPatternSlot(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		tag     string // "" when every slot must be read
	}{
		{"{user}*", "user"},
		{"{user}:?", "user"},
		{"pre{user}[ab]", "user"},
		{"{user}", "user"},
		{"*", ""},
		{"{}*", ""},
		{"{us*er}x", ""},
		{"a*{user}", ""},
		{"\\{user}*", ""},
		{"{user*", ""},
		{"user", ""},
		{"[{]user}*", ""},
	} {
		slot, ok := patternSlot(tc.pattern)
		if ok != (tc.tag != "") || (ok && slot != keyspace.KeySlot(tc.tag)) {
			t.Errorf("patternSlot(%q) = %d, %v; want the slot of %q", tc.pattern, slot, ok, tc.tag)
		}
	}
	// Every key a tagged pattern matches is in the pattern's slot.
	for _, k := range []string{"{user}", "{user}x", "{user}{other}", "{user}}"} {
		slot, _ := patternSlot("{user}*")
		if glob.Match("{user}*", k) && keyspace.KeySlot(k) != slot {
			t.Errorf("key %q matches {user}* but is in another slot", k)
		}
	}
}

func TestParseScanCursor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true},
		{"+5", 5, true},
		{"-1", math.MaxUint64, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false},
		{"-", 0, false},
		{"abc", 0, false},
		{"1a", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
	} {
		got, ok := parseScanCursor([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseScanCursor(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestExpireInThePastDeletes(t *testing.T) {
	e, c := newTestEngine()
	run(e, c, "SET", "k", "v")
	if got := run(e, c, "PEXPIREAT", "k", "1"); got != ":1\r\n" {
		t.Fatalf("PEXPIREAT = %q", got)
	}
	if e.db.Peek("k") != nil || e.db.Len() != 0 {
		t.Error("key still stored after an expiry time in the past")
	}
}
