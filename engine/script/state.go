package script

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Chunk names of compiled code, as Redis 7.0 names them; errors show them
// as "user_script:1:" and "@user_script:1".
const (
	ScriptChunk   = "user_script"
	FunctionChunk = "user_function"
)

// Redis version facts scripts can read.
const (
	RedisVersion    = "7.0.15"
	RedisVersionNum = 0x07000f
)

// Log levels of redis.log.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

// Host is what a running script reaches the database through.
type Host interface {
	// Call runs a command for redis.call/redis.pcall and returns its
	// reply encoded in RESP version resp. A refusal (unknown command,
	// write in a read-only script…) is an error reply like any other.
	Call(args [][]byte, resp int) []byte
	// ACLCheck answers redis.acl_check_cmd: known is false for a command
	// that does not exist.
	ACLCheck(args [][]byte) (allowed, known bool)
	// Log writes a redis.log line.
	Log(level int, msg string)
}

// State is one Lua interpreter with Redis's sandbox. EVAL scripts share
// one; function libraries share another. Not safe for concurrent use: the
// engine lock serialises runs.
type State struct {
	L *lua.LState
	// Resp is the protocol of the replies redis.call converts, set by
	// redis.setresp; every run starts at 2.
	Resp int

	host Host
	// api is the table globals resolve to while code runs; loadAPI, for
	// function libraries, what library code sees while it loads.
	api, loadAPI *lua.LTable
	// env is the (always empty) globals table of all compiled code: its
	// metatable sends reads to api or loadAPI and refuses writes.
	env, envMeta *lua.LTable
	handler      *lua.LFunction
	rand         *Rand
	functions    bool

	// loading collects redis.register_function calls during FUNCTION LOAD.
	loading *Library
}

// New returns a sandboxed interpreter: for EVAL scripts, or, with
// functions set, for function libraries (which load in a narrower API).
func New(functions bool, rnd *Rand) *State {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    256,
		RegistrySize:     1024,
		RegistryMaxSize:  1024 * 1024,
		RegistryGrowStep: 1024,
	})
	s := &State{L: L, Resp: 2, functions: functions, rand: rnd}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	// What Redis 7.0 removes or never loads.
	for _, name := range []string{"print", "dofile", "loadfile", "module", "require", "getfenv", "setfenv", "newproxy", "package", "os", "io", "debug", "channel", "_printregs"} {
		g.RawSetString(name, lua.LNil)
	}
	if co, ok := g.RawGetString("coroutine").(*lua.LTable); !ok || co == nil {
		L.Push(L.NewFunction(lua.OpenCoroutine))
		L.Push(lua.LString(lua.CoroutineLibName))
		L.Call(1, 0)
	}
	// tostring formats numbers as Lua 5.1 does ("%.14g"); gopher-lua
	// prints the shortest exact form.
	baseToString := g.RawGetString("tostring").(*lua.LFunction)
	g.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.Get(1).(lua.LNumber); ok {
			L.Push(lua.LString(FormatNumber(float64(n))))
			return 1
		}
		L.Push(baseToString)
		L.Push(L.Get(1))
		L.Call(1, 1)
		return 1
	}))
	g.RawSetString("pcall", L.NewFunction(luaPcall))
	g.RawSetString("error", L.NewFunction(luaErrorFn))
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(0))
		return 1
	}))
	m := g.RawGetString("math").(*lua.LTable)
	m.RawSetString("huge", lua.LNumber(math.Inf(1)))
	m.RawSetString("random", L.NewFunction(s.mathRandom))
	m.RawSetString("randomseed", L.NewFunction(s.mathRandomSeed))
	if str, ok := g.RawGetString("string").(*lua.LTable); ok {
		// gopher-lua extras Lua 5.1 lacks.
		str.RawSetString("gfind", str.RawGetString("gmatch"))
	}
	g.RawSetString("bit", openBit(L))
	g.RawSetString("cjson", openCJSON(L))
	g.RawSetString("cmsgpack", openCMsgpack(L))
	g.RawSetString("struct", openStruct(L))
	s.handler = L.NewFunction(s.errorHandler)

	redis := s.redisTable(false)
	g.RawSetString("redis", redis)

	// Reads of a missing global fail, as do writes of any global.
	protect := L.NewTable()
	protect.RawSetString("__index", L.NewFunction(nonexistentGlobal))
	protect.RawSetString("__newindex", L.NewFunction(readonlyTable))
	L.SetMetatable(g, protect)
	s.api = g

	s.env = L.NewTable()
	s.envMeta = L.NewTable()
	s.envMeta.RawSetString("__index", g)
	s.envMeta.RawSetString("__newindex", L.NewFunction(readonlyTable))
	L.SetMetatable(s.env, s.envMeta)
	g.RawSetString("_G", s.env)
	L.Env = s.env

	if functions {
		s.loadAPI = L.NewTable()
		s.loadAPI.RawSetString("redis", s.redisTable(true))
		L.SetMetatable(s.loadAPI, protect)
	}
	return s
}

// Close releases the interpreter.
func (s *State) Close() { s.L.Close() }

func nonexistentGlobal(L *lua.LState) int {
	L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(L.Get(2)))
	return 0
}

