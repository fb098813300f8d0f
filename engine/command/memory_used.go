package command

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// used_memory, Mnemo's figure for what Redis's allocator reports: the
// heap in use when the engine started (code tables, the command table,
// the log client), plus the keyspace's accounted bytes (keyspace.DB.Used,
// kept exact incrementally), plus a fixed cost per connected client.
// Unlike the Go runtime's heap figures it drops the moment a key is
// deleted, not at the next garbage collection, so eviction can check it
// before every command and stop as soon as it is under maxmemory.
// docs/memory.md compares it with runtime/metrics.

// clientOverhead is what one idle connection costs: its query buffer,
// reply and push buffers (16 KiB each), the goroutine's stack, and the
// Client and connection structs. Measured in docs/memory.md.
const clientOverhead = 3*16<<10 + 8<<10 + 2<<10

// startupHeap is the heap live when the first engine was created: a
// collection first, so that the garbage of start-up (the command table's
// JSON) does not count.
var startupHeap = sync.OnceValue(func() int64 {
	runtime.GC()
	return int64(heapLive())
})

// usedPeak is the highest usedMemory reported (used_memory_peak).
var usedPeak atomic.Int64

// heapLive returns the heap the last garbage collection found live.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// usedMemory is used_memory; with the lock.
func (e *Engine) usedMemory() int64 {
	n := startupHeap() + e.db.Used + int64(len(e.clients))*clientOverhead
	for {
		p := usedPeak.Load()
		if n <= p || usedPeak.CompareAndSwap(p, n) {
			return n
		}
	}
}

// UsedMemory returns used_memory (INFO memory).
func (e *Engine) UsedMemory() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.usedMemory()
}

// changed is the engine's side of Ctx.Modified for memory and
// notifications: it re-accounts the key, and publishes the command's
// keyspace events for it (a "new" one first when the key was created).
func (e *Engine) changed(c *Ctx, key string) {
	ent := e.db.Peek(key)
	isNew := false
	if ent != nil {
		isNew = e.db.Account(key, ent)
		if isNew && e.policy().kind == evictLFU {
			// A new key starts with some credit, so it is not the
			// first evicted (Redis's LFU_INIT_VAL).
			ent.Freq, ent.Access = lfuInitVal, c.Now
		}
	}
	if e.replaying {
		return
	}
	if isNew {
		e.notify(keyspaceEvent{class: notifyNew, event: "new"}, key)
	}
	e.notifyCommand(c, key, ent != nil)
}
