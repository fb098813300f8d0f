package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Parsing of scores and ranges with the exact rules of Redis, which reads
// numbers with C's strtod: what it accepts and rejects differs from Go's
// strconv in hex floats, underflow and surrounding space.

// parseScore parses a score or increment the way Redis's
// getDoubleFromObject does: strtod over the whole argument, no leading
// space, no NaN, and no overflow or total underflow.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	v, ok, erange := strtod(string(b))
	if !ok || math.IsNaN(v) || (erange && (math.IsInf(v, 0) || v == 0)) {
		return 0, false
	}
	return v, true
}

// strtod converts a whole string as C's strtod does (decimal, hex with or
// without an exponent, inf, infinity, nan), reporting whether it parsed
// and whether the value overflowed or underflowed (ERANGE).
func strtod(s string) (v float64, ok, erange bool) {
	if s == "" || strings.ContainsRune(s, '_') {
		return 0, false, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false, false
	}
	hex := len(body) > 2 && body[0] == '0' && (body[1]|0x20) == 'x'
	if hex && !strings.ContainsAny(body, "pP") {
		s += "p0" // strtod does not need the binary exponent Go requires
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return v, true, true
		}
		return 0, false, false
	}
	if v == 0 && nonZeroMantissa(body, hex) {
		return 0, true, true // underflow: Go returns 0 without an error
	}
	return v, true, false
}

// nonZeroMantissa reports whether a number's digits before its exponent
// are not all zero.
func nonZeroMantissa(body string, hex bool) bool {
	exp := "eE"
	if hex {
		body, exp = body[2:], "pP"
	}
	if i := strings.IndexAny(body, exp); i >= 0 {
		body = body[:i]
	}
	return strings.Trim(body, "0.") != ""
}

// parseScoreBound parses one end of a score range: a float, or '(' and a
// float for an exclusive bound. Like Redis's zslParseRange it uses strtod
// without range checks: leading spaces and an empty number are accepted.
func parseScoreBound(b []byte) (v float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		b, ex = b[1:], true
	}
	if len(b) == 0 {
		// strtod reads nothing and leaves its end pointer on the
		// terminating NUL, which Redis takes for success.
		return 0, ex, true
	}
	s := strings.TrimLeft(string(b), " \t\n\r\v\f")
	v, ok, _ = strtod(s)
	if !ok || math.IsNaN(v) {
		return 0, false, false
	}
	return v, ex, true
}

// parseScoreRange parses ZRANGEBYSCORE's min and max.
func parseScoreRange(min, max []byte) (r keyspace.ScoreRange, ok bool) {
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseScoreBound(min)
	r.Max, r.MaxEx, ok2 = parseScoreBound(max)
	return r, ok1 && ok2
}

// parseLexBound parses one end of a lex range: "-", "+", or a member
// prefixed by '[' (inclusive) or '(' (exclusive).
func parseLexBound(b []byte) (keyspace.LexBound, bool) {
	if len(b) == 0 {
		return keyspace.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) != 1 {
			return keyspace.LexBound{}, false
		}
		inf := int8(1)
		if b[0] == '-' {
			inf = -1
		}
		return keyspace.LexBound{Inf: inf, Ex: true}, true
	case '(', '[':
		return keyspace.LexBound{S: string(b[1:]), Ex: b[0] == '('}, true
	}
	return keyspace.LexBound{}, false
}

// parseLexRange parses ZRANGEBYLEX's min and max.
func parseLexRange(min, max []byte) (r keyspace.LexRange, ok bool) {
	var ok1, ok2 bool
	r.Min, ok1 = parseLexBound(min)
	r.Max, ok2 = parseLexBound(max)
	return r, ok1 && ok2
}
