package command

import (
	"fmt"
	"sort"

	"github.com/mnemo-dev/mnemo/engine/geohash"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Variants of Redis's georadiusGeneric.
const (
	geoFromCoords  = 1 << iota // GEORADIUS: centre from arguments 2-3
	geoFromMember              // GEORADIUSBYMEMBER: centre from a member
	geoNoStore                 // the _RO variants: no STORE/STOREDIST
	geoSearchCmd               // GEOSEARCH's syntax
	geoSearchStore             // GEOSEARCHSTORE
)

// Sort orders of a search.
const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// geoSearchOpts are a search's parsed arguments.
type geoSearchOpts struct {
	shape                          geohash.Shape
	withDist, withHash, withCoords bool
	fromMember, fromLoc            bool
	byRadius, byBox                bool
	any                            bool
	sort                           int
	count                          int64
	storeKey                       string
	store, storeDist               bool
}

// geoPoint is a search result.
type geoPoint struct {
	lon, lat, dist, score float64
	member                string
}

// parseGeoSearch parses a search's arguments exactly in Redis's order:
// the centre and radius of the GEORADIUS forms first, then the options,
// each checked as met, then the combinations.
func parseGeoSearch(c *Ctx, z *keyspace.ZSet, flags int) (o geoSearchOpts, ok bool) {
	var base int
	switch {
	case flags&geoFromCoords != 0:
		base = 6
		if o.shape.Long, o.shape.Lat, ok = lonLat(c, 2); !ok {
			return o, false
		}
		if !geoDistanceArg(c, 4, &o.shape) {
			return o, false
		}
	case flags&geoFromMember != 0 && z == nil:
		// No key: the rest is parsed only to pick the reply.
		base = 5
	case flags&geoFromMember != 0:
		base = 5
		if o.shape.Long, o.shape.Lat, ok = geoMemberPos(z, c.Arg(2)); !ok {
			c.Error(errGeoMember)
			return o, false
		}
		if !geoDistanceArg(c, 3, &o.shape) {
			return o, false
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			o.storeKey, o.store = c.Key(1), true
		}
	}
	search := flags&geoSearchCmd != 0
	n := len(c.Args)
	for i := base; i < n; i++ {
		rem := n - i - 1 // arguments after this one
		switch {
		case c.ArgIs(i, "WITHDIST"):
			o.withDist = true
		case c.ArgIs(i, "WITHHASH"):
			o.withHash = true
		case c.ArgIs(i, "WITHCOORD"):
			o.withCoords = true
		case c.ArgIs(i, "ANY"):
			o.any = true
		case c.ArgIs(i, "ASC"):
			o.sort = geoSortAsc
		case c.ArgIs(i, "DESC"):
			o.sort = geoSortDesc
		case c.ArgIs(i, "COUNT") && rem >= 1:
			if o.count, ok = c.Int(i + 1); !ok {
				return o, false
			}
			if o.count <= 0 {
				c.Error(errGeoCount)
				return o, false
			}
			i++
		case (c.ArgIs(i, "STORE") || c.ArgIs(i, "STOREDIST")) && rem >= 1 && flags&(geoNoStore|geoSearchCmd) == 0:
			o.storeKey, o.store, o.storeDist = c.Key(i+1), true, c.ArgIs(i, "STOREDIST")
			i++
		case c.ArgIs(i, "STOREDIST") && flags&geoSearchStore != 0:
			o.storeDist = true
		case c.ArgIs(i, "FROMMEMBER") && rem >= 1 && search && !o.fromLoc:
			o.fromMember = true
			if z != nil {
				if o.shape.Long, o.shape.Lat, ok = geoMemberPos(z, c.Arg(i+1)); !ok {
					c.Error(errGeoMember)
					return o, false
				}
			}
			i++
		case c.ArgIs(i, "FROMLONLAT") && rem >= 2 && search && !o.fromMember:
			if o.shape.Long, o.shape.Lat, ok = lonLat(c, i+1); !ok {
				return o, false
			}
			o.fromLoc = true
			i += 2
		case c.ArgIs(i, "BYRADIUS") && rem >= 2 && search && !o.byBox:
			if !geoDistanceArg(c, i+1, &o.shape) {
				return o, false
			}
			o.shape.Box, o.byRadius = false, true
			i += 2
		case c.ArgIs(i, "BYBOX") && rem >= 3 && search && !o.byRadius:
			if !geoBoxArg(c, i+1, &o.shape) {
				return o, false
			}
			o.shape.Box, o.byBox = true, true
			i += 3
		default:
			c.ErrSyntax()
			return o, false
		}
	}
	if o.store && (o.withDist || o.withHash || o.withCoords) {
		name := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			name = "GEOSEARCHSTORE"
		}
		c.Error(fmt.Sprintf(errGeoStoreWith, name))
		return o, false
	}
	if search && !o.fromMember && !o.fromLoc {
		c.Error(fmt.Sprintf(errGeoFrom, c.Args[0]))
		return o, false
	}
	if search && !o.byRadius && !o.byBox {
		c.Error(fmt.Sprintf(errGeoBy, c.Args[0]))
		return o, false
	}
	if o.any && o.count == 0 {
		c.Error(errGeoAnyCount)
		return o, false
	}
	return o, true
}

