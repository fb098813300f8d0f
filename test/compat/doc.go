// Package compat proves Mnemo's compatibility with Redis by comparison: it
// starts Debian's redis-server (in cluster mode, owning every slot, so both
// speak the same dialect) and Mnemo side by side on loopback, runs the same
// command transcripts against both, over RESP2 and again over RESP3, and
// requires identical replies.
//
// Transcripts live in testdata/*.txt, one command a line, quoted like
// redis-cli input. A line may start with:
//
//	# comment
//	@N CMD...      run CMD on connection N (default connection 1)
//	@N> CMD...     send CMD on connection N without reading its reply
//	               (for blocking commands); the runner then pauses briefly
//	@N<            read one reply (or pushed message) on connection N
//	!sleep MS      pause both sides MS milliseconds
//	!resp2 / !resp3  run the rest of the file only under that protocol
//	[unordered] CMD  compare replies with arrays, sets and maps sorted at
//	               every level (Redis returns them in no fixed order)
//	[pairs] CMD    compare a flat RESP2 key/value array as unordered pairs
//	[length] CMD   compare only reply types and element counts (random
//	               replies such as SRANDMEMBER)
//	[type] CMD     compare only the reply type
//	[error] CMD    both must reply with an error; texts may differ
//	[ignore] CMD   run on both, compare nothing (setup)
//
// Modifiers combine with connection prefixes: "@2 [unordered] SMEMBERS s".
package compat
