// Package command is the engine's command layer: the command table, the
// execution context, the per-connection client state, and one file of
// handlers per data type or concern (string.go, hash.go, list.go, …).
//
// The table's metadata — arity, flags, key specs, ACL categories, tips and
// docs — is generated from the reference redis-server (commands.json, see
// hack/gencommands), so COMMAND, argument checks, key extraction and slot
// checks behave exactly as Redis's. Handlers register by name; a command is
// served only when it has both metadata and a handler.
//
// Every command runs under the Engine's lock, one at a time, as Redis runs
// commands on one thread: handlers need no locking of their own. Handlers
// validate all their arguments before they change anything, then change the
// keyspace through typed helpers and call Ctx.Modified for every key they
// change.
//
// The package knows nothing of sockets: engine/server owns connections and
// feeds commands to Engine.Execute.
package command
