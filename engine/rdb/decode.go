package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// ErrBadFormat is returned for input that is not a valid serialized value
// (RESTORE's "Bad data format").
var ErrBadFormat = errors.New("rdb: bad data format")

// maxPrealloc bounds what a length read from the input may preallocate:
// larger things grow as their bytes actually arrive.
const maxPrealloc = 1 << 16

// Decoder reads values in the RDB object format from an io.Reader.
type Decoder struct {
	r io.Reader
	// br is r when it reads bytes one at a time cheaply.
	br io.ByteReader
	// Limits decide the encodings loaded values report, as Redis's
	// loading converts values that exceed them.
	Limits keyspace.Limits
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

// NewDecoder returns a decoder reading from r (buffered unless it already
// reads single bytes cheaply).
func NewDecoder(r io.Reader, l keyspace.Limits) *Decoder {
	br, ok := r.(byteReader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Decoder{r: br, br: br, Limits: l}
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadFormat}, args...)...)
}

// eof turns a short read into a format error: the input ended early.
func eof(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return bad("truncated")
	}
	return err
}

// ReadType reads an object type byte.
func (d *Decoder) ReadType() (byte, error) {
	b, err := d.br.ReadByte()
	return b, eof(err)
}

func (d *Decoder) readFull(n int) ([]byte, error) {
	if n <= maxPrealloc {
		b := make([]byte, n)
		_, err := io.ReadFull(d.r, b)
		return b, eof(err)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, d.r, int64(n)); err != nil {
		return nil, eof(err)
	}
	return buf.Bytes(), nil
}

// readLen reads a length, or the special string encoding when encoded
// is set (the top two bits are 11).
func (d *Decoder) readLen() (n uint64, encoded bool, err error) {
	c, err := d.br.ReadByte()
	if err != nil {
		return 0, false, eof(err)
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3F), false, nil
	case 1:
		c2, err := d.br.ReadByte()
		return uint64(c&0x3F)<<8 | uint64(c2), false, eof(err)
	case 3:
		return uint64(c & 0x3F), true, nil
	}
	switch c {
	case 0x80:
		b, err := d.readFull(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case 0x81:
		b, err := d.readFull(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, bad("unknown length encoding %#x", c)
}

// ReadLen reads a length.
func (d *Decoder) ReadLen() (uint64, error) {
	n, enc, err := d.readLen()
	if err == nil && enc {
		err = bad("encoded string where a length was expected")
	}
	return n, err
}

// readCount reads a collection length, which must fit an int.
func (d *Decoder) readCount() (int, error) {
	n, err := d.ReadLen()
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 {
		return 0, bad("length %d too large", n)
	}
	return int(n), nil
}

// ReadString reads a string in any of its encodings.
func (d *Decoder) ReadString() ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return nil, err
	}
	if !enc {
		if n > math.MaxInt32 {
			return nil, bad("string of %d bytes too large", n)
		}
		return d.readFull(int(n))
	}
	switch n {
	case 0, 1, 2:
		w := 1 << n
		b, err := d.readFull(w)
		if err != nil {
			return nil, err
		}
		var u uint64
		for i := w - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		shift := uint(64 - 8*w)
		return strconv.AppendInt(nil, int64(u<<shift)>>shift, 10), nil
	case 3:
		clen, err := d.ReadLen()
		if err != nil {
			return nil, err
		}
		ulen, err := d.ReadLen()
		if err != nil {
			return nil, err
		}
		// A back reference of 3 bytes yields at most 264: anything
		// claiming more is corrupt, and must not allocate.
		if clen == 0 || clen > math.MaxInt32 || ulen > clen*90+64 {
			return nil, bad("LZF lengths %d/%d", clen, ulen)
		}
		c, err := d.readFull(int(clen))
		if err != nil {
			return nil, err
		}
		out, ok := lzfDecompress(c, int(ulen))
		if !ok {
			return nil, bad("invalid LZF data")
		}
		return out, nil
	}
	return nil, bad("unknown string encoding %d", n)
}

