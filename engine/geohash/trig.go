package geohash

import "math"

// Correctly rounded sine, cosine and arcsine. Redis calls glibc's, which
// are correctly rounded in all but the rarest cases; Go's math package is
// only faithful (within one unit in the last place), which shows in the
// distances STOREDIST keeps at full precision. So these evaluate in
// double-double arithmetic (about 106 bits) and round once.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	e += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p, e)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

// π/2 in three parts (Cody-Waite), enough for |x| <= 4.
const (
	pio2a = 1.5707963267948966
	pio2b = 6.123233995736766e-17
	pio2c = -1.4973849048591698e-33
)

// sinCosDD returns sin(x) and cos(x) in double-double for |x| <= 4.
func sinCosDD(x float64) (s, c dd) {
	k := math.Round(x / pio2a)
	// x - k*π/2: k is small, so k*pio2a is exact and twoSum keeps all.
	r := twoSum(x, -k*pio2a)
	r = ddAdd(r, dd{-k * pio2b, -k * pio2c})
	r2 := ddMul(r, r)
	sn, cs := seriesSin(r, r2), seriesCos(r2)
	switch int(k) & 3 {
	case 0:
		return sn, cs
	case 1:
		return cs, ddNeg(sn)
	case 2:
		return ddNeg(sn), ddNeg(cs)
	default:
		return ddNeg(cs), sn
	}
}

// ddDivF divides a double-double by a small exact integer-valued double.
func ddDivF(a dd, b float64) dd {
	q1 := a.hi / b
	// a - q1*b exactly enough with FMA.
	p := q1 * b
	e := math.FMA(q1, b, -p)
	rem := ((a.hi - p) - e) + a.lo
	q2 := rem / b
	return quickTwoSum(q1, q2)
}

// seriesSin sums r - r³/3! + r⁵/5! … to double-double precision.
func seriesSin(r, r2 dd) dd {
	sum, term := r, r
	for n := 2.0; n < 60; n += 2 {
		term = ddDivF(ddMul(term, r2), n*(n+1))
		term = ddNeg(term)
		sum = ddAdd(sum, term)
		if math.Abs(term.hi) < 1e-36*math.Abs(sum.hi) {
			break
		}
	}
	return sum
}

// seriesCos sums 1 - r²/2! + r⁴/4! … to double-double precision.
func seriesCos(r2 dd) dd {
	sum, term := dd{1, 0}, dd{1, 0}
	for n := 1.0; n < 60; n += 2 {
		term = ddDivF(ddMul(term, r2), n*(n+1))
		term = ddNeg(term)
		sum = ddAdd(sum, term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	return sum
}

// sin is sin(x) correctly rounded (for |x| <= 4, else Go's).
func sin(x float64) float64 {
	if math.Abs(x) > 4 || x == 0 {
		return math.Sin(x)
	}
	s, _ := sinCosDD(x)
	return s.hi + s.lo
}

// cos is cos(x) correctly rounded (for |x| <= 4, else Go's).
func cos(x float64) float64 {
	if math.Abs(x) > 4 {
		return math.Cos(x)
	}
	_, c := sinCosDD(x)
	return c.hi + c.lo
}

// asin is asin(x) correctly rounded for x in (0, 1): one Newton step
// from Go's estimate, y += (x - sin y)/cos y with sin y in double-double,
// then the nearest of y and its neighbours.
func asin(x float64) float64 {
	if x <= 0 || x >= 1 || math.IsNaN(x) {
		return math.Asin(x)
	}
	y := math.Asin(x)
	s, c := sinCosDD(y)
	d := ddAdd(dd{x, 0}, ddNeg(s))
	y += (d.hi + d.lo) / (c.hi + c.lo)
	best, bestErr := y, asinErr(x, y)
	lo, hi := y, y
	for range 2 {
		lo, hi = math.Nextafter(lo, 0), math.Nextafter(hi, 2)
		for _, cand := range [2]float64{lo, hi} {
			if e := asinErr(x, cand); e < bestErr {
				best, bestErr = cand, e
			}
		}
	}
	return best
}

// asinErr is |x - sin(y)| in double-double, divided by cos y: how far y
// is from asin(x).
func asinErr(x, y float64) float64 {
	s, c := sinCosDD(y)
	d := ddAdd(dd{x, 0}, ddNeg(s))
	return math.Abs((d.hi + d.lo) / (c.hi + c.lo))
}
