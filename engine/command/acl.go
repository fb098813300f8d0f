package command

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mnemo-dev/mnemo/engine/acl"
)

// ACL errors, as Redis 7.0 words them.
const (
	errNoAuth         = "NOAUTH Authentication required."
	errNoPermKey      = "NOPERM this user has no permissions to access one of the keys used as arguments"
	errNoPermChannel  = "NOPERM this user has no permissions to access one of the channels used as arguments"
	errHelloNoAuth    = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errExecACLChanged = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: "
)

func errNoPermCommand(name string) string {
	return "NOPERM this user has no permissions to run the '" + name + "' command"
}

// aclMeta is every command of the metadata, implemented or not, by full
// name: ACL rules may name any Redis command, ACL CAT lists them all and
// ACL DRYRUN checks them, whether or not Mnemo serves them yet.
type aclMeta struct {
	cat  *acl.Catalog
	cmds map[string]*Command     // by full name
	ids  map[string]*acl.Command // by full name
}

var aclCatalog = sync.OnceValue(func() *aclMeta {
	var mf, extra metaFile
	if err := json.Unmarshal(commandsJSON, &mf); err != nil {
		panic(err)
	}
	if err := json.Unmarshal(commandsExtraJSON, &extra); err != nil {
		panic(err)
	}
	m := &aclMeta{cat: acl.NewCatalog(), cmds: map[string]*Command{}, ids: map[string]*acl.Command{}}
	for _, me := range mergeMeta(mf.Commands, extra.Commands) {
		cmd := fromInfo(&me.Info, nil)
		ac := m.cat.Add(cmd.Name, cmd.Categories, nil)
		m.cmds[cmd.Name], m.ids[cmd.Name] = cmd, ac
		subs := make([]string, 0, len(cmd.Subcommands))
		for _, s := range cmd.Subcommands {
			subs = append(subs, s.Name)
		}
		slices.Sort(subs)
		for _, name := range subs {
			_, short, _ := strings.Cut(name, "|")
			sub := cmd.Subcommands[short]
			m.cmds[sub.Name], m.ids[sub.Name] = sub, m.cat.Add(sub.Name, sub.Categories, ac)
		}
	}
	return m
})

// aclState is the engine's users, ACL log and settings. Guarded by the
// engine lock.
type aclState struct {
	users *acl.Users
	log   acl.Log
	// file is the aclfile's path, "" without one.
	file string
}

// clientACL is a connection's identity.
type clientACL struct {
	init          bool
	user          *acl.User
	authenticated bool
}

// aclUsers returns the current users, creating the default set on first
// use.
func (e *Engine) aclUsers() *acl.Users {
	if e.acl.users == nil {
		e.acl.users = acl.NewUsers(aclCatalog().cat)
		e.acl.file = e.cfg.String("aclfile")
	}
	return e.acl.users
}

// clientUser returns the user a client runs as. A connection starts as
// the default user, already authenticated when that user is on and has
// no password (Redis's clientSetDefaultAuth).
func (e *Engine) clientUser(c *Client) *acl.User {
	if !c.acl.init {
		e.setDefaultAuth(c)
	}
	return c.acl.user
}

func (e *Engine) setDefaultAuth(c *Client) {
	d := e.aclUsers().Default()
	c.acl = clientACL{init: true, user: d, authenticated: d.NoPass() && d.Enabled()}
}

// authRequired reports whether the client must authenticate before
// running commands: it has not, and the default user needs a password or
// is off.
func (e *Engine) authRequired(c *Client) bool {
	e.clientUser(c)
	if c.acl.authenticated {
		return false
	}
	d := e.aclUsers().Default()
	return !d.NoPass() || !d.Enabled()
}

// checkACL is the dispatcher's permission check, run after the command
// is known and its arity right, before it is queued or run. It returns
// the error to reply with, or "".
func (e *Engine) checkACL(c *Client, cmd *Command, args [][]byte, now time.Time) string {
	u := e.clientUser(c)
	if !cmd.Is(FlagNoAuth) && e.authRequired(c) {
		return errNoAuth
	}
	if c.multi != nil && cmd.Is(FlagNoMulti) {
		// The dispatcher refuses it as Redis does, before any ACL check.
		return ""
	}
	if u.AllowsEverything() {
		return ""
	}
	ctx := acl.ContextTopLevel
	if c.multi != nil {
		ctx = acl.ContextMulti
	}
	v, pos := e.aclCheck(u, cmd, args)
	if v == acl.OK {
		return ""
	}
	e.aclLogDenial(c, u, cmd, args, v, pos, ctx, now)
	switch v {
	case acl.DeniedKey:
		return errNoPermKey
	case acl.DeniedChannel:
		return errNoPermChannel
	}
	return errNoPermCommand(cmd.Name)
}

