// Package script is Mnemo's Lua 5.1 runtime for EVAL and FUNCTION, built on
// gopher-lua: the sandbox Redis 7.0 gives scripts (read-only globals, no
// os/io/loadfile/print), the redis.* API, the libraries Redis ships (cjson,
// cmsgpack, bit, struct) and Redis's conversion rules between Lua values
// and RESP replies, both ways, in RESP2 and RESP3.
//
// It is not the command layer: it knows nothing of the keyspace. A Host
// given to each run executes the commands a script calls; the command
// package owns the script cache, the function libraries, atomicity,
// SCRIPT KILL and durability.
package script
