package command

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func TestDebugObject(t *testing.T) {
	e, c := serverTestEngine(t)
	now := time.Now()
	e.Now = func() time.Time { return now }
	run(e, c, "SET", "s", "v")
	run(e, c, "SET", "n", "123")
	run(e, c, "SET", "big", "100000")
	run(e, c, "SET", "long", strings.Repeat("x", 50))
	now = now.Add(3 * time.Second)
	lru := itoa(lruClock(now.Add(-3 * time.Second).UnixMilli()))
	for _, tc := range []struct{ key, want string }{
		{"s", `^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:2 lru:` + lru + ` lru_seconds_idle:3\r\n$`},
		{"n", `^\+Value at:0x[0-9a-f]+ refcount:2147483647 encoding:int serializedlength:2 lru:\d+ lru_seconds_idle:3\r\n$`},
		{"big", `^\+Value at:0x[0-9a-f]+ refcount:1 encoding:int serializedlength:5 lru:\d+ lru_seconds_idle:3\r\n$`},
		{"long", `^\+Value at:0x[0-9a-f]+ refcount:1 encoding:raw serializedlength:51 lru:\d+ lru_seconds_idle:3\r\n$`},
		{"nokey", `^-ERR no such key\r\n$`},
	} {
		if got := run(e, c, "DEBUG", "OBJECT", tc.key); !regexp.MustCompile(tc.want).MatchString(got) {
			t.Errorf("DEBUG OBJECT %s = %q, want %s", tc.key, got, tc.want)
		}
	}
	// DEBUG OBJECT neither touches the key nor counts a hit.
	if got := run(e, c, "DEBUG", "OBJECT", "s"); !strings.Contains(got, "lru_seconds_idle:3") {
		t.Errorf("DEBUG OBJECT touched the key: %q", got)
	}
	if got := infoField(t, infoText(t, e, c, "stats"), "keyspace_hits"); got != "0" {
		t.Errorf("keyspace_hits = %s after DEBUG OBJECT", got)
	}
}

func TestSerializedLength(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int64
	}{
		{"", 1},
		{"v", 2},
		{"127", 2},
		{"-128", 2},
		{"128", 3},
		{"-32768", 3},
		{"32768", 5},
		{"2147483647", 5},
		{"2147483648", 11}, // no int32: saved as an 10-byte string
		{"0123", 5},        // not canonical: a string
		{strings.Repeat("a", 63), 64},
		{strings.Repeat("a", 64), 66},
		{strings.Repeat("a", 16384), 16389},
	} {
		v := keyspace.NewString([]byte(tc.s))
		if got := serializedLength(v, v.Encoding(keyspace.Limits{})); got != tc.want {
			t.Errorf("serializedLength(%.20q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestDebugSleep(t *testing.T) {
	e, c := serverTestEngine(t)
	start := time.Now()
	if got := run(e, c, "DEBUG", "SLEEP", "0.05"); got != "+OK\r\n" {
		t.Fatalf("DEBUG SLEEP = %q", got)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("DEBUG SLEEP 0.05 returned after %v", d)
	}
	for _, tc := range []struct {
		s    string
		want float64
	}{
		{"1.5", 1.5}, {"abc", 0}, {"2x", 2}, {" 3", 3}, {"-1", -1}, {".5s", .5}, {"", 0},
	} {
		if got := strtodPrefix(tc.s); got != tc.want {
			t.Errorf("strtodPrefix(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestDebugUnknown(t *testing.T) {
	e, c := serverTestEngine(t)
	for _, args := range [][]string{{"DEBUG", "RELOAD"}, {"DEBUG", "Sleep"}, {"DEBUG", "object", "a", "b"}} {
		want := "-ERR unknown subcommand or wrong number of arguments for '" + args[1] + "'. Try DEBUG HELP.\r\n"
		if got := run(e, c, args...); got != want {
			t.Errorf("%v = %q, want %q", args, got, want)
		}
	}
}