// geoDistanceArg parses a radius and its unit at arguments i and i+1.
func geoDistanceArg(c *Ctx, i int, s *geohash.Shape) bool {
	r, ok := parseScore(c.Args[i])
	if !ok {
		c.Error(errGeoRadius)
		return false
	}
	if r < 0 {
		c.Error(errGeoRadiusNeg)
		return false
	}
	s.Radius = r
	s.Conversion, ok = geoUnit(c, i+1)
	return ok
}

// geoBoxArg parses a width, a height and their unit from argument i.
func geoBoxArg(c *Ctx, i int, s *geohash.Shape) bool {
	w, ok := parseScore(c.Args[i])
	if !ok {
		c.Error(errGeoWidth)
		return false
	}
	h, ok := parseScore(c.Args[i+1])
	if !ok {
		c.Error(errGeoHeight)
		return false
	}
	if h < 0 || w < 0 {
		c.Error(errGeoBoxNeg)
		return false
	}
	s.Width, s.Height = w, h
	s.Conversion, ok = geoUnit(c, i+2)
	return ok
}

// geoSearch is Redis's georadiusGeneric for every search command; src is
// the index of the key searched.
func geoSearch(c *Ctx, src int, flags int) {
	z, ok := c.lookupZSet(c.Key(src))
	if !ok {
		return
	}
	o, ok := parseGeoSearch(c, z, flags)
	if !ok {
		return
	}
	if z == nil {
		if o.store {
			if c.DB.Delete(o.storeKey) {
				c.Modified(o.storeKey)
			}
			c.W.Int(0)
		} else {
			c.W.Array(0)
		}
		return
	}
	if o.count != 0 && o.sort == geoSortNone && !o.any {
		o.sort = geoSortAsc
	}
	var limit int64
	if o.any {
		limit = o.count
	}
	pts := geoMembersInShape(z, &o.shape, limit)
	if len(pts) == 0 && !o.store {
		c.W.Array(0)
		return
	}
	n := int64(len(pts))
	if o.count != 0 && n > o.count {
		n = o.count
	}
	switch o.sort {
	case geoSortAsc:
		sort.SliceStable(pts, func(i, j int) bool { return pts[i].dist < pts[j].dist })
	case geoSortDesc:
		sort.SliceStable(pts, func(i, j int) bool { return pts[i].dist > pts[j].dist })
	}
	pts = pts[:n]
	if o.store {
		geoStore(c, &o, pts)
		return
	}
	opts := 0
	for _, b := range []bool{o.withDist, o.withCoords, o.withHash} {
		if b {
			opts++
		}
	}
	c.W.Array(len(pts))
	for _, p := range pts {
		if opts > 0 {
			c.W.Array(opts + 1)
		}
		c.W.BulkString(p.member)
		if o.withDist {
			writeDistance(c.W, p.dist/o.shape.Conversion)
		}
		if o.withHash {
			c.W.Int(int64(p.score))
		}
		if o.withCoords {
			c.W.Array(2)
			writeHumanDouble(c.W, p.lon)
			writeHumanDouble(c.W, p.lat)
		}
	}
}

// geoStore writes a search's results to its store key: a sorted set
// scored by hash, or by distance for STOREDIST; no key when empty.
func geoStore(c *Ctx, o *geoSearchOpts, pts []geoPoint) {
	if len(pts) == 0 {
		if c.DB.Delete(o.storeKey) {
			c.Modified(o.storeKey)
		}
		c.W.Int(0)
		return
	}
	dst := keyspace.NewZSet()
	for _, p := range pts {
		score := p.score
		if o.storeDist {
			score = p.dist / o.shape.Conversion
		}
		dst.Add(p.member, score)
	}
	dst.FitEncoding(zsetLimits(c))
	c.DB.Set(o.storeKey, dst).Access = c.Now
	c.Modified(o.storeKey)
	c.W.Int(int64(len(pts)))
}

// geoMembersInShape collects the members inside a shape, scanning the
// cells of geohash.Shape.Cells in Redis's order (membersOfAllNeighbors):
// a cell equal to the one scanned before it is skipped, except right
// after the centre, as Redis does. A non-zero limit stops the scan once
// that many were found (ANY).
func geoMembersInShape(z *keyspace.ZSet, s *geohash.Shape, limit int64) []geoPoint {
	cells := s.Cells()
	var pts []geoPoint
	last := 0
	for i, h := range cells {
		if h.IsZero() {
			continue
		}
		if last != 0 && h == cells[last] {
			continue
		}
		if len(pts) > 0 && limit > 0 && int64(len(pts)) >= limit {
			break
		}
		lo, hi := geohash.ScoreRange(h)
		r := keyspace.ScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true}
		for n := z.FirstInScore(&r); n != nil && n.Score() < r.Max; n = n.Next() {
			lon, lat, ok := geohash.DecodeScore(n.Score())
			if !ok {
				continue
			}
			if d, in := s.Contains(lon, lat); in {
				pts = append(pts, geoPoint{lon: lon, lat: lat, dist: d, score: n.Score(), member: n.Member()})
				if limit > 0 && int64(len(pts)) >= limit {
					break
				}
			}
		}
		last = i
	}
	return pts
}
