package acl

import (
	"strings"

	"github.com/mnemo-dev/mnemo/engine/glob"
)

// Verdict is the outcome of a permission check. Its order matters: when
// no selector allows a command, the "furthest" denial is reported, as in
// Redis.
type Verdict int

// Verdicts.
const (
	OK Verdict = iota
	DeniedCommand
	DeniedKey
	DeniedChannel
)

// KeyRef is a key argument of a command: its position and the access
// the command needs (PermRead, PermWrite or both; 0 for a key only
// named).
type KeyRef struct {
	Pos  int
	Perm int
}

// Request is a command to check. Keys is called at most once, and only
// when a selector restricts keys.
type Request struct {
	Cmd  *Command
	Args [][]byte
	// NoAuth commands (AUTH, HELLO…) are always allowed to run.
	NoAuth bool
	Keys   func() []KeyRef
}

// Check returns whether u may run the request, and for a denied key or
// channel the argument position at fault.
func (u *User) Check(r *Request) (Verdict, int) {
	verdict, at := DeniedCommand, 0
	var keys []KeyRef
	keysDone := false
	for _, s := range u.selectors {
		v, pos := s.check(r, &keys, &keysDone)
		if v == OK {
			return OK, 0
		}
		if v > verdict || (v == verdict && pos > at) {
			verdict, at = v, pos
		}
	}
	return verdict, at
}

func (s *Selector) check(r *Request, keys *[]KeyRef, keysDone *bool) (Verdict, int) {
	cmd := r.Cmd
	if !s.allCommands && !r.NoAuth && !s.bit(cmd.ID) {
		args := s.firstArgs[cmd.ID]
		idx := 1
		if cmd.Parent != nil {
			idx = 2
		}
		ok := false
		if len(r.Args) >= 2 && idx < len(r.Args) {
			for _, a := range args {
				if strings.EqualFold(a, string(r.Args[idx])) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return DeniedCommand, 0
		}
	}
	if !s.allKeys && r.Keys != nil {
		if !*keysDone {
			*keys, *keysDone = r.Keys(), true
		}
		for _, k := range *keys {
			if !s.keyAllowed(string(r.Args[k.Pos]), k.Perm) {
				return DeniedKey, k.Pos
			}
		}
	}
	if !s.allChannels {
		first, last, literal := ChannelArgs(cmd.Name, len(r.Args))
		for i := first; i > 0 && i <= last; i++ {
			if !channelAllowed(s.channels, string(r.Args[i]), literal) {
				return DeniedChannel, i
			}
		}
	}
	return OK, 0
}

// ChannelArgs returns the positions of the channel arguments a command
// publishes or subscribes to (first is 0 for none), and whether they are
// patterns, which must then appear literally among the user's channel
// patterns. Unsubscribing needs no permission.
func ChannelArgs(name string, argc int) (first, last int, literal bool) {
	switch name {
	case "publish", "spublish":
		return 1, 1, false
	case "subscribe", "ssubscribe":
		return 1, argc - 1, false
	case "psubscribe":
		return 1, argc - 1, true
	}
	return 0, 0, false
}

func (s *Selector) keyAllowed(key string, perm int) bool {
	if s.allKeys {
		return true
	}
	for _, p := range s.keys {
		if p.Perm&perm == perm && glob.Match(p.Pattern, key) {
			return true
		}
	}
	return false
}

func channelAllowed(pats []string, ch string, literal bool) bool {
	for _, p := range pats {
		if (literal && p == ch) || (!literal && glob.Match(p, ch)) {
			return true
		}
	}
	return false
}

// ChannelAllowed reports whether u may use a channel (or, literal, a
// pattern) — for checking existing subscriptions after the rules change.
func (u *User) ChannelAllowed(ch string, literal bool) bool {
	for _, s := range u.selectors {
		if s.allChannels || channelAllowed(s.channels, ch, literal) {
			return true
		}
	}
	return false
}

// AllowsEverything reports whether the root selector allows every
// command, key and channel, so checks can be skipped.
func (u *User) AllowsEverything() bool {
	r := u.root()
	return r.allCommands && r.allKeys && r.allChannels
}
