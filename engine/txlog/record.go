package txlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// FormatVersion is the record format this engine writes and the newest it
// reads.
const FormatVersion = 1

const (
	headerLen   = 5
	kindEffects = 1
	// countLen is the room the writer keeps after the header for the
	// batch's group count, written as a padded 5-byte uvarint (which
	// decoders read as any uvarint), so that the batch is encoded in
	// place, with no copy when it is sent.
	countLen = 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is returned for a batch whose checksum or structure is wrong.
var ErrCorrupt = errors.New("corrupt log record")

// ErrNewerFormat is returned for a batch written by a newer engine.
var ErrNewerFormat = errors.New("log record written in a newer format")

// BatchWriter encodes a batch. The zero value is not ready: use
// NewBatchWriter.
type BatchWriter struct {
	buf    []byte
	groups int
	// group state
	groupStart int // offset of the open group's count placeholder, -1 if none
	effects    int
	// encoded is the length of buf when Bytes last wrote the header, 0
	// if it has not since the batch changed: a resent batch is not
	// written again while an earlier attempt's message may be read.
	encoded int
}

// NewBatchWriter returns an empty batch.
func NewBatchWriter() *BatchWriter { return NewBatchWriterSize(0) }

// NewBatchWriterSize returns an empty batch whose buffer has room for
// about n bytes of effects, so that a batch of the expected size is
// encoded without growing (and copying) its buffer.
func NewBatchWriterSize(n int) *BatchWriter {
	w := &BatchWriter{groupStart: -1, buf: make([]byte, 0, headerLen+countLen+max(n, 0))}
	w.Reset()
	return w
}

// Reset empties the batch, keeping its buffer.
func (w *BatchWriter) Reset() {
	w.buf = append(w.buf[:0], make([]byte, headerLen+countLen)...)
	w.groups = 0
	w.groupStart = -1
	w.effects = 0
	w.encoded = 0
}

// Groups returns the number of complete groups.
func (w *BatchWriter) Groups() int { return w.groups }

// Len returns the encoded size so far.
func (w *BatchWriter) Len() int { return len(w.buf) }

// BeginGroup opens a group; effects added until EndGroup are applied
// together.
func (w *BatchWriter) BeginGroup() {
	w.groupStart = len(w.buf)
	w.effects = 0
}

// Effect adds one effect to the open group.
func (w *BatchWriter) Effect(args [][]byte) {
	if w.effects == 0 {
		// The group's header is written with its first effect, so an
		// empty group leaves no trace.
		w.buf = append(w.buf, kindEffects)
		w.buf = append(w.buf, 0, 0, 0, 0, 0) // effect count, patched at EndGroup
	}
	w.effects++
	w.buf = binary.AppendUvarint(w.buf, uint64(len(args)))
	for _, a := range args {
		w.buf = binary.AppendUvarint(w.buf, uint64(len(a)))
		w.buf = append(w.buf, a...)
	}
}

// EndGroup closes the open group; a group without effects is dropped.
func (w *BatchWriter) EndGroup() {
	if w.effects > 0 {
		// The count is a fixed 5-byte uvarint so it can be patched in place.
		putUvarint5(w.buf[w.groupStart+1:], uint64(w.effects))
		w.groups++
	}
	w.groupStart = -1
	w.effects = 0
}

// putUvarint5 writes v as a uvarint padded to exactly 5 bytes (values
// below 2^35), which decoders read as a normal uvarint.
func putUvarint5(b []byte, v uint64) {
	for i := 0; i < 4; i++ {
		b[i] = byte(v) | 0x80
		v >>= 7
	}
	b[4] = byte(v)
}

// Bytes finishes the batch and returns its encoding, in place: the result
// is the writer's buffer, valid until the batch changes (more groups, or
// Reset). Calling it again returns the same encoding.
func (w *BatchWriter) Bytes() []byte {
	out := w.buf
	if w.encoded == len(out) {
		return out
	}
	w.encoded = len(out)
	out[0] = FormatVersion
	putUvarint5(out[headerLen:], uint64(w.groups))
	binary.LittleEndian.PutUint32(out[1:5], crc32.Checksum(out[headerLen:], castagnoli))
	return out
}

// DecodeBatch checks a batch and calls fn for each group with its effects.
// The argument slices alias data. It refuses a batch with a bad checksum, a
// truncated or malformed body, or a newer format version, before calling fn
// at all.
func DecodeBatch(data []byte, fn func(group [][][]byte) error) error {
	if len(data) < headerLen {
		return fmt.Errorf("%w: %d bytes is shorter than the header", ErrCorrupt, len(data))
	}
	if data[0] > FormatVersion || data[0] == 0 {
		return fmt.Errorf("%w: version %d (this engine reads up to %d)", ErrNewerFormat, data[0], FormatVersion)
	}
	if got, want := crc32.Checksum(data[headerLen:], castagnoli), binary.LittleEndian.Uint32(data[1:5]); got != want {
		return fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	groups, err := parseGroups(data[headerLen:])
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

func parseGroups(b []byte) ([][][][]byte, error) {
	d := decoder{b: b}
	n := d.uvarint()
	var groups [][][][]byte
	for i := uint64(0); i < n && d.err == nil; i++ {
		if kind := d.byte(); kind != kindEffects && d.err == nil {
			return nil, fmt.Errorf("%w: unknown group kind %d", ErrCorrupt, kind)
		}
		ne := d.uvarint()
		var group [][][]byte
		for j := uint64(0); j < ne && d.err == nil; j++ {
			argc := d.uvarint()
			if argc > uint64(len(d.b)) {
				d.fail("argument count")
				break
			}
			args := make([][]byte, 0, argc)
			for k := uint64(0); k < argc && d.err == nil; k++ {
				args = append(args, d.bytes(d.uvarint()))
			}
			group = append(group, args)
		}
		groups = append(groups, group)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return groups, nil
}

// decoder reads a record body, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrCorrupt, what)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("group kind")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail("length")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}
