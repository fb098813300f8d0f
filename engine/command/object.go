package command

import (
	"strings"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("object|encoding", objectEncodingCmd)
	register("object|freq", objectFreqCmd)
	register("object|idletime", objectIdletimeCmd)
	register("object|refcount", objectRefcountCmd)
	register("object|help", objectHelpCmd)
}

// Error texts of OBJECT, Redis's own: FREQ needs an LFU policy and
// IDLETIME one that is not.
const (
	errNoLFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errLFU = "ERR An LFU maxmemory policy is selected, idle time not tracked. " +
		"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// sharedRefcount is what Redis reports as the reference count of its
// shared objects (OBJ_SHARED_REFCOUNT, INT_MAX).
const sharedRefcount = 1<<31 - 1

// sharedIntegers is the number of small integers Redis keeps as shared
// objects (OBJ_SHARED_INTEGERS): an integer value in [0, 10000) is one of
// them.
const sharedIntegers = 10000

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func objectHelpCmd(c *Ctx) {
	c.W.Array(len(objectHelp))
	for _, l := range objectHelp {
		c.W.Status(l)
	}
}

// objectLookup returns the entry OBJECT inspects, without touching its
// access time (which IDLETIME reports), or writes a null reply.
func objectLookup(c *Ctx) *keyspace.Entry {
	e := c.lookupNoTouch(c.Key(2))
	if e == nil {
		c.W.Null()
	}
	return e
}

// limits returns the encoding thresholds from the configuration.
func (c *Ctx) limits() keyspace.Limits {
	cfg := c.E.cfg
	return keyspace.Limits{
		HashMaxListpackEntries: cfg.Int("hash-max-listpack-entries"),
		HashMaxListpackValue:   cfg.Int("hash-max-listpack-value"),
		SetMaxIntsetEntries:    cfg.Int("set-max-intset-entries"),
		ZsetMaxListpackEntries: cfg.Int("zset-max-listpack-entries"),
		ZsetMaxListpackValue:   cfg.Int("zset-max-listpack-value"),
	}
}

func objectEncodingCmd(c *Ctx) {
	if e := objectLookup(c); e != nil {
		c.W.BulkString(e.Value.Encoding(c.limits()))
	}
}

// lfuPolicy reports whether the eviction policy is an LFU one. Without a
// maxmemory-policy parameter the policy is Redis's default, noeviction.
func (c *Ctx) lfuPolicy() bool {
	p, _ := c.E.cfg.Get("maxmemory-policy")
	return strings.HasSuffix(p, "-lfu")
}

func objectFreqCmd(c *Ctx) {
	e := objectLookup(c)
	if e == nil {
		return
	}
	if !c.lfuPolicy() {
		c.Error(errNoLFU)
		return
	}
	c.W.Int(int64(e.Freq))
}

func objectIdletimeCmd(c *Ctx) {
	e := objectLookup(c)
	if e == nil {
		return
	}
	if c.lfuPolicy() {
		c.Error(errLFU)
		return
	}
	// Redis's LRU clock ticks in whole seconds.
	c.W.Int(max(c.Now/1000-e.Access/1000, 0))
}

// objectRefcountCmd answers 1, except for the small integers Redis shares
// (while maxmemory is off or its policy is neither LRU nor LFU; COPY's
// copies are not shared), for which it answers INT_MAX.
func objectRefcountCmd(c *Ctx) {
	e := objectLookup(c)
	if e == nil {
		return
	}
	if s, ok := e.Value.(*keyspace.String); ok && !s.Copied && s.IsInt() && c.sharedIntegersOK() {
		if v, _ := s.Int(); v >= 0 && v < sharedIntegers {
			c.W.Int(sharedRefcount)
			return
		}
	}
	c.W.Int(1)
}

// sharedIntegersOK reports whether Redis would store small integers as
// shared objects: not when maxmemory is set with an LRU or LFU policy,
// which need a per-object access time.
func (c *Ctx) sharedIntegersOK() bool {
	mm, _ := c.E.cfg.Get("maxmemory")
	if mm == "" || mm == "0" {
		return true
	}
	p, _ := c.E.cfg.Get("maxmemory-policy")
	return !strings.HasSuffix(p, "-lru") && !strings.HasSuffix(p, "-lfu")
}
