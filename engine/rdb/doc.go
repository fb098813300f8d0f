// Package rdb reads and writes values in Redis's RDB serialization format:
// the object encoding of an RDB file, which DUMP and RESTORE also use. It
// is the one codec for DUMP/RESTORE today and for RDB file import/export
// and snapshots later, so it streams: an Encoder writes to an io.Writer, a
// Decoder reads from an io.Reader. It knows nothing of commands or of the
// wire protocol.
//
// # Object layout
//
// A serialized value is a type byte followed by the type's body:
//
//	0  string       string
//	1  list         len, len × string                      (read only)
//	2  set          len, len × string
//	3  zset         len, len × (string, score as text)      (read only)
//	4  hash         len, len × (string, string)
//	5  zset2        len, len × (string, score as LE float64)
//	9  zipmap hash  string holding a zipmap                 (read only)
//	10 ziplist list string holding a ziplist                (read only)
//	11 intset set   string holding an intset
//	12 ziplist zset string holding a ziplist                (read only)
//	13 ziplist hash string holding a ziplist                (read only)
//	14 quicklist    len, len × string holding a ziplist     (read only)
//	16 listpack hash string holding a listpack
//	17 listpack zset string holding a listpack
//	18 quicklist2   len, len × (container len, string): container 1 is a
//	               plain element, 2 a listpack
//	20 listpack set string holding a listpack               (read only)
//
// Other types (streams, 15, 19 and 21) are handled by codecs registered
// with Register.
//
// A len is 1, 2, 5 or 9 bytes: 00xxxxxx, 01xxxxxx xxxxxxxx (big-endian
// 14 bits), 0x80 + 4 bytes or 0x81 + 8 bytes big-endian. A string is a
// len and its bytes, or 11xxxxxx: 0xC0/0xC1/0xC2 + an 8/16/32-bit
// little-endian integer written in decimal, or 0xC3 + compressed len +
// original len + LZF data. The writer chooses what Redis 7.0 chooses:
// the integer form for canonical integers of at most 11 characters, LZF
// for strings over 20 bytes that it shrinks by at least 4 bytes.
//
// # Dump payload
//
// DUMP's payload is a serialized value, then the RDB version as 2 bytes
// little-endian (10, Redis 7.0's), then the CRC-64 (Jones polynomial,
// reflected, initial value 0, as Redis's crc64.c) of everything before it,
// 8 bytes little-endian.
package rdb
