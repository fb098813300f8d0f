package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

const (
	// InlineMaxSize is the longest inline command or multibulk/bulk header
	// line the reader accepts, as Redis's PROTO_INLINE_MAX_SIZE.
	InlineMaxSize = 64 * 1024
	// DefaultMaxBulkLen is Redis's default proto-max-bulk-len (512 MB).
	DefaultMaxBulkLen = 512 * 1024 * 1024
	// maxMultibulkLen is the largest element count Redis accepts (INT_MAX).
	maxMultibulkLen = 1<<31 - 1

	initialBufSize = 16 * 1024
	// shrinkAbove is the buffer size above which an idle reader drops its
	// buffer, so one big argument does not pin memory for the connection's
	// lifetime.
	shrinkAbove = 1 << 20
)

// ProtocolError is a malformed request. Its text is the one Redis sends
// before it closes the connection ("Protocol error: ...").
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// IsProtocolError reports whether err is a ProtocolError.
func IsProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe)
}

// Reader reads commands from a client connection.
type Reader struct {
	rd  io.Reader
	buf []byte
	r   int // start of unread data in buf
	w   int // end of data in buf

	args [][]byte

	// MaxBulkLen is the largest bulk argument accepted (proto-max-bulk-len).
	MaxBulkLen int64
	// MaxBuffer, if positive, is the largest the query buffer may grow
	// (client-query-buffer-limit); past it reads fail with
	// ErrQueryBufferLimit.
	MaxBuffer int64
}

// ErrQueryBufferLimit is returned when a client's pending input exceeds
// MaxBuffer. Redis closes such a client without a reply.
var ErrQueryBufferLimit = errors.New("client reached max query buffer length")

// NewReader returns a Reader reading from rd.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, buf: make([]byte, initialBufSize), MaxBulkLen: DefaultMaxBulkLen}
}

// Buffered returns the number of bytes already read from the connection and
// not yet consumed. The server flushes replies when it reaches zero, which is
// how a pipeline gets one write for many replies.
func (r *Reader) Buffered() int { return r.w - r.r }

// BufferCap returns the capacity of the query buffer (for CLIENT LIST).
func (r *Reader) BufferCap() int { return len(r.buf) }

// ReadCommand returns the next command's arguments. An empty multibulk
// ("*0" or "*-1") and an empty inline line are skipped, as Redis does. The
// returned slices alias the reader's buffer until the next call.
func (r *Reader) ReadCommand() ([][]byte, error) {
	for {
		if err := r.ensureData(); err != nil {
			return nil, err
		}
		var args [][]byte
		var err error
		if r.buf[r.r] == '*' {
			args, err = r.readMultibulk()
		} else {
			args, err = r.readInline()
		}
		if err != nil {
			return nil, err
		}
		if len(args) > 0 {
			return args, nil
		}
	}
}

// ensureData makes at least one unread byte available.
func (r *Reader) ensureData() error {
	if r.r < r.w {
		return nil
	}
	r.r, r.w = 0, 0
	if len(r.buf) > shrinkAbove {
		r.buf = make([]byte, initialBufSize)
	}
	return r.fill()
}

// fill reads more data into the buffer, compacting or growing it first when
// it is full. It returns io.EOF (or the read error) when nothing was read.
func (r *Reader) fill() error {
	if r.w == len(r.buf) {
		if r.r > 0 {
			n := copy(r.buf, r.buf[r.r:r.w])
			r.r, r.w = 0, n
		} else {
			if err := r.grow(); err != nil {
				return err
			}
		}
	}
	for {
		n, err := r.rd.Read(r.buf[r.w:])
		r.w += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line returns the next CRLF- (or, for inline commands, LF-) terminated line
// without its terminator, reading more data as needed. tooBig is the error
// message used when no terminator arrives within InlineMaxSize bytes.
func (r *Reader) line(tooBig string) ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], '\n'); i >= 0 {
			end := r.r + i
			ln := r.buf[r.r:end]
			r.r = end + 1
			if len(ln) > 0 && ln[len(ln)-1] == '\r' {
				ln = ln[:len(ln)-1]
			}
			return ln, nil
		}
		if r.w-r.r > InlineMaxSize {
			return nil, &ProtocolError{tooBig}
		}
		if err := r.fill(); err != nil {
			return nil, unexpected(err)
		}
	}
}

// inlineLine is line for inline commands. Redis finds their end with
// strchr, which stops at a NUL byte: a line with a NUL before its newline is
// never complete, and the client waits until the inline size limit.
func (r *Reader) inlineLine() ([]byte, error) {
	for {
		data := r.buf[r.r:r.w]
		if i := bytes.IndexByte(data, '\n'); i >= 0 && bytes.IndexByte(data[:i], 0) < 0 {
			return r.line("too big inline request")
		}
		if r.w-r.r > InlineMaxSize {
			return nil, &ProtocolError{"too big inline request"}
		}
		if err := r.fill(); err != nil {
			return nil, unexpected(err)
		}
	}
}

