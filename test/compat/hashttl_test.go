package compat

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Hash field expiration is Redis 7.4/8.0; the reference redis-server 7.0
// lacks it, so these tests hold Mnemo to the replies of the examples in
// Redis's command documentation (redis.io/commands/hexpire, httl,
// hpersist, hgetex, hsetex) instead of comparing two servers. A reply
// that depends on elapsed seconds is checked against a range.

// hfeStep is one command and its expected reply in value.String() form;
// want "" with a range [lo, hi] checks every integer of an array reply.
type hfeStep struct {
	cmd    string
	want   string
	lo, hi int64
}

var resp3As2 = strings.NewReplacer("(null)", "(nil)", "%[", "*[")

func runHFE(t *testing.T, steps []hfeStep) {
	t.Helper()
	for _, proto := range []string{"2", "3"} {
		c, err := dial(mnemoAddr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.do("HELLO", proto); err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			args := strings.Fields(s.cmd)
			if len(args) == 2 && args[0] == "!sleep" {
				ms, _ := strconv.Atoi(args[1])
				time.Sleep(time.Duration(ms) * time.Millisecond)
				continue
			}
			v, err := c.do(args...)
			if err != nil {
				t.Fatalf("RESP%s %s: %v", proto, s.cmd, err)
			}
			if s.want == "" {
				for _, e := range v.elems {
					n, _ := strconv.ParseInt(e.str, 10, 64)
					if e.kind != ':' || n < s.lo || n > s.hi {
						t.Fatalf("RESP%s %s: %v, want integers in [%d, %d]", proto, s.cmd, v, s.lo, s.hi)
					}
				}
				continue
			}
			// RESP3's null and map read as RESP2's here.
			if got := resp3As2.Replace(v.String()); got != s.want {
				t.Fatalf("RESP%s %s: got %s, want %s", proto, s.cmd, got, s.want)
			}
		}
		c.close()
	}
}

