package command

import (
	"errors"
	"fmt"
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
// without glob characters is looked up directly (so it may be an alias and
// is reported as typed), a pattern is matched against every name and
// alias, and each parameter is reported once whatever matched it.
func configGetCmd(c *Ctx) {
	type match struct{ name, value string }
	var out []match
	seen := map[string]bool{} // lowercase names already reported
	add := func(name string) {
		if seen[strings.ToLower(name)] {
			return
		}
		v, ok := c.E.cfg.Get(name)
		if !ok {
			return
		}
		seen[strings.ToLower(name)] = true
		out = append(out, match{name, v})
	}
	for _, a := range c.Args[2:] {
		pattern := string(a)
		if !strings.ContainsAny(pattern, "[*?") {
			add(pattern)
			continue
		}
		for _, name := range config.Match(pattern) {
			// A pattern does not report a parameter already reported
			// under its canonical name.
			if p := config.Lookup(name); p != nil && seen[p.Name] {
				continue
			}
			add(name)
		}
	}
	c.W.Map(len(out))
	for _, m := range out {
		c.W.BulkString(m.name)
		c.W.BulkString(m.value)
	}
}

// configSetCmd is CONFIG SET name value [name value ...]: every name is
// checked, then every value, and only then is anything changed, so the
// command applies all its pairs or none. Errors name the argument as Redis
// does: as typed for unknown, immutable and duplicate parameters, by its
// canonical name for a bad value.
func configSetCmd(c *Ctx) {
	if len(c.Args)%2 != 0 {
		c.ErrSyntax()
		return
	}
	type pair struct {
		p     *config.Param
		value string
	}
	pairs := make([]pair, 0, (len(c.Args)-2)/2)
	unknown, errArg, errMsg := "", "", ""
	for i := 2; i < len(c.Args); i += 2 {
		name := c.Arg(i)
		p := config.Lookup(name)
		switch {
		case p == nil:
			if errArg == "" && unknown == "" {
				unknown = name
			}
			continue
		case unknown != "" || errArg != "":
			continue
		case p.Immutable:
			errArg, errMsg = name, "can't set immutable config"
			continue
		}
		for _, q := range pairs {
			if q.p == p {
				errArg, errMsg = name, "duplicate parameter"
			}
		}
		pairs = append(pairs, pair{p, c.Arg(i + 1)})
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
		if err := config.Validate(q.p.Name, q.value); err != nil {
			c.Error(errConfigSet(q.p.Name, err.Error()))
			return
		}
	}
	for _, q := range pairs {
		if err := c.E.cfg.Set(q.p.Name, q.value); err != nil {
			// Unreachable after Validate, short of a parameter whose
			// validity changes between the two calls.
			if errors.Is(err, config.ErrImmutable) {
				err = errors.New("can't set immutable config")
			}
			c.Error(errConfigSet(q.p.Name, err.Error()))
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
