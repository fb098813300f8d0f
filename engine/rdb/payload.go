package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Version is the RDB version Mnemo writes: Redis 7.0's.
const Version = 10

// ErrPayload is returned for a DUMP payload whose version is newer than
// Version or whose checksum does not match ("DUMP payload version or
// checksum are wrong").
var ErrPayload = errors.New("rdb: DUMP payload version or checksum are wrong")

// Dump serialises v as DUMP's payload.
func Dump(v keyspace.Value, l keyspace.Limits) ([]byte, error) {
	var buf bytes.Buffer
	if err := NewEncoder(&buf, l).WriteValue(v); err != nil {
		return nil, err
	}
	b := binary.LittleEndian.AppendUint16(buf.Bytes(), Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b)), nil
}

// VerifyPayload checks a payload's footer as Redis's verifyDumpPayload:
// a version no newer than Version and a matching checksum.
func VerifyPayload(p []byte) error {
	if len(p) < 10 {
		return ErrPayload
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > Version {
		return ErrPayload
	}
	if binary.LittleEndian.Uint64(footer[2:]) != CRC64(0, p[:len(p)-8]) {
		return ErrPayload
	}
	return nil
}

// Restore decodes a payload VerifyPayload accepted. Like Redis, it
// ignores bytes left over between the value and the footer.
func Restore(p []byte, l keyspace.Limits) (keyspace.Value, error) {
	// Redis reads the value from the whole payload, footer included: a
	// string whose length runs into the footer takes its bytes.
	r := bytes.NewReader(p)
	d := NewDecoder(r, l)
	typ, err := d.ReadType()
	if err != nil {
		return nil, err
	}
	return d.ReadValue(typ)
}
