package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// RDB object types (Redis's rdb.h).
const (
	TypeString          = 0
	TypeList            = 1
	TypeSet             = 2
	TypeZSet            = 3
	TypeHash            = 4
	TypeZSet2           = 5
	TypeHashZipmap      = 9
	TypeListZiplist     = 10
	TypeSetIntset       = 11
	TypeZSetZiplist     = 12
	TypeHashZiplist     = 13
	TypeListQuicklist   = 14
	TypeStreamListpacks = 15
	TypeHashListpack    = 16
	TypeZSetListpack    = 17
	TypeListQuicklist2  = 18
	TypeStreamListpack2 = 19
	TypeSetListpack     = 20
	TypeStreamListpack3 = 21
	// TypeHashMetadataPreGA and TypeHashMetadata are Redis 7.4's hashes
	// with field expiry times: a field's time is absolute in the first;
	// in the second it is stored relative to the hash's earliest time
	// (written first, 8 bytes little-endian) plus one, 0 meaning none.
	TypeHashMetadataPreGA = 22
	TypeHashMetadata      = 24
)

// Quicklist node containers in TypeListQuicklist2.
const (
	containerPlain  = 1
	containerPacked = 2
)

// quicklistNodeLimit is the listpack size a quicklist node stays within
// under the default list-max-listpack-size of -2 (8 KB), and
// quicklistOverhead the per-element estimate Redis adds when checking it.
const (
	quicklistNodeLimit = 8192
	quicklistOverhead  = 8
	// quicklistPlainThreshold is the element size from which Redis keeps
	// an element in a node of its own (packed_threshold, 1 GB).
	quicklistPlainThreshold = 1 << 30
)

// ErrUnknownValue is returned for a value type with no codec.
var ErrUnknownValue = errors.New("rdb: no codec for this value type")

// Encoder writes values in the RDB object format to an io.Writer. The
// first write error sticks: later writes do nothing and Err returns it.
type Encoder struct {
	w   io.Writer
	err error
	// Limits decide which compact encodings values are written in, the
	// ones Redis would hold them in.
	Limits keyspace.Limits
	// Compress enables LZF for strings over 20 bytes (rdbcompression).
	Compress bool
	tmp      [16]byte
}

// NewEncoder returns an encoder writing to w with compression on, as
// Redis's default rdbcompression yes.
func NewEncoder(w io.Writer, l keyspace.Limits) *Encoder {
	return &Encoder{w: w, Limits: l, Compress: true}
}

// Err returns the first write error.
func (e *Encoder) Err() error { return e.err }

