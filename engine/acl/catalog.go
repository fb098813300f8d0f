package acl

import "strings"

// Categories are Redis's ACL categories, in the order ACL CAT lists them
// and the order rule descriptions try them.
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// CategoryBit returns the bit of a category name (case-insensitive), or 0
// for an unknown category.
func CategoryBit(name string) uint32 {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << uint(i)
		}
	}
	return 0
}

// Command is a command as ACL rules see it: a name, an ID indexing
// permission bitmaps, and categories.
type Command struct {
	ID int
	// Name is the lowercase full name: "get" or "config|get".
	Name       string
	Categories uint32
	Parent     *Command
	// Subs are the subcommands of a container, in the order added.
	Subs []*Command
	subs map[string]*Command
}

// Catalog is every command ACL rules may name. It is built once, before
// any user, and never changes: users' bitmaps are indexed by its IDs.
type Catalog struct {
	cmds []*Command          // by ID
	top  map[string]*Command // top-level commands by lowercase name
	// order is the top-level commands in the order added.
	order []*Command
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{top: map[string]*Command{}} }

// Add adds a command (a subcommand when parent is set) with its category
// names ("@read" or "read").
func (c *Catalog) Add(name string, categories []string, parent *Command) *Command {
	cmd := &Command{ID: len(c.cmds), Name: strings.ToLower(name), Parent: parent}
	for _, cat := range categories {
		cmd.Categories |= CategoryBit(strings.TrimPrefix(cat, "@"))
	}
	c.cmds = append(c.cmds, cmd)
	if parent == nil {
		c.top[cmd.Name] = cmd
		c.order = append(c.order, cmd)
	} else {
		if parent.subs == nil {
			parent.subs = map[string]*Command{}
		}
		_, short, _ := strings.Cut(cmd.Name, "|")
		parent.subs[short] = cmd
		parent.Subs = append(parent.Subs, cmd)
	}
	return cmd
}

// Len returns the number of commands, subcommands included.
func (c *Catalog) Len() int { return len(c.cmds) }

// Top returns the top-level commands in the order they were added.
func (c *Catalog) Top() []*Command { return c.order }

// Lookup finds a command by full name, "get" or "config|get", ignoring
// case, with Redis's strict rules: one level of subcommand, and only for
// containers.
func (c *Catalog) Lookup(name string) *Command {
	base, sub, hasSub := strings.Cut(name, "|")
	cmd := c.top[strings.ToLower(base)]
	if cmd == nil || !hasSub {
		return cmd
	}
	if strings.Contains(sub, "|") || cmd.subs == nil {
		return nil
	}
	return cmd.subs[strings.ToLower(sub)]
}

// Sub returns a container's subcommand by name, or nil.
func (cmd *Command) Sub(name string) *Command {
	if cmd.subs == nil {
		return nil
	}
	return cmd.subs[strings.ToLower(name)]
}

// InCategory lists, in catalog order, the full names of the commands of a
// category (ACL CAT <category>).
func (c *Catalog) InCategory(bit uint32) []string {
	var out []string
	var walk func(cmds []*Command)
	walk = func(cmds []*Command) {
		for _, cmd := range cmds {
			if cmd.Categories&bit != 0 {
				out = append(out, cmd.Name)
			}
			walk(cmd.Subs)
		}
	}
	walk(c.order)
	return out
}
