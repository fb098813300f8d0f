package keyspace

import "strconv"

// String is a string value.
type String struct {
	B []byte
	// Raw is set once the value was changed in place (APPEND, SETRANGE,
	// SETBIT), after which Redis reports it as "raw" whatever it holds.
	Raw bool
	// NoInt is set for values Redis stores without trying the integer
	// encoding (INCRBYFLOAT results), which it reports as "embstr" or
	// "raw" even when they look like integers.
	NoInt bool
	// Copied is set on COPY's copies: Redis duplicates even the small
	// integers it otherwise shares, so OBJECT REFCOUNT reports 1 for them.
	Copied bool
}

// NewString returns a String holding a copy of b.
func NewString(b []byte) *String {
	return &String{B: append(make([]byte, 0, len(b)), b...)}
}

// NewInt returns a String holding the decimal form of v, as INCR and
// friends store their results.
func NewInt(v int64) *String {
	var tmp [20]byte
	return NewString(strconv.AppendInt(tmp[:0], v, 10))
}

// Type implements Value.
func (s *String) Type() string { return "string" }

// Clone implements Value.
func (s *String) Clone() Value {
	return &String{B: append([]byte(nil), s.B...), Raw: s.Raw, NoInt: s.NoInt, Copied: true}
}

// Size implements Value.
func (s *String) Size() int64 { return int64(len(s.B)) + 16 }

// Encoding implements Value: "int" for integers that fit in 64 bits and
// take at most 20 characters, "embstr" for strings of at most 44 bytes,
// else "raw", as Redis 7.0 reports them.
func (s *String) Encoding(Limits) string {
	if s.Raw {
		return "raw"
	}
	if s.IsInt() {
		return "int"
	}
	if len(s.B) <= 44 {
		return "embstr"
	}
	return "raw"
}

// IsInt reports whether Redis would hold the value with the integer
// encoding: it was stored as is (not changed in place nor produced by
// INCRBYFLOAT) and reads back as the same integer (string2ll's rules: no
// sign other than '-', no leading zeros, no "-0").
func (s *String) IsInt() bool {
	if s.Raw || s.NoInt {
		return false
	}
	_, ok := parseInt(s.B)
	return ok
}

// Int returns the value as an integer, with Redis's string2ll rules.
func (s *String) Int() (int64, bool) { return parseInt(s.B) }

// SetInt replaces the value by the decimal form of v in place, reusing the
// buffer, as INCR does; the value is then integer-encoded again.
func (s *String) SetInt(v int64) {
	s.B = strconv.AppendInt(s.B[:0], v, 10)
	s.Raw, s.NoInt, s.Copied = false, false, false
}

// Append appends b in place and returns the new length (APPEND).
func (s *String) Append(b []byte) int {
	s.B = append(s.B, b...)
	s.Raw = true
	return len(s.B)
}

// SetRange overwrites the value from offset with b, padding with zero
// bytes when the value is shorter than offset, and returns the new length
// (SETRANGE). The caller checks the resulting size.
func (s *String) SetRange(offset int, b []byte) int {
	if end := offset + len(b); end > len(s.B) {
		if end <= cap(s.B) {
			old := len(s.B)
			s.B = s.B[:end]
			clear(s.B[old:])
		} else {
			s.B = append(s.B, make([]byte, end-len(s.B))...)
		}
	}
	copy(s.B[offset:], b)
	s.Raw = true
	return len(s.B)
}

// Range returns the bytes between start and end inclusive, with negative
// indexes counting from the end, clamped as GETRANGE does.
func (s *String) Range(start, end int64) []byte {
	n := int64(len(s.B))
	if (start < 0 && end < 0 && start > end) || n == 0 {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end {
		return nil
	}
	return s.B[start : end+1]
}

// parseInt parses b with Redis's string2ll rules: at most 20 characters,
// an optional '-', no leading zeros, no "-0", no overflow. (The keyspace
// does not depend on the wire format package, whose parser is the same.)
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	d := b
	if b[0] == '-' {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		nv := v*10 + uint64(c-'0')
		if nv/10 != v {
			return 0, false
		}
		v = nv
	}
	if b[0] == '-' {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
