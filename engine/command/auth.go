package command

import (
	"time"

	"github.com/mnemo-dev/mnemo/engine/acl"
)

// AUTH errors, as Redis 7 words them.
const (
	errAuthNoPassword = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errWrongPass      = "WRONGPASS invalid username-password pair or user is disabled."
)

// defaultUser is the user every connection starts as.
const defaultUser = acl.DefaultName

func init() {
	register("auth", authCmd)
}

// authCmd is AUTH [username] password. The one-argument form names the
// default user; Redis refuses it when that user has no password, because a
// client sending a password to a server that wants none is most likely
// misconfigured.
func authCmd(c *Ctx) {
	for i := 1; i < len(c.Args); i++ {
		c.Redact(i)
	}
	if len(c.Args) > 3 {
		c.ErrSyntax()
		return
	}
	user, pass := defaultUser, c.Args[1]
	if len(c.Args) == 2 {
		if c.E.aclUsers().Default().NoPass() {
			c.Error(errAuthNoPassword)
			return
		}
	} else {
		user, pass = c.Arg(1), c.Args[2]
	}
	if c.E.authenticate(c, user, pass) {
		c.W.OK()
	}
}

// authenticate checks credentials for AUTH and HELLO AUTH. On success the
// connection runs as that user from now on; on failure it writes the
// error reply and logs the attempt in the ACL log, as Redis does.
func (e *Engine) authenticate(c *Ctx, user string, password []byte) bool {
	e.clientUser(c.C)
	if u := e.aclUsers().Get(user); u != nil && u.CheckPassword(password) {
		c.C.acl.user, c.C.acl.authenticated = u, true
		return true
	}
	ctx := acl.ContextTopLevel
	if c.C.multi != nil {
		ctx = acl.ContextMulti
	}
	e.aclLog(c.C, c.Cmd, c.Args, acl.LogEntry{Reason: acl.ReasonAuth, Context: ctx,
		Object: string(c.Args[0]), Username: user}, time.UnixMilli(c.Now))
	c.Error(errWrongPass)
	return false
}

// helloAuth is HELLO's authentication step, after its options parsed:
// with AUTH it authenticates; without, it refuses a client that must
// authenticate first. It writes the error reply and returns false when
// HELLO must stop.
func (e *Engine) helloAuth(c *Ctx, auth bool, user string, password []byte) bool {
	if auth {
		return e.authenticate(c, user, password)
	}
	if e.authRequired(c.C) {
		c.Error(errHelloNoAuth)
		return false
	}
	return true
}

// resetAuth returns a connection to the default user, as RESET does.
func (e *Engine) resetAuth(c *Client) { e.setDefaultAuth(c) }
