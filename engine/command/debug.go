package command

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("debug", debugCmd)
}

// debugCmd is DEBUG with the subcommands Mnemo serves: HELP, SLEEP, OBJECT,
// PROTOCOL and ERROR. Every other subcommand, and a known one with the
// wrong number of arguments, gets Redis's "unknown subcommand" error.
func debugCmd(c *Ctx) {
	sub := strings.ToLower(c.Arg(1))
	switch {
	case sub == "help" && len(c.Args) == 2:
		debugHelp(c)
	case sub == "sleep" && len(c.Args) == 3:
		debugSleep(c)
	case sub == "object" && len(c.Args) == 3:
		debugObject(c)
	case sub == "protocol" && len(c.Args) == 3:
		debugProtocol(c)
	case sub == "kill-node" && len(c.Args) == 2:
		debugKillNode(c)
	case sub == "pause-node" && len(c.Args) == 3:
		debugPauseNode(c)
	case sub == "error" && len(c.Args) == 3:
		// Redis sends the text as is, without an "ERR" prefix of its own.
		c.Error(c.Arg(2))
	default:
		c.Error(errSubcommandSyntax(c.Arg(1), "DEBUG"))
	}
}

// debugSleep is DEBUG SLEEP seconds: it sleeps holding the engine, so no
// other command runs meanwhile, as Redis's main thread sleeps. The
// argument is read as strtod reads it: a leading number, else 0.
func debugSleep(c *Ctx) {
	secs := strtodPrefix(c.Arg(2))
	if d := time.Duration(secs * 1e6); d > 0 {
		time.Sleep(d * time.Microsecond)
	}
	c.W.OK()
}

// strtodPrefix parses the longest leading decimal number of s, returning
// 0 when there is none, as C's strtod does for the forms DEBUG SLEEP sees.
func strtodPrefix(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	for end := len(s); end > 0; end-- {
		if v, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return v
		}
	}
	return 0
}

