package command

import (
	"sort"
	"strings"
	"time"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/resp"
	"github.com/mnemo-dev/mnemo/engine/script"
)

// Errors of FUNCTION and FCALL, Redis 7.0's texts.
const (
	errFunctionNotFound    = "ERR Function not found"
	errBadNumKeysFcall     = "ERR Bad number of keys provided"
	errLibraryNotFound     = "ERR Library not found"
	errFunctionCodeMissing = "ERR Function code is missing"
	errFunctionFlushOption = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
	errLibraryNameInvalid  = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
)

func init() {
	register("fcall", func(c *Ctx) { fcallGeneric(c, false) })
	register("fcall_ro", func(c *Ctx) { fcallGeneric(c, true) })
	register("function|load", functionLoadCmd)
	register("function|delete", functionDeleteCmd)
	register("function|flush", functionFlushCmd)
	register("function|list", functionListCmd)
	register("function|stats", functionStatsCmd)
	register("function|kill", func(c *Ctx) { c.E.scriptKill(c.W, false) })
	register("function|dump", functionDumpCmd)
	register("function|restore", functionRestoreCmd)
	register("function|help", functionHelpCmd)
}

// fnState returns the interpreter of function libraries, made on first
// use.
func (e *Engine) fnState() *script.State {
	s := &e.scripts
	if s.fn == nil {
		s.fn = script.New(true, s.random())
		s.libs = map[string]*script.Library{}
		s.funcs = map[string]*script.Library{}
	}
	return s.fn
}

func fcallGeneric(c *Ctx, ro bool) {
	c.NoEffect()
	e := c.E
	st := e.fnState()
	name := string(c.Args[1])
	lib := e.scripts.funcs[name]
	if lib == nil {
		c.Error(errFunctionNotFound)
		return
	}
	f := lib.Lookup(name)
	nk, ok := numKeys(c, errBadNumKeysFcall)
	if !ok {
		return
	}
	run := &scriptRun{name: name, flags: f.Flags, ro: ro}
	if !e.prepareScript(c, run) {
		return
	}
	keys, argv := c.Args[3:3+nk], c.Args[3+nk:]
	e.runScript(c, st, run, f.Fn, st.StringTable(keys), st.StringTable(argv))
}

// libraryMeta is a library's shebang: "#!<engine> name=<name>".
type libraryMeta struct {
	engine, name string
	body         string
}

func parseLibraryMeta(code string) (libraryMeta, string) {
	if !strings.HasPrefix(code, "#!") {
		return libraryMeta{}, "ERR Missing library metadata"
	}
	nl := strings.IndexByte(code, '\n')
	if nl < 0 {
		return libraryMeta{}, "ERR Invalid library metadata"
	}
	parts, ok := splitArgs(code[:nl])
	if !ok || len(parts) == 0 {
		return libraryMeta{}, "ERR Invalid library metadata"
	}
	md := libraryMeta{engine: parts[0][2:], body: code[nl:]}
	named := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if named {
				return libraryMeta{}, "ERR Invalid metadata value, name argument was given multiple times"
			}
			md.name, named = p[5:], true
			continue
		}
		return libraryMeta{}, "ERR Invalid metadata value given: " + p
	}
	if !named {
		return libraryMeta{}, "ERR Library name was not given"
	}
	return md, ""
}

// compileLibrary checks a library's metadata and runs its code into a
// new Library, which is not installed yet.
func (e *Engine) compileLibrary(code string) (*script.Library, string) {
	md, msg := parseLibraryMeta(code)
	if msg != "" {
		return nil, msg
	}
	if !script.ValidName(md.name) {
		return nil, errLibraryNameInvalid
	}
	if !strings.EqualFold(md.engine, "lua") {
		return nil, "ERR Engine '" + md.engine + "' not found"
	}
	lib := &script.Library{Name: md.name, Code: code}
	if msg := e.fnState().LoadLibrary(lib, md.body); msg != "" {
		return nil, msg
	}
	if len(lib.Functions) == 0 {
		return nil, "ERR No functions registered"
	}
	return lib, ""
}

// installLibraries adds libs to the installed ones; with replace, a
// library of the same name goes. Nothing changes when it fails.
func (e *Engine) installLibraries(libs []*script.Library, replace bool, quote string) string {
	s := &e.scripts
	gone := map[string]bool{}
	for _, lib := range libs {
		if s.libs[lib.Name] != nil {
			if !replace {
				return "ERR Library " + quote + lib.Name + quote + " already exists"
			}
			gone[lib.Name] = true
		}
	}
	for _, lib := range libs {
		for _, f := range lib.Functions {
			if owner := s.funcs[f.Name]; owner != nil && !gone[owner.Name] {
				return "ERR Function " + f.Name + " already exists"
			}
		}
	}
	for name := range gone {
		e.removeLibrary(name)
	}
	for _, lib := range libs {
		s.libs[lib.Name] = lib
		for _, f := range lib.Functions {
			s.funcs[f.Name] = lib
		}
	}
	return ""
}

