package command

import (
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// hfeClock is a settable engine clock for the field-expiration tests.
type hfeClock struct{ t time.Time }

func newHFEEngine(t *testing.T) (*Engine, *Client, *hfeClock) {
	t.Helper()
	e := New(config.New())
	clk := &hfeClock{time.UnixMilli(1_700_000_000_000)}
	e.Now = func() time.Time { return clk.t }
	return e, e.NewClient("test", "test", func() {}), clk
}

// flat formats the expected reply of a step compactly: integers as ":n",
// bulks as their text, nulls as "nil", errors as "-msg"; arrays joined by
// spaces.
func flat(raw string) string {
	var out []string
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "*"):
		case l == "$-1" || l == "_":
			out = append(out, "nil")
		case strings.HasPrefix(l, "$"):
			i++
			out = append(out, lines[i])
		case strings.HasPrefix(l, "+"):
			out = append(out, l[1:])
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, " ")
}

func TestHashFieldExpiration(t *testing.T) {
	e, c, clk := newHFEEngine(t)
	steps := []struct {
		advance time.Duration
		cmd     string
		want    string
	}{
		{0, "HSET h f1 v1 f2 v2 f3 v3", ":3"},
		{0, "OBJECT ENCODING h", "listpack"},
		{0, "HEXPIRE h 10 FIELDS 2 f2 f3", ":1 :1"},
		{0, "OBJECT ENCODING h", "listpackex"},
		{0, "HTTL h FIELDS 4 f1 f2 f3 nofield", ":-1 :10 :10 :-2"},
		{0, "HPTTL h FIELDS 1 f2", ":10000"},
		{0, "HEXPIRETIME h FIELDS 1 f2", ":1700000010"},
		{0, "HPEXPIRETIME h FIELDS 2 f2 f1", ":1700000010000 :-1"},
		{0, "HEXPIRE h 20 NX FIELDS 2 f1 f2", ":1 :0"},
		{0, "HEXPIRE h 5 XX FIELDS 1 f1", ":1"},
		{0, "HEXPIRE h 5 GT FIELDS 1 f2", ":0"},
		{0, "HEXPIRE h 50 GT FIELDS 1 f2", ":1"},
		{0, "HEXPIRE h 30 LT FIELDS 1 f2", ":1"},
		{0, "HGETALL h", "f1 v1 f3 v3 f2 v2"}, // listpackex: by expiry time
		{0, "HPERSIST h FIELDS 3 f1 f3 nope", ":1 :1 :-2"},
		{0, "HPERSIST h FIELDS 1 f1", ":-1"},
		{0, "HGETALL h", "f2 v2 f1 v1 f3 v3"},
		{0, "HEXPIRE h 0 FIELDS 1 f1", ":2"},
		{0, "HEXISTS h f1", ":0"},
		{0, "HEXPIRE nokey 10 FIELDS 2 a b", ":-2 :-2"},
		{0, "HTTL nokey FIELDS 1 a", ":-2"},
		{0, "HPERSIST nokey FIELDS 1 a", ":-2"},
		{0, "HEXPIRE h 10 FIELDS 0 f1", "-ERR Parameter `numFields` should be greater than 0"},
		{0, "HEXPIRE h 10 FIELDS x f1", "-ERR Parameter `numFields` should be greater than 0"},
		{0, "HEXPIRE h 10 FIELDS 2 f1", "-ERR The `numfields` parameter must match the number of arguments"},
		{0, "HEXPIRE h 10 FIELDS 1 f1 f2", "-ERR The `numfields` parameter must match the number of arguments"},
		{0, "HEXPIRE h 10 NX XX FIELDS 1 f1", "-ERR Mandatory argument FIELDS is missing or not at the right position"},
		{0, "HEXPIRE h 10 BOGUS FIELDS 1 f1", "-ERR Mandatory argument FIELDS is missing or not at the right position"},
		{0, "HEXPIRE h x FIELDS 1 f1", "-ERR value is not an integer or out of range"},
		{0, "HEXPIRE h -1 FIELDS 1 f1", "-ERR invalid expire time, must be >= 0"},
		{0, "HPEXPIREAT h 281474976710656 FIELDS 1 f1", "-ERR invalid expire time in 'hpexpireat' command"},
		{0, "HTTL h FIELDS 0 f1", "-ERR Parameter `numFields` should be greater than 0"},
		{0, "HTTL h f1 f2 f3", "-ERR Mandatory argument FIELDS is missing or not at the right position"},
		{0, "SET s x", "OK"},
		{0, "HEXPIRE s 10 FIELDS 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{0, "HTTL s FIELDS 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{0, "HTTL h FIELDS 2 f2 f3", ":30 :-1"},
		// Lazy expiry: the field is gone as soon as its time has passed.
		{30 * time.Second, "HGET h f2", "nil"},
		{0, "HLEN h", ":1"},
		{0, "HPEXPIRE h 100 FIELDS 1 f3", ":1"},
		{200 * time.Millisecond, "EXISTS h", ":1"},
		{0, "HGETALL h", ""},
		{0, "EXISTS h", ":0"},
		// HGETEX and HSETEX.
		{0, "HSETEX k EX 60 FIELDS 2 a 1 b 2", ":1"},
		{0, "HTTL k FIELDS 2 a b", ":60 :60"},
		{0, "HSETEX k FNX EX 60 FIELDS 2 a 1 c 3", ":0"},
		{0, "HSETEX k FXX KEEPTTL FIELDS 1 a 9", ":1"},
		{0, "HTTL k FIELDS 1 a", ":60"},
		{0, "HSETEX k FXX FIELDS 1 a 8", ":1"},
		{0, "HTTL k FIELDS 1 a", ":-1"},
		{0, "HSETEX k FXX FIELDS 1 zz 8", ":0"},
		{0, "HGETEX k PX 5000 FIELDS 3 a b nope", "8 2 nil"},
		{0, "HPTTL k FIELDS 2 a b", ":5000 :5000"},
		{0, "HGETEX k PERSIST FIELDS 1 a", "8"},
		{0, "HTTL k FIELDS 2 a b", ":-1 :5"},
		{0, "HGETEX k FIELDS 1 b", "2"},
		{0, "HGETEX k EX 0 FIELDS 1 b", "2"},
		{0, "HEXISTS k b", ":0"},
		{0, "HGETEX nokey EX 10 FIELDS 1 a", "nil"},
		{0, "HGETEX k EX 10 PX 10 FIELDS 1 a", "-ERR syntax error"},
		{0, "HGETEX k FIELDS 0 a", "-ERR Number of fields must be a positive integer"},
		{0, "HGETEX k FIELDS 2 a", "-ERR The `numfields` parameter must match the number of arguments"},
		{0, "HGETEX k EX 10 a b", "-ERR syntax error"},
		{0, "HSETEX k FNX FXX FIELDS 1 a 1", "-ERR Only one of FXX or FNX arguments can be specified"},
		{0, "HSETEX k EX 1 KEEPTTL FIELDS 1 a 1", "-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified"},
		{0, "HSETEX k FIELDS 2 a 1", "-ERR wrong number of arguments for 'hsetex' command"},
		{0, "HSETEX k FIELDS 0 a 1", "-ERR invalid number of fields"},
		{0, "HSETEX k BOGUS FIELDS 1 a 1", "-ERR unknown argument: BOGUS"},
		{0, "HSETEX k EX 0 FIELDS 1 a 1", ":1"},
		{0, "EXISTS k", ":0"},
		// HINCRBY keeps the TTL, HSET drops it.
		{0, "HSETEX {n}1 PX 1000 FIELDS 2 x 1 y 2", ":1"},
		{0, "HINCRBY {n}1 x 5", ":6"},
		{0, "HINCRBYFLOAT {n}1 x 1.5", "7.5"},
		{0, "HSET {n}1 y 3", ":0"},
		{0, "HPTTL {n}1 FIELDS 2 x y", ":1000 :-1"},
		{0, "COPY {n}1 {n}2", ":1"},
		{0, "HPTTL {n}2 FIELDS 2 x y", ":1000 :-1"},
		{0, "RENAME {n}2 {n}3", "OK"},
		{0, "HPTTL {n}3 FIELDS 1 x", ":1000"},
	}
	for i, s := range steps {
		clk.t = clk.t.Add(s.advance)
		got := flat(run(e, c, strings.Fields(s.cmd)...))
		if got != s.want {
			t.Fatalf("step %d %s: got %q, want %q", i, s.cmd, got, s.want)
		}
	}
}

// TestHashFieldActiveExpiry checks that the cron removes due fields of
// hashes nobody reads, and the hash with its last field.
func TestHashFieldActiveExpiry(t *testing.T) {
	e, c, clk := newHFEEngine(t)
	run(e, c, "HSET", "a", "x", "1", "y", "2")
	run(e, c, "HPEXPIRE", "a", "100", "FIELDS", "1", "x")
	run(e, c, "HSET", "b", "x", "1")
	run(e, c, "HPEXPIRE", "b", "200", "FIELDS", "1", "x")
	cycle := func() {
		e.mu.Lock()
		e.activeExpireHashFields()
		e.mu.Unlock()
	}
	clk.t = clk.t.Add(150 * time.Millisecond)
	cycle()
	if got := e.db.Peek("a").Value.(interface{ Len() int }).Len(); got != 1 {
		t.Fatalf("a has %d fields after the cycle, want 1", got)
	}
	if e.db.Peek("b") == nil {
		t.Fatal("b expired early")
	}
	clk.t = clk.t.Add(100 * time.Millisecond)
	cycle()
	if e.db.Peek("b") != nil {
		t.Fatal("b still exists after its last field expired")
	}
	if e.hfe.expired != 2 {
		t.Fatalf("expired count %d, want 2", e.hfe.expired)
	}
}

// TestHashFieldReplay runs field-expiration commands on a durable engine,
// with expiry both lazy and active, and requires an engine rebuilt from
// the log to hold the same fields with the same absolute times.
func TestHashFieldReplay(t *testing.T) {
	st := startLog(t)
	a, ca := durableEngine(t, st)
	clk := &hfeClock{time.UnixMilli(1_700_000_000_000)}
	a.Now = func() time.Time { return clk.t }
	script := []struct {
		advance time.Duration
		cmd     string
	}{
		{0, "HSET h f1 v1 f2 v2 f3 v3 f4 v4"},
		{0, "HEXPIRE h 10 FIELDS 2 f1 f2"},
		{0, "HPEXPIRE h 500 GT FIELDS 2 f1 f3"},
		{0, "HEXPIRE h 0 FIELDS 1 f4"},
		{0, "HPERSIST h FIELDS 1 f2"},
		{0, "HSETEX s PX 300 FIELDS 2 a 1 b 2"},
		{0, "HSETEX s KEEPTTL FIELDS 1 a 5"},
		{0, "HINCRBYFLOAT s a 0.5"},
		{0, "HGETEX s EX 100 FIELDS 1 b"},
		{0, "HSETEX gone PX 100 FIELDS 1 a 1"},
		{0, "HSETEX lazy PX 100 FIELDS 2 a 1 b 2"},
		{0, "HPERSIST lazy FIELDS 1 b"},
		{0, "HGETEX g PX 50 FIELDS 1 a"},
		{0, "HSET g a 1 b 2"},
		{0, "HGETEX g PX 50 FIELDS 1 a"},
		{0, "HGETEX g PERSIST FIELDS 1 a"},
		{0, "HSETEX g EX 0 FIELDS 1 b 9"},
		{400 * time.Millisecond, "HGET lazy a"}, // lazy: HDEL lazy a
		{0, "!cycle"},                           // active: s a, DEL gone
		{0, "HGETALL h"},
	}
	for _, s := range script {
		clk.t = clk.t.Add(s.advance)
		if s.cmd == "!cycle" {
			a.mu.Lock()
			a.activeExpireHashFields()
			a.commitGroup()
			a.mu.Unlock()
			continue
		}
		run(a, ca, strings.Fields(s.cmd)...)
		ca.TakeMarks()
	}
	waitCommitted(t, a, ca)
	b, cb := durableEngine(t, st)
	b.Now = a.Now
	state := func(e *Engine, c *Client) string {
		var out strings.Builder
		for _, k := range []string{"h", "s", "gone", "lazy", "g"} {
			fields := parseArray(run(e, c, "HKEYS", k))
			out.WriteString(k + ":")
			for _, f := range fields {
				out.WriteString(" " + f + "=" + flat(run(e, c, "HGET", k, f)) + "@" + flat(run(e, c, "HPEXPIRETIME", k, "FIELDS", "1", f)))
			}
			out.WriteString("\n")
		}
		return out.String()
	}
	want := state(a, ca)
	if got := state(b, cb); got != want {
		t.Fatalf("state rebuilt from the log differs\nprimary:\n%s\nrebuilt:\n%s", want, got)
	}
	if !strings.Contains(want, "lazy: b=2@:-1\n") || !strings.Contains(want, "gone:\n") || !strings.Contains(want, "s: b=2@:1700000100000\n") {
		t.Fatalf("unexpected primary state:\n%s", want)
	}
}