// debugObject is DEBUG OBJECT key in Redis's line format. It reads the key
// as Redis does, straight from the keyspace: no expiry check, no access
// time update, no hit or miss counted.
func debugObject(c *Ctx) {
	e := c.DB.Peek(c.Key(2))
	if e == nil {
		c.Error(errNoSuchKey)
		return
	}
	enc := e.Value.Encoding(limitsOf(c.E))
	refcount := 1
	if s, ok := e.Value.(*keyspace.String); ok && enc == "int" {
		if v, _ := strconv.ParseInt(string(s.B), 10, 64); v >= 0 && v < 10000 {
			refcount = sharedRefcount
		}
	}
	idle := max((c.Now-e.Access)/1000, 0)
	c.W.Status(fmt.Sprintf("Value at:%p refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		e, refcount, enc, serializedLength(e.Value, enc), lruClock(e.Access), idle))
}

// limitsOf returns the encoding thresholds of the engine's configuration.
func limitsOf(e *Engine) keyspace.Limits {
	cfg := e.cfg
	return keyspace.Limits{
		HashMaxListpackEntries: cfg.Int("hash-max-listpack-entries"),
		HashMaxListpackValue:   cfg.Int("hash-max-listpack-value"),
		SetMaxIntsetEntries:    cfg.Int("set-max-intset-entries"),
		ZsetMaxListpackEntries: cfg.Int("zset-max-listpack-entries"),
		ZsetMaxListpackValue:   cfg.Int("zset-max-listpack-value"),
	}
}

// serializedLength is the size of the value in an RDB file, as DEBUG
// OBJECT's serializedlength reports it: exact for strings (short of LZF
// compression, which Mnemo does not do), the in-memory estimate for the
// other types.
func serializedLength(v keyspace.Value, enc string) int64 {
	s, ok := v.(*keyspace.String)
	if !ok {
		return v.Size()
	}
	if len(s.B) <= 11 {
		if n, err := strconv.ParseInt(string(s.B), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(s.B) {
			switch {
			case n >= -1<<7 && n < 1<<7:
				return 2
			case n >= -1<<15 && n < 1<<15:
				return 3
			case n >= -1<<31 && n < 1<<31:
				return 5
			}
		}
	}
	return rdbLenSize(len(s.B)) + int64(len(s.B))
}

// rdbLenSize is the bytes of an RDB length prefix (rdbSaveLen).
func rdbLenSize(n int) int64 {
	switch {
	case n < 1<<6:
		return 1
	case n < 1<<14:
		return 2
	case int64(n) <= 1<<32-1:
		return 5
	}
	return 9
}

// debugProtocol is DEBUG PROTOCOL type: a sample reply of each RESP type,
// which client libraries use in their tests.
func debugProtocol(c *Ctx) {
	w := c.W
	switch strings.ToLower(c.Arg(2)) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array", "set":
		if c.ArgIs(2, "set") {
			w.Set(3)
		} else {
			w.Array(3)
		}
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "map":
		w.Map(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Proto >= 3 {
			w.Attribute(1)
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto < 3 {
			c.Error("ERR RESP2 is not supported by this command")
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("This is a verbatim\nstring")
	default:
		c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

func debugHelp(c *Ctx) {
	replyHelp(c, "DEBUG", debugHelpLines)
}

// debugHelpLines is Redis's DEBUG HELP text, so tools that read it see the
// same; only the subcommands debugCmd lists are served.
var debugHelpLines = []string{
	"AOF-FLUSH-SLEEP <microsec>",
	"    Server will sleep before flushing the AOF, this is used for testing.",
	"ASSERT",
	"    Crash by assertion failed.",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"CONFIG-REWRITE-FORCE-ALL",
	"    Like CONFIG REWRITE but writes all configuration options, including",
	"    keywords not listed in original configuration file or default values.",
	"CRASH-AND-RECOVER [<milliseconds>]",
	"    Hard crash and restart after a <milliseconds> delay (default 0).",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LEAK <string>",
	"    Create a memory leak of the input string.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"HTSTATS <dbid>",
	"    Return hash table statistics of the specified Redis database.",
	"HTSTATS-KEY <key>",
	"    Like HTSTATS but for the hash table stored at <key>'s value.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"REPLICATE <string>",
	"    Replicates the provided string to replicas, allowing data divergence.",
	"MALLCTL <key> [<val>]",
	"    Get or set a malloc tuning integer.",
	"MALLCTL-STR <key> [<val>]",
	"    Get or set a malloc tuning string.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"DROP-CLUSTER-PACKET-FILTER <packet-type>",
	"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
	"OOM",
	"    Crash the server simulating an out-of-memory error.",
	"PANIC",
	"    Crash the server simulating a panic.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"RESTART [<milliseconds>]",
	"    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
	"SDSLEN <key>",
	"    Show low level SDS string info representing `key` and value.",
	"SEGFAULT",
	"    Crash the server with sigsegv.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
	"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STRINGMATCH-TEST",
	"    Run a fuzz tester against the stringmatchlen() function.",
	"STRUCTSIZE",
	"    Return the size of different Redis core C structures.",
	"LISTPACK <key>",
	"    Show low level info about the listpack encoding of <key>.",
	"QUICKLIST <key> [<0|1>]",
	"    Show low level info about the quicklist encoding of <key>.",
	"    The optional argument (0 by default) sets the level of detail",
	"CLIENT-EVICTION",
	"    Show low level client eviction pools info (maxmemory-clients).",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
	"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
	"    In case NEVER is provided the last observed peak will never be reset",
	"    In case RESET is provided the peak reset time will be restored to the default value",
	"REPLYBUFFER RESIZING <0|1>",
	"    Enable or disable the reply buffer resize cron job",
	"CLUSTERLINK KILL <to|from|all> <node-id>",
	"    Kills the link based on the direction to/from (both) with the provided node.",
}