// ReadDouble reads a binary little-endian float64.
func (d *Decoder) ReadDouble() (float64, error) {
	b, err := d.readFull(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// readTextDouble reads the old text form of a score: a length byte (253
// nan, 254 inf, 255 -inf) and that many characters.
func (d *Decoder) readTextDouble() (float64, error) {
	n, err := d.br.ReadByte()
	if err != nil {
		return 0, eof(err)
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.readFull(int(n))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, bad("score %q", b)
	}
	return f, nil
}

// ReadValue reads the body of an object of type typ.
func (d *Decoder) ReadValue(typ byte) (keyspace.Value, error) {
	switch typ {
	case TypeString:
		b, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		return &keyspace.String{B: b}, nil
	case TypeList:
		return d.readPlainList()
	case TypeListZiplist:
		l := keyspace.NewList()
		if err := d.readBlob(zlEach, func(s string) { l.PushBack([]byte(s)) }); err != nil {
			return nil, err
		}
		return nonEmpty(l, l.Len())
	case TypeListQuicklist, TypeListQuicklist2:
		return d.readQuicklist(typ)
	case TypeSet, TypeSetIntset, TypeSetListpack:
		return d.readSet(typ)
	case TypeHash, TypeHashZipmap, TypeHashZiplist, TypeHashListpack:
		return d.readHash(typ)
	case TypeHashMetadata, TypeHashMetadataPreGA:
		return d.readHashMetadata(typ)
	case TypeZSet, TypeZSet2, TypeZSetZiplist, TypeZSetListpack:
		return d.readZSet(typ)
	}
	if c := codecForType(typ); c != nil {
		return c.Decode(d, typ)
	}
	return nil, bad("unknown object type %d", typ)
}

// nonEmpty refuses empty collections, as Redis's loading does.
func nonEmpty(v keyspace.Value, n int) (keyspace.Value, error) {
	if n == 0 {
		return nil, bad("empty %s", v.Type())
	}
	return v, nil
}

// readBlob reads a string holding a ziplist or listpack and walks it.
func (d *Decoder) readBlob(each func([]byte, func(string) bool) bool, fn func(string)) error {
	b, err := d.ReadString()
	if err != nil {
		return err
	}
	if !each(b, func(s string) bool { fn(s); return true }) {
		return bad("invalid ziplist or listpack")
	}
	return nil
}

func (d *Decoder) readPlainList() (keyspace.Value, error) {
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	l := keyspace.NewList()
	for i := 0; i < n; i++ {
		s, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		l.PushBack(s)
	}
	return nonEmpty(l, l.Len())
}

func (d *Decoder) readQuicklist(typ byte) (keyspace.Value, error) {
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	l := keyspace.NewList()
	for i := 0; i < n; i++ {
		container := uint64(containerPacked)
		if typ == TypeListQuicklist2 {
			if container, err = d.ReadLen(); err != nil {
				return nil, err
			}
		}
		switch container {
		case containerPlain:
			s, err := d.ReadString()
			if err != nil {
				return nil, err
			}
			l.PushBack(s)
		case containerPacked:
			each := zlEach
			if typ == TypeListQuicklist2 {
				each = lpEach
			}
			before := l.Len()
			if err := d.readBlob(each, func(s string) { l.PushBack([]byte(s)) }); err != nil {
				return nil, err
			}
			if l.Len() == before {
				return nil, bad("empty quicklist node")
			}
		default:
			return nil, bad("quicklist container %d", container)
		}
	}
	return nonEmpty(l, l.Len())
}

func (d *Decoder) readSet(typ byte) (keyspace.Value, error) {
	s := keyspace.NewSet()
	dup := false
	add := func(m string) {
		if !s.Add(m) {
			dup = true
		}
	}
	switch typ {
	case TypeSet:
		n, err := d.readCount()
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			m, err := d.ReadString()
			if err != nil {
				return nil, err
			}
			add(string(m))
		}
	case TypeSetIntset:
		b, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		if !intsetEach(b, func(v int64) { add(strconv.FormatInt(v, 10)) }) {
			return nil, bad("invalid intset")
		}
	case TypeSetListpack:
		if err := d.readBlob(lpEach, add); err != nil {
			return nil, err
		}
	}
	if dup {
		return nil, bad("duplicate set members")
	}
	return nonEmpty(s, s.Len())
}

func (d *Decoder) readHash(typ byte) (keyspace.Value, error) {
	h := keyspace.NewHash()
	dup, odd := false, false
	var field string
	half := false
	pair := func(f, v string) {
		if !h.Set(f, v, d.Limits) {
			dup = true
		}
	}
	flat := func(s string) {
		if half {
			pair(field, s)
		} else {
			field = s
		}
		half = !half
	}
	switch typ {
	case TypeHash:
		n, err := d.readCount()
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			f, err := d.ReadString()
			if err != nil {
				return nil, err
			}
			v, err := d.ReadString()
			if err != nil {
				return nil, err
			}
			pair(string(f), string(v))
		}
	case TypeHashZipmap:
		b, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		if !zipmapEach(b, pair) {
			return nil, bad("invalid zipmap")
		}
	case TypeHashZiplist:
		if err := d.readBlob(zlEach, flat); err != nil {
			return nil, err
		}
		odd = half
	case TypeHashListpack:
		if err := d.readBlob(lpEach, flat); err != nil {
			return nil, err
		}
		odd = half
	}
	if dup || odd {
		return nil, bad("duplicate or unpaired hash fields")
	}
	return nonEmpty(h, h.Len())
}

