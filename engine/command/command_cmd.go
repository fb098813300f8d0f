package command

import (
	"slices"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

func init() {
	register("command", commandCmd)
	register("command|count", commandCountCmd)
	register("command|info", commandInfoCmd)
	register("command|docs", commandDocsCmd)
	register("command|list", commandListCmd)
	register("command|getkeys", commandGetKeysCmd)
	register("command|getkeysandflags", commandGetKeysAndFlagsCmd)
	register("command|help", commandHelpCmd)
}

// commandCmd is COMMAND without a subcommand: the info of every command.
// The dispatcher also lands here with a subcommand it does not know.
func commandCmd(c *Ctx) {
	if len(c.Args) > 1 {
		c.Error(errUnknownSubcommand(c.Arg(1), "COMMAND"))
		return
	}
	writeAllCommandInfo(c)
}

func writeAllCommandInfo(c *Ctx) {
	cmds := c.E.tab.Commands()
	c.W.Array(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(c.W, cmd)
	}
}

func commandCountCmd(c *Ctx) { c.W.Int(int64(len(c.E.tab.cmds))) }

// commandInfoCmd is COMMAND INFO [name ...]; a name may be "container|sub".
// Unknown names get a null entry.
func commandInfoCmd(c *Ctx) {
	if len(c.Args) == 2 {
		writeAllCommandInfo(c)
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		if cmd := c.E.tab.lookupFullName(string(a)); cmd != nil {
			writeCommandInfo(c.W, cmd)
		} else {
			c.W.Null()
		}
	}
}

// writeCommandInfo replays a command's recorded COMMAND INFO entry, with
// its subcommands (element 9) narrowed to those Mnemo serves, in the
// recorded order.
func writeCommandInfo(w *resp.Writer, cmd *Command) {
	e := cmd.info.elems
	w.Array(len(e))
	for i := 0; i < 9; i++ {
		e[i].write(w)
	}
	if len(e[9].elems) == 0 {
		// Not a container: Redis sends an empty set here.
		e[9].write(w)
		return
	}
	subs := servedSubcommands(cmd, e[9].elems)
	w.Array(len(subs))
	for _, sub := range subs {
		writeCommandInfo(w, sub)
	}
}

// servedSubcommands returns the subcommands of cmd that are served, in the
// order of the recorded info entries recorded.
func servedSubcommands(cmd *Command, recorded []node) []*Command {
	var out []*Command
	for i := range recorded {
		name := recorded[i].elems[0].s
		_, short, _ := strings.Cut(name, "|")
		if sub := cmd.Subcommands[short]; sub != nil {
			out = append(out, sub)
		}
	}
	return out
}

// lookupFullName finds a command by its full name, "get" or "config|get",
// ignoring case, as Redis's lookupCommandBySds does.
func (t *Table) lookupFullName(name string) *Command {
	base, sub, isSub := strings.Cut(strings.ToLower(name), "|")
	cmd := t.cmds[base]
	if !isSub || cmd == nil {
		return cmd
	}
	return cmd.Subcommands[sub]
}

// commandDocsCmd is COMMAND DOCS [name ...]: a map from each known name to
// its recorded documentation. Unknown names are left out, as in Redis.
func commandDocsCmd(c *Ctx) {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = c.E.tab.Commands()
	} else {
		for _, a := range c.Args[2:] {
			if cmd := c.E.tab.lookupFullName(string(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.W.Map(len(cmds))
	for _, cmd := range cmds {
		c.W.BulkString(cmd.Name)
		writeCommandDocs(c.W, cmd)
	}
}

// writeCommandDocs replays a command's recorded docs map, its
// "subcommands" entry narrowed to the subcommands served.
func writeCommandDocs(w *resp.Writer, cmd *Command) {
	d := &cmd.docs
	if d.t != '%' {
		// No docs were recorded: Redis still answers with a map.
		w.Map(0)
		return
	}
	w.Map(len(d.elems) / 2)
	for i := 0; i+1 < len(d.elems); i += 2 {
		d.elems[i].write(w)
		if d.elems[i].s != "subcommands" {
			d.elems[i+1].write(w)
			continue
		}
		subs := servedSubcommands(cmd, cmd.info.elems[9].elems)
		w.Map(len(subs))
		for _, sub := range subs {
			w.BulkString(sub.Name)
			writeCommandDocs(w, sub)
		}
	}
}

// commandListCmd is COMMAND LIST [FILTERBY MODULE name | ACLCAT category |
// PATTERN pattern]: every command's full name, subcommands included.
func commandListCmd(c *Ctx) {
	keep := func(*Command) bool { return true }
	for i := 2; i < len(c.Args); i++ {
		if !c.ArgIs(i, "FILTERBY") || len(c.Args)-1-i != 2 {
			c.ErrSyntax()
			return
		}
		arg := c.Arg(i + 2)
		switch {
		case c.ArgIs(i+1, "MODULE"):
			// Mnemo has no modules.
			keep = func(*Command) bool { return false }
		case c.ArgIs(i+1, "ACLCAT"):
			keep = func(cmd *Command) bool {
				for _, cat := range cmd.Categories {
					if strings.EqualFold(cat, arg) {
						return true
					}
				}
				return false
			}
		case c.ArgIs(i+1, "PATTERN"):
			keep = func(cmd *Command) bool { return glob.MatchFold(arg, cmd.Name) }
		default:
			c.ErrSyntax()
			return
		}
		i += 2
	}
	var names []string
	for _, cmd := range c.E.tab.Commands() {
		if keep(cmd) {
			names = append(names, cmd.Name)
		}
		for _, sub := range servedSubcommands(cmd, cmd.info.elems[9].elems) {
			if keep(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	c.W.BulkStrings(names)
}

func commandGetKeysCmd(c *Ctx)         { commandGetKeys(c, false) }
func commandGetKeysAndFlagsCmd(c *Ctx) { commandGetKeys(c, true) }

// commandGetKeys is COMMAND GETKEYS and GETKEYSANDFLAGS: the keys of a
// full command line, found with the command's key specs as Redis's
// getKeysUsingKeySpecs does, with each key's spec flags on request.
func commandGetKeys(c *Ctx, withFlags bool) {
	args := c.Args[2:]
	cmd := c.E.tab.lookupBytes(args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) > 1 {
		cmd = cmd.Subcommands[strings.ToLower(string(args[1]))]
	}
	switch {
	case cmd == nil:
		c.Error("ERR Invalid command specified")
		return
	case len(cmd.keySpecs) == 0:
		c.Error("ERR The command has no key arguments")
		return
	case !cmd.arityOK(len(args)):
		c.Error("ERR Invalid number of arguments specified for command")
		return
	}
	type found struct {
		pos  int
		spec *keySpec
	}
	var keys []found
	var buf [8]int
	for i := range cmd.keySpecs {
		ks := &cmd.keySpecs[i]
		for _, p := range ks.keys(args, buf[:0]) {
			keys = append(keys, found{p, ks})
		}
	}
	if len(keys) == 0 {
		if cmd.Is(FlagNoMandatoryKeys) {
			c.W.Array(0)
			return
		}
		c.Error("ERR Invalid arguments specified for command")
		return
	}
	c.W.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.W.Bulk(args[k.pos])
			continue
		}
		flags := k.spec.flags
		if slices.Contains(flags, "variable_flags") {
			flags = variableKeyFlags(cmd.Name, args)
		}
		c.W.Array(2)
		c.W.Bulk(args[k.pos])
		c.W.Set(len(flags))
		for _, f := range flags {
			c.W.Status(f)
		}
	}
}

// variableKeyFlags returns the key flags of the commands whose key spec
// says "variable_flags": they depend on the arguments, and Redis works
// them out in the commands' getkeys functions (setGetKeys,
// bitfieldGetKeys), which this follows.
func variableKeyFlags(name string, args [][]byte) []string {
	rw := []string{"RW", "access", "update"}
	switch name {
	case "set":
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "GET") {
				return rw
			}
		}
		return []string{"OW", "update"}
	case "bitfield":
		for i := 2; i < len(args); i++ {
			more := len(args) - i - 1
			switch a := string(args[i]); {
			case strings.EqualFold(a, "GET") && more >= 2:
				i += 2
			case strings.EqualFold(a, "OVERFLOW") && more >= 1:
				i++
			default:
				return rw
			}
		}
		return []string{"RO", "access"}
	}
	return rw
}

func commandHelpCmd(c *Ctx) {
	replyHelp(c, "COMMAND", []string{
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	})
}

// replyHelp writes a container command's HELP reply exactly as Redis's
// addReplyHelp does, closing with "HELP / Prints this help.".
func replyHelp(c *Ctx, name string, lines []string) {
	c.W.Array(len(lines) + 3)
	c.W.Status(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.W.Status(l)
	}
	c.W.Status("HELP")
	c.W.Status("    Prints this help.")
}
