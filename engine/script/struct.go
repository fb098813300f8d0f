package script

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The struct library (Roberto Ierusalimschy's lstruct.c) Redis ships:
// struct.pack, struct.unpack and struct.size over a format string.

const structMaxIntSize = 32

type structHeader struct {
	little bool
	align  int
}

func openStruct(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// getNum reads an optional decimal size after a format letter.
func getNum(f string, i *int, df int) int {
	if *i >= len(f) || !isDigit(f[*i]) {
		return df
	}
	a := 0
	for *i < len(f) && isDigit(f[*i]) {
		if a > (math.MaxInt32-9)/10 {
			break
		}
		a = a*10 + int(f[*i]-'0')
		*i++
	}
	return a
}

// optSize returns the size of format option opt.
func optSize(L *lua.LState, opt byte, f string, i *int) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T':
		return 8
	case 'f':
		return 4
	case 'd':
		return 8
	case 'x':
		return 1
	case 'c':
		return getNum(f, i, 1)
	case 'i', 'I':
		sz := getNum(f, i, 4)
		if sz > structMaxIntSize {
			L.RaiseError("integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func gettoalign(len int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	return (size - (len & (size - 1))) & (size - 1)
}

func controlOptions(L *lua.LState, opt byte, f string, i *int, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.little = false
	case '<':
		h.little = true
	case '!':
		a := getNum(f, i, 8)
		if a&(a-1) != 0 {
			L.RaiseError("alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		L.RaiseError("invalid format option '%c'", opt)
	}
}

func putInteger(b []byte, v uint64, little bool, size int) []byte {
	buf := make([]byte, size)
	for i := 0; i < size; i++ {
		var byt byte
		if i < 8 {
			byt = byte(v >> (8 * uint(i)))
		} else if int64(v) < 0 {
			byt = 0xff
		}
		if little {
			buf[i] = byt
		} else {
			buf[size-1-i] = byt
		}
	}
	return append(b, buf...)
}

func structPack(L *lua.LState) int {
	f := L.CheckString(1)
	h := structHeader{little: true, align: 1}
	arg := 2
	var out []byte
	for i := 0; i < len(f); {
		opt := f[i]
		i++
		size := optSize(L, opt, f, &i)
		for n := gettoalign(len(out), &h, opt, size); n > 0; n-- {
			out = append(out, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := float64(L.CheckNumber(arg))
			arg++
			var v uint64
			if n < 0 {
				v = uint64(int64(n))
			} else {
				v = uint64(n)
			}
			out = putInteger(out, v, h.little, size)
		case 'x':
			out = append(out, 0)
		case 'f':
			v := math.Float32bits(float32(L.CheckNumber(arg)))
			arg++
			out = appendOrdered(out, uint64(v), 4, h.little)
		case 'd':
			v := math.Float64bits(float64(L.CheckNumber(arg)))
			arg++
			out = appendOrdered(out, v, 8, h.little)
		case 'c', 's':
			s := L.CheckString(arg)
			arg++
			l := len(s)
			if size == 0 {
				size = l
			}
			if l < size {
				L.ArgError(arg-1, "string too short")
			}
			out = append(out, s[:size]...)
			if opt == 's' {
				out = append(out, 0)
			}
		default:
			controlOptions(L, opt, f, &i, &h)
		}
	}
	L.Push(lua.LString(out))
	return 1
}

func appendOrdered(b []byte, v uint64, size int, little bool) []byte {
	buf := make([]byte, 8)
	if little {
		binary.LittleEndian.PutUint64(buf, v)
		return append(b, buf[:size]...)
	}
	binary.BigEndian.PutUint64(buf, v)
	return append(b, buf[8-size:]...)
}

func getInteger(b []byte, little, signed bool, size int) float64 {
	var v uint64
	for i := 0; i < size; i++ {
		var byt byte
		if little {
			byt = b[size-1-i]
		} else {
			byt = b[i]
		}
		v = v<<8 | uint64(byt)
	}
	if signed && size < 8 {
		mask := uint64(1) << uint(size*8-1)
		if v&mask != 0 {
			return float64(int64(v | ^(mask<<1 - 1)))
		}
	}
	if signed {
		return float64(int64(v))
	}
	return float64(v)
}

func structUnpack(L *lua.LState) int {
	f := L.CheckString(1)
	data := L.CheckString(2)
	pos := L.OptInt(3, 1) - 1
	if pos < 0 {
		L.ArgError(3, "offset must be 1 or greater")
	}
	h := structHeader{little: true, align: 1}
	n := 0
	for i := 0; i < len(f); {
		opt := f[i]
		i++
		size := optSize(L, opt, f, &i)
		pos += gettoalign(pos, &h, opt, size)
		if size > len(data) || pos > len(data)-size {
			L.ArgError(2, "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			signed := opt >= 'a' && opt <= 'z'
			L.Push(lua.LNumber(getInteger([]byte(data[pos:pos+size]), h.little, signed, size)))
			n++
		case 'x':
		case 'f':
			var v uint32
			if h.little {
				v = binary.LittleEndian.Uint32([]byte(data[pos:]))
			} else {
				v = binary.BigEndian.Uint32([]byte(data[pos:]))
			}
			L.Push(lua.LNumber(math.Float32frombits(v)))
			n++
		case 'd':
			var v uint64
			if h.little {
				v = binary.LittleEndian.Uint64([]byte(data[pos:]))
			} else {
				v = binary.BigEndian.Uint64([]byte(data[pos:]))
			}
			L.Push(lua.LNumber(math.Float64frombits(v)))
			n++
		case 'c':
			if size == 0 {
				if n == 0 {
					L.RaiseError("format 'c0' needs a previous size")
				}
				prev, ok := L.Get(-1).(lua.LNumber)
				if !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev)
				L.Pop(1)
				n--
				if size > len(data)-pos {
					L.ArgError(2, "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			L.Push(lua.LString(data[pos : pos+e]))
			size = e + 1
			n++
		default:
			controlOptions(L, opt, f, &i, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	f := L.CheckString(1)
	h := structHeader{little: true, align: 1}
	pos := 0
	for i := 0; i < len(f); {
		opt := f[i]
		i++
		size := optSize(L, opt, f, &i)
		pos += gettoalign(pos, &h, opt, size)
		if opt == 's' {
			L.ArgError(1, "options 'c0' - 's' have undefined sizes")
		} else if opt == 'c' && size == 0 {
			L.ArgError(1, "options 'c0' - 's' have undefined sizes")
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}
