package command

import (
	"encoding/binary"
	"math"
)

// The HyperLogLog representation, byte for byte Redis's (hyperloglog.c),
// so that a value GET from one server and SET into the other counts the
// same. A HyperLogLog is a string value:
//
//	+------+---+-----+----------+-----------
//	| HYLL | E | N/U | Cardin.  | registers
//	+------+---+-----+----------+-----------
//	  4      1   3     8 (LE)
//
// E is the encoding: 0 dense, 1 sparse. The cardinality is the cached
// estimate, little endian, with the top bit of its last byte set when
// stale. Dense: 16384 registers of 6 bits, least significant bits first.
// Sparse: run-length opcodes ZERO (00xxxxxx: 1-64 zero registers), XZERO
// (01xxxxxx yyyyyyyy: 1-16384 zero registers) and VAL (1vvvvvxx: 1-4
// registers of value 1-32).
const (
	hllP          = 14
	hllQ          = 64 - hllP
	hllRegisters  = 1 << hllP
	hllPMask      = hllRegisters - 1
	hllBits       = 6
	hllRegMax     = 1<<hllBits - 1
	hllHdrSize    = 16
	hllDenseSize  = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense      = 0
	hllSparse     = 1
	hllMaxEncType = 1

	hllSparseValMaxValue = 32
	hllSparseValMaxLen   = 4
	hllSparseZeroMaxLen  = 64
	hllSparseXZeroMaxLen = 16384

	// hllAlphaInf is 0.5/ln(2), the estimator's constant.
	hllAlphaInf = 0.721347520444481703680
	// hllSparseMaxBytes is hll-sparse-max-bytes' default: a sparse value
	// that would grow past it turns dense.
	hllSparseMaxBytes = 3000
)

// newHLL returns an empty HyperLogLog: sparse, one XZERO covering every
// register, cached cardinality 0 (valid), as createHLLObject makes it.
func newHLL() []byte {
	b := make([]byte, hllHdrSize+2)
	copy(b, "HYLL")
	b[4] = hllSparse
	l := hllRegisters - 1
	b[hllHdrSize] = byte(l>>8) | 0x40
	b[hllHdrSize+1] = byte(l)
	return b
}

// isHLL reports whether b looks like a HyperLogLog (isHLLObjectOrReply):
// the magic, a known encoding and, when dense, the exact size.
func isHLL(b []byte) bool {
	if len(b) < hllHdrSize || string(b[:4]) != "HYLL" || b[4] > hllMaxEncType {
		return false
	}
	return b[4] != hllDense || len(b) == hllDenseSize
}

func hllInvalidate(b []byte) { b[15] |= 0x80 }

func hllCacheValid(b []byte) bool { return b[15]&0x80 == 0 }

// murmurHash64A is MurmurHash2's 64-bit variant as Redis has it (for a
// little-endian machine).
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * uint(i))
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element goes to and the length of
// the run of zeros (plus one) its hash ends with, at most hllQ+1.
func hllPatLen(ele []byte) (reg int, count uint8) {
	h := murmurHash64A(ele, 0xadc83b19)
	reg = int(h & hllPMask)
	h >>= hllP
	h |= 1 << hllQ
	count = 1
	for bit := uint64(1); h&bit == 0; bit <<= 1 {
		count++
	}
	return reg, count
}

