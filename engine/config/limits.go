package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Parameters of memory, eviction, client limits and keyspace
// notifications (issue 6). Names, defaults, ranges and error texts are
// Redis 7.0's. Those listed under "accepted" only exist so that a Redis
// configuration file or a parameter group applies unchanged: docs/
// parameters.md says which have no effect in Mnemo and why.
func init() {
	const maxInt = math.MaxInt64
	for _, p := range []*Param{
		{Name: "maxmemory", Help: "memory limit in bytes for the dataset (0: none); see maxmemory-policy", Kind: Memory, Default: "0", Min: 0, Max: maxInt},
		{Name: "maxmemory-clients", Help: "memory all clients together may use, bytes or % of maxmemory (accepted: clients are never evicted)", Kind: String, Default: "0", Parse: parseMemoryOrPercent},
		{Name: "maxmemory-policy", Help: "what to do at maxmemory: refuse writes or evict keys", Kind: Enum, Default: "noeviction",
			Enum: []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}},
		{Name: "maxmemory-samples", Help: "keys sampled per eviction round (precision against CPU)", Kind: Int, Default: "5", Min: 1, Max: math.MaxInt32},
		{Name: "maxmemory-eviction-tenacity", Help: "time an eviction round may take (0..100; 100: until under the limit)", Kind: Int, Default: "10", Min: 0, Max: 100},
		{Name: "lfu-log-factor", Help: "hits needed to saturate the LFU counter (logarithmic)", Kind: Int, Default: "10", Min: 0, Max: math.MaxInt32},
		{Name: "lfu-decay-time", Help: "minutes of idleness per decrement of a key's LFU counter (0: never)", Kind: Int, Default: "1", Min: 0, Max: math.MaxInt32},
		{Name: "client-output-buffer-limit", Help: "per class: hard limit, soft limit, soft seconds (normal, replica, pubsub)", Kind: String,
			Default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Parse: parseOutputLimits},
		{Name: "notify-keyspace-events", Help: "keyspace notification classes (K E g $ l s h z x e t m d n A)", Kind: String, Default: "", Parse: parseNotify},
		{Name: "latency-tracking", Help: "track per-command latency percentiles (INFO latencystats)", Kind: Bool, Default: "yes"},
		{Name: "busy-reply-threshold", Aliases: []string{"lua-time-limit"}, Help: "milliseconds a script may run before others get BUSY (accepted: no scripting yet)", Kind: Int, Default: "5000", Min: 0, Max: maxInt},
		{Name: "active-expire-effort", Help: "active expiry effort, 1..10 (accepted; expiry samples 20 keys a round)", Kind: Int, Default: "1", Min: 1, Max: 10},
		{Name: "activedefrag", Help: "active defragmentation (accepted: Go's allocator has no defragmenter)", Kind: Bool, Default: "no"},
		{Name: "list-max-listpack-size", Aliases: []string{"list-max-ziplist-size"}, Help: "list node size (accepted; encoding is always quicklist-like)", Kind: Int, Default: "-2", Min: math.MinInt32, Max: math.MaxInt32},
		{Name: "list-compress-depth", Help: "list nodes left uncompressed at each end (accepted; lists are never compressed)", Kind: Int, Default: "0", Min: 0, Max: math.MaxInt32},
		{Name: "stream-node-max-bytes", Help: "stream node size (accepted; nodes hold the default 4096 bytes)", Kind: Memory, Default: "4096", Min: 0, Max: maxInt},
		{Name: "stream-node-max-entries", Help: "stream node entries (accepted; nodes hold the default 100 entries)", Kind: Int, Default: "100", Min: 0, Max: maxInt},
		{Name: "hll-sparse-max-bytes", Help: "largest sparse HyperLogLog before it turns dense", Kind: Memory, Default: "3000", Min: 0, Max: maxInt},
	} {
		define(p)
	}
}

// ClassLimit is one client class's output buffer limit: a client whose
// pending output reaches Hard bytes, or stays at or above Soft bytes for
// SoftSeconds, is disconnected. Zero disables a limit.
type ClassLimit struct {
	Hard, Soft, SoftSeconds int64
}

// OutputLimits are client-output-buffer-limit's classes; Mnemo has no
// replica clients (replication goes through the log) but keeps the class
// so that configuration round-trips.
type OutputLimits struct {
	Normal, Replica, PubSub ClassLimit
}

// OutputBufferLimits returns the current client-output-buffer-limit.
func (c *Config) OutputBufferLimits() OutputLimits {
	return c.Parsed("client-output-buffer-limit").(OutputLimits)
}

// Errors of client-output-buffer-limit: Redis's texts, which clients see.
//
//lint:ignore ST1005 Redis's exact client-visible text
var errOBLArgs = errors.New("Wrong number of arguments in buffer limit configuration.")

//lint:ignore ST1005 Redis's exact client-visible text
var errOBLClass = errors.New("Invalid client class specified in buffer limit configuration.")

