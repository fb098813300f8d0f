package config

import (
	"errors"
	"math"
)

// The parameters. Names, defaults and ranges are Redis 7's, so existing
// configuration files and tools read the same.
func init() {
	const maxInt = math.MaxInt64
	for _, p := range []*Param{
		{Name: "port", Help: "TCP port to listen on", Kind: Int, Default: "6379", Min: 0, Max: 65535, Immutable: true},
		{Name: "bind", Help: "address to listen on", Kind: String, Default: "127.0.0.1", Immutable: true},
		{Name: "dir", Help: "working directory for data files", Kind: String, Default: ".", Immutable: true},
		// The operator renders maxmemory from the node type into every
		// node's file; taken (not enforced yet) until eviction lands.
		{Name: "proto-max-bulk-len", Help: "largest bulk argument a client may send", Kind: Memory, Default: "512mb", Min: 1024 * 1024, Max: maxInt},
		{Name: "client-query-buffer-limit", Help: "largest query buffer per client", Kind: Memory, Default: "1gb", Min: 1024 * 1024, Max: maxInt},
		// io-threads has Redis's name and default: one thread runs
		// commands and I/O unless more are asked for. Mnemo maps it to
		// GOMAXPROCS, the number of threads running Go code at once.
		{Name: "io-threads", Help: "threads running commands and network I/O (GOMAXPROCS)", Kind: Int, Default: "1", Min: 1, Max: 128, Immutable: true},
		// The durable write path: how long a write may wait for the log
		// before it fails, and how many appends may be in flight. One is
		// best for a single log server that fsyncs every append (it
		// fsyncs them one by one, so a second append only queues); a
		// replicated log over a network gains from a few.
		{Name: "log-commit-timeout", Help: "milliseconds a write may wait for the transactional log before it fails", Kind: Int, Default: "5000", Min: 100, Max: 3600000, Immutable: true},
		{Name: "log-max-inflight", Help: "appends to the transactional log in flight at once (group commit pipelining)", Kind: Int, Default: "1", Min: 1, Max: 64, Immutable: true},
		{Name: "hz", Help: "background task frequency (active expiry), per second", Kind: Int, Default: "10", Min: 0, Max: math.MaxInt32, ClampMin: 1, ClampMax: 500},
		{Name: "timeout", Help: "close clients idle this many seconds (0: never)", Kind: Int, Default: "0", Min: 0, Max: math.MaxInt32},
		{Name: "tcp-keepalive", Help: "TCP keepalive period in seconds (0: off)", Kind: Int, Default: "300", Min: 0, Max: math.MaxInt32},
		{Name: "maxclients", Help: "maximum connected clients", Kind: Int, Default: "10000", Min: 1, Max: math.MaxUint32},
		{Name: "slowlog-log-slower-than", Help: "log commands slower than this many microseconds (-1: off)", Kind: Int, Default: "10000", Min: -1, Max: maxInt},
		{Name: "slowlog-max-len", Help: "slow log length", Kind: Int, Default: "128", Min: 0, Max: maxInt},
		{Name: "busy-reply-threshold", Help: "milliseconds a script runs before other clients get -BUSY and SCRIPT KILL may stop it", Aliases: []string{"lua-time-limit"}, Kind: Int, Default: "5000", Min: 0, Max: maxInt},
		{Name: "latency-monitor-threshold", Help: "record latency spikes of at least this many ms (0: off)", Kind: Int, Default: "0", Min: 0, Max: maxInt},
		{Name: "hash-max-listpack-entries", Help: "hash size up to which OBJECT ENCODING reports listpack", Aliases: []string{"hash-max-ziplist-entries"}, Kind: Int, Default: "512", Min: 0, Max: maxInt},
		{Name: "hash-max-listpack-value", Help: "hash value length up to which OBJECT ENCODING reports listpack", Aliases: []string{"hash-max-ziplist-value"}, Kind: Int, Default: "64", Min: 0, Max: maxInt},
		{Name: "set-max-intset-entries", Help: "integer set size up to which OBJECT ENCODING reports intset", Kind: Int, Default: "512", Min: 0, Max: maxInt},
		{Name: "zset-max-listpack-entries", Help: "sorted set size up to which OBJECT ENCODING reports listpack", Aliases: []string{"zset-max-ziplist-entries"}, Kind: Int, Default: "128", Min: 0, Max: maxInt},
		{Name: "zset-max-listpack-value", Help: "member length up to which OBJECT ENCODING reports listpack", Aliases: []string{"zset-max-ziplist-value"}, Kind: Int, Default: "64", Min: 0, Max: maxInt},
		// Mnemo keeps data durable through its transactional log, never
		// through RDB or AOF files: these two exist so that tools which
		// read them (redis-benchmark, monitoring) see the truth, and can
		// only be set to what they are.
		{Name: "save", Help: "RDB save points: always empty, durability comes from the log", Kind: String, Default: "", Check: only("")},
		{Name: "appendonly", Help: "AOF: always no, durability comes from the log", Kind: Enum, Default: "no", Enum: []string{"no"}},
		{Name: "databases", Help: "number of databases: 1 (cluster mode)", Kind: Int, Default: "1", Min: 1, Max: 1, Immutable: true},
		{Name: "cluster-enabled", Help: "cluster mode: always yes", Kind: Enum, Default: "yes", Enum: []string{"yes"}, Immutable: true},
	} {
		define(p)
	}
}

func only(v string) func(string) error {
	return func(s string) error {
		if s != v {
			return errors.New("this parameter can only be '" + v + "' in Mnemo")
		}
		return nil
	}
}
