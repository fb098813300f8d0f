package script

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library (lua-cjson 2.1) Redis ships: cjson.encode,
// cjson.decode and their settings. JSON null decodes to cjson.null.

type cjsonConfig struct {
	sparseConvert   bool
	sparseRatio     int
	sparseSafe      int
	maxEncodeDepth  int
	maxDecodeDepth  int
	encodeInvalid   bool
	decodeInvalid   bool
	encodeKeep      bool
	numberPrecision int
	null            *lua.LUserData
}

func openCJSON(L *lua.LState) *lua.LTable {
	cfg := &cjsonConfig{sparseRatio: 2, sparseSafe: 10, maxEncodeDepth: 1000, maxDecodeDepth: 1000, decodeInvalid: true, encodeKeep: true, numberPrecision: 14}
	return newCJSON(L, cfg)
}

func newCJSON(L *lua.LState, cfg *cjsonConfig) *lua.LTable {
	t := L.NewTable()
	if cfg.null == nil {
		cfg.null = L.NewUserData()
	}
	set := func(name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	set("encode", cfg.encode)
	set("decode", cfg.decode)
	set("encode_sparse_array", func(L *lua.LState) int {
		if L.GetTop() >= 1 {
			cfg.sparseConvert = L.ToBool(1)
		}
		if L.GetTop() >= 2 {
			cfg.sparseRatio = L.CheckInt(2)
		}
		if L.GetTop() >= 3 {
			cfg.sparseSafe = L.CheckInt(3)
		}
		L.Push(lua.LBool(cfg.sparseConvert))
		L.Push(lua.LNumber(cfg.sparseRatio))
		L.Push(lua.LNumber(cfg.sparseSafe))
		return 3
	})
	intSetting := func(p *int, lo, hi int) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				v := L.CheckInt(1)
				if v < lo || v > hi {
					L.ArgError(1, "expected integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
				}
				*p = v
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	boolSetting := func(p *bool) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				*p = L.ToBool(1)
			}
			L.Push(lua.LBool(*p))
			return 1
		}
	}
	set("encode_max_depth", intSetting(&cfg.maxEncodeDepth, 1, math.MaxInt32))
	set("decode_max_depth", intSetting(&cfg.maxDecodeDepth, 1, math.MaxInt32))
	set("encode_number_precision", intSetting(&cfg.numberPrecision, 1, 14))
	set("encode_keep_buffer", boolSetting(&cfg.encodeKeep))
	set("encode_invalid_numbers", boolSetting(&cfg.encodeInvalid))
	set("decode_invalid_numbers", boolSetting(&cfg.decodeInvalid))
	set("new", func(L *lua.LState) int {
		c := &cjsonConfig{sparseRatio: 2, sparseSafe: 10, maxEncodeDepth: 1000, maxDecodeDepth: 1000, decodeInvalid: true, encodeKeep: true, numberPrecision: 14, null: cfg.null}
		L.Push(newCJSON(L, c))
		return 1
	})
	t.RawSetString("null", cfg.null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

func (cfg *cjsonConfig) encode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	var b strings.Builder
	cfg.encodeValue(L, &b, L.Get(1), 0)
	L.Push(lua.LString(b.String()))
	return 1
}

var jsonEscapes = func() [256]string {
	var e [256]string
	for i := 0; i < 32; i++ {
		e[i] = "\\u00" + string("0123456789abcdef"[i>>4]) + string("0123456789abcdef"[i&15])
	}
	e['\b'], e['\f'], e['\n'], e['\r'], e['\t'] = "\\b", "\\f", "\\n", "\\r", "\\t"
	e['"'], e['\\'], e['/'] = "\\\"", "\\\\", "\\/"
	e[127] = "\\u007f"
	return e
}()

func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if esc := jsonEscapes[s[i]]; esc != "" {
			b.WriteString(esc)
		} else {
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('"')
}

func (cfg *cjsonConfig) number(L *lua.LState, f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if !cfg.encodeInvalid {
			L.RaiseError("Cannot serialise number: must not be NaN or Inf")
		}
		switch {
		case math.IsNaN(f):
			return "nan"
		case f > 0:
			return "inf"
		}
		return "-inf"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 && cfg.numberPrecision >= 14 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', cfg.numberPrecision, 64)
}

func (cfg *cjsonConfig) encodeValue(L *lua.LState, b *strings.Builder, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		jsonString(b, string(v))
	case lua.LNumber:
		b.WriteString(cfg.number(L, float64(v)))
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *lua.LNilType:
		b.WriteString("null")
	case *lua.LUserData:
		if v == cfg.null {
			b.WriteString("null")
			return
		}
		L.RaiseError("Cannot serialise userdata: type not supported")
	case *lua.LTable:
		depth++
		if depth > cfg.maxEncodeDepth {
			L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		n := cfg.arrayLength(L, v)
		if n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				cfg.encodeValue(L, b, v.RawGetInt(i), depth)
			}
			b.WriteByte(']')
			return
		}
		b.WriteByte('{')
		first := true
		v.ForEach(func(k, val lua.LValue) {
			if !first {
				b.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				jsonString(b, string(k))
			case lua.LNumber:
				b.WriteByte('"')
				b.WriteString(cfg.number(L, float64(k)))
				b.WriteByte('"')
			default:
				L.RaiseError("Cannot serialise table: table key must be a number or string")
			}
			b.WriteByte(':')
			cfg.encodeValue(L, b, val, depth)
		})
		b.WriteByte('}')
	default:
		L.RaiseError("Cannot serialise %s: type not supported", v.Type().String())
	}
}

