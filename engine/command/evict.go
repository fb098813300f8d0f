package command

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Eviction, as Redis's evict.c: before each command, and from the cron
// while over the limit, keys are removed until memory is back under
// maxmemory, chosen by maxmemory-policy among maxmemory-samples keys
// sampled at a time, through a pool of the 16 best candidates seen so far
// (the pool carries good candidates from one round to the next, which is
// what makes a few samples a good approximation of true LRU/LFU). Each
// eviction is a DEL effect in the log, so replicas and replays evict the
// same keys; replicas never evict on their own.

// Eviction policies, from maxmemory-policy.
type policy struct {
	volatile bool // only keys with a TTL
	kind     int  // one of the evict* constants
}

const (
	evictNone = iota
	evictLRU
	evictLFU
	evictTTL
	evictRandom
)

func parsePolicy(s string) policy {
	switch s {
	case "volatile-lru":
		return policy{true, evictLRU}
	case "volatile-lfu":
		return policy{true, evictLFU}
	case "volatile-ttl":
		return policy{true, evictTTL}
	case "volatile-random":
		return policy{true, evictRandom}
	case "allkeys-lru":
		return policy{false, evictLRU}
	case "allkeys-lfu":
		return policy{false, evictLFU}
	case "allkeys-random":
		return policy{false, evictRandom}
	}
	return policy{false, evictNone}
}

func (e *Engine) policy() policy { return parsePolicy(e.cfg.String("maxmemory-policy")) }

// evictionPoolSize is Redis's EVPOOL_SIZE.
const evictionPoolSize = 16

// poolEntry is a candidate for eviction; the higher its score, the better
// a victim it is (idle time, inverted frequency or inverted expiry time).
type poolEntry struct {
	score uint64
	key   string
}

// evictionPool keeps the best candidates sorted by ascending score.
// Guarded by the engine lock.
type evictionPool struct {
	entries []poolEntry
}

// insert offers a candidate: it goes into the pool if there is room or it
// beats the worst entry, which then leaves.
func (p *evictionPool) insert(score uint64, key string) {
	for _, pe := range p.entries {
		if pe.key == key {
			return
		}
	}
	i := 0
	for i < len(p.entries) && p.entries[i].score < score {
		i++
	}
	if len(p.entries) == evictionPoolSize {
		if i == 0 {
			return // worse than everything in a full pool
		}
		// Drop the worst candidate (the first) to make room.
		copy(p.entries, p.entries[1:i])
		p.entries[i-1] = poolEntry{score, key}
		return
	}
	p.entries = append(p.entries, poolEntry{})
	copy(p.entries[i+1:], p.entries[i:])
	p.entries[i] = poolEntry{score, key}
}

// pop removes and returns the best candidate.
func (p *evictionPool) pop() (string, bool) {
	if len(p.entries) == 0 {
		return "", false
	}
	last := p.entries[len(p.entries)-1]
	p.entries = p.entries[:len(p.entries)-1]
	return last.key, true
}

// score rates a key as a victim under policy kind at now (ms).
func (e *Engine) score(kind int, ent *keyspace.Entry, now int64) uint64 {
	switch kind {
	case evictLRU:
		return uint64(max(now-ent.Access, 0))
	case evictLFU:
		return 255 - uint64(e.lfuDecay(ent, now))
	case evictTTL:
		return math.MaxUint64 - uint64(ent.ExpireAt)
	}
	return 0
}

// overMaxmemory returns how many bytes are over maxmemory (0 if none, or
// no limit).
func (e *Engine) overMaxmemory() int64 {
	limit := e.cfg.Int("maxmemory")
	if limit == 0 {
		return 0
	}
	return max(e.usedMemory()-limit, 0)
}

// evictionTimeLimit is how long one round of eviction may run, from
// maxmemory-eviction-tenacity, as Redis's evictionTimeLimitUs.
func (e *Engine) evictionTimeLimit() time.Duration {
	t := e.cfg.Int("maxmemory-eviction-tenacity")
	switch {
	case t <= 10:
		return time.Duration(50*t) * time.Microsecond
	case t < 100:
		return time.Duration(500*math.Pow(1.15, float64(t-10))) * time.Microsecond
	}
	return time.Duration(math.MaxInt64)
}

// Results of performEvictions, as Redis's EVICT_OK, EVICT_RUNNING and
// EVICT_FAIL.
const (
	evictOK = iota
	evictRunning
	evictFail
)

