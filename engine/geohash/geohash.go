package geohash

import "math"

// Limits of the coordinates Redis indexes (EPSG:900913 / Web Mercator).
const (
	LatMin  = -85.05112878
	LatMax  = 85.05112878
	LongMin = -180.0
	LongMax = 180.0
	// StepMax is the number of steps of a full-precision hash: 52 bits.
	StepMax = 26
	// EarthRadius is Redis's earth radius in meters.
	EarthRadius = 6372797.560856
	// mercatorMax bounds the step estimation.
	mercatorMax = 20037726.37
)

// Bits is a geohash of Step steps (2*Step bits, latitude in the even bits,
// longitude in the odd ones). The zero value (no bits, no step) marks an
// excluded cell.
type Bits struct {
	Bits uint64
	Step uint
}

// IsZero reports whether h is the excluded cell.
func (h Bits) IsZero() bool { return h.Bits == 0 && h.Step == 0 }

// Range is an interval of degrees.
type Range struct{ Min, Max float64 }

// Area is the cell a hash covers.
type Area struct {
	Hash      Bits
	Long, Lat Range
}

// Neighbors are the eight cells around one.
type Neighbors struct {
	North, East, West, South                   Bits
	NorthEast, SouthEast, NorthWest, SouthWest Bits
}

// Ranges of Redis's internal geohash.
var (
	longRange = Range{LongMin, LongMax}
	latRange  = Range{LatMin, LatMax}
)

// interleave64 puts x's bits in the even positions and y's in the odd.
func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

// deinterleave64 undoes interleave64: the even bits in the low word, the
// odd ones in the high word.
func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := range b {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// Encode hashes a position in the given ranges with step steps; ok is
// false outside Redis's limits or the ranges.
func Encode(lr, ar Range, long, lat float64, step uint) (Bits, bool) {
	if step > 32 || step == 0 || long > LongMax || long < LongMin || lat > LatMax || lat < LatMin {
		return Bits{}, false
	}
	if lat < ar.Min || lat > ar.Max || long < lr.Min || long > lr.Max {
		return Bits{Step: step}, false
	}
	latOff := (lat - ar.Min) / (ar.Max - ar.Min)
	longOff := (long - lr.Min) / (lr.Max - lr.Min)
	latOff *= float64(uint64(1) << step)
	longOff *= float64(uint64(1) << step)
	return Bits{Bits: interleave64(uint32(latOff), uint32(longOff)), Step: step}, true
}

// EncodeWGS84 hashes a position in Redis's internal ranges.
func EncodeWGS84(long, lat float64, step uint) (Bits, bool) {
	return Encode(longRange, latRange, long, lat, step)
}

// Decode returns the cell of h in the given ranges.
func Decode(lr, ar Range, h Bits) (Area, bool) {
	if h.IsZero() {
		return Area{}, false
	}
	sep := deinterleave64(h.Bits)
	latScale, longScale := ar.Max-ar.Min, lr.Max-lr.Min
	ilato, ilono := uint32(sep), uint32(sep>>32)
	div := float64(uint64(1) << h.Step)
	return Area{
		Hash: h,
		Lat: Range{
			Min: ar.Min + (float64(ilato)*1.0/div)*latScale,
			Max: ar.Min + (float64(ilato+1)*1.0/div)*latScale,
		},
		Long: Range{
			Min: lr.Min + (float64(ilono)*1.0/div)*longScale,
			Max: lr.Min + (float64(ilono+1)*1.0/div)*longScale,
		},
	}, true
}

// DecodeToLongLat returns the centre of h's cell, clamped to the limits.
func DecodeToLongLat(h Bits) (long, lat float64, ok bool) {
	a, ok := Decode(longRange, latRange, h)
	if !ok {
		return 0, 0, false
	}
	long = (a.Long.Min + a.Long.Max) / 2
	long = min(max(long, LongMin), LongMax)
	lat = (a.Lat.Min + a.Lat.Max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return long, lat, true
}

// DecodeScore decodes a sorted set score holding a 52-bit hash (Redis's
// decodeGeohash, with C's conversion of the double to an integer).
func DecodeScore(score float64) (long, lat float64, ok bool) {
	return DecodeToLongLat(Bits{Bits: f2u(score), Step: StepMax})
}

// f2u converts as x86-64's cvttsd2si does for a C cast to uint64_t.
func f2u(f float64) uint64 {
	if f >= 1<<63 {
		return uint64(int64(f-(1<<63))) ^ 1<<63
	}
	return uint64(int64(f))
}

// Align52 returns h shifted to 52 bits, the sorted set score.
func Align52(h Bits) uint64 { return h.Bits << (52 - h.Step*2) }

func moveX(h *Bits, d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - h.Step*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - h.Step*2)
	h.Bits = x | y
}

func moveY(h *Bits, d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - h.Step*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - h.Step*2)
	h.Bits = x | y
}

// NeighborsOf returns the eight cells around h.
func NeighborsOf(h Bits) Neighbors {
	n := Neighbors{h, h, h, h, h, h, h, h}
	moveX(&n.East, 1)
	moveX(&n.West, -1)
	moveY(&n.South, -1)
	moveY(&n.North, 1)
	moveX(&n.NorthWest, -1)
	moveY(&n.NorthWest, 1)
	moveX(&n.SouthWest, -1)
	moveY(&n.SouthWest, -1)
	moveX(&n.NorthEast, 1)
	moveY(&n.NorthEast, 1)
	moveX(&n.SouthEast, 1)
	moveY(&n.SouthEast, -1)
	return n
}

