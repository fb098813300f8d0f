package command

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// TestUsedMemoryTracksTheHeap loads datasets of each type and compares the
// keyspace's accounted bytes with what the Go heap grew by, live after a
// collection. The accounting must stay within 25% of the heap, in both
// directions; docs/memory.md records the figures.
func TestUsedMemoryTracksTheHeap(t *testing.T) {
	n := 50000
	if s := os.Getenv("MEMN"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, tc := range []struct {
		name string
		cmd  func(i int) []string
	}{
		{"string-small", func(i int) []string { return []string{"SET", "key:" + strconv.Itoa(i), "v" + strconv.Itoa(i)} }},
		{"string-100", func(i int) []string { return []string{"SET", "key:" + strconv.Itoa(i), strings.Repeat("x", 100)} }},
		{"string-ttl", func(i int) []string {
			return []string{"SET", "key:" + strconv.Itoa(i), strings.Repeat("x", 40), "EX", "1000"}
		}},
		{"hash", func(i int) []string {
			return []string{"HSET", "h:" + strconv.Itoa(i%500), "field:" + strconv.Itoa(i), "value" + strconv.Itoa(i)}
		}},
		{"list", func(i int) []string {
			return []string{"RPUSH", "l:" + strconv.Itoa(i%500), "element" + strconv.Itoa(i)}
		}},
		{"set", func(i int) []string { return []string{"SADD", "s:" + strconv.Itoa(i%100), "member" + strconv.Itoa(i)} }},
		{"zset", func(i int) []string {
			return []string{"ZADD", "z:" + strconv.Itoa(i%500), strconv.Itoa(i), "member" + strconv.Itoa(i)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(config.New())
			c := e.NewClient("test", "test", nil)
			args := make([][][]byte, n)
			for i := range args {
				for _, a := range tc.cmd(i) {
					args[i] = append(args[i], []byte(a))
				}
			}
			runtime.GC()
			before := heapLive()
			for _, a := range args {
				c.W.Reset()
				e.Execute(c, a)
			}
			runtime.GC()
			grew := int64(heapLive()) - int64(before)
			used := e.db.Used
			ratio := float64(used) / float64(grew)
			t.Logf("%s: %d commands, accounted %d bytes, heap grew %d bytes, ratio %.3f", tc.name, n, used, grew, ratio)
			if ratio < 0.75 || ratio > 1.25 {
				t.Errorf("accounted %d bytes for a heap growth of %d (ratio %.2f)", used, grew, ratio)
			}
			runtime.KeepAlive(args)
			// Deleting everything brings the account back to zero.
			run(e, c, "FLUSHALL")
			if e.db.Used != 0 {
				t.Errorf("after FLUSHALL, Used = %d", e.db.Used)
			}
		})
	}
}
