package script

import (
	"bytes"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Script flags, as declared in an EVAL script's shebang or given to
// redis.register_function.
const (
	FlagNoWrites = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
)

// FlagNames lists the flags in Redis's order, which FUNCTION LIST keeps.
var FlagNames = []struct {
	Name string
	Flag int
}{
	{"no-writes", FlagNoWrites},
	{"allow-oom", FlagAllowOOM},
	{"allow-stale", FlagAllowStale},
	{"no-cluster", FlagNoCluster},
	{"allow-cross-slot-keys", FlagAllowCrossSlot},
}

// ParseFlag returns the flag with that name.
func ParseFlag(name string) (int, bool) {
	for _, f := range FlagNames {
		if f.Name == name {
			return f.Flag, true
		}
	}
	return 0, false
}

// Function is one function a library registered.
type Function struct {
	Name        string
	Fn          *lua.LFunction
	Flags       int
	Description *string
}

// Library is the code of one FUNCTION LOAD and what it registered, in
// registration order.
type Library struct {
	Name      string
	Code      string
	Functions []*Function
}

// Lookup returns the library's function called name, or nil.
func (l *Library) Lookup(name string) *Function {
	for _, f := range l.Functions {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// ValidName reports whether a library or function name is letters,
// digits and underscores, at least one.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// LoadLibrary compiles and runs a library's body (its code with the
// shebang line emptied, so line numbers stay those of the code) so that
// it registers its functions into lib. The error is FUNCTION LOAD's reply.
func (s *State) LoadLibrary(lib *Library, body string) string {
	L := s.L
	fn, err := L.Load(strings.NewReader(body), FunctionChunk)
	if err != nil {
		return "ERR Error compiling function: " + compileMessage(err, FunctionChunk, strings.Count(body, "\n")+1)
	}
	fn.Env = s.env
	s.envMeta.RawSetString("__index", s.loadAPI)
	s.loading = lib
	defer func() {
		s.envMeta.RawSetString("__index", s.api)
		s.loading = nil
		s.clearEnv()
	}()
	top := L.GetTop()
	L.Push(fn)
	if err := L.PCall(0, 0, s.handler); err != nil {
		L.SetTop(top)
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		msg := lua.LVAsString(obj)
		if t, ok := obj.(*lua.LTable); ok {
			msg = lua.LVAsString(t.RawGetString("err"))
		}
		return "ERR Error registering functions: " + msg
	}
	L.SetTop(top)
	return ""
}

// registerFunction is redis.register_function, positional (name,
// callback) or named ({function_name=, callback=, flags=, description=}).
func (s *State) registerFunction(L *lua.LState) int {
	lib := s.loading
	if lib == nil {
		raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &Function{}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			key, ok := k.(lua.LString)
			if !ok {
				bad = "named argument key given to redis.register_function is not a string"
				return
			}
			switch string(key) {
			case "function_name":
				if !isString(v) {
					bad = "function_name argument given to redis.register_function must be a string"
					return
				}
				f.Name = luaToString(v)
			case "description":
				if !isString(v) {
					bad = "description argument given to redis.register_function must be a string"
					return
				}
				d := luaToString(v)
				f.Description = &d
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					bad = "callback argument given to redis.register_function must be a function"
					return
				}
				f.Fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				for i := 1; ; i++ {
					fv := ft.RawGetInt(i)
					if fv == lua.LNil {
						break
					}
					name, ok := fv.(lua.LString)
					if !ok {
						bad = "unknown flag given"
						return
					}
					flag, ok := ParseFlag(string(name))
					if !ok {
						bad = "unknown flag given"
						return
					}
					f.Flags |= flag
				}
			default:
				bad = "unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			raise(L, bad)
		}
		if f.Name == "" {
			raise(L, "redis.register_function must get a function name argument")
		}
		if f.Fn == nil {
			raise(L, "redis.register_function must get a callback argument")
		}
	case 2:
		if !isString(L.Get(1)) {
			raise(L, "first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, "second argument to redis.register_function must be a function")
		}
		f.Name, f.Fn = luaToString(L.Get(1)), fn
	default:
		raise(L, "wrong number of arguments to redis.register_function")
	}
	if !ValidName(f.Name) {
		raise(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if lib.Lookup(f.Name) != nil {
		raise(L, "Function already exists in the library")
	}
	lib.Functions = append(lib.Functions, f)
	return 0
}

// compileMessage turns gopher-lua's compile error into Lua 5.1's form,
// "user_script:LINE: message".
func compileMessage(err error, chunk string, lines int) string {
	msg := err.Error()
	if ae, ok := err.(*lua.ApiError); ok {
		msg = lua.LVAsString(ae.Object)
	}
	// gopher-lua: "<chunk> at EOF:   syntax error", Lua 5.1 names the
	// last line.
	if strings.Contains(msg, " at EOF:") {
		return chunk + ":" + strconv.Itoa(lines) + ": unexpected symbol near '<eof>'"
	}
	// gopher-lua: "<chunk> line:N(column:M) near 'tok':   parse error"
	if i := strings.Index(msg, " line:"); i >= 0 {
		rest := msg[i+len(" line:"):]
		j := strings.IndexByte(rest, '(')
		if j > 0 {
			ln := rest[:j]
			detail := ""
			if k := strings.Index(rest, ") "); k >= 0 {
				detail = strings.TrimSpace(rest[k+2:])
			}
			near := ""
			if strings.HasPrefix(detail, "near ") {
				if k := strings.Index(detail, ": "); k >= 0 {
					near = detail[:k]
					detail = strings.TrimSpace(detail[k+2:])
				}
			}
			if near != "" {
				return chunk + ":" + ln + ": " + detail + " " + near
			}
			return chunk + ":" + ln + ": " + detail
		}
	}
	return msg
}

// CompileMessage is compileMessage for an EVAL script's body.
func CompileMessage(err error, body []byte) string {
	return compileMessage(err, ScriptChunk, bytes.Count(body, []byte("\n"))+1)
}
