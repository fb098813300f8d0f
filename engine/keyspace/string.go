package keyspace

import "strconv"

// String is a string value.
type String struct {
	B []byte
	// Raw is set once the value was changed in place (APPEND, SETRANGE,
	// SETBIT), after which Redis reports it as "raw" whatever it holds.
	Raw bool
}

// NewString returns a String holding a copy of b.
func NewString(b []byte) *String {
	return &String{B: append(make([]byte, 0, len(b)), b...)}
}

// Type implements Value.
func (s *String) Type() string { return "string" }

// Clone implements Value.
func (s *String) Clone() Value { return &String{B: append([]byte(nil), s.B...), Raw: s.Raw} }

// Size implements Value.
func (s *String) Size() int64 { return int64(len(s.B)) + 16 }

// Encoding implements Value: "int" for integers that fit in 64 bits and
// take at most 20 characters, "embstr" for strings of at most 44 bytes,
// else "raw", as Redis 7.0 reports them.
func (s *String) Encoding(Limits) string {
	if !s.Raw && len(s.B) <= 20 && len(s.B) > 0 {
		if _, err := strconv.ParseInt(string(s.B), 10, 64); err == nil && canonicalInt(s.B) {
			return "int"
		}
	}
	if !s.Raw && len(s.B) <= 44 {
		return "embstr"
	}
	return "raw"
}

// canonicalInt reports whether b is an integer written the way Redis
// writes it back (no leading zeros or '+').
func canonicalInt(b []byte) bool {
	if b[0] == '-' {
		b = b[1:]
	}
	return len(b) > 0 && (b[0] != '0' || len(b) == 1) && b[0] != '+'
}
