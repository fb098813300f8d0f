package snapshot

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
)

// FormatVersion is the snapshot format this engine writes and the newest
// it reads.
const FormatVersion = 1

const (
	magic    = "MNEMOSNP"
	endMagic = "MNEMOEND"
	// maxMeta bounds the metadata a reader accepts before it trusts the
	// header's checksum.
	maxMeta = 1 << 20
)

// ErrCorrupt is returned for a snapshot whose checksums or structure are
// wrong, or that was cut short.
var ErrCorrupt = errors.New("corrupt snapshot")

// ErrNewerFormat is returned for a snapshot written in a newer format.
var ErrNewerFormat = errors.New("snapshot written in a newer format")

// SlotRange is an inclusive range of hash slots.
type SlotRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// AllSlots is the slot range of a shard that owns the whole keyspace.
var AllSlots = []SlotRange{{0, keyspace.NumSlots - 1}}

// Meta describes a snapshot: what it is a snapshot of, and up to where.
type Meta struct {
	// Shard is the shard whose log the snapshot was built from.
	Shard int `json:"shard"`
	// Slots are the slot ranges the shard served.
	Slots []SlotRange `json:"slots"`
	// Seq is the last log sequence the snapshot includes: a node that
	// loads it replays the log from Seq+1.
	Seq uint64 `json:"seq"`
	// SeqTime is when entry Seq was committed (zero when Seq is 0); a
	// point-in-time restore picks the newest snapshot before its time.
	SeqTime time.Time `json:"seq_time"`
	// Created is when the snapshot was written.
	Created time.Time `json:"created"`
	// Engine is the version of the engine that wrote it.
	Engine string `json:"engine"`
}

// Summary is what a writer wrote, from the trailer.
type Summary struct {
	Keys  uint64 // keys in the snapshot
	Bytes uint64 // record bytes (before chunk framing)
}

// Writer writes a snapshot to an io.Writer as it goes: header at once,
// records in chunks, trailer on Close.
type Writer struct {
	cw   *chunkWriter
	rec  *recordWriter
	keys uint64
	err  error
}

// NewWriter writes m as the header of a new snapshot on w. Values are
// written in the encodings l decides, as Redis would hold them.
func NewWriter(w io.Writer, m Meta, l keyspace.Limits) (*Writer, error) {
	js, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("cannot encode snapshot metadata: %w", err)
	}
	hdr := append([]byte(magic), 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint16(hdr[8:], FormatVersion)
	binary.LittleEndian.PutUint32(hdr[10:], uint32(len(js)))
	hdr = append(hdr, js...)
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(hdr, castagnoli))
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("cannot write snapshot header: %w", err)
	}
	cw := newChunkWriter(w)
	return &Writer{cw: cw, rec: newRecordWriter(cw, l)}, nil
}

// WriteEntry adds one key with its value and expiry time.
func (w *Writer) WriteEntry(key string, e *keyspace.Entry) error {
	if w.err != nil {
		return w.err
	}
	if err := w.rec.write(key, e); err != nil {
		w.err = err
		return err
	}
	w.keys++
	return nil
}

// WriteDB adds every key of db, expired ones included (a snapshot is the
// state the log describes, and keys leave it only by the log's DELs).
func (w *Writer) WriteDB(db *keyspace.DB) error {
	for slot := 0; slot < keyspace.NumSlots && w.err == nil; slot++ {
		db.KeysInSlot(slot, func(k string, e *keyspace.Entry) bool {
			return w.WriteEntry(k, e) == nil
		})
	}
	return w.err
}

// Close ends the body and writes the trailer. The snapshot is complete
// only once Close has returned nil and w's destination has kept every
// byte.
func (w *Writer) Close() (Summary, error) {
	if w.err != nil {
		return Summary{}, w.err
	}
	w.cw.Write([]byte{opEOF})
	if err := w.cw.close(); err != nil {
		return Summary{}, fmt.Errorf("cannot write snapshot: %w", err)
	}
	tr := binary.LittleEndian.AppendUint64(nil, w.keys)
	tr = binary.LittleEndian.AppendUint64(tr, w.cw.bytes)
	tr = binary.LittleEndian.AppendUint64(tr, w.cw.crc)
	tr = append(tr, endMagic...)
	if _, err := w.cw.w.Write(tr); err != nil {
		return Summary{}, fmt.Errorf("cannot write snapshot trailer: %w", err)
	}
	return Summary{Keys: w.keys, Bytes: w.cw.bytes}, nil
}