// readHashMetadata reads a hash with field expiry times (Redis 7.4).
func (d *Decoder) readHashMetadata(typ byte) (keyspace.Value, error) {
	var min uint64
	if typ == TypeHashMetadata {
		b, err := d.readFull(8)
		if err != nil {
			return nil, err
		}
		min = binary.LittleEndian.Uint64(b)
	}
	n, err := d.readCount()
	if err != nil {
		return nil, err
	}
	h := keyspace.NewHash()
	for i := 0; i < n; i++ {
		ttl, err := d.ReadLen()
		if err != nil {
			return nil, err
		}
		f, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		v, err := d.ReadString()
		if err != nil {
			return nil, err
		}
		if !h.Set(string(f), string(v), d.Limits) {
			return nil, bad("duplicate hash fields")
		}
		at := ttl
		if typ == TypeHashMetadata && ttl != 0 {
			at = ttl + min - 1
		}
		if at != 0 {
			if at > maxFieldExpire {
				return nil, bad("hash field expiry time out of range")
			}
			h.SetFieldExpire(string(f), int64(at))
		}
	}
	return nonEmpty(h, h.Len())
}

// maxFieldExpire is the largest field expiry time Redis accepts (2^48-1 ms).
const maxFieldExpire = 1<<48 - 1

func (d *Decoder) readZSet(typ byte) (keyspace.Value, error) {
	z := keyspace.NewZSet()
	dup, odd, nan := false, false, false
	maxLen := 0
	add := func(m string, score float64) {
		if math.IsNaN(score) {
			nan = true
			return
		}
		if !z.Add(m, score) {
			dup = true
		}
		maxLen = max(maxLen, len(m))
	}
	var member string
	half := false
	flat := func(s string) {
		if !half {
			member = s
		} else if f, err := strconv.ParseFloat(s, 64); err != nil {
			nan = true
		} else {
			add(member, f)
		}
		half = !half
	}
	switch typ {
	case TypeZSet, TypeZSet2:
		n, err := d.readCount()
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			m, err := d.ReadString()
			if err != nil {
				return nil, err
			}
			var f float64
			if typ == TypeZSet2 {
				f, err = d.ReadDouble()
			} else {
				f, err = d.readTextDouble()
			}
			if err != nil {
				return nil, err
			}
			add(string(m), f)
		}
	case TypeZSetZiplist:
		if err := d.readBlob(zlEach, flat); err != nil {
			return nil, err
		}
		odd = half
	case TypeZSetListpack:
		if err := d.readBlob(lpEach, flat); err != nil {
			return nil, err
		}
		odd = half
	}
	if dup || odd || nan {
		return nil, bad("duplicate, unpaired or NaN sorted set elements")
	}
	z.FitEncoding(d.Limits)
	return nonEmpty(z, z.Len())
}
