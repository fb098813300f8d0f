package command

import (
	"bytes"
	"strconv"
	"testing"
)

func TestMurmurHash64A(t *testing.T) {
	// Register and run length Redis 7.0 gives these elements (read back
	// with PFDEBUG GETREG on a one-element HyperLogLog).
	for _, tc := range []struct {
		ele   string
		reg   int
		count uint8
	}{
		{"foo", 7348, 5},
		{"bar", 10007, 1},
		{"a", 12711, 2},
		{"hello-world-12345", 14578, 1},
	} {
		if reg, count := hllPatLen([]byte(tc.ele)); reg != tc.reg || count != tc.count {
			t.Errorf("hllPatLen(%q) = %d, %d, want %d, %d", tc.ele, reg, count, tc.reg, tc.count)
		}
	}
	// Stable across tail lengths 0-7 and full words.
	seen := map[uint64]bool{}
	for n := range 17 {
		h := murmurHash64A(bytes.Repeat([]byte{'a'}, n), 0xadc83b19)
		if seen[h] {
			t.Errorf("collision at length %d", n)
		}
		seen[h] = true
	}
}

func TestDenseRegisters(t *testing.T) {
	r := make([]byte, hllDenseSize-hllHdrSize)
	for i := range hllRegisters {
		denseSet(r, i, uint8(i%64))
	}
	for i := range hllRegisters {
		if got := denseGet(r, i); got != uint8(i%64) {
			t.Fatalf("register %d = %d, want %d", i, got, i%64)
		}
	}
}

func TestSparseSetMatchesDense(t *testing.T) {
	// Adding elements to a sparse value and promoting it must give the
	// registers a dense value gets from the same elements.
	sparse := newHLL()
	dense, _ := sparseToDense(newHLL())
	for i := range 3000 {
		ele := []byte("e" + strconv.Itoa(i))
		var r int
		sparse, r = hllAdd(sparse, ele, 1<<20)
		if r < 0 {
			t.Fatalf("corrupt after %d", i)
		}
		dense, _ = hllAdd(dense, ele, 1<<20)
	}
	if sparse[4] != hllSparse {
		t.Fatal("promoted too early")
	}
	got, ok := sparseToDense(sparse)
	if !ok {
		t.Fatal("sparse value does not cover every register")
	}
	if !bytes.Equal(got[hllHdrSize:], dense[hllHdrSize:]) {
		t.Fatal("registers differ")
	}
	hs, _ := hllHisto(sparse)
	hd, _ := hllHisto(dense)
	if hllEstimate(&hs) != hllEstimate(&hd) {
		t.Fatal("estimates differ")
	}
	if e := hllEstimate(&hd); e < 2900 || e > 3100 {
		t.Errorf("estimate %d for 3000 elements", e)
	}
}

func TestSparsePromotion(t *testing.T) {
	b := newHLL()
	for i := 0; b[4] == hllSparse; i++ {
		b, _ = hllAdd(b, []byte(strconv.Itoa(i)), hllSparseMaxBytes)
		if b[4] == hllSparse && len(b) > hllSparseMaxBytes {
			t.Fatalf("sparse value of %d bytes", len(b))
		}
	}
	if len(b) != hllDenseSize {
		t.Fatalf("dense value of %d bytes", len(b))
	}
}

func TestIsHLL(t *testing.T) {
	d, _ := sparseToDense(newHLL())
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{newHLL(), true},
		{d, true},
		{d[:len(d)-1], false},
		{[]byte("HYLL"), false},
		{append([]byte("HYLX"), newHLL()[4:]...), false},
		{append([]byte("HYLL\x02"), newHLL()[5:]...), false},
	} {
		if got := isHLL(tc.b); got != tc.want {
			t.Errorf("isHLL(%q...) = %v", tc.b[:min(6, len(tc.b))], got)
		}
	}
}

func TestEmptyEstimate(t *testing.T) {
	h, _ := hllHisto(newHLL())
	if got := hllEstimate(&h); got != 0 {
		t.Errorf("empty estimate %d", got)
	}
}