func TestHashFieldExpireDocExamples(t *testing.T) {
	runHFE(t, []hfeStep{
		{cmd: "DEL hfe:no-key hfe:mykey hfe:myhash"},
		// HEXPIRE: a missing key has no fields.
		{cmd: "HEXPIRE hfe:no-key 20 NX FIELDS 2 field1 field2", want: "*[:-2, :-2]"},
		{cmd: "HSET hfe:mykey field1 hello field2 world", want: ":2"},
		{cmd: "HEXPIRE hfe:mykey 10 FIELDS 3 field1 field2 field3", want: "*[:1, :1, :-2]"},
		{cmd: "HTTL hfe:mykey FIELDS 2 field1 field2", lo: 9, hi: 10},
		{cmd: "HTTL hfe:mykey FIELDS 1 field3", want: "*[:-2]"},
		{cmd: "HEXPIRE hfe:mykey 0 FIELDS 1 field1", want: "*[:2]"},
		{cmd: "HEXPIRE hfe:mykey 10 NX FIELDS 1 field2", want: "*[:0]"},
		{cmd: "DEL hfe:mykey", want: ":1"},
		// HTTL (valkey-doc's example).
		{cmd: "HSET hfe:myhash f1 v1 f2 v2 f3 v3", want: ":3"},
		{cmd: "HEXPIRE hfe:myhash 10 FIELDS 2 f2 f3", want: "*[:1, :1]"},
		{cmd: "HTTL hfe:myhash FIELDS 1 f1", want: "*[:-1]"},
		{cmd: "HTTL hfe:myhash FIELDS 2 f2 f3", lo: 9, hi: 10},
		{cmd: "OBJECT ENCODING hfe:myhash", want: `"listpackex"`},
		{cmd: "DEL hfe:myhash", want: ":1"},
		// HPERSIST.
		{cmd: "HSET hfe:mykey field1 hello field2 world", want: ":2"},
		{cmd: "HEXPIRE hfe:mykey 300 FIELDS 2 field1 field2", want: "*[:1, :1]"},
		{cmd: "HTTL hfe:mykey FIELDS 2 field1 field2", lo: 299, hi: 300},
		{cmd: "HPERSIST hfe:mykey FIELDS 1 field2", want: "*[:1]"},
		{cmd: "HTTL hfe:mykey FIELDS 1 field2", want: "*[:-1]"},
		{cmd: "HPERSIST hfe:mykey FIELDS 2 field2 nofield", want: "*[:-1, :-2]"},
		{cmd: "DEL hfe:mykey", want: ":1"},
		// HGETEX.
		{cmd: "HSET hfe:mykey field1 Hello field2 World", want: ":2"},
		{cmd: "HGETEX hfe:mykey EX 120 FIELDS 1 field1", want: `*["Hello"]`},
		{cmd: "HGETEX hfe:mykey EX 100 FIELDS 1 field2", want: `*["World"]`},
		{cmd: "HTTL hfe:mykey FIELDS 1 field1", lo: 119, hi: 120},
		{cmd: "HTTL hfe:mykey FIELDS 1 field2", lo: 99, hi: 100},
		{cmd: "HGETEX hfe:mykey PERSIST FIELDS 2 field1 nofield", want: `*["Hello", (nil)]`},
		{cmd: "DEL hfe:mykey", want: ":1"},
		// HSETEX (the documented EXAT has since passed: use one ahead).
		{cmd: "HSETEX hfe:mykey EXAT 4102444800 FIELDS 2 field1 Hello field2 World", want: ":1"},
		{cmd: "HEXPIRETIME hfe:mykey FIELDS 2 field1 field2", want: "*[:4102444800, :4102444800]"},
		{cmd: "HSETEX hfe:mykey FNX EX 60 FIELDS 2 field1 Hello field2 World", want: ":0"},
		{cmd: "HSETEX hfe:mykey FXX KEEPTTL FIELDS 1 field1 Bye", want: ":1"},
		{cmd: "HPEXPIRETIME hfe:mykey FIELDS 1 field1", want: "*[:4102444800000]"},
		{cmd: "DEL hfe:mykey", want: ":1"},
		// Errors, as Redis 7.4/8 word them.
		{cmd: "HSET hfe:mykey f v", want: ":1"},
		{cmd: "HEXPIRE hfe:mykey 10 FIELDS 0 f", want: "-ERR Parameter `numFields` should be greater than 0"},
		{cmd: "HEXPIRE hfe:mykey 10 FIELDS 2 f", want: "-ERR The `numfields` parameter must match the number of arguments"},
		{cmd: "HEXPIRE hfe:mykey 10 NX XX FIELDS 1 f", want: "-ERR Mandatory argument FIELDS is missing or not at the right position"},
		{cmd: "HEXPIRE hfe:mykey", want: "-ERR wrong number of arguments for 'hexpire' command"},
		{cmd: "DEL hfe:mykey", want: ":1"},
	})
}

// TestHashFieldExpiry checks that expired fields disappear on access and
// in the background, and that the hash goes with its last field.
func TestHashFieldExpiry(t *testing.T) {
	runHFE(t, []hfeStep{
		{cmd: "DEL hfe:lazy hfe:active"},
		{cmd: "HSET hfe:lazy a 1 b 2", want: ":2"},
		{cmd: "HPEXPIRE hfe:lazy 50 FIELDS 1 a", want: "*[:1]"},
		{cmd: "HSET hfe:active a 1", want: ":1"},
		{cmd: "HPEXPIRE hfe:active 50 FIELDS 1 a", want: "*[:1]"},
		{cmd: "!sleep 80"},
		{cmd: "HEXISTS hfe:lazy a", want: ":0"},
		{cmd: "HGETALL hfe:lazy", want: `*["b", "2"]`},
		{cmd: "HLEN hfe:lazy", want: ":1"},
		{cmd: "!sleep 400"},
		{cmd: "EXISTS hfe:active", want: ":0"},
		{cmd: "DEL hfe:lazy", want: ":1"},
	})
}
