package script

import (
	"strings"

	"github.com/mnemo-dev/mnemo/engine/resp"
	lua "github.com/yuin/gopher-lua"
)

// redisTable builds the redis.* API: the whole of it for running code, or
// the narrow one function libraries see while they load.
func (s *State) redisTable(load bool) *lua.LTable {
	L := s.L
	t := L.NewTable()
	set := func(name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	for name, v := range map[string]int{"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(RedisVersionNum))
	set("log", s.redisLog)
	if load {
		set("register_function", s.registerFunction)
		protect := L.NewTable()
		protect.RawSetString("__index", L.NewFunction(nonexistentGlobal))
		protect.RawSetString("__newindex", L.NewFunction(readonlyTable))
		L.SetMetatable(t, protect)
		return t
	}
	for name, v := range map[string]int{"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		t.RawSetString(name, lua.LNumber(v))
	}
	set("call", func(L *lua.LState) int { return s.redisCall(L, true) })
	set("pcall", func(L *lua.LState) int { return s.redisCall(L, false) })
	set("error_reply", redisErrorReply)
	set("status_reply", redisStatusReply)
	set("sha1hex", redisSHA1Hex)
	set("setresp", s.redisSetResp)
	set("set_repl", redisSetRepl)
	set("replicate_commands", func(L *lua.LState) int {
		L.Push(lua.LTrue)
		return 1
	})
	set("breakpoint", func(L *lua.LState) int {
		L.Push(lua.LFalse)
		return 1
	})
	set("debug", func(L *lua.LState) int { return 0 })
	set("acl_check_cmd", s.redisACLCheck)
	return t
}

// callArgs converts redis.call's arguments into command arguments as
// luaArgsToRedisArgv does: numbers with "%.17g", strings as they are.
func callArgs(L *lua.LState) ([][]byte, bool) {
	n := L.GetTop()
	args := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = []byte(string(v))
		case lua.LNumber:
			args[i-1] = formatArgNumber(float64(v))
		default:
			return nil, false
		}
	}
	return args, true
}

func formatArgNumber(f float64) []byte { return resp.AppendDouble(nil, f) }

func (s *State) redisCall(L *lua.LState, raiseErrors bool) int {
	if L.GetTop() == 0 {
		const msg = "Please specify at least one argument for this redis lib call"
		if raiseErrors {
			raise(L, msg)
		}
		L.Push(errorTable(L, msg))
		return 1
	}
	args, ok := callArgs(L)
	if !ok {
		const msg = "Lua redis lib command arguments must be strings or integers"
		if raiseErrors {
			raise(L, msg)
		}
		L.Push(errorTable(L, msg))
		return 1
	}
	if s.host == nil {
		raise(L, "redis.call can only be called inside a script invocation")
	}
	reply := s.host.Call(args, s.Resp)
	if len(reply) > 0 && reply[0] == '-' && raiseErrors {
		end := strings.IndexByte(string(reply), '\r')
		if end < 0 {
			end = len(reply)
		}
		L.Error(errorTable(L, string(reply[:end])), 0)
	}
	pushReply(L, reply, false)
	return 1
}

func (s *State) redisACLCheck(L *lua.LState) int {
	if L.GetTop() == 0 {
		raise(L, "Please specify at least one argument for this redis lib call")
	}
	args, ok := callArgs(L)
	if !ok {
		raise(L, "Lua redis lib command arguments must be strings or integers")
	}
	allowed, known := true, true
	if s.host != nil {
		allowed, known = s.host.ACLCheck(args)
	}
	if !known {
		raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	L.Push(lua.LBool(allowed))
	return 1
}

func redisErrorReply(L *lua.LState) int {
	if L.GetTop() != 1 || !isString(L.Get(1)) {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	msg := lua.LVAsString(L.Get(1))
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(errorTable(L, msg))
	return 1
}

func redisStatusReply(L *lua.LState) int {
	if L.GetTop() != 1 || !isString(L.Get(1)) {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", lua.LString(lua.LVAsString(L.Get(1))))
	L.Push(t)
	return 1
}

func redisSHA1Hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "wrong number of arguments")
	}
	L.Push(lua.LString(SHA1Hex([]byte(luaToString(L.Get(1))))))
	return 1
}

func (s *State) redisSetResp(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.setresp() requires one argument.")
	}
	n, _ := L.Get(1).(lua.LNumber)
	if n != 2 && n != 3 {
		raise(L, "RESP version must be 2 or 3.")
	}
	s.Resp = int(n)
	return 0
}

func redisSetRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.set_repl() requires two arguments.")
	}
	n, _ := L.Get(1).(lua.LNumber)
	if int64(n)&^3 != 0 {
		raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

func (s *State) redisLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		raise(L, "First argument must be a number.")
	}
	if lv < LogDebug || lv > LogWarning {
		raise(L, "Invalid debug level.")
	}
	parts := make([]string, 0, n-1)
	for i := 2; i <= n; i++ {
		if isString(L.Get(i)) {
			parts = append(parts, luaToString(L.Get(i)))
		}
	}
	if s.host != nil {
		s.host.Log(int(lv), strings.Join(parts, " "))
	}
	return 0
}

// isString is lua_isstring: strings and numbers.
func isString(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// luaToString is lua_tostring: numbers as Lua prints them ("%.14g").
func luaToString(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return FormatNumber(float64(v))
	}
	return ""
}