func (e *Encoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

// WriteType writes an object type byte.
func (e *Encoder) WriteType(t byte) { e.write([]byte{t}) }

// WriteLen writes a length (rdbSaveLen).
func (e *Encoder) WriteLen(n uint64) {
	b := e.tmp[:0]
	switch {
	case n < 1<<6:
		b = append(b, byte(n))
	case n < 1<<14:
		b = append(b, 0x40|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		b = append(b, 0x80)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	default:
		b = append(b, 0x81)
		b = binary.BigEndian.AppendUint64(b, n)
	}
	e.write(b)
}

// WriteString writes a string as Redis's rdbSaveRawString does: as an
// integer when it is a canonical one of at most 11 characters that fits
// 32 bits, LZF-compressed when over 20 bytes and that saves at least 4
// bytes, else as is.
func (e *Encoder) WriteString(s []byte) {
	if len(s) <= 11 {
		if v, ok := parseInt(string(s)); ok && e.writeInt(v) {
			return
		}
	}
	if e.Compress && len(s) > 20 {
		if c := lzfCompress(s, len(s)-4); c != nil {
			e.WriteType(0xC3)
			e.WriteLen(uint64(len(c)))
			e.WriteLen(uint64(len(s)))
			e.write(c)
			return
		}
	}
	e.WriteLen(uint64(len(s)))
	e.write(s)
}

// writeInt writes v in the 8, 16 or 32-bit string encoding, or reports
// false when it needs more.
func (e *Encoder) writeInt(v int64) bool {
	b := e.tmp[:0]
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		b = append(b, 0xC0, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		b = append(b, 0xC1, byte(v), byte(v>>8))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		b = append(b, 0xC2)
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	default:
		return false
	}
	e.write(b)
	return true
}

// WriteDouble writes a float64 in binary, little-endian (rdbSaveBinaryDoubleValue).
func (e *Encoder) WriteDouble(f float64) {
	e.write(binary.LittleEndian.AppendUint64(e.tmp[:0], math.Float64bits(f)))
}

// WriteValue writes v's type byte and body, in the encoding Redis 7.0
// would use for the same data.
func (e *Encoder) WriteValue(v keyspace.Value) error {
	switch v := v.(type) {
	case *keyspace.String:
		e.WriteType(TypeString)
		e.WriteString(v.B)
	case *keyspace.List:
		e.writeList(v)
	case *keyspace.Set:
		e.writeSet(v)
	case *keyspace.Hash:
		e.writeHash(v)
	case *keyspace.ZSet:
		e.writeZSet(v)
	default:
		c := codecFor(v.Type())
		if c == nil {
			return fmt.Errorf("cannot encode a %s: %w", v.Type(), ErrUnknownValue)
		}
		if err := c.Encode(e, v); err != nil {
			return err
		}
	}
	return e.err
}

// writeList writes a quicklist of listpack nodes filled from the head as
// RPUSH fills them (a list built otherwise may be split differently in
// Redis, which depends on its history).
func (e *Encoder) writeList(l *keyspace.List) {
	type node struct {
		plain []byte
		lp    *listpack
	}
	var nodes []node
	var cur *listpack
	for i := 0; i < l.Len(); i++ {
		el := l.Index(i)
		if len(el) >= quicklistPlainThreshold {
			nodes = append(nodes, node{plain: el})
			cur = nil
			continue
		}
		if cur == nil || cur.size()+len(el)+quicklistOverhead > quicklistNodeLimit {
			cur = newListpack()
			nodes = append(nodes, node{lp: cur})
		}
		cur.appendString(string(el))
	}
	e.WriteType(TypeListQuicklist2)
	e.WriteLen(uint64(len(nodes)))
	for _, n := range nodes {
		if n.lp == nil {
			e.WriteLen(containerPlain)
			e.WriteString(n.plain)
			continue
		}
		e.WriteLen(containerPacked)
		e.WriteString(n.lp.bytes())
	}
}

func (e *Encoder) writeSet(s *keyspace.Set) {
	if s.Encoding(e.Limits) == "intset" {
		members := s.Members(e.Limits) // sorted
		vals := make([]int64, len(members))
		for i, m := range members {
			vals[i], _ = strconv.ParseInt(m, 10, 64)
		}
		e.WriteType(TypeSetIntset)
		e.WriteString(intsetBytes(vals))
		return
	}
	e.WriteType(TypeSet)
	e.WriteLen(uint64(s.Len()))
	s.Each(func(m string) bool {
		e.WriteString([]byte(m))
		return e.err == nil
	})
}

func (e *Encoder) writeHash(h *keyspace.Hash) {
	if h.HasTTLs() {
		// Field expiry times exist only in Redis 7.4's hash types; a
		// plain hash would lose them.
		min := h.MinExpire()
		e.WriteType(TypeHashMetadata)
		e.write(binary.LittleEndian.AppendUint64(e.tmp[:0], uint64(min)))
		e.WriteLen(uint64(h.Len()))
		h.Each(func(f, v string) bool {
			var rel uint64
			if at, ok := h.FieldExpireAt(f); ok {
				rel = uint64(at-min) + 1
			}
			e.WriteLen(rel)
			e.WriteString([]byte(f))
			e.WriteString([]byte(v))
			return e.err == nil
		})
		return
	}
	if h.Listpack() {
		lp := newListpack()
		h.Each(func(f, v string) bool {
			lp.appendString(f)
			lp.appendString(v)
			return true
		})
		e.WriteType(TypeHashListpack)
		e.WriteString(lp.bytes())
		return
	}
	e.WriteType(TypeHash)
	e.WriteLen(uint64(h.Len()))
	h.Each(func(f, v string) bool {
		e.WriteString([]byte(f))
		e.WriteString([]byte(v))
		return e.err == nil
	})
}

func (e *Encoder) writeZSet(z *keyspace.ZSet) {
	if z.IsListpack() {
		lp := newListpack()
		for n := z.First(); n != nil; n = n.Next() {
			lp.appendString(n.Member())
			lp.appendString(formatScore(n.Score()))
		}
		e.WriteType(TypeZSetListpack)
		e.WriteString(lp.bytes())
		return
	}
	// Redis walks its skiplist from the tail, so loading inserts at the
	// head each time.
	e.WriteType(TypeZSet2)
	e.WriteLen(uint64(z.Len()))
	for n := z.Last(); n != nil && e.err == nil; n = n.Prev() {
		e.WriteString([]byte(n.Member()))
		e.WriteDouble(n.Score())
	}
}

// formatScore formats a score as Redis 7.0's d2string does for listpack
// sorted sets: integers within ±2^52 in decimal, else "%.17g".
func formatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	case f > -4503599627370495 && f < 4503599627370496 && f == float64(int64(f)):
		return strconv.FormatInt(int64(f), 10)
	}
	return formatG17(f)
}

// formatG17 is C's "%.17g".
func formatG17(f float64) string {
	s := strconv.FormatFloat(f, 'g', 17, 64)
	// Go writes exponents like C ("e+20", "e-05"), and drops trailing
	// zeros of the mantissa as %g does.
	return s
}