// denseGet reads register i of the dense registers r (which may lack the
// byte after the last register, as Redis reads its NUL terminator there).
func denseGet(r []byte, i int) uint8 {
	at, fb := i*hllBits/8, uint(i*hllBits&7)
	b0 := uint(r[at])
	var b1 uint
	if at+1 < len(r) {
		b1 = uint(r[at+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegMax)
}

// denseSet writes register i.
func denseSet(r []byte, i int, v uint8) {
	at, fb := i*hllBits/8, uint(i*hllBits&7)
	r[at] &^= byte(hllRegMax << fb)
	r[at] |= byte(uint(v) << fb)
	if at+1 < len(r) {
		r[at+1] &^= byte(hllRegMax >> (8 - fb))
		r[at+1] |= byte(uint(v) >> (8 - fb))
	}
}

// sparseOp decodes the opcode at p[0]: the registers it covers, its value
// (0 for the zero runs) and its length in bytes. An XZERO cut short reads
// its missing byte as 0, like Redis reading the string's terminator.
func sparseOp(p []byte) (span int, val uint8, oplen int) {
	switch op := p[0]; {
	case op&0xc0 == 0:
		return int(op&0x3f) + 1, 0, 1
	case op&0x80 != 0:
		return int(op&3) + 1, (op>>2)&0x1f + 1, 1
	default:
		var lo byte
		if len(p) > 1 {
			lo = p[1]
		}
		return (int(op&0x3f)<<8 | int(lo)) + 1, 0, 2
	}
}

func sparseVal(v uint8, n int) byte { return byte((int(v)-1)<<2|(n-1)) | 0x80 }

// appendZeros appends the opcode of a run of n zero registers (n <= 16384).
func appendZeros(seq []byte, n int) []byte {
	if n > hllSparseZeroMaxLen {
		return append(seq, byte((n-1)>>8)|0x40, byte(n-1))
	}
	return append(seq, byte(n-1))
}

// hllSet raises register i to count if it is lower, reporting 1 when it
// changed, 0 when not, -1 when the value is corrupt. b is the whole value;
// the sparse form may be rewritten or promoted to dense, hence the result.
func hllSet(b []byte, i int, count uint8, maxSparse int) ([]byte, int) {
	switch b[4] {
	case hllDense:
		if count > denseGet(b[hllHdrSize:], i) {
			denseSet(b[hllHdrSize:], i, count)
			return b, 1
		}
		return b, 0
	case hllSparse:
		return sparseSet(b, i, count, maxSparse)
	}
	return b, -1
}

// hllAdd adds an element, with hllSet's results.
func hllAdd(b []byte, ele []byte, maxSparse int) ([]byte, int) {
	i, count := hllPatLen(ele)
	return hllSet(b, i, count, maxSparse)
}

// sparseSet is Redis's hllSparseSet: it finds the opcode covering register
// i, splits it to hold the new value, merges equal neighbouring VAL
// opcodes, and promotes to dense when the value does not fit a VAL or the
// string would outgrow maxSparse bytes.
func sparseSet(b []byte, index int, count uint8, maxSparse int) ([]byte, int) {
	if count > hllSparseValMaxValue {
		return promoteAndSet(b, index, count)
	}
	end := len(b)
	p, prev, first, span, oplen := hllHdrSize, -1, 0, 0, 0
	var val uint8
	for p < end {
		span, val, oplen = sparseOp(b[p:])
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return b, -1
	}
	isVal := b[p]&0x80 != 0
	isZero := b[p]&0xc0 == 0
	runlen := span
	updated := false
	if isVal {
		if val >= count {
			return b, 0
		}
		if runlen == 1 {
			b[p] = sparseVal(count, 1)
			updated = true
		}
	}
	if !updated && isZero && runlen == 1 {
		b[p] = sparseVal(count, 1)
		updated = true
	}
	if !updated {
		var seqBuf [5]byte
		seq := seqBuf[:0]
		last := first + span - 1
		if !isVal {
			if index != first {
				seq = appendZeros(seq, index-first)
			}
			seq = append(seq, sparseVal(count, 1))
			if index != last {
				seq = appendZeros(seq, last-index)
			}
		} else {
			if index != first {
				seq = append(seq, sparseVal(val, index-first))
			}
			seq = append(seq, sparseVal(count, 1))
			if index != last {
				seq = append(seq, sparseVal(val, last-index))
			}
		}
		delta := len(seq) - oplen
		if delta > 0 && len(b)+delta > maxSparse {
			return promoteAndSet(b, index, count)
		}
		if delta > 0 {
			b = append(b, seq[:delta]...) // room; overwritten below
		}
		copy(b[p+len(seq):], b[p+oplen:end])
		b = b[:end+delta]
		copy(b[p:], seq)
		end += delta
	}
	// Merge adjacent VAL opcodes of the same value, scanning up to five
	// opcodes from the one before the change.
	p = hllHdrSize
	if prev >= 0 {
		p = prev
	}
	for scan := 5; p < end && scan > 0; scan-- {
		switch {
		case b[p]&0xc0 == 0x40:
			p += 2
			continue
		case b[p]&0xc0 == 0:
			p++
			continue
		}
		if p+1 < end && b[p+1]&0x80 != 0 {
			_, v1, _ := sparseOp(b[p:])
			_, v2, _ := sparseOp(b[p+1:])
			if v1 == v2 {
				if n := int(b[p]&3) + 1 + int(b[p+1]&3) + 1; n <= hllSparseValMaxLen {
					b[p+1] = sparseVal(v1, n)
					copy(b[p:], b[p+1:end])
					end--
					b = b[:end]
					continue
				}
			}
		}
		p++
	}
	hllInvalidate(b)
	return b, 1
}

// promoteAndSet turns a sparse value dense and sets register i in it.
func promoteAndSet(b []byte, i int, count uint8) ([]byte, int) {
	d, ok := sparseToDense(b)
	if !ok {
		return b, -1
	}
	denseSet(d[hllHdrSize:], i, count)
	return d, 1
}

// sparseToDense returns the dense form of a sparse value (the header,
// cached cardinality included, is kept), or ok=false when the opcodes do
// not cover exactly every register. A dense value is returned as is.
func sparseToDense(b []byte) ([]byte, bool) {
	if b[4] == hllDense {
		return b, true
	}
	d := make([]byte, hllDenseSize)
	copy(d, b[:hllHdrSize])
	d[4] = hllDense
	r := d[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(b); {
		span, val, oplen := sparseOp(b[p:])
		p += oplen
		if val == 0 {
			idx += span
			continue
		}
		if idx+span > hllRegisters {
			break
		}
		for ; span > 0; span-- {
			denseSet(r, idx, val)
			idx++
		}
	}
	return d, idx == hllRegisters
}

// hllMergeInto raises each of the 16384 registers in max to the value's,
// reporting false for a corrupt sparse value.
func hllMergeInto(max []uint8, b []byte) bool {
	if b[4] == hllDense {
		r := b[hllHdrSize:]
		for i := range hllRegisters {
			if v := denseGet(r, i); v > max[i] {
				max[i] = v
			}
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(b); {
		span, val, oplen := sparseOp(b[p:])
		p += oplen
		if val == 0 {
			i += span
			continue
		}
		if i+span > hllRegisters {
			break
		}
		for ; span > 0; span-- {
			if val > max[i] {
				max[i] = val
			}
			i++
		}
	}
	return i == hllRegisters
}

// hllHisto counts the registers of each value; ok=false for a sparse value
// whose opcodes do not cover exactly every register.
func hllHisto(b []byte) (h [64]int, ok bool) {
	if b[4] == hllDense {
		r := b[hllHdrSize:]
		for i := range hllRegisters {
			h[denseGet(r, i)]++
		}
		return h, true
	}
	idx := 0
	for p := hllHdrSize; p < len(b); {
		span, val, oplen := sparseOp(b[p:])
		p += oplen
		idx += span
		h[val] += span
	}
	return h, idx == hllRegisters
}

// rawHisto counts the registers of each value of a register array.
func rawHisto(regs []uint8) (h [64]int) {
	for _, v := range regs {
		h[v]++
	}
	return h
}

// hllEstimate is Redis 7's hllCount estimator on a register histogram:
// Otmar Ertl's improved raw estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", arXiv:1702.01284), computed in the
// same order of operations so the results agree to the bit.
func hllEstimate(h *[64]int) uint64 {
	const m = float64(hllRegisters)
	z := m * hllTau((m-float64(h[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(h[0])/m)
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zp := z
		z += x * y
		y += y
		if zp == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= d * d * y
		if zp == z {
			return z / 3
		}
	}
}

// hllCachedCard returns the cached cardinality.
func hllCachedCard(b []byte) uint64 { return binary.LittleEndian.Uint64(b[8:16]) }

// hllSetCard stores a fresh cached cardinality.
func hllSetCard(b []byte, card uint64) { binary.LittleEndian.PutUint64(b[8:16], card) }
