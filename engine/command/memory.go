package command

import (
	"runtime/debug"
	"unsafe"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("memory|usage", memoryUsageCmd)
	register("memory|purge", memoryPurgeCmd)
	register("memory|help", memoryHelpCmd)
}

// keyOverhead is what a key costs besides its value: the key's bytes, its
// string header and map slot pointer, and its Entry.
const keyOverhead = int64(unsafe.Sizeof("")) + int64(unsafe.Sizeof(&keyspace.Entry{})) + int64(unsafe.Sizeof(keyspace.Entry{}))

// memoryUsageCmd is MEMORY USAGE key [SAMPLES count]: the estimated bytes
// of the key and its value, or null for a missing key. Values report their
// exact estimate (Value.Size), so SAMPLES is validated as Redis does but
// not needed.
func memoryUsageCmd(c *Ctx) {
	for i := 3; i < len(c.Args); i += 2 {
		if !c.ArgIs(i, "SAMPLES") || i+1 >= len(c.Args) {
			c.ErrSyntax()
			return
		}
		n, ok := c.Int(i + 1)
		if !ok {
			return
		}
		if n < 0 {
			c.ErrSyntax()
			return
		}
	}
	key := c.Key(2)
	// Redis looks the key up without touching its access time, but
	// counts the hit or miss.
	e := c.DB.Lookup(key, c.Now)
	if e == nil {
		c.E.stats.keyspaceMisses++
		c.W.Null()
		return
	}
	c.E.stats.keyspaceHits++
	c.W.Int(e.Value.Size() + int64(len(key)) + keyOverhead)
}

// memoryPurgeCmd is MEMORY PURGE: Redis asks jemalloc to return dirty
// pages to the OS; Mnemo asks the Go runtime to do the same.
func memoryPurgeCmd(c *Ctx) {
	debug.FreeOSMemory()
	c.W.OK()
}

func memoryHelpCmd(c *Ctx) {
	replyHelp(c, "MEMORY", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
}
