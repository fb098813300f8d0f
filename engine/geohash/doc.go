// Package geohash is Redis's geohash arithmetic (geohash.c and
// geohash_helper.c), reproduced operation for operation so that scores,
// decoded coordinates, distances and the cells a radius or box search
// visits are exactly Redis's: positions are 52-bit interleaved geohashes
// (26 steps of longitude and latitude) over Web Mercator's latitude range,
// distances are haversine great-circle distances on Redis's earth radius.
//
// It is not a general geohash library: only what GEOADD, GEOPOS, GEODIST,
// GEOHASH and the GEOSEARCH family need.
package geohash