// Reader reads a snapshot key by key, verifying every chunk as it
// arrives and the whole at the end.
type Reader struct {
	meta Meta
	cr   *chunkReader
	rec  *recordReader
	keys uint64
	done bool
}

// NewReader reads and checks a snapshot's header from r.
func NewReader(r io.Reader, l keyspace.Limits) (*Reader, error) {
	hdr := make([]byte, 14)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, corrupt("header: %v", err)
	}
	if string(hdr[:8]) != magic {
		return nil, corrupt("not a Mnemo snapshot")
	}
	if v := binary.LittleEndian.Uint16(hdr[8:]); v > FormatVersion || v == 0 {
		return nil, fmt.Errorf("%w: version %d (this engine reads up to %d)", ErrNewerFormat, v, FormatVersion)
	}
	n := binary.LittleEndian.Uint32(hdr[10:])
	if n > maxMeta {
		return nil, corrupt("metadata of %d bytes", n)
	}
	rest := make([]byte, n+4)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, corrupt("metadata: %v", err)
	}
	all := append(hdr, rest[:n]...)
	if got, want := crc32.Checksum(all, castagnoli), binary.LittleEndian.Uint32(rest[n:]); got != want {
		return nil, corrupt("header checksum %08x, want %08x", got, want)
	}
	var m Meta
	if err := json.Unmarshal(rest[:n], &m); err != nil {
		return nil, corrupt("metadata: %v", err)
	}
	cr := newChunkReader(r)
	return &Reader{meta: m, cr: cr, rec: newRecordReader(cr, l)}, nil
}

// Meta returns the snapshot's metadata.
func (r *Reader) Meta() Meta { return r.meta }

// Next returns the next key; io.EOF once the last key has been read and
// the trailer agrees with everything read.
func (r *Reader) Next() (string, keyspace.Entry, error) {
	if r.done {
		return "", keyspace.Entry{}, io.EOF
	}
	key, e, err := r.rec.next()
	if err == io.EOF {
		if err := r.finish(); err != nil {
			return "", keyspace.Entry{}, err
		}
		r.done = true
		return "", keyspace.Entry{}, io.EOF
	}
	if err != nil {
		if errors.Is(err, rdb.ErrBadFormat) {
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return "", keyspace.Entry{}, err
	}
	r.keys++
	return key, e, nil
}

func (r *Reader) finish() error {
	if err := r.cr.finish(); err != nil {
		return err
	}
	tr := make([]byte, 32)
	if _, err := io.ReadFull(r.cr.r, tr); err != nil {
		return corrupt("trailer: %v", err)
	}
	if !bytes.Equal(tr[24:], []byte(endMagic)) {
		return corrupt("trailer magic")
	}
	keys, n, sum := binary.LittleEndian.Uint64(tr), binary.LittleEndian.Uint64(tr[8:]), binary.LittleEndian.Uint64(tr[16:])
	if keys != r.keys || n != r.cr.bytes || sum != r.cr.crc {
		return corrupt("trailer says %d keys, %d bytes, CRC-64 %016x; read %d, %d, %016x",
			keys, n, sum, r.keys, r.cr.bytes, r.cr.crc)
	}
	return nil
}

// Load reads a whole snapshot from r into db (which should be empty) and
// returns its metadata. On error db holds a part of the snapshot and
// must be thrown away.
func Load(r io.Reader, db *keyspace.DB, l keyspace.Limits) (Meta, error) {
	sr, err := NewReader(r, l)
	if err != nil {
		return Meta{}, err
	}
	for {
		key, e, err := sr.Next()
		if err == io.EOF {
			return sr.Meta(), nil
		}
		if err != nil {
			return Meta{}, err
		}
		ent := db.Set(key, e.Value)
		if e.ExpireAt != 0 {
			db.SetExpire(key, ent, e.ExpireAt)
		}
	}
}
