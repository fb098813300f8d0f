package command

import (
	"bytes"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/script"
	lua "github.com/yuin/gopher-lua"
)

// Errors of EVAL and SCRIPT, Redis 7.0's texts.
const (
	errNoScript             = "NOSCRIPT No matching script. Please use EVAL."
	errNumKeysTooMany       = "ERR Number of keys can't be greater than number of args"
	errNumKeysNegative      = "ERR Number of keys can't be negative"
	errScriptFlushOption    = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	errROWithWriteFlag      = "ERR Can not execute a script with write flag using *_ro command."
	errNoClusterFlag        = "ERR Can not run script on cluster, 'no-cluster' flag is set."
	errScriptNotBusy        = "NOTBUSY No scripts in execution right now."
	errScriptUnkillable     = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	errBusyEval             = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction         = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errScriptInvalidShebang = "ERR Invalid script shebang"
)

// cachedScript is one EVAL script in the cache.
type cachedScript struct {
	fn *lua.LFunction
	// flags are the shebang's; compat marks a script without a shebang,
	// which runs with Redis's pre-7 rules.
	flags  int
	compat bool
}

func init() {
	register("eval", func(c *Ctx) { evalGeneric(c, false, false) })
	register("evalsha", func(c *Ctx) { evalGeneric(c, true, false) })
	register("eval_ro", func(c *Ctx) { evalGeneric(c, false, true) })
	register("evalsha_ro", func(c *Ctx) { evalGeneric(c, true, true) })
	register("script|load", scriptLoadCmd)
	register("script|exists", scriptExistsCmd)
	register("script|flush", scriptFlushCmd)
	register("script|kill", func(c *Ctx) { c.E.scriptKill(c.W, true) })
	register("script|help", scriptHelpCmd)
}

// evalState returns the interpreter of EVAL scripts, made on first use.
func (e *Engine) evalState() *script.State {
	s := &e.scripts
	if s.eval == nil {
		s.eval = script.New(false, s.random())
		s.cache = map[string]*cachedScript{}
	}
	return s.eval
}

// parseShebang reads an EVAL script's "#!lua flags=..." line. It returns
// the flags, whether there was no shebang (compat), and the body to
// compile: the shebang line emptied so line numbers stay.
func parseShebang(body []byte) (flags int, compat bool, code string, err string) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return 0, true, string(body), ""
	}
	nl := bytes.IndexByte(body, '\n')
	if nl < 0 {
		return 0, false, "", errScriptInvalidShebang
	}
	parts, ok := splitArgs(string(body[:nl]))
	if !ok || len(parts) == 0 {
		return 0, false, "", "ERR Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, false, "", "ERR Unexpected engine in script shebang: " + parts[0]
	}
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, false, "", "ERR Unknown lua shebang option: " + p
		}
		if v == "" {
			continue
		}
		for _, name := range strings.Split(v, ",") {
			f, ok := script.ParseFlag(name)
			if !ok {
				return 0, false, "", "ERR Unexpected flag in script shebang: " + name
			}
			flags |= f
		}
	}
	return flags, false, string(body[nl:]), ""
}

// loadScript compiles a script body into the cache (if it is not there)
// and returns its SHA1, or writes the error and returns "".
func (e *Engine) loadScript(c *Ctx, body []byte) (string, *cachedScript) {
	st := e.evalState()
	sha := script.SHA1Hex(body)
	if cs := e.scripts.cache[sha]; cs != nil {
		return sha, cs
	}
	flags, compat, code, msg := parseShebang(body)
	if msg != "" {
		c.Error(msg)
		return "", nil
	}
	fn, err := st.Compile([]byte(code), script.ScriptChunk)
	if err != nil {
		c.Error("ERR Error compiling script (new function): " + script.CompileMessage(err, []byte(code)))
		return "", nil
	}
	cs := &cachedScript{fn: fn, flags: flags, compat: compat}
	e.scripts.cache[sha] = cs
	return sha, cs
}

// numKeys parses the numkeys argument of EVAL and FCALL at position 2.
func numKeys(c *Ctx, badMsg string) (int, bool) {
	n, ok := parseIntArg(c.Args[2])
	if !ok {
		c.Error(badMsg)
		return 0, false
	}
	if n > int64(len(c.Args)-3) {
		c.Error(errNumKeysTooMany)
		return 0, false
	}
	if n < 0 {
		c.Error(errNumKeysNegative)
		return 0, false
	}
	return int(n), true
}

func evalGeneric(c *Ctx, bySHA, ro bool) {
	c.NoEffect()
	e := c.E
	if bySHA && len(c.Args[1]) != 40 {
		c.Error(errNoScript)
		return
	}
	nk, ok := numKeys(c, errNotInt)
	if !ok {
		return
	}
	var sha string
	var cs *cachedScript
	if bySHA {
		e.evalState()
		sha = strings.ToLower(string(c.Args[1]))
		if cs = e.scripts.cache[sha]; cs == nil {
			c.Error(errNoScript)
			return
		}
	} else if sha, cs = e.loadScript(c, c.Args[1]); cs == nil {
		return
	}
	run := &scriptRun{eval: true, name: sha, flags: cs.flags, compat: cs.compat, ro: ro}
	if !e.prepareScript(c, run) {
		return
	}
	st := e.scripts.eval
	keys, argv := c.Args[3:3+nk], c.Args[3+nk:]
	st.SetGlobal("KEYS", st.StringTable(keys))
	st.SetGlobal("ARGV", st.StringTable(argv))
	e.runScript(c, st, run, cs.fn)
}

func scriptLoadCmd(c *Ctx) {
	if sha, cs := c.E.loadScript(c, c.Args[2]); cs != nil {
		c.W.BulkString(sha)
	}
}

func scriptExistsCmd(c *Ctx) {
	c.E.evalState()
	c.W.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		if c.E.scripts.cache[strings.ToLower(string(a))] != nil {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func scriptFlushCmd(c *Ctx) {
	if len(c.Args) > 3 || len(c.Args) == 3 && !c.ArgIs(2, "sync") && !c.ArgIs(2, "async") {
		c.Error(errScriptFlushOption)
		return
	}
	s := &c.E.scripts
	if s.eval != nil {
		s.eval.Close()
		s.eval, s.cache = nil, nil
	}
	c.W.OK()
}

func scriptHelpCmd(c *Ctx) {
	replyHelp(c, "SCRIPT", []string{
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	})
}

// splitArgs splits a line into words as Redis's sdssplitargs does, with
// double and single quotes.
func splitArgs(line string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r') {
			i++
		}
		if i >= len(line) {
			return out, true
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			switch {
			case inq:
				if i >= len(line) {
					return nil, false
				}
				if line[i] == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					default:
						cur = append(cur, line[i])
					}
				} else if line[i] == '"' {
					if i+1 < len(line) && line[i+1] != ' ' {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, line[i])
				}
			case insq:
				if i >= len(line) {
					return nil, false
				}
				if line[i] == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur = append(cur, '\'')
				} else if line[i] == '\'' {
					if i+1 < len(line) && line[i+1] != ' ' {
						return nil, false
					}
					done = true
				} else {
					cur = append(cur, line[i])
				}
			default:
				if i >= len(line) {
					done = true
					continue
				}
				switch line[i] {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, line[i])
				}
			}
			if i < len(line) {
				i++
			}
		}
		out = append(out, string(cur))
	}
}
