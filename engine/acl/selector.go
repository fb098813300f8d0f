package acl

import (
	"strings"
)

// Key permissions of a key pattern.
const (
	PermRead  = 1
	PermWrite = 2
	PermAll   = PermRead | PermWrite
)

// KeyPattern is a key glob with the access it grants.
type KeyPattern struct {
	Pattern string
	Perm    int
}

func (k KeyPattern) String() string {
	switch k.Perm {
	case PermRead:
		return "%R~" + k.Pattern
	case PermWrite:
		return "%W~" + k.Pattern
	}
	return "~" + k.Pattern
}

// Selector is one set of command, key and channel permissions. A user has
// a root selector and any number of "( … )" selectors; a command is
// allowed when any one of them allows it whole.
type Selector struct {
	root        bool
	allKeys     bool
	allChannels bool
	allCommands bool
	// future is Redis's reserved bit: set by +@all, it means the rules
	// started from everything, which is how they are described back.
	future bool
	// allowed has a bit per catalog command ID.
	allowed []uint64
	// firstArgs are the first arguments allowed for an otherwise denied
	// command without subcommands (+select|0), by command ID.
	firstArgs map[int][]string
	keys      []KeyPattern
	channels  []string
}

func newSelector(cat *Catalog, root bool) *Selector {
	return &Selector{root: root, allowed: make([]uint64, (cat.Len()+63)/64)}
}

func (s *Selector) clone() *Selector {
	n := *s
	n.allowed = append([]uint64(nil), s.allowed...)
	n.keys = append([]KeyPattern(nil), s.keys...)
	n.channels = append([]string(nil), s.channels...)
	if s.firstArgs != nil {
		n.firstArgs = map[int][]string{}
		for id, a := range s.firstArgs {
			n.firstArgs[id] = append([]string(nil), a...)
		}
	}
	return &n
}

func (s *Selector) bit(id int) bool { return s.allowed[id/64]&(1<<uint(id%64)) != 0 }

func (s *Selector) setBit(id int, on bool) {
	if on {
		s.allowed[id/64] |= 1 << uint(id%64)
	} else {
		s.allowed[id/64] &^= 1 << uint(id%64)
		s.allCommands = false
	}
}

// changePerm allows or denies a command and, for a container, all its
// subcommands; it forgets the command's allowed first arguments.
func (s *Selector) changePerm(cmd *Command, on bool) {
	s.setBit(cmd.ID, on)
	delete(s.firstArgs, cmd.ID)
	for _, sub := range cmd.Subs {
		s.setBit(sub.ID, on)
	}
}

func (s *Selector) setCategory(cmds []*Command, bit uint32, on bool) {
	for _, cmd := range cmds {
		if cmd.Categories&bit != 0 {
			s.changePerm(cmd, on)
		}
		s.setCategory(cmd.Subs, bit, on)
	}
}

func (s *Selector) setAll(on bool) {
	var v uint64
	if on {
		v = ^uint64(0)
	}
	for i := range s.allowed {
		s.allowed[i] = v
	}
	s.allCommands, s.future = on, on
	s.firstArgs = nil
}

// Errors of rules, with the texts Redis gives them.
var (
	errUnknownName  = ruleError("Unknown command or category name in ACL")
	errSyntax       = ruleError("Syntax error")
	errKeysAfterAll = ruleError("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errChansAfter   = ruleError("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errNoSuchPass   = ruleError("The password you are trying to remove from the user does not exist")
	errBadHash      = ruleError("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errFirstArgSub  = ruleError("Allowing first-arg of a subcommand is not supported")
)

// ruleError is an invalid ACL rule; its text is Redis's.
type ruleError string

func (e ruleError) Error() string { return string(e) }

// IsUnknownName reports whether err is about a command or category that
// does not exist.
func IsUnknownName(err error) bool { return err == errUnknownName }

// apply applies one selector rule (keys, channels, commands).
func (s *Selector) apply(cat *Catalog, op string) error {
	switch {
	case strings.EqualFold(op, "allkeys") || op == "~*":
		s.allKeys, s.keys = true, nil
	case strings.EqualFold(op, "resetkeys"):
		s.allKeys, s.keys = false, nil
	case strings.EqualFold(op, "allchannels") || op == "&*":
		s.allChannels, s.channels = true, nil
	case strings.EqualFold(op, "resetchannels"):
		s.allChannels, s.channels = false, nil
	case strings.EqualFold(op, "allcommands") || strings.EqualFold(op, "+@all"):
		s.setAll(true)
	case strings.EqualFold(op, "nocommands") || strings.EqualFold(op, "-@all"):
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChannels {
			return errChansAfter
		}
		if hasSpaces(op[1:]) {
			return errSyntax
		}
		pat := op[1:]
		for _, c := range s.channels {
			if c == pat {
				return nil
			}
		}
		s.channels = append(s.channels, pat)
	case op[0] == '+' && (len(op) < 2 || op[1] != '@'):
		return s.allowCommand(cat, op[1:])
	case op[0] == '-' && (len(op) < 2 || op[1] != '@'):
		cmd := cat.Lookup(op[1:])
		if cmd == nil {
			return errUnknownName
		}
		s.changePerm(cmd, false)
	case op[0] == '+' || op[0] == '-':
		bit := CategoryBit(op[2:])
		if bit == 0 {
			return errUnknownName
		}
		s.setCategory(cat.order, bit, op[0] == '+')
	default:
		return errSyntax
	}
	return nil
}

func (s *Selector) addKeyPattern(op string) error {
	if s.allKeys {
		return errKeysAfterAll
	}
	perm, off := PermAll, 1
	if op[0] == '%' {
		perm = 0
		for ; off < len(op); off++ {
			c := op[off]
			if (c == 'R' || c == 'r') && perm&PermRead == 0 {
				perm |= PermRead
			} else if (c == 'W' || c == 'w') && perm&PermWrite == 0 {
				perm |= PermWrite
			} else if c == '~' {
				off++
				break
			} else {
				return errSyntax
			}
		}
	}
	pat := op[off:]
	if hasSpaces(pat) {
		return errSyntax
	}
	for i := range s.keys {
		if s.keys[i].Pattern == pat {
			s.keys[i].Perm |= perm
			return nil
		}
	}
	s.keys = append(s.keys, KeyPattern{pat, perm})
	return nil
}

// allowCommand is +cmd, +container|sub and +cmd|firstarg.
func (s *Selector) allowCommand(cat *Catalog, name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := cat.Lookup(name)
		if cmd == nil {
			return errUnknownName
		}
		s.changePerm(cmd, true)
		return nil
	}
	cmd := cat.Lookup(name[:i])
	switch {
	case cmd == nil:
		return errUnknownName
	case cmd.Parent != nil:
		return errFirstArgSub
	case i == len(name)-1:
		return errSyntax
	}
	if cmd.Subs != nil {
		sub := cat.Lookup(name)
		if sub == nil {
			return errUnknownName
		}
		s.changePerm(sub, true)
		return nil
	}
	arg := name[i+1:]
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	for _, a := range s.firstArgs[cmd.ID] {
		if strings.EqualFold(a, arg) {
			return nil
		}
	}
	s.firstArgs[cmd.ID] = append(s.firstArgs[cmd.ID], arg)
	return nil
}

// hasSpaces reports whether s has white space or NUL bytes, which names
// and patterns may not contain.
func hasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}
