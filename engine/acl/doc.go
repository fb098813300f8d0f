// Package acl is Mnemo's access control: users, their passwords and
// permissions with Redis 7's rules (on/off, >pass and #sha256 passwords,
// nopass, +cmd/-cmd/+@category/-@category/+cmd|sub, ~key and %R~/%W~
// patterns, &channel patterns, "( … )" selectors, reset), the checks a
// command must pass before it runs, the ACL log, and the aclfile format.
//
// It is not the command handlers (engine/command/acl*.go) and knows
// nothing of connections: the engine hands it a command, its arguments
// and where its keys are, and gets back a verdict. Users sets are
// immutable once built, so a reloaded file swaps in a new Users value
// and no check ever sees a half-applied change.
package acl
