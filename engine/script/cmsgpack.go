package script

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// The cmsgpack library (lua-cmsgpack 0.4) Redis ships: cmsgpack.pack,
// cmsgpack.unpack, unpack_one and unpack_limit.

const msgpackMaxNesting = 16

func openCMsgpack(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(msgpackPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return msgpackUnpack(L, 0, 0, false) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, 1, L.OptInt(2, 0), true)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return msgpackUnpack(L, L.OptInt(2, 0), L.OptInt(3, 0), true)
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}

func msgpackPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(0, "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = msgpackEncode(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func be16(b []byte, tag byte, v uint16) []byte {
	return binary.BigEndian.AppendUint16(append(b, tag), v)
}

func be32(b []byte, tag byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(append(b, tag), v)
}

func be64(b []byte, tag byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, tag), v)
}

func msgpackInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return be16(b, 0xcd, uint16(n))
		case n <= 0xffffffff:
			return be32(b, 0xce, uint32(n))
		}
		return be64(b, 0xcf, uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return be16(b, 0xd1, uint16(int16(n)))
	case n >= -2147483648:
		return be32(b, 0xd2, uint32(int32(n)))
	}
	return be64(b, 0xd3, uint64(n))
}

func msgpackEncode(b []byte, v lua.LValue, depth int) []byte {
	switch v := v.(type) {
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = be16(b, 0xda, uint16(n))
		default:
			b = be32(b, 0xdb, uint32(n))
		}
		return append(b, v...)
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if !math.IsInf(f, 0) && f == math.Trunc(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0 {
			return msgpackInt(b, int64(f))
		}
		if f32 := float32(f); float64(f32) == f {
			return be32(b, 0xca, math.Float32bits(f32))
		}
		return be64(b, 0xcb, math.Float64bits(f))
	case *lua.LTable:
		if depth >= msgpackMaxNesting {
			return append(b, 0xc0)
		}
		if n, ok := msgpackArrayLen(v); ok {
			switch {
			case n <= 15:
				b = append(b, 0x90|byte(n))
			case n <= 0xffff:
				b = be16(b, 0xdc, uint16(n))
			default:
				b = be32(b, 0xdd, uint32(n))
			}
			for i := 1; i <= n; i++ {
				b = msgpackEncode(b, v.RawGetInt(i), depth+1)
			}
			return b
		}
		n := 0
		v.ForEach(func(_, _ lua.LValue) { n++ })
		switch {
		case n <= 15:
			b = append(b, 0x80|byte(n))
		case n <= 0xffff:
			b = be16(b, 0xde, uint16(n))
		default:
			b = be32(b, 0xdf, uint32(n))
		}
		v.ForEach(func(k, val lua.LValue) {
			b = msgpackEncode(b, k, depth+1)
			b = msgpackEncode(b, val, depth+1)
		})
		return b
	}
	return append(b, 0xc0)
}

// msgpackArrayLen is table_is_an_array: keys 1..n without holes.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	count, max := 0, 0
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		n, isNum := k.(lua.LNumber)
		if !isNum || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			ok = false
			return
		}
		count++
		if int(n) > max {
			max = int(n)
		}
	})
	return max, ok && max == count
}

type msgpackDecoder struct {
	L   *lua.LState
	s   string
	i   int
	err string
}

func (d *msgpackDecoder) need(n int) bool {
	if d.err != "" {
		return false
	}
	if len(d.s)-d.i < n {
		d.err = "Missing bytes in input."
		return false
	}
	return true
}

func (d *msgpackDecoder) u(n int) uint64 {
	if !d.need(n) {
		return 0
	}
	var v uint64
	for k := 0; k < n; k++ {
		v = v<<8 | uint64(d.s[d.i+k])
	}
	d.i += n
	return v
}

func (d *msgpackDecoder) bytes(n int) lua.LValue {
	if !d.need(n) {
		return lua.LNil
	}
	v := d.s[d.i : d.i+n]
	d.i += n
	return lua.LString(v)
}

func (d *msgpackDecoder) array(n int) lua.LValue {
	t := d.L.NewTable()
	for k := 1; k <= n && d.err == ""; k++ {
		t.RawSetInt(k, d.value())
	}
	return t
}

func (d *msgpackDecoder) table(n int) lua.LValue {
	t := d.L.NewTable()
	for k := 0; k < n && d.err == ""; k++ {
		key := d.value()
		val := d.value()
		if key != lua.LNil && d.err == "" {
			t.RawSet(key, val)
		}
	}
	return t
}

func (d *msgpackDecoder) value() lua.LValue {
	if !d.need(1) {
		return lua.LNil
	}
	c := d.s[d.i]
	d.i++
	switch {
	case c <= 0x7f:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return d.bytes(int(c & 0x1f))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.table(int(c & 0x0f))
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xcc:
		return lua.LNumber(d.u(1))
	case 0xcd:
		return lua.LNumber(d.u(2))
	case 0xce:
		return lua.LNumber(d.u(4))
	case 0xcf:
		return lua.LNumber(float64(d.u(8)))
	case 0xd0:
		return lua.LNumber(int8(d.u(1)))
	case 0xd1:
		return lua.LNumber(int16(d.u(2)))
	case 0xd2:
		return lua.LNumber(int32(d.u(4)))
	case 0xd3:
		return lua.LNumber(float64(int64(d.u(8))))
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.u(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.u(8)))
	case 0xc4, 0xd9:
		return d.bytes(int(d.u(1)))
	case 0xc5, 0xda:
		return d.bytes(int(d.u(2)))
	case 0xc6, 0xdb:
		return d.bytes(int(d.u(4)))
	case 0xdc:
		return d.array(int(d.u(2)))
	case 0xdd:
		return d.array(int(d.u(4)))
	case 0xde:
		return d.table(int(d.u(2)))
	case 0xdf:
		return d.table(int(d.u(4)))
	}
	d.err = "Bad data format in input."
	return lua.LNil
}

// msgpackUnpack decodes up to limit objects (0: all) from offset; with
// withOffset the next offset (-1 at the end) comes first.
func msgpackUnpack(L *lua.LState, limit, offset int, withOffset bool) int {
	s := L.CheckString(1)
	if offset < 0 || limit < 0 {
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, len(s))
	}
	if offset > len(s) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	d := &msgpackDecoder{L: L, s: s, i: offset}
	var vals []lua.LValue
	for d.i < len(s) && (limit == 0 || len(vals) < limit) {
		v := d.value()
		if d.err != "" {
			L.RaiseError("%s", d.err)
		}
		vals = append(vals, v)
	}
	if withOffset {
		next := d.i
		if next >= len(s) {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range vals {
		L.Push(v)
	}
	if withOffset {
		return len(vals) + 1
	}
	return len(vals)
}
