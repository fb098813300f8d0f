package resp

import (
	"math"
	"strconv"
)

// Writer encodes replies into a buffer. Each method writes one reply in the
// form of the connection's protocol version (2 or 3): RESP3 types such as
// maps, sets, doubles, booleans and nulls degrade to their RESP2 forms, as
// Redis does.
//
// Writer never touches the network; the server decides when to write
// Bytes() out, so a pipeline's replies leave in one write.
type Writer struct {
	buf []byte
	// Proto is the protocol version, 2 or 3.
	Proto int
}

// NewWriter returns a RESP2 Writer.
func NewWriter() *Writer { return &Writer{Proto: 2, buf: make([]byte, 0, 16*1024)} }

// Bytes returns the encoded replies not yet taken.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of encoded bytes not yet taken.
func (w *Writer) Len() int { return len(w.buf) }

// Reset drops the encoded replies, keeping the buffer.
func (w *Writer) Reset() {
	if cap(w.buf) > 1<<20 {
		w.buf = make([]byte, 0, 16*1024)
		return
	}
	w.buf = w.buf[:0]
}

// Truncate drops everything written after the first n bytes; it lets a
// caller discard a partly written reply.
func (w *Writer) Truncate(n int) { w.buf = w.buf[:n] }

// Raw appends already encoded protocol.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// Status writes a simple string: +OK.
func (w *Writer) Status(s string) {
	w.buf = append(w.buf, '+')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.buf = append(w.buf, "+OK\r\n"...) }

// Error writes an error reply. msg must carry its prefix ("ERR ...",
// "WRONGTYPE ..."); CR and LF are replaced by spaces so a message can never
// break the framing.
func (w *Writer) Error(msg string) {
	w.buf = append(w.buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.buf = append(w.buf, c)
	}
	w.buf = append(w.buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(v int64) {
	if v >= 0 && v < 10 {
		w.buf = append(w.buf, ':', byte('0'+v), '\r', '\n')
		return
	}
	w.buf = append(w.buf, ':')
	w.buf = strconv.AppendInt(w.buf, v, 10)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *Writer) header(c byte, n int) {
	w.buf = append(w.buf, c)
	w.buf = strconv.AppendInt(w.buf, int64(n), 10)
	w.buf = append(w.buf, '\r', '\n')
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', len(b))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', len(s))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkInt writes an integer as a bulk string.
func (w *Writer) BulkInt(v int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], v, 10))
}

// Null writes a null bulk string ($-1 in RESP2, _ in RESP3).
func (w *Writer) Null() {
	if w.Proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// NullArray writes a null array (*-1 in RESP2, _ in RESP3).
func (w *Writer) NullArray() {
	if w.Proto == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

// Array writes an array header for n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map writes a map header for n key/value pairs (a flat array of 2n in
// RESP2).
func (w *Writer) Map(n int) {
	if w.Proto == 3 {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set writes a set header for n elements (an array in RESP2).
func (w *Writer) Set(n int) {
	if w.Proto == 3 {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Push writes a push header for n elements (an array in RESP2), used for
// pub/sub messages and other out-of-band data.
func (w *Writer) Push(n int) {
	if w.Proto == 3 {
		w.header('>', n)
		return
	}
	w.header('*', n)
}

// Attribute writes a RESP3 attribute header; callers only use it on RESP3
// connections.
func (w *Writer) Attribute(n int) { w.header('|', n) }

// Double writes a floating point reply: a RESP3 double, or in RESP2 a bulk
// string formatted as Redis 7.0 does ("%.17g", "inf", "-inf").
func (w *Writer) Double(f float64) {
	if w.Proto == 3 {
		w.buf = append(w.buf, ',')
		w.buf = AppendDouble(w.buf, f)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	var tmp [32]byte
	w.Bulk(AppendDouble(tmp[:0], f))
}

// AppendDouble formats f the way Redis 7.0's addReplyDouble does.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// Bool writes a boolean: #t/#f in RESP3, :1/:0 in RESP2.
func (w *Writer) Bool(b bool) {
	switch {
	case w.Proto == 3 && b:
		w.buf = append(w.buf, "#t\r\n"...)
	case w.Proto == 3:
		w.buf = append(w.buf, "#f\r\n"...)
	case b:
		w.buf = append(w.buf, ":1\r\n"...)
	default:
		w.buf = append(w.buf, ":0\r\n"...)
	}
}

// Verbatim writes a verbatim string ("txt" format) in RESP3 and a bulk
// string in RESP2, as INFO and CLIENT LIST replies are sent.
func (w *Writer) Verbatim(s string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.header('=', len(s)+4)
	w.buf = append(w.buf, "txt:"...)
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BigNumber writes a RESP3 big number (a bulk string in RESP2).
func (w *Writer) BigNumber(s string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.buf = append(w.buf, '(')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkStrings writes an array of bulk strings.
func (w *Writer) BulkStrings(ss []string) {
	w.Array(len(ss))
	for _, s := range ss {
		w.BulkString(s)
	}
}
