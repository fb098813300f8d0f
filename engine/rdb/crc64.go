package rdb

import "hash/crc64"

// jonesTable is the CRC-64 table of the Jones polynomial
// (0xad93d23594c935a9), in the reflected form Go's crc64 takes.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// CRC64 updates crc with p the way Redis's crc64() does: reflected Jones
// polynomial, no initial or final inversion (Go's crc64 inverts both, so
// undo it on each side).
func CRC64(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}
