package geohash

import (
	"math"
	"testing"
)

func TestScoreAndDecode(t *testing.T) {
	// Scores and positions as Redis 7.0 reports them (GEOADD, ZSCORE,
	// GEOPOS, GEOHASH).
	for _, tc := range []struct {
		lon, lat   float64
		score      uint64
		dlon, dlat float64
		hash       string
	}{
		{13.361389, 38.115556, 3479099956230698, 13.361389338970184, 38.115556395496299, "sqc8b49rny0"},
		{15.087269, 37.502669, 3479447370796909, 15.087267458438873, 37.50266842333162, "sqdtr74hyu0"},
	} {
		h, ok := EncodeWGS84(tc.lon, tc.lat, StepMax)
		if !ok || Align52(h) != tc.score {
			t.Errorf("EncodeWGS84(%v, %v) = %d, want %d", tc.lon, tc.lat, Align52(h), tc.score)
		}
		lon, lat, _ := DecodeScore(float64(tc.score))
		if lon != tc.dlon || lat != tc.dlat {
			t.Errorf("DecodeScore(%d) = %v, %v, want %v, %v", tc.score, lon, lat, tc.dlon, tc.dlat)
		}
		if got := Standard(lon, lat); got != tc.hash {
			t.Errorf("Standard = %s, want %s", got, tc.hash)
		}
	}
}

func TestEncodeRejectsOutOfRange(t *testing.T) {
	for _, p := range [][2]float64{{180.1, 0}, {-180.1, 0}, {0, 85.06}, {0, -85.06}} {
		if _, ok := EncodeWGS84(p[0], p[1], StepMax); ok {
			t.Errorf("EncodeWGS84(%v) accepted", p)
		}
	}
}

func TestDistance(t *testing.T) {
	// GEODIST Palermo Catania: 166274.1516 m in Redis.
	lon1, lat1, _ := DecodeScore(3479099956230698)
	lon2, lat2, _ := DecodeScore(3479447370796909)
	if got := Distance(lon1, lat1, lon2, lat2); math.Abs(got-166274.1516) > 0.0001 {
		t.Errorf("Distance = %.4f, want 166274.1516", got)
	}
	if got := Distance(10, 1, 10, 2); got != LatDistance(1, 2) {
		t.Errorf("same meridian: %v, want %v", got, LatDistance(1, 2))
	}
}

func TestTrigCorrectlyRounded(t *testing.T) {
	// Values where Go's math is one bit off the correctly rounded result
	// (checked with 200-bit arithmetic).
	for _, tc := range []struct {
		name    string
		f       func(float64) float64
		x, want float64
	}{
		{"sin", sin, 2.3236633860680116, 0.729731565573624},
		{"sin", sin, 0.8959682185977991, 0.7808143543246263},
		{"asin", asin, math.Sqrt(0.9016086129588385), 1.2517364600262464},
	} {
		if got := tc.f(tc.x); got != tc.want {
			t.Errorf("%s(%v) = %v, want %v", tc.name, tc.x, got, tc.want)
		}
	}
	for x := -4.0; x <= 4; x += 0.001 {
		if d := math.Abs(sin(x) - math.Sin(x)); d > 2*ulp(math.Sin(x)) {
			t.Fatalf("sin(%v) = %v, math.Sin %v", x, sin(x), math.Sin(x))
		}
		if d := math.Abs(cos(x) - math.Cos(x)); d > 2*ulp(math.Cos(x)) {
			t.Fatalf("cos(%v) = %v, math.Cos %v", x, cos(x), math.Cos(x))
		}
	}
}

func ulp(x float64) float64 { return math.Nextafter(math.Abs(x), math.Inf(1)) - math.Abs(x) }

func TestNeighbors(t *testing.T) {
	h, _ := EncodeWGS84(13.361389, 38.115556, 10)
	n := NeighborsOf(h)
	a, _ := Decode(longRange, latRange, h)
	north, _ := Decode(longRange, latRange, n.North)
	east, _ := Decode(longRange, latRange, n.East)
	if north.Lat.Min != a.Lat.Max || north.Long != a.Long {
		t.Errorf("north %+v of %+v", north, a)
	}
	if east.Long.Min != a.Long.Max || east.Lat != a.Lat {
		t.Errorf("east %+v of %+v", east, a)
	}
}

func TestEstimateSteps(t *testing.T) {
	for _, tc := range []struct {
		meters, lat float64
		want        uint
	}{
		{0, 0, 26}, {1, 0, 24}, {200000, 37, 6}, {200000, 70, 5}, {200000, 85, 4}, {3e7, 0, 1},
	} {
		if got := estimateSteps(tc.meters, tc.lat); got != tc.want {
			t.Errorf("estimateSteps(%v, %v) = %d, want %d", tc.meters, tc.lat, got, tc.want)
		}
	}
}
