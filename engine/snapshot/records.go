package snapshot

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
)

// RDB opcodes (rdb.h) of the records between values.
const (
	opFunction2    = 0xF5
	opModuleAux    = 0xF7
	opIdle         = 0xF8
	opFreq         = 0xF9
	opAux          = 0xFA
	opResizeDB     = 0xFB
	opExpireTimeMs = 0xFC
	opExpireTime   = 0xFD
	opSelectDB     = 0xFE
	opEOF          = 0xFF
)

// recordWriter writes key records in RDB body form. The rdb encoder
// writes a value's type byte before its body, while a record puts the key
// between them: the encoder writes through typeThenKey, which slips the
// key in after the first byte, so no value is ever buffered whole.
type recordWriter struct {
	w   io.Writer
	enc *rdb.Encoder
	tk  typeThenKey
}

func newRecordWriter(w io.Writer, l keyspace.Limits) *recordWriter {
	rw := &recordWriter{w: w}
	rw.tk.w = w
	rw.tk.keyEnc = rdb.NewEncoder(w, l)
	rw.enc = rdb.NewEncoder(&rw.tk, l)
	return rw
}

func (rw *recordWriter) write(key string, e *keyspace.Entry) error {
	rw.tk.pending, rw.tk.key, rw.tk.expire = true, key, e.ExpireAt
	if err := rw.enc.WriteValue(e.Value); err != nil {
		return fmt.Errorf("cannot write key %q: %w", key, err)
	}
	if rw.tk.pending {
		return fmt.Errorf("cannot write key %q: its encoder wrote nothing", key)
	}
	return nil
}

// typeThenKey writes the expiry opcode and the key after the first byte
// written through it (the value's type), then passes bytes on.
type typeThenKey struct {
	w       io.Writer
	keyEnc  *rdb.Encoder
	pending bool
	key     string
	expire  int64
	tmp     [9]byte
}

func (t *typeThenKey) Write(p []byte) (int, error) {
	n := len(p)
	if t.pending && len(p) > 0 {
		t.pending = false
		if t.expire != 0 {
			t.tmp[0] = opExpireTimeMs
			binary.LittleEndian.PutUint64(t.tmp[1:], uint64(t.expire))
			if _, err := t.w.Write(t.tmp[:9]); err != nil {
				return 0, err
			}
		}
		if _, err := t.w.Write(p[:1]); err != nil {
			return 0, err
		}
		t.keyEnc.WriteString([]byte(t.key))
		if err := t.keyEnc.Err(); err != nil {
			return 0, err
		}
		p = p[1:]
	}
	if len(p) > 0 {
		if _, err := t.w.Write(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// byteReader is what records are read from: the decoder reads opcodes
// and lengths a byte at a time.
type byteReader interface {
	io.Reader
	io.ByteReader
}

// recordReader reads key records in RDB body form. Snapshots hold only
// expiry, key and value records; RDB files also hold the file-level
// opcodes, which onAux and onSelect see.
type recordReader struct {
	r   byteReader
	dec *rdb.Decoder
	// onAux receives AUX fields; nil ignores them.
	onAux func(k, v []byte)
	// onSelect receives SELECTDB; nil refuses it (snapshots have no
	// databases).
	onSelect func(db uint64) error
}

func newRecordReader(r byteReader, l keyspace.Limits) *recordReader {
	return &recordReader{r: r, dec: rdb.NewDecoder(r, l)}
}

// next returns the next key record, io.EOF at the EOF opcode.
func (rr *recordReader) next() (string, keyspace.Entry, error) {
	var e keyspace.Entry
	var buf [8]byte
	for {
		op, err := rr.r.ReadByte()
		if err != nil {
			return "", e, unexpected(err)
		}
		switch op {
		case opEOF:
			return "", e, io.EOF
		case opExpireTimeMs:
			if _, err := io.ReadFull(rr.r, buf[:8]); err != nil {
				return "", e, unexpected(err)
			}
			e.ExpireAt = int64(binary.LittleEndian.Uint64(buf[:8]))
		case opExpireTime:
			if _, err := io.ReadFull(rr.r, buf[:4]); err != nil {
				return "", e, unexpected(err)
			}
			e.ExpireAt = int64(binary.LittleEndian.Uint32(buf[:4])) * 1000
		case opIdle:
			if _, err := rr.dec.ReadLen(); err != nil {
				return "", e, err
			}
		case opFreq:
			f, err := rr.r.ReadByte()
			if err != nil {
				return "", e, unexpected(err)
			}
			e.Freq = f
		case opAux:
			k, err := rr.dec.ReadString()
			if err != nil {
				return "", e, err
			}
			v, err := rr.dec.ReadString()
			if err != nil {
				return "", e, err
			}
			if rr.onAux != nil {
				rr.onAux(k, v)
			}
		case opResizeDB:
			for range 2 {
				if _, err := rr.dec.ReadLen(); err != nil {
					return "", e, err
				}
			}
		case opSelectDB:
			db, err := rr.dec.ReadLen()
			if err != nil {
				return "", e, err
			}
			if rr.onSelect == nil {
				return "", e, corrupt("SELECTDB in a snapshot")
			}
			if err := rr.onSelect(db); err != nil {
				return "", e, err
			}
		case opFunction2:
			// A function library: Mnemo has no functions to load it
			// into; its body is one string.
			if _, err := rr.dec.ReadString(); err != nil {
				return "", e, err
			}
		case opModuleAux:
			return "", e, fmt.Errorf("%w: module data (opcode 0xF7) cannot be read", rdb.ErrBadFormat)
		default:
			key, err := rr.dec.ReadString()
			if err != nil {
				return "", e, err
			}
			v, err := rr.dec.ReadValue(op)
			if err != nil {
				return "", e, fmt.Errorf("key %q: %w", key, err)
			}
			e.Value = v
			return string(key), e, nil
		}
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