// aclCheck runs the ACL check of a command for a user.
func (e *Engine) aclCheck(u *acl.User, cmd *Command, args [][]byte) (acl.Verdict, int) {
	ac := aclCatalog().ids[cmd.Name]
	if ac == nil {
		// A command outside the metadata cannot be named by any rule:
		// only a user allowed everything may run it.
		if u.AllowsEverything() {
			return acl.OK, 0
		}
		return acl.DeniedCommand, 0
	}
	r := acl.Request{Cmd: ac, Args: args, NoAuth: cmd.Is(FlagNoAuth)}
	if len(cmd.keySpecs) > 0 {
		r.Keys = func() []acl.KeyRef { return aclKeyRefs(cmd, args) }
	}
	return u.Check(&r)
}

// aclKeyRefs finds a command's keys and the access each needs, from the
// flags of the key spec that found it.
func aclKeyRefs(cmd *Command, args [][]byte) []acl.KeyRef {
	var refs []acl.KeyRef
	var buf [8]int
	for i := range cmd.keySpecs {
		ks := &cmd.keySpecs[i]
		flags := ks.flags
		if slices.Contains(flags, "variable_flags") {
			flags = variableKeyFlags(cmd.Name, args)
		}
		perm := 0
		for _, f := range flags {
			switch strings.ToLower(f) {
			case "access":
				perm |= acl.PermRead
			case "insert", "delete", "update":
				perm |= acl.PermWrite
			}
		}
		for _, p := range ks.keys(args, buf[:0]) {
			if p < len(args) {
				refs = append(refs, acl.KeyRef{Pos: p, Perm: perm})
			}
		}
	}
	return refs
}

// aclLogDenial records a refused command in the ACL log.
func (e *Engine) aclLogDenial(c *Client, u *acl.User, cmd *Command, args [][]byte, v acl.Verdict, pos int, context string, now time.Time) {
	ent := acl.LogEntry{Context: context, Username: u.Name}
	switch v {
	case acl.DeniedKey:
		ent.Reason, ent.Object = acl.ReasonKey, string(args[pos])
	case acl.DeniedChannel:
		ent.Reason, ent.Object = acl.ReasonChannel, string(args[pos])
	default:
		ent.Reason, ent.Object = acl.ReasonCommand, cmd.Name
	}
	e.aclLog(c, cmd, args, ent, now)
}

func (e *Engine) aclLog(c *Client, cmd *Command, args [][]byte, ent acl.LogEntry, now time.Time) {
	ent.CreatedMs = now.UnixMilli()
	info := &Ctx{E: e, C: c, Cmd: cmd, Args: args, Now: now.UnixMilli()}
	ent.ClientInfo = string(appendClientInfo(nil, info, c))
	e.acl.log.Add(ent, int(e.cfg.Int("acllog-max-len")))
}

// aclExecDenied re-checks a queued command at EXEC time, in case the
// rules changed since it was queued, and returns the error to reply with
// in its place, or "".
func (e *Engine) aclExecDenied(c *Client, cmd *Command, args [][]byte, now time.Time) string {
	u := e.clientUser(c)
	if u.AllowsEverything() {
		return ""
	}
	v, pos := e.aclCheck(u, cmd, args)
	if v == acl.OK {
		return ""
	}
	e.aclLogDenial(c, u, cmd, args, v, pos, acl.ContextMulti, now)
	switch v {
	case acl.DeniedKey:
		return errExecACLChanged + "no permission to touch the specified keys"
	case acl.DeniedChannel:
		return errExecACLChanged + "no permission to access one of the channels used as arguments"
	}
	return errExecACLChanged + "no permission to execute the command or subcommand"
}

// scriptCommandDenied is the ACL check of a command a script runs
// (redis.call): it returns the error the call fails with ("" when
// allowed) and logs the denial in the "lua" context, as Redis's
// scriptVerifyACL does.
func (e *Engine) scriptCommandDenied(c *Client, cmd *Command, args [][]byte) string {
	u := e.clientUser(c)
	if u.AllowsEverything() {
		return ""
	}
	v, pos := e.aclCheck(u, cmd, args)
	if v == acl.OK {
		return ""
	}
	e.aclLogDenial(c, u, cmd, args, v, pos, acl.ContextLua, e.now())
	switch v {
	case acl.DeniedKey:
		return "ERR The user executing the script can't access at least one of the keys mentioned in the command"
	case acl.DeniedChannel:
		return "ERR The user executing the script can't publish to the channel mentioned in the command"
	}
	return "ERR The user executing the script can't run this command or subcommand"
}
