package command

import (
	"math/big"
	"strings"
)

// Redis computes INCRBYFLOAT and HINCRBYFLOAT in C long double, which on x86-64 is the x87
// 80-bit format: a 64-bit mantissa and a 15-bit exponent. big.Float with
// 64 bits of precision rounds exactly as that hardware does (to nearest,
// ties to even); the exponent range is checked by hand.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // largest MantExp of a finite long double
	ldMinExp = -16444 // MantExp of the smallest subnormal
)

func ldNew() *big.Float { return new(big.Float).SetPrec(ldPrec) }

// ldOverflows reports whether x is beyond the long double range (the
// hardware would have produced infinity).
func ldOverflows(x *big.Float) bool {
	return x.IsInf() || x.MantExp(nil) > ldMaxExp
}

// ldParse parses b as Redis's string2ld does with strtold: decimal or
// hexadecimal floats, "inf" and "infinity" in any case, no NaN, no
// surrounding space, and no value that overflows or underflows to zero.
func ldParse(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 || isSpace(b[0]) {
		return nil, false
	}
	s := string(b)
	body := s
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	if strings.EqualFold(body, "inf") || strings.EqualFold(body, "infinity") {
		return ldNew().SetInf(neg), true
	}
	var x *big.Float
	if len(body) > 2 && body[0] == '0' && body[1]|0x20 == 'x' {
		if !ldHexSyntax(body[2:]) {
			return nil, false
		}
		var err error
		x, _, err = ldNew().Parse(s, 0)
		if err != nil {
			return nil, false
		}
	} else {
		exp10, zero, ok := ldDecimalSyntax(body)
		if !ok {
			return nil, false
		}
		if zero {
			return ldNew(), true
		}
		// Decide plain overflow and underflow before building a huge
		// exact rational: the value is below 10^exp10 and at least
		// 10^(exp10-1).
		if exp10 > 4934 || exp10 < -4952 {
			return nil, false
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return nil, false
		}
		x = ldNew().SetRat(r)
	}
	if x.Sign() != 0 && (x.MantExp(nil) > ldMaxExp || x.MantExp(nil) < ldMinExp) {
		return nil, false
	}
	return x, true
}

// ldHexSyntax checks the part of a hexadecimal float after "0x" against
// strtold's grammar: hex digits with an optional point (at least one
// digit), then optionally "p" and a signed decimal exponent.
func ldHexSyntax(s string) bool {
	digits := 0
	i := 0
	isHex := func(c byte) bool {
		return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
	}
	for i < len(s) && isHex(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isHex(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i]|0x20 != 'p' {
		return false
	}
	_, ok := ldExponent(s[i+1:])
	return ok
}

// ldExponent parses a signed decimal exponent; ok is false if it is
// malformed. Huge exponents saturate, their values are out of range anyway.
func ldExponent(s string) (e int64, ok bool) {
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		if e < 1e12 {
			e = e*10 + int64(c-'0')
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

func ldIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// ldDecimalSyntax checks an unsigned decimal float against strtold's
// grammar: digits with an optional point, at least one digit, then
// optionally "e" and a signed exponent. It reports whether every digit is
// zero, and otherwise the power of ten just above the value.
func ldDecimalSyntax(s string) (exp10 int64, zero, ok bool) {
	i, digits, first := 0, int64(0), int64(-1)
	scan := func() {
		for ; i < len(s) && ldIsDigit(s[i]); i++ {
			if s[i] != '0' && first < 0 {
				first = digits
			}
			digits++
		}
	}
	scan()
	intDigits := digits
	if i < len(s) && s[i] == '.' {
		i++
		scan()
	}
	if digits == 0 {
		return 0, false, false
	}
	var e int64
	if i < len(s) {
		if s[i]|0x20 != 'e' {
			return 0, false, false
		}
		if e, ok = ldExponent(s[i+1:]); !ok {
			return 0, false, false
		}
	}
	if first < 0 {
		return 0, true, true
	}
	// The value is 0.d… × 10^(intDigits-first+e), d the first nonzero digit.
	return e + intDigits - first, false, true
}

// ldFormatHuman formats x as Redis's ld2string in LD_STR_HUMAN mode:
// "%.17Lf" with trailing zeros (and a bare point) removed, and "-0" as
// "0".
func ldFormatHuman(x *big.Float) string {
	s := x.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