//lint:ignore ST1005 Redis's exact client-visible text
var errOBLValue = errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")

// parseOutputLimits parses "class hard soft seconds ..." as Redis does:
// words split on single spaces, classes normal, slave (or replica) and
// pubsub, memory units allowed for the limits; classes not named keep
// their current limits.
func parseOutputLimits(cur, value string) (string, any, error) {
	out, err := splitOutputLimits(OutputLimits{}, cur)
	if err != nil {
		// The current value is always canonical.
		panic("client-output-buffer-limit: " + err.Error())
	}
	if out, err = splitOutputLimits(out, value); err != nil {
		return "", nil, err
	}
	f := func(name string, l ClassLimit) string {
		return name + " " + strconv.FormatInt(l.Hard, 10) + " " + strconv.FormatInt(l.Soft, 10) + " " + strconv.FormatInt(l.SoftSeconds, 10)
	}
	return f("normal", out.Normal) + " " + f("slave", out.Replica) + " " + f("pubsub", out.PubSub), out, nil
}

func splitOutputLimits(out OutputLimits, value string) (OutputLimits, error) {
	if value == "" {
		return out, nil
	}
	w := strings.Split(value, " ")
	if len(w)%4 != 0 {
		return out, errOBLArgs
	}
	for i := 0; i < len(w); i += 4 {
		var cl *ClassLimit
		switch strings.ToLower(w[i]) {
		case "normal":
			cl = &out.Normal
		case "slave", "replica":
			cl = &out.Replica
		case "pubsub":
			cl = &out.PubSub
		default:
			return out, errOBLClass
		}
		hard, err1 := ParseMemory(w[i+1])
		soft, err2 := ParseMemory(w[i+2])
		secs, err3 := strconv.ParseInt(w[i+3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || hard < 0 || soft < 0 || secs < 0 {
			return out, errOBLValue
		}
		*cl = ClassLimit{hard, soft, secs}
	}
	return out, nil
}

// Keyspace notification classes, the bits of notify-keyspace-events.
const (
	NotifyKeyspace = 1 << iota // K: __keyspace@<db>__:<key> channels
	NotifyKeyevent             // E: __keyevent@<db>__:<event> channels
	NotifyGeneric              // g: DEL, EXPIRE, RENAME…
	NotifyString               // $
	NotifyList                 // l
	NotifySet                  // s
	NotifyHash                 // h
	NotifyZSet                 // z
	NotifyExpired              // x
	NotifyEvicted              // e
	NotifyStream               // t
	NotifyKeyMiss              // m: not part of A
	NotifyModule               // d
	NotifyNew                  // n: not part of A
	// NotifyAll is what the letter A stands for.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZSet |
		NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

var notifyLetters = []struct {
	c    byte
	flag int64
}{
	{'g', NotifyGeneric}, {'$', NotifyString}, {'l', NotifyList}, {'s', NotifySet}, {'h', NotifyHash},
	{'z', NotifyZSet}, {'x', NotifyExpired}, {'e', NotifyEvicted}, {'t', NotifyStream}, {'d', NotifyModule},
	{'n', NotifyNew}, {'K', NotifyKeyspace}, {'E', NotifyKeyevent}, {'m', NotifyKeyMiss},
}

//lint:ignore ST1005 Redis's exact client-visible text
var errNotify = errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")

// parseNotify parses notify-keyspace-events' letters into flags (an
// int64, also Config.Int's value) and writes them back in Redis's order,
// which CONFIG GET shows: A stands for the classes it covers and hides n.
func parseNotify(_, value string) (string, any, error) {
	var flags int64
	for i := 0; i < len(value); i++ {
		if value[i] == 'A' {
			flags |= NotifyAll
			continue
		}
		found := false
		for _, l := range notifyLetters {
			if l.c == value[i] {
				flags |= l.flag
				found = true
			}
		}
		if !found {
			return "", nil, errNotify
		}
	}
	var b []byte
	all := flags&NotifyAll == NotifyAll
	if all {
		b = append(b, 'A')
	}
	for _, l := range notifyLetters {
		if flags&l.flag == 0 || all && (l.flag&NotifyAll != 0 || l.flag == NotifyNew) {
			continue
		}
		b = append(b, l.c)
	}
	return string(b), flags, nil
}

// parseMemoryOrPercent parses a memory value or a percentage, as Redis's
// PERCENT_CONFIG memory parameters.
func parseMemoryOrPercent(_, value string) (string, any, error) {
	if p, ok := strings.CutSuffix(value, "%"); ok {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return "", nil, errors.New("argument must be a memory or percent value")
		}
		if n > 100 {
			return "", nil, errors.New("percentage argument must be less or equal to 100")
		}
		if n == 0 {
			return "0", int64(0), nil
		}
		return p + "%", nil, nil
	}
	n, err := ParseMemory(value)
	if err != nil || n < 0 {
		return "", nil, errors.New("argument must be a memory or percent value")
	}
	return strconv.FormatInt(n, 10), n, nil
}
