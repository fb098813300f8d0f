package command

// AUTH errors, as Redis 7 words them.
const (
	errAuthNoPassword = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errWrongPass      = "WRONGPASS invalid username-password pair or user is disabled."
)

// defaultUser is the user every connection starts as. Until users and ACLs
// exist it is the only one, enabled and without a password ("nopass").
const defaultUser = "default"

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
	if len(c.Args) == 2 {
		c.Error(errAuthNoPassword)
		return
	}
	if c.E.authenticate(c, c.Arg(1), c.Args[2]) {
		c.W.OK()
	}
}

// authenticate checks credentials for AUTH and HELLO AUTH, writing the
// error reply when they are refused. The default user has no password, so,
// as in Redis, any password is accepted for it; every other user name is
// unknown.
func (e *Engine) authenticate(c *Ctx, user string, _ []byte) bool {
	if user == defaultUser {
		return true
	}
	c.Error(errWrongPass)
	return false
}
