package acl

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// Users is a set of users, always with a default user. A Users value is
// not changed once built and published: changes build a new one.
type Users struct {
	byName map[string]*User
}

// NewUsers returns the set with only Redis's default user.
func NewUsers(cat *Catalog) *Users {
	return &Users{byName: map[string]*User{DefaultName: NewDefaultUser(cat)}}
}

// Get returns a user by name, or nil.
func (us *Users) Get(name string) *User { return us.byName[name] }

// Default returns the default user.
func (us *Users) Default() *User { return us.byName[DefaultName] }

// Names returns the user names in byte order, as Redis lists them.
func (us *Users) Names() []string {
	out := make([]string, 0, len(us.byName))
	for n := range us.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// With returns a copy of the set with u added or replaced.
func (us *Users) With(u *User) *Users {
	n := &Users{byName: make(map[string]*User, len(us.byName)+1)}
	for k, v := range us.byName {
		n.byName[k] = v
	}
	n.byName[u.Name] = u
	return n
}

// Without returns a copy of the set without the named users, and how
// many of them existed.
func (us *Users) Without(names []string) (*Users, int) {
	n := &Users{byName: make(map[string]*User, len(us.byName))}
	for k, v := range us.byName {
		n.byName[k] = v
	}
	deleted := 0
	for _, name := range names {
		if _, ok := n.byName[name]; ok {
			delete(n.byName, name)
			deleted++
		}
	}
	return n, deleted
}

// Serialize returns the set in aclfile format, as ACL SAVE writes it.
func (us *Users) Serialize(cat *Catalog) string {
	var b strings.Builder
	for _, n := range us.Names() {
		b.WriteString("user " + n + " " + us.byName[n].Describe(cat) + "\n")
	}
	return b.String()
}

// LoadFile reads an aclfile. The error text is Redis's ACL LOAD reply
// (without the "ERR " code): every problem found, then a warning that
// nothing changed.
func LoadFile(cat *Catalog, filename string) (*Users, error) {
	data, err := os.ReadFile(filename)
	if err != nil {
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %s", filename, errnoText(err))
	}
	return Parse(cat, filename, string(data))
}

// Parse reads aclfile text (see LoadFile); filename only names it in
// errors.
func Parse(cat *Catalog, filename, data string) (*Users, error) {
	us := &Users{byName: map[string]*User{}}
	var errs strings.Builder
	for i, line := range strings.Split(data, "\n") {
		no := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", filename, no)
			continue
		}
		name := argv[1]
		if hasSpaces(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", filename, no, name)
			continue
		}
		if us.byName[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, no)
			continue
		}
		u := NewUser(cat, name)
		us.byName[name] = u
		rules, bad := MergeSelectors(argv[2:])
		if bad >= 0 {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", filename, no)
			continue
		}
		for _, r := range rules {
			if err := u.SetRule(cat, strings.Trim(r, "\t\r\n")); err != nil {
				fmt.Fprintf(&errs, "%s:%d: %s. ", filename, no, err)
			}
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, fmt.Errorf("%s", errs.String())
	}
	if us.byName[DefaultName] == nil {
		us.byName[DefaultName] = NewDefaultUser(cat)
	}
	return us, nil
}

// errnoText words a file error as strerror does.
func errnoText(err error) string {
	switch {
	case os.IsNotExist(err):
		return "No such file or directory"
	case os.IsPermission(err):
		return "Permission denied"
	}
	return err.Error()
}