// arrayLength is lua_array_length: the table's length when its keys are
// all positive integers (0 for an object), refusing excessively sparse
// arrays.
func (cfg *cjsonConfig) arrayLength(L *lua.LState, t *lua.LTable) int {
	max, items := 0, 0
	isArray := true
	t.ForEach(func(k, _ lua.LValue) {
		if !isArray {
			return
		}
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			isArray = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		items++
	})
	if !isArray {
		return -1
	}
	if cfg.sparseRatio > 0 && max > items*cfg.sparseRatio && max > cfg.sparseSafe {
		if !cfg.sparseConvert {
			L.RaiseError("Cannot serialise table: excessively sparse array")
		}
		return -1
	}
	return max
}

type jsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonConfig
	s     string
	i     int
	depth int
}

func (cfg *cjsonConfig) decode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	d := &jsonDecoder{L: L, cfg: cfg, s: L.CheckString(1)}
	v := d.value("value")
	d.skipSpace()
	if d.i < len(d.s) {
		d.fail("the end", d.tokenName())
	}
	L.Push(v)
	return 1
}

func (d *jsonDecoder) fail(expected, found string) {
	d.L.RaiseError("Expected %s but found %s at character %d", expected, found, d.i+1)
}

func (d *jsonDecoder) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// tokenName names the token at the cursor as lua-cjson's errors do.
func (d *jsonDecoder) tokenName() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return "T_OBJ_BEGIN"
	case c == '}':
		return "T_OBJ_END"
	case c == '[':
		return "T_ARR_BEGIN"
	case c == ']':
		return "T_ARR_END"
	case c == '"':
		return "T_STRING"
	case c == ':':
		return "T_COLON"
	case c == ',':
		return "T_COMMA"
	case c == '-' || isDigit(c):
		return "T_NUMBER"
	case strings.HasPrefix(d.s[d.i:], "true"), strings.HasPrefix(d.s[d.i:], "false"):
		return "T_BOOLEAN"
	case strings.HasPrefix(d.s[d.i:], "null"):
		return "T_NULL"
	}
	return "invalid token"
}

func (d *jsonDecoder) value(expected string) lua.LValue {
	d.skipSpace()
	if d.i >= len(d.s) {
		d.fail(expected, "T_END")
	}
	c := d.s[d.i]
	switch {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return lua.LString(d.str())
	case c == '-' || isDigit(c) || c == 'i' || c == 'I' || c == 'n' && strings.HasPrefix(strings.ToLower(d.s[d.i:]), "nan"):
		return d.number(expected)
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return d.cfg.null
	}
	d.fail(expected, d.tokenName())
	return lua.LNil
}

func (d *jsonDecoder) number(expected string) lua.LValue {
	j := d.i
	for j < len(d.s) && strings.IndexByte("0123456789+-.eExXabcdefABCDEFinfINFtyTY", d.s[j]) >= 0 {
		j++
	}
	f, err := strconv.ParseFloat(d.s[d.i:j], 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			d.fail(expected, "invalid number")
		}
	}
	d.i = j
	return lua.LNumber(f)
}

func (d *jsonDecoder) enter() {
	d.depth++
	if d.depth > d.cfg.maxDecodeDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, d.i+1)
	}
}

func (d *jsonDecoder) object() lua.LValue {
	d.enter()
	d.i++
	t := d.L.NewTable()
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		d.depth--
		return t
	}
	for {
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			d.fail("object key string", d.tokenName())
		}
		k := d.str()
		d.skipSpace()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			d.fail("colon", d.tokenName())
		}
		d.i++
		v := d.value("value")
		t.RawSetString(k, v)
		d.skipSpace()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			d.depth--
			return t
		}
		if d.i >= len(d.s) || d.s[d.i] != ',' {
			d.fail("comma or object end", d.tokenName())
		}
		d.i++
	}
}

func (d *jsonDecoder) array() lua.LValue {
	d.enter()
	d.i++
	t := d.L.NewTable()
	d.skipSpace()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		d.depth--
		return t
	}
	for n := 1; ; n++ {
		t.RawSetInt(n, d.value("value"))
		d.skipSpace()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			d.depth--
			return t
		}
		if d.i >= len(d.s) || d.s[d.i] != ',' {
			d.fail("comma or array end", d.tokenName())
		}
		d.i++
	}
}

func (d *jsonDecoder) str() string {
	start := d.i
	d.i++
	var b strings.Builder
	for {
		if d.i >= len(d.s) {
			d.i = start
			d.fail("value", "invalid token")
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String()
		case c == '\\':
			if d.i+1 >= len(d.s) {
				d.i = start
				d.fail("value", "invalid token")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					d.i = start
					d.fail("value", "invalid token")
				}
				if r >= 0xd800 && r < 0xdc00 && strings.HasPrefix(d.s[d.i:], "\\u") {
					d.i += 2
					lo, ok := d.hex4()
					if !ok || lo < 0xdc00 || lo > 0xdfff {
						d.i = start
						d.fail("value", "invalid token")
					}
					r = (r-0xd800)<<10 + (lo - 0xdc00) + 0x10000
				}
				var buf [4]byte
				n := utf8.EncodeRune(buf[:], rune(r))
				b.Write(buf[:n])
			default:
				d.i = start
				d.fail("value", "invalid token")
			}
		default:
			b.WriteByte(c)
			d.i++
		}
	}
}

func (d *jsonDecoder) hex4() (int, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return int(v), true
}
