package compat

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// dumpFixture builds one value with commands and reads it back in a form
// that ignores the order Redis gives no guarantee about.
type dumpFixture struct {
	name  string
	build [][]string
	read  []string
	order string // "" exact, "unordered" or "pairs"
	// history is set for values whose layout in Redis depends on how they
	// were built (a list grown at the head splits into quicklist nodes
	// differently): their payloads may differ, their contents may not.
	history bool
}

func dumpFixtures() []dumpFixture {
	seq := func(prefix string, n int, f func(i int) []string) []string {
		out := []string{prefix}
		for i := 0; i < n; i++ {
			out = append(out, f(i)...)
		}
		return strings.Fields(strings.Join(out, " "))
	}
	return []dumpFixture{
		{"int", [][]string{{"SET", "k", "12345"}}, []string{"GET", "k"}, "", false},
		{"embstr", [][]string{{"SET", "k", "hello"}}, []string{"GET", "k"}, "", false},
		{"raw", [][]string{{"SET", "k", strings.Repeat("abcdefgh", 100)}}, []string{"GET", "k"}, "", false},
		{"binary", [][]string{{"SET", "k", "\x00\xff\r\n\x01"}}, []string{"GET", "k"}, "", false},
		{"list", [][]string{{"RPUSH", "k", "a", "1", "-70000", "b"}}, []string{"LRANGE", "k", "0", "-1"}, "", false},
		{"list big", [][]string{seq("RPUSH k", 3000, func(i int) []string { return []string{"item" + strconv.Itoa(i)} })}, []string{"LRANGE", "k", "0", "-1"}, "", false},
		{"list lpush", [][]string{seq("LPUSH k", 5000, func(i int) []string { return []string{strconv.Itoa(i * 7)} })}, []string{"LRANGE", "k", "0", "-1"}, "", true},
		{"hash listpack", [][]string{{"HSET", "k", "f1", "v1", "f2", "2"}}, []string{"HGETALL", "k"}, "", false},
		{"hash table", [][]string{seq("HSET k", 300, func(i int) []string { return []string{fmt.Sprintf("f%d v%d", i, i)} })}, []string{"HGETALL", "k"}, "pairs", false},
		{"set intset", [][]string{{"SADD", "k", "5", "-3", "100000"}}, []string{"SMEMBERS", "k"}, "", false},
		{"set table", [][]string{{"SADD", "k", "a", "b", "c", "1"}}, []string{"SMEMBERS", "k"}, "unordered", false},
		{"set big", [][]string{seq("SADD k", 1000, func(i int) []string { return []string{strconv.Itoa(i)} })}, []string{"SMEMBERS", "k"}, "unordered", false},
		{"zset listpack", [][]string{{"ZADD", "k", "1.5", "a", "-2", "b", "inf", "c"}}, []string{"ZRANGE", "k", "0", "-1", "WITHSCORES"}, "", false},
		{"zset skiplist", [][]string{seq("ZADD k", 500, func(i int) []string { return []string{fmt.Sprintf("%d.125 m%d", i%50, i)} })}, []string{"ZRANGE", "k", "0", "-1", "WITHSCORES"}, "", false},
	}
}

// TestDumpAcrossServers moves every type's payload both ways: DUMP on
// Redis and RESTORE into Mnemo, DUMP on Mnemo and RESTORE into Redis; the
// value read back must be the one built, with the same type and encoding.
func TestDumpAcrossServers(t *testing.T) {
	rc, err := dial(redisAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.close()
	mc, err := dial(mnemoAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.close()
	do := func(c *conn, args ...string) value {
		t.Helper()
		v, err := c.do(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	norm := func(order string, v value) string {
		switch order {
		case "unordered":
			return canonical(v).String()
		case "pairs":
			return pairsCanonical(v).String()
		}
		return v.String()
	}
	for _, fx := range dumpFixtures() {
		for _, dir := range []struct {
			name     string
			from, to *conn
		}{{"redis to mnemo", rc, mc}, {"mnemo to redis", mc, rc}} {
			t.Run(fx.name+"/"+dir.name, func(t *testing.T) {
				do(dir.from, "DEL", "k")
				do(dir.to, "DEL", "k")
				for _, b := range fx.build {
					if v := do(dir.from, b...); v.kind == '-' {
						t.Fatalf("%v: %v", b[:2], v)
					}
				}
				payload := do(dir.from, "DUMP", "k")
				if payload.kind != '$' || payload.null {
					t.Fatalf("DUMP: %v", payload)
				}
				if v := do(dir.to, "RESTORE", "k", "0", payload.str); v.String() != "+OK" {
					t.Fatalf("RESTORE: %v", v)
				}
				for _, q := range [][]string{fx.read, {"TYPE", "k"}, {"OBJECT", "ENCODING", "k"}} {
					want, got := do(dir.from, q...), do(dir.to, q...)
					if norm(fx.order, want) != norm(fx.order, got) {
						t.Errorf("%v after the move:\n  source: %.300v\n  target: %.300v", q, want, got)
					}
				}
				// Where both servers agree on the encoding's layout, the
				// target's DUMP is the source's.
				if fx.order == "" && !fx.history {
					if again := do(dir.to, "DUMP", "k"); again.str != payload.str {
						t.Errorf("DUMP after the move differs:\n  source: %.200q\n  target: %.200q", payload.str, again.str)
					}
				}
			})
		}
	}
	do(rc, "DEL", "k")
	do(mc, "DEL", "k")
}