func (e *Engine) removeLibrary(name string) {
	s := &e.scripts
	lib := s.libs[name]
	for _, f := range lib.Functions {
		delete(s.funcs, f.Name)
	}
	delete(s.libs, name)
}

func functionLoadCmd(c *Ctx) {
	replace := false
	i := 2
	for ; i < len(c.Args)-1; i++ {
		if !c.ArgIs(i, "replace") {
			c.Error("ERR Unknown option given: " + c.Arg(i))
			return
		}
		replace = true
	}
	if i >= len(c.Args) {
		c.Error(errFunctionCodeMissing)
		return
	}
	e := c.E
	lib, msg := e.compileLibrary(string(c.Args[i]))
	if msg == "" {
		msg = e.installLibraries([]*script.Library{lib}, replace, "'")
	}
	if msg != "" {
		c.Error(msg)
		return
	}
	e.dirty++
	c.W.BulkString(lib.Name)
}

func functionDeleteCmd(c *Ctx) {
	e := c.E
	e.fnState()
	if e.scripts.libs[c.Arg(2)] == nil {
		c.Error(errLibraryNotFound)
		return
	}
	e.removeLibrary(c.Arg(2))
	e.dirty++
	c.W.OK()
}

func functionFlushCmd(c *Ctx) {
	if len(c.Args) > 3 || len(c.Args) == 3 && !c.ArgIs(2, "sync") && !c.ArgIs(2, "async") {
		c.Error(errFunctionFlushOption)
		return
	}
	e := c.E
	e.flushFunctions()
	e.dirty++
	c.W.OK()
}

// flushFunctions drops every library. The interpreter stays: libraries
// being restored may already live in it, and the sandbox keeps no state
// of the dropped ones.
func (e *Engine) flushFunctions() {
	e.fnState()
	e.scripts.libs = map[string]*script.Library{}
	e.scripts.funcs = map[string]*script.Library{}
}

func functionListCmd(c *Ctx) {
	withCode, pattern, hasPattern := false, "", false
	for i := 2; i < len(c.Args); i++ {
		switch {
		case !withCode && c.ArgIs(i, "withcode"):
			withCode = true
		case !hasPattern && c.ArgIs(i, "libraryname"):
			if i >= len(c.Args)-1 {
				c.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern, hasPattern = c.Arg(i), true
		default:
			c.Error("ERR Unknown argument " + c.Arg(i))
			return
		}
	}
	e := c.E
	e.fnState()
	var libs []*script.Library
	for _, lib := range e.scripts.libs {
		if !hasPattern || glob.MatchFold(pattern, lib.Name) {
			libs = append(libs, lib)
		}
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].Name < libs[j].Name })
	w := c.W
	w.Array(len(libs))
	for _, lib := range libs {
		n := 3
		if withCode {
			n = 4
		}
		w.Map(n)
		w.BulkString("library_name")
		w.BulkString(lib.Name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(lib.Functions))
		for _, f := range lib.Functions {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.Name)
			w.BulkString("description")
			if f.Description == nil {
				w.Null()
			} else {
				w.BulkString(*f.Description)
			}
			w.BulkString("flags")
			var names []string
			for _, fl := range script.FlagNames {
				if f.Flags&fl.Flag != 0 {
					names = append(names, fl.Name)
				}
			}
			w.Set(len(names))
			for _, name := range names {
				w.Status(name)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(lib.Code)
		}
	}
}

func functionStatsCmd(c *Ctx) {
	e := c.E
	e.fnState()
	writeFunctionStats(c.W, e.scripts.running.Load(), len(e.scripts.libs), len(e.scripts.funcs))
}

// writeFunctionStats writes FUNCTION STATS: the function running, if
// any, and the library and function counts.
func writeFunctionStats(w *resp.Writer, run *scriptRun, libs, funcs int) {
	w.Map(2)
	w.BulkString("running_script")
	if run == nil {
		w.Null()
	} else {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(run.name)
		w.BulkString("command")
		w.Array(len(run.args))
		for _, a := range run.args {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(time.Since(run.start).Milliseconds())
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(libs))
	w.BulkString("functions_count")
	w.Int(int64(funcs))
}

func functionHelpCmd(c *Ctx) {
	replyHelp(c, "FUNCTION", []string{
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	})
}
