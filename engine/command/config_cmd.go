package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/config"
)

func init() {
	register("config|get", configGetCmd)
	register("config|set", configSetCmd)
	register("config|resetstat", configResetStatCmd)
	register("config|help", configHelpCmd)
}

// configGetCmd is CONFIG GET pattern [pattern ...]. As in Redis, a name
// without glob characters is looked up directly (so it may be an alias, and
// is reported as typed), a pattern is matched against every name and
// alias, and each name is reported once whatever matched it.
func configGetCmd(c *Ctx) {
	type match struct{ name, value string }
	var out []match
	seen := map[string]bool{} // lowercase names already reported
	add := func(name string) {
		if seen[strings.ToLower(name)] {
			return
		}
		if v, ok := c.E.cfg.Get(name); ok {
			seen[strings.ToLower(name)] = true
			out = append(out, match{name, v})
		}
	}
	for _, a := range c.Args[2:] {
		pattern := string(a)
		if !strings.ContainsAny(pattern, "[*?") {
			add(pattern)
			continue
		}
		// Redis skips a name whose parameter was already reported under
		// its canonical name; walking aliases first reports both an
		// alias and its parameter when a pattern matches both, as Redis
		// does in practice.
		names := config.Match(pattern)
		sort.SliceStable(names, func(i, j int) bool { return !isCanonical(names[i]) && isCanonical(names[j]) })
		for _, name := range names {
			if !seen[config.Lookup(name).Name] {
				add(name)
			}
		}
	}
	c.W.Map(len(out))
	for _, m := range out {
		c.W.BulkString(m.name)
		c.W.BulkString(m.value)
	}
}

func isCanonical(name string) bool { return config.Lookup(name).Name == name }

// configSetCmd is CONFIG SET name value [name value ...]: every name is
// checked, then every value, and only then is anything changed, so the
// command applies all its pairs or none. As in Redis 7.0, an alias counts
// as a parameter of its own (setting it and its canonical name in one call
// is no duplicate), errors about names quote them as typed, and errors
// about values quote the (lowercase) name that was set.
func configSetCmd(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.ErrSyntax()
		return
	}
	type pair struct{ name, value string }
	pairs := make([]pair, 0, (len(c.Args)-2)/2)
	unknown, errArg, errMsg := "", "", ""
	for i := 2; i < len(c.Args); i += 2 {
		typed := c.Arg(i)
		p := config.Lookup(typed)
		switch {
		case p == nil:
			if errArg == "" && unknown == "" {
				unknown = typed
			}
			continue
		case unknown != "" || errArg != "":
			continue
		case p.Immutable:
			errArg, errMsg = typed, "can't set immutable config"
			continue
		}
		name := strings.ToLower(typed)
		for _, q := range pairs {
			if q.name == name {
				errArg, errMsg = typed, "duplicate parameter"
			}
		}
		pairs = append(pairs, pair{name, c.Arg(i + 1)})
	}
	switch {
	case unknown != "":
		c.Error(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", unknown))
		return
	case errArg != "":
		c.Error(errConfigSet(errArg, errMsg))
		return
	}
	for _, q := range pairs {
		if err := config.Validate(q.name, q.value); err != nil {
			c.Error(errConfigSet(q.name, err.Error()))
			return
		}
	}
	for _, q := range pairs {
		if err := c.E.cfg.Set(q.name, q.value); err != nil {
			// Unreachable after Validate, short of a parameter whose
			// validity changes between the two calls.
			c.Error(errConfigSet(q.name, err.Error()))
			return
		}
	}
	c.W.OK()
}

func errConfigSet(arg, reason string) string {
	return fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", arg, reason)
}

// configResetStatCmd is CONFIG RESETSTAT: it zeroes what Redis's
// resetServerStats, resetCommandTableStats and resetErrorTableStats do. The
// slow log and the latency monitor's events are kept, as in Redis.
func configResetStatCmd(c *Ctx) {
	c.E.resetStats()
	c.W.OK()
}

func configHelpCmd(c *Ctx) {
	replyHelp(c, "CONFIG", []string{
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	})
}
