package command

import (
	"math"
	"testing"
)

func TestBitfieldGetSet(t *testing.T) {
	p := make([]byte, 16)
	for _, tc := range []struct {
		offset uint64
		bits   uint
		v      int64
		signed bool
	}{
		{0, 8, 100, true}, {3, 5, -7, true}, {13, 63, math.MaxInt64 >> 1, false}, {5, 64, -1, true}, {1, 1, 1, false},
	} {
		bitfieldSet(p, tc.offset, tc.bits, uint64(tc.v))
		if got := bitfieldGet(p, tc.offset, tc.bits, tc.signed); got != tc.v {
			t.Errorf("field %d:%d = %d, want %d", tc.offset, tc.bits, got, tc.v)
		}
	}
}

func TestBitfieldOverflow(t *testing.T) {
	for _, tc := range []struct {
		name        string
		signed      bool
		value, incr int64
		bits        uint
		ow          int
		over        bool
		want        int64
	}{
		{"i8 wrap", true, 100, 100, 8, bfWrap, true, -56},
		{"i8 sat up", true, 100, 100, 8, bfSat, true, 127},
		{"i8 sat down", true, -100, -100, 8, bfSat, true, -128},
		{"i8 fits", true, 100, 27, 8, bfWrap, false, 0},
		{"i64 wrap", true, math.MaxInt64, 1, 64, bfWrap, true, math.MinInt64},
		{"u4 wrap", false, 15, 1, 4, bfWrap, true, 0},
		{"u4 sat", false, 15, 1, 4, bfSat, true, 15},
		{"u4 sat down", false, 0, -1, 4, bfSat, true, 0},
		{"u4 set negative", false, -1, 0, 4, bfWrap, true, 15},
	} {
		var over bool
		var got int64
		if tc.signed {
			over, got = signedOverflow(tc.value, tc.incr, tc.bits, tc.ow)
		} else {
			var u uint64
			over, u = unsignedOverflow(uint64(tc.value), tc.incr, tc.bits, tc.ow)
			got = int64(u)
		}
		if over != tc.over || (over && got != tc.want) {
			t.Errorf("%s: %v, %d; want %v, %d", tc.name, over, got, tc.over, tc.want)
		}
	}
}

func TestResolveBitRange(t *testing.T) {
	for _, tc := range []struct {
		start, end, n int64
		isBit         bool
		want          bitRange
		empty         bool
	}{
		{0, -1, 6, false, bitRange{start: 0, end: 5}, false},
		{5, 30, 6, true, bitRange{start: 0, end: 3, firstMask: 0xf8, lastMask: 0x01}, false},
		{-100, -50, 6, false, bitRange{start: 0, end: 0}, false},
		{5, 2, 6, false, bitRange{start: 5, end: 2}, true},
	} {
		got, empty := resolveBitRange(tc.start, tc.end, tc.n, tc.isBit)
		if got != tc.want || empty != tc.empty {
			t.Errorf("resolveBitRange(%d, %d, %d, %v) = %+v, %v", tc.start, tc.end, tc.n, tc.isBit, got, empty)
		}
	}
}
