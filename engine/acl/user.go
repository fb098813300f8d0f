package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Payload sanitizing flags (kept and shown, with no effect in Mnemo,
// which has no RESTORE payloads to sanitize).
const (
	sanitizeUnset = iota
	sanitizeOn
	sanitizeSkip
)

// User is one ACL user.
type User struct {
	Name     string
	enabled  bool
	nopass   bool
	sanitize int
	// passwords are SHA-256 hex digests, in the order added.
	passwords []string
	// selectors[0] is the root selector.
	selectors []*Selector
}

// NewUser returns a user as Redis creates one: off, no password, no
// permissions.
func NewUser(cat *Catalog, name string) *User {
	return &User{Name: name, selectors: []*Selector{newSelector(cat, true)}}
}

// NewDefaultUser returns the default user Redis starts with:
// "on nopass ~* &* +@all".
func NewDefaultUser(cat *Catalog) *User {
	u := NewUser(cat, DefaultName)
	for _, r := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		if err := u.SetRule(cat, r); err != nil {
			panic(err)
		}
	}
	return u
}

// DefaultName is the name of the user every connection starts as.
const DefaultName = "default"

// Clone returns a deep copy, to stage rules on.
func (u *User) Clone() *User {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.selectors = make([]*Selector, len(u.selectors))
	for i, s := range u.selectors {
		n.selectors[i] = s.clone()
	}
	return &n
}

// Enabled reports whether the user is on.
func (u *User) Enabled() bool { return u.enabled }

// NoPass reports whether any password authenticates the user.
func (u *User) NoPass() bool { return u.nopass }

// root returns the root selector.
func (u *User) root() *Selector { return u.selectors[0] }

// HashPassword returns the hex SHA-256 of a password, as ACL rules and
// ACL GETUSER show it.
func HashPassword(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < 'a' || c > 'f') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// CheckPassword reports whether password authenticates the user: the user
// is on, and nopass or one of its hashes matches (compared in constant
// time).
func (u *User) CheckPassword(password []byte) bool {
	if !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := []byte(HashPassword(password))
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare(h, []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

// SetRule applies one rule of ACL SETUSER or an aclfile line. An empty
// rule does nothing. On error the user may be partly changed: callers
// stage rules on a Clone.
func (u *User) SetRule(cat *Catalog, op string) error {
	if op == "" {
		return nil
	}
	switch {
	case strings.EqualFold(op, "on"):
		u.enabled = true
	case strings.EqualFold(op, "off"):
		u.enabled = false
	case strings.EqualFold(op, "skip-sanitize-payload"):
		u.sanitize = sanitizeSkip
	case strings.EqualFold(op, "sanitize-payload"):
		u.sanitize = sanitizeOn
	case strings.EqualFold(op, "nopass"):
		u.nopass, u.passwords = true, nil
	case strings.EqualFold(op, "resetpass"):
		u.nopass, u.passwords = false, nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword([]byte(op[1:]))
		} else if !validHash(h) {
			return errBadHash
		}
		found := false
		for _, p := range u.passwords {
			if p == h {
				found = true
			}
		}
		if !found {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword([]byte(op[1:]))
		} else if !validHash(h) {
			return errBadHash
		}
		for i, p := range u.passwords {
			if p == h {
				u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
				return nil
			}
		}
		return errNoSuchPass
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(cat, false)
		for _, r := range splitArgs(op[1 : len(op)-1]) {
			if r == "" {
				continue
			}
			if err := s.apply(cat, r); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
	case strings.EqualFold(op, "clearselectors"):
		u.selectors = u.selectors[:1]
	case strings.EqualFold(op, "reset"):
		u.nopass, u.passwords = false, nil
		r := u.root()
		r.allKeys, r.keys = false, nil
		r.allChannels, r.channels = false, nil
		u.enabled = false
		u.sanitize = sanitizeOn
		u.selectors = u.selectors[:1]
		r.setAll(false)
	default:
		return u.root().apply(cat, op)
	}
	return nil
}

// MergeSelectors joins the rules of a selector spread over several
// arguments ("(~x" "+get)") into one, as Redis does for ACL SETUSER and
// aclfile lines. It returns the index of the argument opening an
// unclosed selector, or -1.
func MergeSelectors(args []string) ([]string, int) {
	var out []string
	open := -1
	var sel string
	for j, op := range args {
		if open < 0 && op != "" && op[0] == '(' && op[len(op)-1] != ')' {
			sel, open = op, j
			continue
		}
		if open >= 0 {
			sel += " " + op
			if op != "" && op[len(op)-1] == ')' {
				out = append(out, sel)
				open = -1
			}
			continue
		}
		out = append(out, op)
	}
	if open >= 0 {
		return nil, open
	}
	return out, -1
}

// splitArgs splits a selector's rules on white space (Redis uses
// sdssplitargs; rules hold no quotes in practice).
func splitArgs(s string) []string { return strings.Fields(s) }

// Describe returns the user's rules as ACL LIST shows them (without the
// "user <name> " prefix).
func (u *User) Describe(cat *Catalog) string {
	var b strings.Builder
	if u.enabled {
		b.WriteString("on ")
	} else {
		b.WriteString("off ")
	}
	if u.nopass {
		b.WriteString("nopass ")
	}
	switch u.sanitize {
	case sanitizeSkip:
		b.WriteString("skip-sanitize-payload ")
	case sanitizeOn:
		b.WriteString("sanitize-payload ")
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	for _, s := range u.selectors {
		if s.root {
			b.WriteString(s.describe(cat))
		} else {
			b.WriteString(" (" + s.describe(cat) + ")")
		}
	}
	return b.String()
}

// Flags returns the user's flags as ACL GETUSER lists them.
func (u *User) Flags() []string {
	var f []string
	if u.enabled {
		f = append(f, "on")
	} else {
		f = append(f, "off")
	}
	if u.nopass {
		f = append(f, "nopass")
	}
	switch u.sanitize {
	case sanitizeSkip:
		f = append(f, "skip-sanitize-payload")
	case sanitizeOn:
		f = append(f, "sanitize-payload")
	}
	return f
}

// Passwords returns the user's password hashes.
func (u *User) Passwords() []string { return u.passwords }

// SelectorView is one selector as ACL GETUSER shows it.
type SelectorView struct {
	Commands, Keys, Channels string
}

// Selectors returns the root selector's view and those of the others.
func (u *User) Selectors(cat *Catalog) (SelectorView, []SelectorView) {
	var rest []SelectorView
	for _, s := range u.selectors[1:] {
		rest = append(rest, s.view(cat))
	}
	return u.root().view(cat), rest
}

func (s *Selector) view(cat *Catalog) SelectorView {
	v := SelectorView{Commands: s.describeCommands(cat)}
	if s.allKeys {
		v.Keys = "~*"
	} else {
		parts := make([]string, len(s.keys))
		for i, k := range s.keys {
			parts[i] = k.String()
		}
		v.Keys = strings.Join(parts, " ")
	}
	if s.allChannels {
		v.Channels = "&*"
	} else {
		parts := make([]string, len(s.channels))
		for i, c := range s.channels {
			parts[i] = "&" + c
		}
		v.Channels = strings.Join(parts, " ")
	}
	return v
}

func (s *Selector) describe(cat *Catalog) string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String() + " ")
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.describeCommands(cat))
	return b.String()
}

