package command

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSlowlogEntries(t *testing.T) {
	e, c := serverTestEngine(t)
	e.Now = func() time.Time { return time.Unix(1700000000, 0) }
	run(e, c, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	run(e, c, "SLOWLOG", "RESET")
	run(e, c, "SET", "k", "v")
	got := run(e, c, "SLOWLOG", "GET", "1")
	want := `^\*1\r\n\*6\r\n:\d+\r\n:1700000000\r\n:\d+\r\n\*3\r\n\$3\r\nSET\r\n\$1\r\nk\r\n\$1\r\nv\r\n\$14\r\n127\.0\.0\.1:5000\r\n\$0\r\n\r\n$`
	if !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("SLOWLOG GET 1 = %q, want %s", got, want)
	}

	// Long commands and arguments are cut as Redis cuts them.
	args := []string{"SET", "k", strings.Repeat("x", 200)}
	for i := 0; i < 40; i++ {
		args = append(args, "a")
	}
	run(e, c, args...)
	got = run(e, c, "SLOWLOG", "GET", "2")
	for _, part := range []string{
		"*32\r\n$3\r\nSET\r\n",
		"$147\r\n" + strings.Repeat("x", 128) + "... (72 more bytes)\r\n",
		"$23\r\n... (12 more arguments)\r\n",
	} {
		if !strings.Contains(got, part) {
			t.Errorf("SLOWLOG GET misses %q in %q", part, got)
		}
	}

	// The log keeps slowlog-max-len entries, newest first.
	run(e, c, "CONFIG", "SET", "slowlog-max-len", "2")
	for i := 0; i < 5; i++ {
		run(e, c, "PING")
	}
	if got := run(e, c, "SLOWLOG", "LEN"); got != ":2\r\n" {
		t.Errorf("SLOWLOG LEN = %q with slowlog-max-len 2", got)
	}
	for count, n := range map[string]string{"-1": "*2", "0": "*0", "1": "*1", "10": "*2"} {
		if got := run(e, c, "SLOWLOG", "GET", count); !strings.HasPrefix(got, n+"\r\n") {
			t.Errorf("SLOWLOG GET %s = %q, want %s entries", count, got, n)
		}
	}
	if got := run(e, c, "SLOWLOG", "GET", "-2"); got != "-ERR count should be greater than or equal to -1\r\n" {
		t.Errorf("SLOWLOG GET -2 = %q", got)
	}
}

func TestLatencyEvents(t *testing.T) {
	e, c := serverTestEngine(t)
	now := time.Unix(1700000000, 0)
	e.Now = func() time.Time { return now }
	run(e, c, "CONFIG", "SET", "latency-monitor-threshold", "5")
	run(e, c, "DEBUG", "SLEEP", "0.01")
	now = now.Add(time.Second)
	run(e, c, "DEBUG", "SLEEP", "0.02")
	run(e, c, "CONFIG", "SET", "latency-monitor-threshold", "0")

	got := run(e, c, "LATENCY", "LATEST")
	want := `^\*1\r\n\*4\r\n\$7\r\ncommand\r\n:1700000001\r\n:(\d+)\r\n:(\d+)\r\n$`
	m := regexp.MustCompile(want).FindStringSubmatch(got)
	if m == nil || len(m[1]) < 2 || m[1] != m[2] {
		t.Errorf("LATENCY LATEST = %q, want the 20 ms sleep as latest and max", got)
	}
	got = run(e, c, "LATENCY", "HISTORY", "command")
	want = `^\*2\r\n\*2\r\n:1700000000\r\n:\d\d+\r\n\*2\r\n:1700000001\r\n:\d\d+\r\n$`
	if !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("LATENCY HISTORY command = %q, want %s", got, want)
	}
	if got := run(e, c, "LATENCY", "RESET", "command", "command", "nosuch"); got != ":1\r\n" {
		t.Errorf("LATENCY RESET = %q, want :1", got)
	}
	if got := run(e, c, "LATENCY", "LATEST"); got != "*0\r\n" {
		t.Errorf("LATENCY LATEST after RESET = %q", got)
	}
}

func TestSlowlogRedactsPasswords(t *testing.T) {
	e, c := serverTestEngine(t)
	run(e, c, "CONFIG", "SET", "slowlog-log-slower-than", "0")
	run(e, c, "AUTH", "default", "sekrit")
	run(e, c, "HELLO", "2", "AUTH", "default", "sekrit2")
	got := run(e, c, "SLOWLOG", "GET")
	if strings.Contains(got, "sekrit") {
		t.Fatalf("a password reached the slow log: %q", got)
	}
	if !strings.Contains(got, "(redacted)") {
		t.Fatalf("SLOWLOG GET = %q, want redacted arguments", got)
	}
}
