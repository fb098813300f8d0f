// Package snapshot is the snapshot of one shard's keyspace: its file
// format, the stores that keep snapshots (the JetStream object store by
// default, any S3-compatible bucket when configured), their retention, and
// Redis RDB file import and export. It knows nothing of commands or of the
// log: `mnemo snapshot` (snapshot.go at the top level) rebuilds a keyspace
// from the newest snapshot and the log and hands it here to be written.
//
// # File format, version 1
//
// A snapshot streams: a writer never holds more than one chunk besides
// the value it is encoding, a reader never more than one chunk besides the
// value it is decoding, so one huge key needs no huge buffer.
//
//	offset  size  field
//	0       8     magic "MNEMOSNP"
//	8       2     format version (1), little endian; readers refuse newer
//	10      4     metadata length N, little endian
//	14      N     metadata, JSON (Meta: shard, slot ranges, log sequence,
//	              its commit time, creation time, engine version)
//	14+N    4     CRC-32C (Castagnoli) of bytes 0 to 14+N
//	...           chunks, each:
//	                4  payload length L (1 to MaxChunk), little endian
//	                4  CRC-32C of the payload
//	                L  payload
//	              then a chunk header with length 0 and CRC 0: end of body
//	...     32    trailer: key count, payload byte count, CRC-64 (Redis's
//	              Jones polynomial) of all payloads, each 8 bytes little
//	              endian; then the magic "MNEMOEND"
//
// The payloads, joined, are the records of an RDB file's body (Redis 7.0,
// RDB version 10), so the keyspace has one encoding for snapshots, RDB
// files and DUMP, that of package rdb:
//
//	[0xFC, expiry as Unix ms, 8 bytes little endian]
//	type byte, key (RDB string), value (RDB object body)
//	... once per key, then 0xFF
//
// A file is complete only when its trailer agrees with what was read: a
// snapshot cut short anywhere (a killed builder, a lost upload) fails to
// load instead of loading a part of the keyspace.
package snapshot
