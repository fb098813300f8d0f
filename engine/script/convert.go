package script

import (
	"math"
	"strconv"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/resp"
	lua "github.com/yuin/gopher-lua"
)

// FormatNumber formats a Lua number as Lua 5.1's tostring does ("%.14g").
func FormatNumber(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// ToInteger converts a Lua number to a reply integer the way C's cast to
// long long does on x86: out of range and NaN give the minimum.
func ToInteger(f float64) int64 {
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// pushReply converts one RESP reply to a Lua value and pushes it, with
// Redis's rules (redisProtocolToLuaType): status {ok=}, error {err=},
// null bulk and null array false in RESP2; RESP3 null nil, maps {map=},
// sets {set=}, doubles {double=}, big numbers {big_number=}, verbatim
// strings {verbatim_string={format=,string=}}. It returns the rest of b.
func pushReply(L *lua.LState, b []byte, _ bool) []byte {
	v, rest := parseReply(L, b)
	L.Push(v)
	return rest
}

func line(b []byte) (string, []byte) {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return string(b[1:i]), b[i+2:]
		}
	}
	return string(b[1:]), nil
}

func parseReply(L *lua.LState, b []byte) (lua.LValue, []byte) {
	if len(b) == 0 {
		return lua.LNil, b
	}
	switch b[0] {
	case '+':
		s, rest := line(b)
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(s))
		return t, rest
	case '-':
		s, rest := line(b)
		t := L.NewTable()
		t.RawSetString("err", lua.LString(s))
		return t, rest
	case ':':
		s, rest := line(b)
		n, _ := strconv.ParseInt(s, 10, 64)
		return lua.LNumber(n), rest
	case '$', '=':
		s, rest := line(b)
		n, _ := strconv.Atoi(s)
		if n < 0 {
			return lua.LFalse, rest
		}
		if n > len(rest) {
			n = len(rest)
		}
		data := string(rest[:n])
		rest = rest[n:]
		if len(rest) >= 2 {
			rest = rest[2:]
		}
		if b[0] == '=' {
			t, inner := L.NewTable(), L.NewTable()
			if len(data) >= 4 {
				inner.RawSetString("format", lua.LString(data[:3]))
				inner.RawSetString("string", lua.LString(data[4:]))
			}
			t.RawSetString("verbatim_string", inner)
			return t, rest
		}
		return lua.LString(data), rest
	case '*', '~', '%', '>':
		s, rest := line(b)
		n, _ := strconv.Atoi(s)
		if n < 0 {
			return lua.LFalse, rest
		}
		t := L.NewTable()
		switch b[0] {
		case '%':
			for i := 0; i < n; i++ {
				var k, v lua.LValue
				k, rest = parseReply(L, rest)
				v, rest = parseReply(L, rest)
				if k != lua.LNil {
					t.RawSet(k, v)
				}
			}
			outer := L.NewTable()
			outer.RawSetString("map", t)
			return outer, rest
		case '~':
			for i := 0; i < n; i++ {
				var k lua.LValue
				k, rest = parseReply(L, rest)
				if k != lua.LNil {
					t.RawSet(k, lua.LTrue)
				}
			}
			outer := L.NewTable()
			outer.RawSetString("set", t)
			return outer, rest
		}
		for i := 1; i <= n; i++ {
			var v lua.LValue
			v, rest = parseReply(L, rest)
			t.RawSetInt(i, v)
		}
		return t, rest
	case '_':
		_, rest := line(b)
		return lua.LNil, rest
	case '#':
		s, rest := line(b)
		return lua.LBool(s == "t"), rest
	case ',':
		s, rest := line(b)
		f, _ := strconv.ParseFloat(s, 64)
		switch s {
		case "inf":
			f = math.Inf(1)
		case "-inf":
			f = math.Inf(-1)
		case "nan":
			f = math.NaN()
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, rest
	case '(':
		s, rest := line(b)
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(s))
		return t, rest
	case '|':
		// Attributes carry no reply of their own: skip them.
		s, rest := line(b)
		n, _ := strconv.Atoi(s)
		for i := 0; i < 2*n; i++ {
			_, rest = parseReply(L, rest)
		}
		return parseReply(L, rest)
	}
	_, rest := line(b)
	return lua.LNil, rest
}

// WriteReply converts a script's return value to a reply, with Redis's
// rules (luaReplyToRedisReply): strings are bulk strings, numbers are
// truncated to integers, true is 1 and false null under RESP2 (booleans
// under setresp 3), tables with err/ok/double/big_number/map/set/
// verbatim_string fields those replies, other tables arrays up to the
// first nil, anything else null.
func (s *State) WriteReply(w *resp.Writer, v lua.LValue) {
	writeReply(w, v, s.Resp, 0)
}

func writeReply(w *resp.Writer, v lua.LValue, scriptResp, depth int) {
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if scriptResp == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
			return
		}
		w.Bool(bool(v))
	case lua.LNumber:
		w.Int(ToInteger(float64(v)))
	case *lua.LTable:
		if depth > 1000 {
			w.Error("ERR reached lua stack limit")
			return
		}
		writeTable(w, v, scriptResp, depth)
	default:
		w.Null()
	}
}

func writeTable(w *resp.Writer, t *lua.LTable, scriptResp, depth int) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		// Redis writes "-" and the text, trailing newlines trimmed: a
		// text that starts with "-" keeps it.
		w.Error(strings.TrimRight(string(e), "\r\n"))
		return
	}
	if ok, isStr := t.RawGetString("ok").(lua.LString); isStr {
		b := []byte(string(ok))
		for i, c := range b {
			if c == '\r' || c == '\n' {
				b[i] = ' '
			}
		}
		w.Status(string(b))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if n, ok := t.RawGetString("big_number").(lua.LString); ok {
		b := []byte(string(n))
		for i, c := range b {
			if c == '\r' || c == '\n' {
				b[i] = ' '
			}
		}
		w.BigNumber(string(b))
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(_, _ lua.LValue) { n++ })
		w.Map(n)
		m.ForEach(func(k, v lua.LValue) {
			writeReply(w, k, scriptResp, depth+1)
			writeReply(w, v, scriptResp, depth+1)
		})
		return
	}
	if set, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		set.ForEach(func(_, _ lua.LValue) { n++ })
		w.Set(n)
		set.ForEach(func(k, _ lua.LValue) { writeReply(w, k, scriptResp, depth+1) })
		return
	}
	if vs, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		format, ok1 := vs.RawGetString("format").(lua.LString)
		str, ok2 := vs.RawGetString("string").(lua.LString)
		if ok1 && ok2 {
			if w.Proto == 3 {
				w.Raw([]byte("=" + strconv.Itoa(len(str)+4) + "\r\n" + string(format) + ":" + string(str) + "\r\n"))
			} else {
				w.BulkString(string(str))
			}
			return
		}
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		writeReply(w, t.RawGetInt(i), scriptResp, depth+1)
	}
}
