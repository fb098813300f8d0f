package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// Rand is Redis's redisLrand48, which replaces math.random so that
// scripts draw the same sequence as on Redis. One sequence serves every
// interpreter of a server, as Redis's single static state does: it is
// never reseeded unless a script calls math.randomseed.
type Rand struct{ x uint64 }

// NewRand returns the sequence in the state Redis starts with.
func NewRand() *Rand { return &Rand{x: 0x1234ABCD330E} }

const (
	rand48A   = 0x5DEECE66D
	rand48C   = 0xB
	rand48Max = math.MaxInt32
)

func (r *Rand) seed(v int32) {
	u := uint32(v)
	r.x = uint64(u>>16)<<32 | uint64(u&0xffff)<<16 | 0x330E
}

func (r *Rand) next() int32 {
	r.x = (rand48A*r.x + rand48C) & (1<<48 - 1)
	return int32(r.x >> 17)
}

// mathRandom is Redis's redis_math_random.
func (s *State) mathRandom(L *lua.LState) int {
	r := float64(s.rand.next()%rand48Max) / float64(rand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (s *State) mathRandomSeed(L *lua.LState) int {
	s.rand.seed(int32(L.CheckInt(1)))
	return 0
}
