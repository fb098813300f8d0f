package script

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// The bit library (LuaBitOp 1.0.2) Redis ships: 32-bit operations on
// numbers, results as signed 32-bit numbers.

// bitArg converts a number to 32 bits as LuaBitOp does: adding 2^52+2^51
// rounds to an integer in the low word of the double.
func bitArg(L *lua.LState, i int) uint32 {
	f := float64(L.CheckNumber(i))
	return uint32(math.Float64bits(f + 6755399441055744.0))
}

func pushBits(L *lua.LState, v uint32) int {
	L.Push(lua.LNumber(int32(v)))
	return 1
}

func openBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	fold := func(op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, bitArg(L, i))
			}
			return pushBits(L, v)
		}
	}
	shift := func(op func(a uint32, n uint) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v, n := bitArg(L, 1), bitArg(L, 2)&31
			return pushBits(L, op(v, uint(n)))
		}
	}
	funcs := map[string]lua.LGFunction{
		"tobit":  func(L *lua.LState) int { return pushBits(L, bitArg(L, 1)) },
		"bnot":   func(L *lua.LState) int { return pushBits(L, ^bitArg(L, 1)) },
		"band":   fold(func(a, b uint32) uint32 { return a & b }),
		"bor":    fold(func(a, b uint32) uint32 { return a | b }),
		"bxor":   fold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift": shift(func(a uint32, n uint) uint32 { return a << n }),
		"rshift": shift(func(a uint32, n uint) uint32 { return a >> n }),
		"arshift": shift(func(a uint32, n uint) uint32 {
			return uint32(int32(a) >> n)
		}),
		"rol":   shift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, int(n)) }),
		"ror":   shift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, -int(n)) }),
		"bswap": func(L *lua.LState) int { return pushBits(L, bits.ReverseBytes32(bitArg(L, 1))) },
		"tohex": bitToHex,
	}
	for name, fn := range funcs {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

func bitToHex(L *lua.LState) int {
	b := bitArg(L, 1)
	n := int32(8)
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		n = int32(bitArg(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	if n > 8 {
		n = 8
	}
	buf := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		buf[i] = digits[b&15]
		b >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}
