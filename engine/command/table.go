package command

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Flag is a command flag from the command table.
type Flag uint32

// Command flags, with the names COMMAND INFO uses.
const (
	FlagWrite Flag = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagAdmin
	FlagPubSub
	FlagNoScript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMandatoryKeys
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
)

var flagNames = map[string]Flag{
	"write": FlagWrite, "readonly": FlagReadonly, "denyoom": FlagDenyOOM, "admin": FlagAdmin,
	"pubsub": FlagPubSub, "noscript": FlagNoScript, "blocking": FlagBlocking, "loading": FlagLoading,
	"stale": FlagStale, "skip_monitor": FlagSkipMonitor, "skip_slowlog": FlagSkipSlowlog,
	"asking": FlagAsking, "fast": FlagFast, "no_auth": FlagNoAuth, "may_replicate": FlagMayReplicate,
	"no_mandatory_keys": FlagNoMandatoryKeys, "no_multi": FlagNoMulti, "movablekeys": FlagMovableKeys,
	"allow_busy": FlagAllowBusy,
}

// Handler executes one command. It writes exactly one reply to c.W, unless
// it blocks the client (Ctx.Block).
type Handler func(c *Ctx)

// Command is one entry of the command table: a top-level command or a
// subcommand ("config|get").
type Command struct {
	// Name is the lowercase full name: "get", or "config|get".
	Name string
	// Arity is Redis's arity: the exact argument count including the
	// command name, or -N for at least N.
	Arity      int
	Flags      Flag
	FirstKey   int
	LastKey    int
	Step       int
	Categories []string
	Handler    Handler
	// Subcommands, by lowercase name, for container commands.
	Subcommands map[string]*Command
	Parent      *Command

	keySpecs []keySpec
	info     node
	docs     node

	// Statistics for INFO commandstats, guarded by the engine lock.
	Calls, Usec, Rejected, Failed int64
}

// Is reports whether the command has all of the flags f.
func (cmd *Command) Is(f Flag) bool { return cmd.Flags&f == f }

// arityOK reports whether n arguments (name included) fit the arity.
func (cmd *Command) arityOK(n int) bool {
	if cmd.Arity >= 0 {
		return n == cmd.Arity
	}
	return n >= -cmd.Arity
}

// KeyPositions appends the argument positions of the keys in args.
func (cmd *Command) KeyPositions(args [][]byte, dst []int) []int {
	if len(cmd.keySpecs) == 0 {
		return dst
	}
	if !cmd.Is(FlagMovableKeys) && cmd.FirstKey > 0 {
		// Fast path for fixed key positions, which most commands have.
		last := cmd.LastKey
		if last < 0 {
			last = len(args) + last
		}
		step := cmd.Step
		if step <= 0 {
			step = 1
		}
		for i := cmd.FirstKey; i <= last && i < len(args); i += step {
			dst = append(dst, i)
		}
		return dst
	}
	for i := range cmd.keySpecs {
		dst = cmd.keySpecs[i].keys(args, dst)
	}
	return dst
}

// registry holds the handlers registered by the handler files' init
// functions, by full lowercase name.
var registry = map[string]Handler{}

// register adds a handler. Full names of subcommands are "container|sub".
func register(name string, h Handler) {
	if _, dup := registry[name]; dup {
		panic("command registered twice: " + name)
	}
	registry[name] = h
}

// Table is the command table: the commands that have both metadata and a
// handler.
type Table struct {
	cmds         map[string]*Command
	redisVersion string
}

// DefaultTable returns the command table, built on first use: after every
// handler file's init has registered its handlers.
var DefaultTable = sync.OnceValue(func() *Table {
	t, err := buildTable(registry)
	if err != nil {
		panic(err)
	}
	return t
})

// clone copies the table with counters of its own, so each engine counts
// its own commands (INFO commandstats, metrics) also when several run in
// one process (mnemo local's clusters, rebuilds, tests).
func (t *Table) clone() *Table {
	n := &Table{cmds: make(map[string]*Command, len(t.cmds)), redisVersion: t.redisVersion}
	for name, c := range t.cmds {
		n.cmds[name] = c.clone(nil)
	}
	return n
}

func (cmd *Command) clone(parent *Command) *Command {
	cp := *cmd
	cp.Parent = parent
	cp.Calls, cp.Usec, cp.Rejected, cp.Failed = 0, 0, 0, 0
	if cmd.Subcommands != nil {
		cp.Subcommands = make(map[string]*Command, len(cmd.Subcommands))
		for name, s := range cmd.Subcommands {
			cp.Subcommands[name] = s.clone(&cp)
		}
	}
	return &cp
}

