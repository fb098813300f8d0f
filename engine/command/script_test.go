package command

import (
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// TestScriptReplaysItsEffects checks that a script is logged as the
// commands it ran, not as its source: a script drawing random numbers and
// popping random members rebuilds the same keyspace, and libraries loaded
// by FUNCTION LOAD come back with the log.
func TestScriptReplaysItsEffects(t *testing.T) {
	st := startLog(t)
	a, ca := durableEngine(t, st)
	steps := [][]string{
		{"SADD", "{s}set", "a", "b", "c", "d", "e"},
		{"EVAL", "redis.call('set', KEYS[1], math.random(1000000)); return redis.call('spop', KEYS[2])", "2", "{s}r", "{s}set"},
		{"EVAL", "for i = 1, 5 do redis.call('incr', KEYS[1]) end; return redis.call('get', KEYS[1])", "1", "{s}n"},
		// A failing script keeps the writes it made before the error.
		{"EVAL", "redis.call('set', KEYS[1], 'kept'); return redis.call('incr', KEYS[2])", "2", "{s}kept", "{s}set"},
		{"FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('hset', function(keys, args) return redis.call('hset', keys[1], 'f', args[1]) end)"},
		{"FCALL", "hset", "1", "{s}h", "v"},
		// A read-only script writes nothing.
		{"EVAL_RO", "return redis.call('get', KEYS[1])", "1", "{s}n"},
	}
	for _, s := range steps {
		if out := run(a, ca, s...); strings.HasPrefix(out, "-") && s[0] != "EVAL" {
			t.Fatalf("%v: %s", s, out)
		}
		ca.TakeMarks()
	}
	waitCommitted(t, a, ca)
	b, cb := durableEngine(t, st)
	at := time.Now().Add(time.Hour)
	a.Now = func() time.Time { return at }
	b.Now = a.Now
	if got, want := dump(t, b, cb), dump(t, a, ca); got != want {
		t.Fatalf("state rebuilt from the log differs\nprimary:\n%s\nrebuilt:\n%s", want, got)
	}
	if got := run(b, cb, "FCALL", "hset", "1", "{s}h2", "x"); got != ":1\r\n" {
		t.Fatalf("function after replay: %q", got)
	}
	if got := run(b, cb, "GET", "{s}kept"); got != "$4\r\nkept\r\n" {
		t.Fatalf("write before a script error: %q", got)
	}
}

// TestScriptIsAtomic checks that a script holds the engine: another
// client's command waits until it ends and never sees a half-done script.
func TestScriptIsAtomic(t *testing.T) {
	e := New(config.New())
	c1 := e.NewClient("a", "a", func() {})
	c2 := e.NewClient("b", "b", func() {})
	done := make(chan string)
	go func() {
		done <- run(e, c1, "EVAL", "redis.call('set', 'k', 'first'); local n = 0; for i = 1, 3000000 do n = n + i end; redis.call('set', 'k', 'second'); return 1", "0")
	}()
	for e.scripts.running.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	if got := run(e, c2, "GET", "k"); got != "$6\r\nsecond\r\n" {
		t.Fatalf("GET during a script saw %q, want the script's final write", got)
	}
	<-done
}