// describeCommands rebuilds command rules that give the selector's exact
// bitmap, as Redis does: start from +@all or -@all, apply the categories
// that fit best, then fix single commands.
func (s *Selector) describeCommands(cat *Catalog) string {
	var rules []string
	fake := newSelector(cat, false)
	additive := !s.future
	if additive {
		rules = append(rules, "-@all")
	} else {
		rules = append(rules, "+@all")
		fake.setAll(true)
	}
	temp := newSelector(cat, false)
	copy(temp.allowed, s.allowed)
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(cat.order, 1<<uint(j))
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		bit := uint32(1) << uint(best)
		fake.setCategory(cat.order, bit, additive)
		temp.setCategory(cat.order, bit, !additive)
		sign := "+@"
		if !additive {
			sign = "-@"
		}
		rules = append(rules, sign+Categories[best])
		applied[best] = true
	}
	rules = s.describeSingle(cat.order, fake, rules)
	return strings.Join(rules, " ")
}

func (s *Selector) countCategory(cmds []*Command, bit uint32) (on, off int) {
	for _, cmd := range cmds {
		if cmd.Categories&bit != 0 {
			if s.bit(cmd.ID) {
				on++
			} else {
				off++
			}
		}
		a, b := s.countCategory(cmd.Subs, bit)
		on, off = on+a, off+b
	}
	return on, off
}

func (s *Selector) describeSingle(cmds []*Command, fake *Selector, rules []string) []string {
	for _, cmd := range cmds {
		user := s.bit(cmd.ID)
		if user != fake.bit(cmd.ID) {
			if user {
				rules = append(rules, "+"+cmd.Name)
			} else {
				rules = append(rules, "-"+cmd.Name)
			}
			fake.changePerm(cmd, user)
		}
		rules = s.describeSingle(cmd.Subs, fake, rules)
		if !user {
			for _, a := range s.firstArgs[cmd.ID] {
				rules = append(rules, "+"+cmd.Name+"|"+a)
			}
		}
	}
	return rules
}
