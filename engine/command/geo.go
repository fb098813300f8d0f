package command

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/geohash"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

func init() {
	register("geoadd", geoaddCmd)
	register("geopos", geoposCmd)
	register("geodist", geodistCmd)
	register("geohash", geohashCmd)
	register("georadius", func(c *Ctx) { geoSearch(c, 1, geoFromCoords) })
	register("georadius_ro", func(c *Ctx) { geoSearch(c, 1, geoFromCoords|geoNoStore) })
	register("georadiusbymember", func(c *Ctx) { geoSearch(c, 1, geoFromMember) })
	register("georadiusbymember_ro", func(c *Ctx) { geoSearch(c, 1, geoFromMember|geoNoStore) })
	register("geosearch", func(c *Ctx) { geoSearch(c, 1, geoSearchCmd) })
	register("geosearchstore", func(c *Ctx) { geoSearch(c, 2, geoSearchCmd|geoSearchStore) })
}

// Error texts of the geo commands, as Redis 7.0's geo.c sends them.
const (
	errGeoPair      = "ERR invalid longitude,latitude pair %s,%s"
	errGeoUnit      = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoMember    = "ERR could not decode requested zset member"
	errGeoRadius    = "ERR need numeric radius"
	errGeoRadiusNeg = "ERR radius cannot be negative"
	errGeoWidth     = "ERR need numeric width"
	errGeoHeight    = "ERR need numeric height"
	errGeoBoxNeg    = "ERR height or width cannot be negative"
	errGeoCount     = "ERR COUNT must be > 0"
	errGeoAnyCount  = "ERR the ANY argument requires COUNT argument"
	errGeoStoreWith = "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	errGeoFrom      = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s"
	errGeoBy        = "ERR exactly one of BYRADIUS and BYBOX can be specified for %s"
)

// lonLat parses a longitude and a latitude at arguments i and i+1,
// writing Redis's error when they are not numbers or out of range.
func lonLat(c *Ctx, i int) (lon, lat float64, ok bool) {
	if lon, ok = parseScore(c.Args[i]); !ok {
		c.Error(errNotFloat)
		return 0, 0, false
	}
	if lat, ok = parseScore(c.Args[i+1]); !ok {
		c.Error(errNotFloat)
		return 0, 0, false
	}
	if lon < geohash.LongMin || lon > geohash.LongMax || lat < geohash.LatMin || lat > geohash.LatMax {
		c.Error(fmt.Sprintf(errGeoPair, cFixed(lon), cFixed(lat)))
		return 0, 0, false
	}
	return lon, lat, true
}

// cFixed formats v as C's "%f" does, infinities included.
func cFixed(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

// geoUnit returns the meters in the unit argument i names.
func geoUnit(c *Ctx, i int) (float64, bool) {
	switch {
	case c.ArgIs(i, "m"):
		return 1, true
	case c.ArgIs(i, "km"):
		return 1000, true
	case c.ArgIs(i, "ft"):
		return 0.3048, true
	case c.ArgIs(i, "mi"):
		return 1609.34, true
	}
	c.Error(errGeoUnit)
	return 0, false
}

// geoScore returns the sorted set score of a position: its 52-bit hash.
func geoScore(lon, lat float64) float64 {
	h, _ := geohash.EncodeWGS84(lon, lat, geohash.StepMax)
	return float64(geohash.Align52(h))
}

func geoaddCmd(c *Ctx) {
	o := zaddOpts{}
	i := 2
	for ; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "NX"):
			o.nx = true
		case c.ArgIs(i, "XX"):
			o.xx = true
		case c.ArgIs(i, "CH"):
			o.ch = true
		default:
			goto elements
		}
	}
elements:
	if (len(c.Args)-i)%3 != 0 || (o.nx && o.xx) || i == len(c.Args) {
		c.ErrSyntax()
		return
	}
	for ; i < len(c.Args); i += 3 {
		lon, lat, ok := lonLat(c, i)
		if !ok {
			return
		}
		o.scores = append(o.scores, geoScore(lon, lat))
		o.members = append(o.members, c.Arg(i+2))
	}
	zaddApply(c, c.Key(1), &o)
}

// writeHumanDouble writes a coordinate as Redis's addReplyHumanLongDouble:
// "%.17Lf" without trailing zeros, a bulk string in RESP2 and a double in
// RESP3.
func writeHumanDouble(w *resp.Writer, v float64) {
	s := strconv.FormatFloat(v, 'f', 17, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	if w.Proto == 3 {
		w.Raw([]byte("," + s + "\r\n"))
		return
	}
	w.BulkString(s)
}

// writeDistance writes a distance with four decimals, as a bulk string.
func writeDistance(w *resp.Writer, d float64) {
	w.BulkString(strconv.FormatFloat(d, 'f', 4, 64))
}

func geoposCmd(c *Ctx) {
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for i := 2; i < len(c.Args); i++ {
		var score float64
		found := false
		if z != nil {
			score, found = z.Score(c.Arg(i))
		}
		lon, lat, decoded := geohash.DecodeScore(score)
		if !found || !decoded {
			c.W.NullArray()
			continue
		}
		c.W.Array(2)
		writeHumanDouble(c.W, lon)
		writeHumanDouble(c.W, lat)
	}
}

func geodistCmd(c *Ctx) {
	toMeters := 1.0
	switch {
	case len(c.Args) == 5:
		var ok bool
		if toMeters, ok = geoUnit(c, 4); !ok {
			return
		}
	case len(c.Args) > 5:
		c.ErrSyntax()
		return
	}
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	s1, ok1 := z.Score(c.Arg(2))
	s2, ok2 := z.Score(c.Arg(3))
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	lon1, lat1, ok1 := geohash.DecodeScore(s1)
	lon2, lat2, ok2 := geohash.DecodeScore(s2)
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	writeDistance(c.W, geohash.Distance(lon1, lat1, lon2, lat2)/toMeters)
}

func geohashCmd(c *Ctx) {
	z, ok := c.lookupZSet(c.Key(1))
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for i := 2; i < len(c.Args); i++ {
		var score float64
		found := false
		if z != nil {
			score, found = z.Score(c.Arg(i))
		}
		lon, lat, decoded := geohash.DecodeScore(score)
		if !found || !decoded {
			c.W.Null()
			continue
		}
		c.W.BulkString(geohash.Standard(lon, lat))
	}
}

// geoMemberPos returns the position of a member of z.
func geoMemberPos(z *keyspace.ZSet, member string) (lon, lat float64, ok bool) {
	score, ok := z.Score(member)
	if !ok {
		return 0, 0, false
	}
	return geohash.DecodeScore(score)
}