// unexpected turns a clean EOF in the middle of a command into
// io.ErrUnexpectedEOF, so callers can tell a client that vanished mid-command
// from one that closed between commands.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *Reader) readMultibulk() ([][]byte, error) {
	ln, err := r.line("too big mbulk count string")
	if err != nil {
		return nil, err
	}
	n, ok := parseInt(ln[1:])
	if !ok || n > maxMultibulkLen {
		return nil, &ProtocolError{"invalid multibulk length"}
	}
	if n <= 0 {
		return nil, nil
	}
	// The argument slice is reused across commands; arguments are offsets
	// into buf recorded first and turned into slices at the end, because
	// reading a later argument may move the buffer.
	args := r.args[:0]
	type span struct{ off, n int }
	var spansArr [8]span
	spans := spansArr[:0]
	// Compacting the buffer while reading a multibulk would move earlier
	// arguments, so remember where this command starts and rebase offsets.
	base := r.r
	for i := int64(0); i < n; i++ {
		if err := r.need(1, &base); err != nil {
			return nil, unexpected(err)
		}
		if r.buf[r.r] != '$' {
			return nil, &ProtocolError{fmt.Sprintf("expected '$', got '%c'", r.buf[r.r])}
		}
		ln, err := r.lineKeep("too big bulk count string", &base)
		if err != nil {
			return nil, err
		}
		bl, ok := parseInt(ln[1:])
		if !ok || bl < 0 || bl > r.MaxBulkLen {
			return nil, &ProtocolError{"invalid bulk length"}
		}
		if err := r.need(int(bl)+2, &base); err != nil {
			return nil, unexpected(err)
		}
		spans = append(spans, span{r.r - base, int(bl)})
		r.r += int(bl) + 2
	}
	for _, s := range spans {
		args = append(args, r.buf[base+s.off:base+s.off+s.n:base+s.off+s.n])
	}
	r.args = args
	return args, nil
}

// need makes n unread bytes available without discarding data from *base
// on. The buffer only grows when it is full, by doubling, so a client that
// announces a huge bulk and sends nothing costs nothing.
func (r *Reader) need(n int, base *int) error {
	for r.w-r.r < n {
		if r.w == len(r.buf) {
			r.compactFrom(base)
			if r.w == len(r.buf) {
				if err := r.grow(); err != nil {
					return err
				}
			}
		}
		m, err := r.rd.Read(r.buf[r.w:])
		r.w += m
		if m == 0 && err != nil {
			return err
		}
	}
	return nil
}

// grow doubles the buffer, within MaxBuffer.
func (r *Reader) grow() error {
	n := 2 * len(r.buf)
	if r.MaxBuffer > 0 && int64(n) > r.MaxBuffer {
		if int64(len(r.buf)) >= r.MaxBuffer {
			return ErrQueryBufferLimit
		}
		n = int(r.MaxBuffer)
	}
	nb := make([]byte, n)
	copy(nb, r.buf[:r.w])
	r.buf = nb
	return nil
}

// compactFrom moves the data from *base on to the start of the buffer.
func (r *Reader) compactFrom(base *int) {
	if *base == 0 {
		return
	}
	n := copy(r.buf, r.buf[*base:r.w])
	r.r -= *base
	r.w = n
	*base = 0
}

// lineKeep is line for use inside a multibulk: it keeps data from *base on.
func (r *Reader) lineKeep(tooBig string, base *int) ([]byte, error) {
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], '\n'); i >= 0 {
			end := r.r + i
			ln := r.buf[r.r:end]
			r.r = end + 1
			if len(ln) > 0 && ln[len(ln)-1] == '\r' {
				ln = ln[:len(ln)-1]
			}
			return ln, nil
		}
		if r.w-r.r > InlineMaxSize {
			return nil, &ProtocolError{tooBig}
		}
		if err := r.need(r.w-r.r+1, base); err != nil {
			return nil, unexpected(err)
		}
	}
}

func (r *Reader) readInline() ([][]byte, error) {
	ln, err := r.inlineLine()
	if err != nil {
		return nil, err
	}
	args, ok := SplitArgs(ln, r.args[:0])
	if !ok {
		return nil, &ProtocolError{"unbalanced quotes in request"}
	}
	r.args = args
	return args, nil
}

// parseInt parses a signed decimal integer the way Redis's string2ll does:
// no leading '+', no leading zeros, no spaces.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] >= '0' && b[0] <= '9' {
		return int64(b[0] - '0'), true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		nv := v*10 + uint64(c-'0')
		if nv/10 != v {
			return 0, false
		}
		v = nv
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// ParseInt parses an integer argument with Redis's string2ll rules.
func ParseInt(b []byte) (int64, bool) { return parseInt(b) }

// FormatInt appends the decimal form of v to dst.
func FormatInt(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

// FillMore reads more data from the connection into the buffer without
// parsing it. The server uses it to notice a disconnect while a client is
// blocked; data it reads is parsed by the next ReadCommand. It must not be
// called concurrently with ReadCommand.
func (r *Reader) FillMore() error {
	if r.r == r.w {
		r.r, r.w = 0, 0
	}
	return r.fill()
}
