package command

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/acl"
)

// errACLAdmin refuses the commands that change users when they are
// managed through the aclfile (acl-admin no, the default), as MemoryDB
// refuses them: an error naming the way to allow them, not a NOPERM, which
// would suggest a user's permissions are at fault and fill the ACL log.
func errACLAdmin(sub string) string {
	return "ERR ACL " + sub + " is disabled: users are managed through the aclfile (start with --acl-admin yes to allow it)"
}

// errACLSyntax is Redis's addReplySubcommandSyntaxError for ACL.
func errACLSyntax(c *Ctx) string {
	sub := c.Arg(1)
	if len(sub) > 128 {
		sub = sub[:128]
	}
	return "ERR unknown subcommand or wrong number of arguments for '" + sub + "'. Try ACL HELP."
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func init() {
	register("acl|whoami", aclWhoamiCmd)
	register("acl|users", aclUsersCmd)
	register("acl|list", aclListCmd)
	register("acl|getuser", aclGetUserCmd)
	register("acl|cat", aclCatCmd)
	register("acl|log", aclLogCmd)
	register("acl|dryrun", aclDryRunCmd)
	register("acl|genpass", aclGenPassCmd)
	register("acl|setuser", aclSetUserCmd)
	register("acl|deluser", aclDelUserCmd)
	register("acl|load", aclLoadCmd)
	register("acl|save", aclSaveCmd)
	register("acl|help", aclHelpCmd)
}

func aclWhoamiCmd(c *Ctx) { c.W.BulkString(c.E.clientUser(c.C).Name) }

func aclUsersCmd(c *Ctx) { c.W.BulkStrings(c.E.aclUsers().Names()) }

func aclListCmd(c *Ctx) {
	us := c.E.aclUsers()
	cat := aclCatalog().cat
	names := us.Names()
	c.W.Array(len(names))
	for _, n := range names {
		c.W.BulkString("user " + n + " " + us.Get(n).Describe(cat))
	}
}

func aclGetUserCmd(c *Ctx) {
	u := c.E.aclUsers().Get(c.Arg(2))
	if u == nil {
		c.W.Null()
		return
	}
	cat := aclCatalog().cat
	root, sels := u.Selectors(cat)
	w := c.W
	w.Map(6)
	w.BulkString("flags")
	flags := u.Flags()
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("passwords")
	w.BulkStrings(u.Passwords())
	writeSelectorView(c, root)
	w.BulkString("selectors")
	w.Array(len(sels))
	for _, s := range sels {
		w.Map(3)
		writeSelectorView(c, s)
	}
}

func writeSelectorView(c *Ctx, v acl.SelectorView) {
	c.W.BulkString("commands")
	c.W.BulkString(v.Commands)
	c.W.BulkString("keys")
	c.W.BulkString(v.Keys)
	c.W.BulkString("channels")
	c.W.BulkString(v.Channels)
}

func aclCatCmd(c *Ctx) {
	if len(c.Args) == 2 {
		c.W.BulkStrings(acl.Categories)
		return
	}
	if len(c.Args) > 3 {
		c.Error(errACLSyntax(c))
		return
	}
	bit := acl.CategoryBit(c.Arg(2))
	if bit == 0 {
		name := c.Arg(2)
		if len(name) > 128 {
			name = name[:128]
		}
		c.Error("ERR Unknown category '" + name + "'")
		return
	}
	c.W.BulkStrings(aclCatalog().cat.InCategory(bit))
}

func aclLogCmd(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(errACLSyntax(c))
		return
	}
	count := int64(10)
	if len(c.Args) == 3 {
		if c.ArgIs(2, "RESET") {
			c.E.acl.log.Reset()
			c.W.OK()
			return
		}
		n, ok := c.Int(2)
		if !ok {
			return
		}
		count = max(n, 0)
	}
	ents := c.E.acl.log.Entries(int(min(count, 1<<30)))
	c.W.Array(len(ents))
	for _, e := range ents {
		c.W.Map(7)
		c.W.BulkString("count")
		c.W.Int(e.Count)
		c.W.BulkString("reason")
		c.W.BulkString(e.Reason)
		c.W.BulkString("context")
		c.W.BulkString(e.Context)
		c.W.BulkString("object")
		c.W.BulkString(e.Object)
		c.W.BulkString("username")
		c.W.BulkString(e.Username)
		c.W.BulkString("age-seconds")
		c.W.Double(float64(c.Now-e.CreatedMs) / 1000)
		c.W.BulkString("client-info")
		c.W.BulkString(e.ClientInfo)
	}
}