// performEvictions evicts keys until memory is under maxmemory, nothing is
// left to evict, or the round's time is up. Only a primary evicts: while
// replaying the log, keys leave through the DEL effects the primary
// logged.
func (e *Engine) performEvictions() int {
	if e.replaying || e.overMaxmemory() == 0 {
		return evictOK
	}
	pol := e.policy()
	if pol.kind == evictNone {
		return evictFail
	}
	start := time.Now()
	limit := e.evictionTimeLimit()
	for n := 1; e.overMaxmemory() > 0; n++ {
		key, ok := e.pickVictim(pol)
		if !ok {
			return evictFail
		}
		e.evict(key)
		if n%16 == 0 && time.Since(start) > limit {
			// The cron goes on where this round stopped.
			return evictRunning
		}
	}
	return evictOK
}

// pickVictim chooses the next key to evict under pol.
func (e *Engine) pickVictim(pol policy) (string, bool) {
	db := e.db
	if pol.volatile && db.VolatileLen() == 0 || db.Len() == 0 {
		return "", false
	}
	if pol.kind == evictRandom {
		key, ent := db.RandomEntry(pol.volatile)
		return key, ent != nil
	}
	now := e.now().UnixMilli()
	samples := int(e.cfg.Int("maxmemory-samples"))
	for tries := 0; tries < 16; tries++ {
		db.Sample(samples, pol.volatile, func(k string, ent *keyspace.Entry) {
			e.evictPool.insert(e.score(pol.kind, ent, now), k)
		})
		// The best candidate may be gone since it was pooled.
		for {
			key, ok := e.evictPool.pop()
			if !ok {
				break
			}
			if ent := db.Peek(key); ent != nil && (!pol.volatile || ent.ExpireAt != 0) {
				return key, true
			}
		}
	}
	return "", false
}

// evict removes key as Redis's performEvictions does: the deletion is
// logged as an effect, watchers and notifications hear of it, and INFO
// counts it.
func (e *Engine) evict(key string) {
	e.db.Delete(key)
	e.stats.evictedKeys++
	e.keyModified(key)
	if e.log != nil && !e.replaying {
		e.fx.args = append(e.fx.args, [][]byte{[]byte("DEL"), []byte(key)})
		e.fx.keys = append(e.fx.keys, key)
	}
	e.notify(keyspaceEvent{class: notifyEvicted, event: "evicted"}, key)
}

// checkMemory runs before a command: it evicts as needed, and refuses a
// command that may use more memory (denyoom, EXEC of a transaction holding
// one, anything queued inside MULTI) when memory could not be brought
// under the limit.
func (e *Engine) checkMemory(c *Client, cmd *Command) string {
	if e.cfg.Int("maxmemory") == 0 || e.replaying || !e.IsPrimary() {
		// A replica ignores maxmemory (Redis's replica-ignore-maxmemory):
		// its keys are evicted by the primary's DEL in the log.
		return ""
	}
	if e.performEvictions() != evictFail {
		return ""
	}
	denyoom := cmd.Is(FlagDenyOOM)
	switch {
	case c.multi == nil:
	case cmd.Name == "exec":
		for _, q := range c.multi.cmds {
			denyoom = denyoom || q.cmd.Is(FlagDenyOOM)
		}
	case cmd.Name != "discard" && cmd.Name != "quit" && cmd.Name != "reset":
		// Queuing takes memory without bound: Redis refuses every
		// command but those that end the transaction.
		denyoom = true
	}
	if denyoom {
		return errOOM
	}
	return ""
}

// cronEvict continues evictions a command round left unfinished, and
// applies a lowered maxmemory without waiting for a write.
func (e *Engine) cronEvict() { e.performEvictions() }

// LFU counters, as Redis's evict.c: Freq grows logarithmically with
// accesses (lfu-log-factor) and decays by one for each lfu-decay-time
// minutes the key went untouched, which Access (the time of the last
// access) measures under an LFU policy.
const lfuInitVal = 5

// lfuDecay returns the key's counter decayed to now.
func (e *Engine) lfuDecay(ent *keyspace.Entry, now int64) uint8 {
	period := e.cfg.Int("lfu-decay-time")
	if period == 0 {
		return ent.Freq
	}
	elapsed := (now/60000 - ent.Access/60000) / period
	if elapsed >= int64(ent.Freq) {
		return 0
	}
	return ent.Freq - uint8(max(elapsed, 0))
}

// lfuIncr is Redis's LFULogIncr.
func (e *Engine) lfuIncr(counter uint8) uint8 {
	if counter == 255 {
		return 255
	}
	base := float64(int(counter) - lfuInitVal)
	if base < 0 {
		base = 0
	}
	if rand.Float64() < 1/(base*float64(e.cfg.Int("lfu-log-factor"))+1) {
		counter++
	}
	return counter
}

// touch records an access to a key: its access time, and under an LFU
// policy its decayed and incremented counter.
func (e *Engine) touch(ent *keyspace.Entry, now int64) {
	if e.policy().kind == evictLFU {
		ent.Freq = e.lfuIncr(e.lfuDecay(ent, now))
	}
	ent.Access = now
}