func readonlyTable(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// SHA1Hex returns the lowercase hex SHA1 of a script body: its name in
// the script cache.
func SHA1Hex(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// Compile compiles a script body; the error is Lua's compile message.
func (s *State) Compile(body []byte, chunk string) (*lua.LFunction, error) {
	fn, err := s.L.Load(strings.NewReader(string(body)), chunk)
	if err != nil {
		return nil, err
	}
	fn.Env = s.env
	return fn, nil
}

// Error is a script failure as Redis reports it.
type Error struct {
	// Msg is the error reply's text ("ERR ...", "WRONGTYPE ...").
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Run calls fn with args and writes nothing: it returns the value the
// function returned, or the error Redis would reply with. name is the
// script's SHA1 or the function's name, for error messages. ctx stops
// the script when cancelled (SCRIPT KILL); killedMsg is then the error.
func (s *State) Run(ctx context.Context, host Host, fn *lua.LFunction, name string, args ...lua.LValue) (lua.LValue, *Error) {
	L := s.L
	s.host = host
	s.Resp = 2
	defer func() { s.host = nil }()
	if ctx != nil {
		L.SetContext(ctx)
		defer L.RemoveContext()
	}
	top := L.GetTop()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, s.handler)
	s.clearEnv()
	if err != nil {
		L.SetTop(top)
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		return nil, s.errorReply(obj, name)
	}
	ret := L.Get(-1)
	L.SetTop(top)
	return ret, nil
}

// clearEnv drops anything rawset into the shared globals table, so one
// script cannot leave globals for the next.
func (s *State) clearEnv() {
	if k, _ := s.env.Next(lua.LNil); k == lua.LNil {
		return
	}
	var keys []lua.LValue
	s.env.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		s.env.RawSet(k, lua.LNil)
	}
}

// errorReply formats a failed run's error object as Redis's
// luaCallFunction does.
func (s *State) errorReply(obj lua.LValue, name string) *Error {
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := "execution failure"
		if lua.LVCanConvToString(obj) {
			msg = lua.LVAsString(obj)
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		return &Error{Msg: "ERR Error running script " + name + ", " + msg}
	}
	msg := lua.LVAsString(t.RawGetString("err"))
	src, line := t.RawGetString("source"), t.RawGetString("line")
	if src != lua.LNil && line != lua.LNil && lua.LVAsString(src) != "" {
		msg += " script: " + name + ", on " + lua.LVAsString(src) + ":" + lua.LVAsString(line) + "."
	}
	return &Error{Msg: msg}
}

// errorHandler is Redis's __redis__err__handler: it turns any error into
// a table {err=..., source=..., line=...} naming where the script failed.
func (s *State) errorHandler(L *lua.LState) int {
	v := L.Get(1)
	t, ok := v.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		msg := "nil"
		if v != lua.LNil {
			msg = lua.LVAsString(v)
			if !lua.LVCanConvToString(v) {
				msg = v.String()
			}
		}
		if ctx := L.Context(); ctx != nil && ctx.Err() != nil {
			// SCRIPT KILL: gopher-lua stops with the context's error.
			t.RawSetString("err", lua.LString("ERR Script killed by user with SCRIPT KILL..."))
		} else {
			t.RawSetString("err", lua.LString("ERR "+luaMessage(msg)))
		}
	}
	for lvl := 1; ; lvl++ {
		dbg, ok := L.GetStack(lvl)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// raise raises a Redis error table {err="ERR msg"} (luaPushError plus
// luaError): the handler adds where it happened.
func raise(L *lua.LState, msg string) {
	L.Error(errorTable(L, msg), 0)
}

// luaPcall is Redis 7.0's pcall: an error table {err=...} caught comes
// back as its err string.
func luaPcall(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(1, "value expected")
	}
	if err := L.PCall(n-1, lua.MultRet, nil); err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaErrorFn is Lua 5.1's error: any value (nil too), and a string gets
// the position of the level-th caller only when that is Lua code.
func luaErrorFn(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	if s, ok := v.(lua.LString); ok && level > 0 {
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
				v = lua.LString(dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": " + string(s))
			}
		}
	}
	L.Error(v, 0)
	return 0
}

// errorTable builds the table redis.call and redis.error_reply produce
// from an error text: "-CODE msg" keeps its code, "msg" gets ERR, as
// luaPushErrorBuff does.
func errorTable(L *lua.LState, s string) *lua.LTable {
	code, msg := "ERR", s
	if strings.HasPrefix(s, "-") {
		if i := strings.IndexByte(s, ' '); i < 0 {
			msg = s[1:]
		} else {
			code, msg = s[1:i], s[i+1:]
		}
	}
	msg = strings.Trim(msg, "\r\n")
	t := L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// SetGlobal sets a global the sandbox otherwise keeps read-only (KEYS
// and ARGV before each EVAL).
func (s *State) SetGlobal(name string, v lua.LValue) { s.api.RawSetString(name, v) }

// StringTable returns a Lua array of the given strings.
func (s *State) StringTable(items [][]byte) *lua.LTable {
	t := s.L.CreateTable(len(items), 0)
	for i, b := range items {
		t.RawSetInt(i+1, lua.LString(b))
	}
	return t
}
