package command

import (
	"testing"

	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// fakeValue is a value of a type other than string, for the WRONGTYPE
// paths while the other types are not in this branch.
type fakeValue struct{}

func (fakeValue) Type() string                    { return "fake" }
func (fakeValue) Encoding(keyspace.Limits) string { return "fakeenc" }
func (fakeValue) Clone() keyspace.Value           { return fakeValue{} }
func (fakeValue) Size() int64                     { return 1 }

func newTestEngine() (*Engine, *Client) {
	e := New(config.New())
	return e, e.NewClient("test", "test", func() {})
}

func TestWrongType(t *testing.T) {
	e, c := newTestEngine()
	e.db.Set("{o}x", fakeValue{})
	const wrong = "-" + errWrongType + "\r\n"
	for _, args := range [][]string{
		{"GET", "{o}x"},
		{"SET", "{o}x", "v", "GET"},
		{"SET", "{o}x", "v", "NX", "GET"},
		{"GETEX", "{o}x"},
		{"GETDEL", "{o}x"},
		{"GETSET", "{o}x", "v"},
		{"APPEND", "{o}x", "v"},
		{"STRLEN", "{o}x"},
		{"GETRANGE", "{o}x", "0", "-1"},
		{"SETRANGE", "{o}x", "0", "v"},
		{"INCR", "{o}x"},
		{"DECRBY", "{o}x", "1"},
		{"INCRBYFLOAT", "{o}x", "1"},
	} {
		if got := run(e, c, args...); got != wrong {
			t.Errorf("%v = %q, want WRONGTYPE", args, got)
		}
	}
	if got := run(e, c, "TYPE", "{o}x"); got != "+fake\r\n" {
		t.Errorf("TYPE = %q", got)
	}
	if got := run(e, c, "OBJECT", "ENCODING", "{o}x"); got != "$7\r\nfakeenc\r\n" {
		t.Errorf("OBJECT ENCODING = %q", got)
	}
	if got := run(e, c, "MGET", "{o}x"); got != "*1\r\n$-1\r\n" {
		t.Errorf("MGET = %q", got)
	}
	if got := run(e, c, "LCS", "{o}x", "{o}x"); got != "-"+errLCSNotString+"\r\n" {
		t.Errorf("LCS = %q", got)
	}
	// The failed SET ... GET must not have replaced the value.
	if _, ok := e.db.Peek("{o}x").Value.(fakeValue); !ok {
		t.Error("SET ... GET on another type changed the key")
	}
	// Plain SET overwrites any type; COPY clones through Value.
	if got := run(e, c, "COPY", "{o}x", "{o}copy"); got != ":1\r\n" {
		t.Errorf("COPY = %q", got)
	}
	if got := run(e, c, "SET", "{o}x", "v"); got != "+OK\r\n" {
		t.Errorf("SET = %q", got)
	}
}

func TestComputeLCS(t *testing.T) {
	for _, tc := range []struct {
		a, b   string
		minLen int64
		want   string
		ranges []lcsRange
	}{
		{"ohmytext", "mynewtext", 0, "mytext", []lcsRange{{4, 7, 5, 8}, {2, 3, 0, 1}}},
		{"ohmytext", "mynewtext", 4, "mytext", []lcsRange{{4, 7, 5, 8}}},
		{"", "abc", 0, "", nil},
		{"abc", "xyz", 0, "", nil},
		{"aaaa", "aa", 0, "aa", []lcsRange{{2, 3, 0, 1}}},
	} {
		got, ranges := computeLCS([]byte(tc.a), []byte(tc.b), tc.minLen, true)
		if string(got) != tc.want || len(ranges) != len(tc.ranges) {
			t.Errorf("LCS(%q, %q) = %q %v, want %q %v", tc.a, tc.b, got, ranges, tc.want, tc.ranges)
			continue
		}
		for i := range ranges {
			if ranges[i] != tc.ranges[i] {
				t.Errorf("LCS(%q, %q) range %d = %v, want %v", tc.a, tc.b, i, ranges[i], tc.ranges[i])
			}
		}
	}
}
