package script

import (
	"regexp"
	"strings"
)

// gopher-lua words some runtime errors differently from Lua 5.1; scripts
// and clients see Lua 5.1's words, as from Redis.
var (
	reConcat = regexp.MustCompile(`cannot perform concat operation between (\w+) and (\w+)`)
	reIndex  = regexp.MustCompile(`attempt to index a non-table object\((\w+)\) with key '[^']*'`)
	reArith  = regexp.MustCompile(`cannot perform (?:add|sub|mul|div|mod|pow|unm) operation between (\w+) and (\w+)`)
	reCall   = regexp.MustCompile(`attempt to call a non-function object`)
)

// luaMessage rewrites a gopher-lua runtime error message into Lua 5.1's.
func luaMessage(msg string) string {
	if !strings.Contains(msg, "operation between") && !strings.Contains(msg, "non-") {
		return msg
	}
	msg = reConcat.ReplaceAllStringFunc(msg, func(m string) string {
		p := reConcat.FindStringSubmatch(m)
		bad := p[1]
		if bad == "string" || bad == "number" {
			bad = p[2]
		}
		return "attempt to concatenate a " + bad + " value"
	})
	msg = reArith.ReplaceAllStringFunc(msg, func(m string) string {
		p := reArith.FindStringSubmatch(m)
		bad := p[1]
		if bad == "number" {
			bad = p[2]
		}
		return "attempt to perform arithmetic on a " + bad + " value"
	})
	msg = reIndex.ReplaceAllString(msg, "attempt to index a $1 value")
	msg = reCall.ReplaceAllString(msg, "attempt to call a nil value")
	return msg
}