const dr = math.Pi / 180.0

func degRad(a float64) float64 { return a * dr }
func radDeg(a float64) float64 { return a / dr }

// LatDistance is the distance between two latitudes on one meridian.
func LatDistance(lat1, lat2 float64) float64 {
	return EarthRadius * math.Abs(degRad(lat2)-degRad(lat1))
}

// Distance is the haversine great-circle distance in meters.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := sin((lon2r - lon1r) / 2)
	if v == 0 {
		return LatDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := sin((lat2r - lat1r) / 2)
	a := u*u + cos(lat1r)*cos(lat2r)*v*v
	return 2.0 * EarthRadius * asin(math.Sqrt(a))
}

// Shape is a search area: a circle of Radius or a box of Width by Height
// around (Long, Lat), in units of Conversion meters.
type Shape struct {
	Long, Lat             float64
	Box                   bool
	Radius, Width, Height float64
	Conversion            float64
}

// Contains reports whether a point is in the shape and its distance from
// the centre in meters.
func (s *Shape) Contains(long, lat float64) (float64, bool) {
	if !s.Box {
		d := Distance(s.Long, s.Lat, long, lat)
		return d, d <= s.Radius*s.Conversion
	}
	w, h := s.Width*s.Conversion, s.Height*s.Conversion
	if LatDistance(lat, s.Lat) > h/2 {
		return 0, false
	}
	if Distance(long, lat, s.Long, lat) > w/2 {
		return 0, false
	}
	return Distance(s.Long, s.Lat, long, lat), true
}

// boundingBox returns min long, min lat, max long, max lat.
func (s *Shape) boundingBox() (minLon, minLat, maxLon, maxLat float64) {
	var height, width float64
	if s.Box {
		height, width = s.Conversion*(s.Height/2), s.Conversion*(s.Width/2)
	} else {
		height, width = s.Conversion*s.Radius, s.Conversion*s.Radius
	}
	latDelta := radDeg(height / EarthRadius)
	top := radDeg(width / EarthRadius / cos(degRad(s.Lat+latDelta)))
	bottom := radDeg(width / EarthRadius / cos(degRad(s.Lat-latDelta)))
	if s.Lat < 0 {
		return s.Long - bottom, s.Lat - latDelta, s.Long + bottom, s.Lat + latDelta
	}
	return s.Long - top, s.Lat - latDelta, s.Long + top, s.Lat + latDelta
}

// estimateSteps picks the hash precision whose cells cover the radius.
func estimateSteps(rangeMeters, lat float64) uint {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint(min(max(step, 1), 26))
}

// Cells returns the cells to scan for a search, in the order Redis scans
// them: the centre's, then north, south, east, west, north-east,
// north-west, south-east, south-west; excluded cells are zero.
func (s *Shape) Cells() [9]Bits {
	minLon, minLat, maxLon, maxLat := s.boundingBox()
	radius := s.Radius
	if s.Box {
		radius = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	}
	radius *= s.Conversion
	steps := estimateSteps(radius, s.Lat)
	hash, _ := EncodeWGS84(s.Long, s.Lat, steps)
	nb := NeighborsOf(hash)
	area, _ := Decode(longRange, latRange, hash)
	north, _ := Decode(longRange, latRange, nb.North)
	south, _ := Decode(longRange, latRange, nb.South)
	east, _ := Decode(longRange, latRange, nb.East)
	west, _ := Decode(longRange, latRange, nb.West)
	decrease := north.Lat.Max < maxLat || south.Lat.Min > minLat || east.Long.Max < maxLon || west.Long.Min > minLon
	if steps > 1 && decrease {
		steps--
		hash, _ = EncodeWGS84(s.Long, s.Lat, steps)
		nb = NeighborsOf(hash)
		area, _ = Decode(longRange, latRange, hash)
	}
	if steps >= 2 {
		if area.Lat.Min < minLat {
			nb.South, nb.SouthWest, nb.SouthEast = Bits{}, Bits{}, Bits{}
		}
		if area.Lat.Max > maxLat {
			nb.North, nb.NorthEast, nb.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Long.Min < minLon {
			nb.West, nb.SouthWest, nb.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Long.Max > maxLon {
			nb.East, nb.SouthEast, nb.NorthEast = Bits{}, Bits{}, Bits{}
		}
	}
	return [9]Bits{hash, nb.North, nb.South, nb.East, nb.West, nb.NorthEast, nb.NorthWest, nb.SouthEast, nb.SouthWest}
}

// ScoreRange returns the sorted set scores [min, max) of h's cell.
func ScoreRange(h Bits) (lo, hi uint64) {
	lo = Align52(h)
	h.Bits++
	return lo, Align52(h)
}

// Standard re-encodes a position with the standard geohash ranges
// (latitude ±90) into the 11-character string GEOHASH returns.
func Standard(long, lat float64) string {
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	h, _ := Encode(Range{-180, 180}, Range{-90, 90}, long, lat, 26)
	var buf [11]byte
	for i := range 11 {
		idx := 0
		if i < 10 {
			idx = int(h.Bits>>(52-(uint(i)+1)*5)) & 0x1f
		}
		buf[i] = alphabet[idx]
	}
	return string(buf[:])
}
