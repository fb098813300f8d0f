package snapshot

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/mnemo-dev/mnemo/engine/rdb"
)

// MaxChunk is the largest chunk payload: what a writer buffers and a
// reader holds at once.
const MaxChunk = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunkWriter cuts the record stream into checksummed chunks.
type chunkWriter struct {
	w     io.Writer
	buf   []byte
	bytes uint64 // payload bytes written
	crc   uint64 // CRC-64 of the payload bytes so far
	err   error
}

func newChunkWriter(w io.Writer) *chunkWriter {
	return &chunkWriter{w: w, buf: make([]byte, 0, MaxChunk)}
}

// Write buffers p, emitting full chunks as they fill.
func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && c.err == nil {
		k := min(len(p), MaxChunk-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == MaxChunk {
			c.flush()
		}
	}
	if c.err != nil {
		return 0, c.err
	}
	return n, nil
}

func (c *chunkWriter) flush() {
	if len(c.buf) == 0 || c.err != nil {
		return
	}
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(c.buf)))
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(c.buf, castagnoli))
	if _, c.err = c.w.Write(hdr[:]); c.err == nil {
		_, c.err = c.w.Write(c.buf)
	}
	c.bytes += uint64(len(c.buf))
	c.crc = rdb.CRC64(c.crc, c.buf)
	c.buf = c.buf[:0]
}

// close flushes the last chunk and writes the end-of-body marker.
func (c *chunkWriter) close() error {
	c.flush()
	if c.err == nil {
		_, c.err = c.w.Write(make([]byte, 8))
	}
	return c.err
}

// chunkReader verifies chunks and serves their payloads as one stream. It
// reports io.EOF only at the end-of-body marker; a stream cut short is an
// error.
type chunkReader struct {
	r     io.Reader
	buf   []byte
	off   int
	done  bool
	bytes uint64
	crc   uint64
}

func newChunkReader(r io.Reader) *chunkReader { return &chunkReader{r: r} }

func (c *chunkReader) next() error {
	var hdr [8]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return corrupt("chunk header: %v", err)
	}
	n := binary.LittleEndian.Uint32(hdr[0:])
	sum := binary.LittleEndian.Uint32(hdr[4:])
	if n == 0 {
		if sum != 0 {
			return corrupt("end-of-body marker")
		}
		c.done = true
		return io.EOF
	}
	if n > MaxChunk {
		return corrupt("chunk of %d bytes", n)
	}
	if cap(c.buf) < int(n) {
		c.buf = make([]byte, n)
	}
	c.buf = c.buf[:n]
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return corrupt("chunk: %v", err)
	}
	if got := crc32.Checksum(c.buf, castagnoli); got != sum {
		return corrupt("chunk checksum %08x, want %08x", got, sum)
	}
	c.off = 0
	c.bytes += uint64(n)
	c.crc = rdb.CRC64(c.crc, c.buf)
	return nil
}

// Read serves verified payload bytes.
func (c *chunkReader) Read(p []byte) (int, error) {
	for c.off == len(c.buf) {
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	return n, nil
}

// ReadByte serves one verified payload byte (the RDB decoder reads lengths
// and opcodes byte by byte).
func (c *chunkReader) ReadByte() (byte, error) {
	for c.off == len(c.buf) {
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	b := c.buf[c.off]
	c.off++
	return b, nil
}

// finish reads up to the end-of-body marker, which must follow the last
// record at once.
func (c *chunkReader) finish() error {
	if c.off != len(c.buf) {
		return corrupt("%d bytes after the last record", len(c.buf)-c.off)
	}
	if c.done {
		return nil
	}
	err := c.next()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	return corrupt("data after the last record")
}

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, a...)...)
}