// aclDryRunCmd is ACL DRYRUN user command [arg...]: whether the user may
// run the command, without running it. The verdict is a bulk string, not
// an error, as in Redis.
func aclDryRunCmd(c *Ctx) {
	u := c.E.aclUsers().Get(c.Arg(2))
	if u == nil {
		c.Error("ERR User '" + c.Arg(2) + "' not found")
		return
	}
	args := c.Args[3:]
	meta := aclCatalog()
	cmd := c.E.tab.lookupBytes(args[0])
	if cmd == nil {
		cmd = meta.cmds[strings.ToLower(string(args[0]))]
	}
	if cmd != nil && cmd.Subcommands != nil && len(args) > 1 {
		cmd = cmd.Subcommands[strings.ToLower(string(args[1]))]
		if cmd == nil {
			if full := meta.cmds[strings.ToLower(string(args[0])+"|"+string(args[1]))]; full != nil {
				cmd = full
			}
		}
	}
	if cmd == nil {
		c.Error("ERR Command '" + c.Arg(3) + "' not found")
		return
	}
	if !cmd.arityOK(len(args)) {
		c.Error(errWrongArgs(cmd.Name))
		return
	}
	v, pos := c.E.aclCheck(u, cmd, args)
	switch v {
	case acl.OK:
		c.W.OK()
	case acl.DeniedKey:
		c.W.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' key")
	case acl.DeniedChannel:
		c.W.BulkString("This user has no permissions to access the '" + string(args[pos]) + "' channel")
	default:
		c.W.BulkString("This user has no permissions to run the '" + cmd.Name + "' command")
	}
}

func aclGenPassCmd(c *Ctx) {
	bits := int64(256)
	if len(c.Args) > 3 {
		c.Error(errACLSyntax(c))
		return
	}
	if len(c.Args) == 3 {
		n, ok := c.Int(2)
		if !ok {
			return
		}
		bits = n
	}
	if bits <= 0 || bits > 4096 {
		c.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf)
	c.W.BulkString(hex.EncodeToString(buf)[:chars])
}

func aclSetUserCmd(c *Ctx) {
	for i := 2; i < len(c.Args); i++ {
		c.Redact(i)
	}
	if !c.E.cfg.Bool("acl-admin") {
		c.Error(errACLAdmin("SETUSER"))
		return
	}
	name := c.Arg(2)
	if strings.ContainsAny(name, " \t\n\v\f\r\x00") {
		c.Error("ERR Usernames can't contain spaces or null characters")
		return
	}
	ops := make([]string, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		ops = append(ops, string(a))
	}
	rules, bad := acl.MergeSelectors(ops)
	if bad >= 0 {
		c.Error("ERR Unmatched parenthesis in acl selector starting at '" + c.Arg(bad+3) + "'.")
		return
	}
	cat := aclCatalog().cat
	us := c.E.aclUsers()
	u := us.Get(name)
	if u == nil {
		u = acl.NewUser(cat, name)
	} else {
		u = u.Clone()
	}
	for _, r := range rules {
		if err := u.SetRule(cat, r); err != nil {
			c.Error("ERR Error in ACL SETUSER modifier '" + r + "': " + err.Error())
			return
		}
	}
	c.E.swapUsers(c.C, us.With(u), false)
	c.W.OK()
}

func aclDelUserCmd(c *Ctx) {
	if !c.E.cfg.Bool("acl-admin") {
		c.Error(errACLAdmin("DELUSER"))
		return
	}
	var names []string
	for _, a := range c.Args[2:] {
		if string(a) == defaultUser {
			c.Error("ERR The 'default' user cannot be removed")
			return
		}
		names = append(names, string(a))
	}
	us, n := c.E.aclUsers().Without(names)
	c.E.swapUsers(c.C, us, false)
	c.W.Int(int64(n))
}

func aclLoadCmd(c *Ctx) {
	if !c.E.cfg.Bool("acl-admin") {
		c.Error(errACLAdmin("LOAD"))
		return
	}
	c.E.aclUsers()
	if c.E.acl.file == "" {
		c.Error(errNoACLFile)
		return
	}
	if err := c.E.loadACLFile(c.C); err != nil {
		c.Error("ERR " + strings.NewReplacer("\r", " ", "\n", " ").Replace(err.Error()))
		return
	}
	c.W.OK()
}

func aclSaveCmd(c *Ctx) {
	if !c.E.cfg.Bool("acl-admin") {
		c.Error(errACLAdmin("SAVE"))
		return
	}
	us := c.E.aclUsers()
	if c.E.acl.file == "" {
		c.Error(errNoACLFile)
		return
	}
	if err := writeFileAtomic(c.E.acl.file, []byte(us.Serialize(aclCatalog().cat))); err != nil {
		c.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.W.OK()
}

// writeFileAtomic replaces a file by writing a temporary one beside it
// and renaming it over, so readers never see half a file.
func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func aclHelpCmd(c *Ctx) {
	replyHelp(c, "ACL", []string{
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	})
}