func buildTable(handlers map[string]Handler) (*Table, error) {
	var mf, extra metaFile
	if err := json.Unmarshal(commandsJSON, &mf); err != nil {
		return nil, fmt.Errorf("cannot parse command metadata: %w", err)
	}
	if err := json.Unmarshal(commandsExtraJSON, &extra); err != nil {
		return nil, fmt.Errorf("cannot parse extra command metadata: %w", err)
	}
	mf.Commands = mergeMeta(mf.Commands, extra.Commands)
	t := &Table{cmds: map[string]*Command{}, redisVersion: mf.RedisVersion}
	known := map[string]bool{}
	for _, me := range mf.Commands {
		cmd := fromInfo(&me.Info, nil)
		cmd.docs = me.Docs
		known[cmd.Name] = true
		for name, sub := range cmd.Subcommands {
			known[sub.Name] = true
			if h := handlers[sub.Name]; h != nil {
				sub.Handler = h
				if d := me.Docs.get("subcommands"); d != nil {
					if sd := d.get(sub.Name); sd != nil {
						sub.docs = *sd
					}
				}
			} else {
				delete(cmd.Subcommands, name)
			}
		}
		h := handlers[cmd.Name]
		switch {
		case h != nil:
			cmd.Handler = h
		case len(cmd.Subcommands) > 0:
			// A container is served when any subcommand is.
		default:
			continue
		}
		t.cmds[cmd.Name] = cmd
	}
	for name := range handlers {
		if !known[name] {
			return nil, fmt.Errorf("handler %q has no command metadata", name)
		}
	}
	return t, nil
}

// fromInfo builds a Command from a COMMAND INFO reply element.
func fromInfo(info *node, parent *Command) *Command {
	e := info.elems
	cmd := &Command{
		Name:     e[0].s,
		Arity:    int(e[1].n),
		FirstKey: int(e[3].n),
		LastKey:  int(e[4].n),
		Step:     int(e[5].n),
		Parent:   parent,
		info:     *info,
	}
	for _, f := range e[2].strings() {
		cmd.Flags |= flagNames[f]
	}
	for _, c := range e[6].strings() {
		cmd.Categories = append(cmd.Categories, strings.TrimPrefix(c, "@"))
	}
	for i := range e[8].elems {
		cmd.keySpecs = append(cmd.keySpecs, parseKeySpec(&e[8].elems[i]))
	}
	if len(e[9].elems) > 0 {
		cmd.Subcommands = map[string]*Command{}
		for i := range e[9].elems {
			sub := fromInfo(&e[9].elems[i], cmd)
			_, short, _ := strings.Cut(sub.Name, "|")
			cmd.Subcommands[short] = sub
		}
	}
	return cmd
}

// Lookup returns the command named by args (resolving a subcommand when
// the command is a container), or nil.
func (t *Table) Lookup(name string) *Command {
	return t.cmds[strings.ToLower(name)]
}

// lookupBytes finds a top-level command without allocating in the common
// case of an already lowercase or short name.
func (t *Table) lookupBytes(name []byte) *Command {
	var buf [32]byte
	if len(name) <= len(buf) {
		b := buf[:len(name)]
		for i, c := range name {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
		}
		return t.cmds[string(b)]
	}
	return t.cmds[strings.ToLower(string(name))]
}

// Commands returns every top-level command, sorted by name.
func (t *Table) Commands() []*Command {
	out := make([]*Command, 0, len(t.cmds))
	for _, c := range t.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RedisVersion is the version of Redis whose behaviour the table follows.
func (t *Table) RedisVersion() string { return t.redisVersion }

// mergeMeta adds the hand-written metadata of commands the reference
// server lacks (commands_extra.json). An extra entry whose name exists
// already adds its subcommands to that container; otherwise it is a new
// command.
func mergeMeta(base, extra []metaEntry) []metaEntry {
	for _, x := range extra {
		i := slices.IndexFunc(base, func(m metaEntry) bool { return m.Name == x.Name })
		if i < 0 {
			base = append(base, x)
			continue
		}
		b := &base[i]
		b.Info.elems[9].elems = append(b.Info.elems[9].elems, x.Info.elems[9].elems...)
		if xs := x.Docs.get("subcommands"); xs != nil {
			if bs := b.Docs.get("subcommands"); bs != nil {
				bs.elems = append(bs.elems, xs.elems...)
			}
		}
	}
	return base
}
