package command

import (
	"encoding/binary"
	"hash/crc64"
	"sort"

	"github.com/mnemo-dev/mnemo/engine/script"
)

// FUNCTION DUMP's payload is Redis's: per library the RDB opcode
// FUNCTION2 (245) and the library code as an RDB string, then the RDB
// version (2 bytes, little endian) and the CRC64 (Jones polynomial, 8
// bytes, little endian) of everything before it. Mnemo writes strings
// uncompressed and reads LZF-compressed ones too, so payloads from Redis
// restore here and Mnemo's restore on Redis.
const (
	rdbOpcodeFunction2     = 245
	rdbOpcodeFunctionPreGA = 246
	rdbVersion             = 10
)

var crcJones = crc64.MakeTable(0x95AC9329AC4BC9B5)

// redisCRC64 is Redis's crc64(0, ...): the reflected Jones CRC without
// Go's initial and final inversion.
func redisCRC64(b []byte) uint64 { return ^crc64.Update(^uint64(0), crcJones, b) }

func appendRDBString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 1<<6:
		b = append(b, byte(n))
	case n < 1<<14:
		b = append(b, byte(n>>8)|0x40, byte(n))
	case uint64(n) <= 0xffffffff:
		b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x81), uint64(n))
	}
	return append(b, s...)
}

func functionDumpCmd(c *Ctx) {
	e := c.E
	e.fnState()
	names := make([]string, 0, len(e.scripts.libs))
	for name := range e.scripts.libs {
		names = append(names, name)
	}
	sort.Strings(names)
	var b []byte
	for _, name := range names {
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBString(b, e.scripts.libs[name].Code)
	}
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	b = binary.LittleEndian.AppendUint64(b, redisCRC64(b))
	c.W.Bulk(b)
}

// rdbReader reads RDB strings from a payload.
type rdbReader struct {
	b   []byte
	pos int
}

func (r *rdbReader) byte() (byte, bool) {
	if r.pos >= len(r.b) {
		return 0, false
	}
	r.pos++
	return r.b[r.pos-1], true
}

// length reads an RDB length; enc reports a special encoding instead.
func (r *rdbReader) length() (n uint64, enc bool, ok bool) {
	t, ok := r.byte()
	if !ok {
		return 0, false, false
	}
	switch t >> 6 {
	case 0:
		return uint64(t & 0x3f), false, true
	case 1:
		t2, ok := r.byte()
		return uint64(t&0x3f)<<8 | uint64(t2), false, ok
	case 3:
		return uint64(t & 0x3f), true, true
	}
	switch t {
	case 0x80:
		if r.pos+4 > len(r.b) {
			return 0, false, false
		}
		r.pos += 4
		return uint64(binary.BigEndian.Uint32(r.b[r.pos-4:])), false, true
	case 0x81:
		if r.pos+8 > len(r.b) {
			return 0, false, false
		}
		r.pos += 8
		return binary.BigEndian.Uint64(r.b[r.pos-8:]), false, true
	}
	return 0, false, false
}

func (r *rdbReader) take(n uint64) ([]byte, bool) {
	if n > uint64(len(r.b)-r.pos) {
		return nil, false
	}
	r.pos += int(n)
	return r.b[r.pos-int(n) : r.pos], true
}

func (r *rdbReader) string() (string, bool) {
	n, enc, ok := r.length()
	if !ok {
		return "", false
	}
	if !enc {
		b, ok := r.take(n)
		return string(b), ok
	}
	switch n {
	case 0, 1, 2:
		size := 1 << n
		b, ok := r.take(uint64(size))
		if !ok {
			return "", false
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(b[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return string(fxInt(v)), true
	case 3:
		clen, _, ok1 := r.length()
		ulen, _, ok2 := r.length()
		if !ok1 || !ok2 {
			return "", false
		}
		cb, ok := r.take(clen)
		if !ok {
			return "", false
		}
		out, ok := lzfDecompress(cb, int(ulen))
		return string(out), ok
	}
	return "", false
}

// lzfDecompress expands liblzf's format, which Redis uses for long RDB
// strings.
func lzfDecompress(in []byte, size int) ([]byte, bool) {
	out := make([]byte, 0, size)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1 - int(in[i])
		i++
		if ref < 0 {
			return nil, false
		}
		for k := 0; k < n+2; k++ {
			out = append(out, out[ref+k])
		}
	}
	return out, len(out) == size
}

func functionRestoreCmd(c *Ctx) {
	if len(c.Args) > 4 {
		c.Error("ERR unknown subcommand or wrong number of arguments for '" + c.Arg(1) + "'. Try FUNCTION HELP.")
		return
	}
	policy := "append"
	if len(c.Args) == 4 {
		switch {
		case c.ArgIs(3, "append"):
		case c.ArgIs(3, "replace"):
			policy = "replace"
		case c.ArgIs(3, "flush"):
			policy = "flush"
		default:
			c.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	data := c.Args[2]
	if len(data) < 10 || binary.LittleEndian.Uint16(data[len(data)-10:]) > rdbVersion {
		c.Error("ERR DUMP payload version or checksum are wrong")
		return
	}
	if sum := binary.LittleEndian.Uint64(data[len(data)-8:]); sum != 0 && sum != redisCRC64(data[:len(data)-8]) {
		c.Error("ERR DUMP payload version or checksum are wrong")
		return
	}
	e := c.E
	e.fnState()
	r := &rdbReader{b: data[:len(data)-10]}
	var libs []*script.Library
	seen := map[string]bool{}
	funcs := map[string]bool{}
	for r.pos < len(r.b) {
		t, _ := r.byte()
		if t == rdbOpcodeFunctionPreGA {
			c.Error("ERR Pre-GA function format not supported")
			return
		}
		if t != rdbOpcodeFunction2 {
			c.Error("ERR given type is not a function")
			return
		}
		code, ok := r.string()
		if !ok {
			c.Error("ERR failed loading the given functions payload")
			return
		}
		lib, msg := e.compileLibrary(code)
		if msg == "" && seen[lib.Name] {
			msg = "ERR Library '" + lib.Name + "' already exists"
		}
		if msg == "" {
			for _, f := range lib.Functions {
				if funcs[f.Name] {
					msg = "ERR Function " + f.Name + " already exists"
				}
				funcs[f.Name] = true
			}
		}
		if msg != "" {
			c.Error(msg)
			return
		}
		seen[lib.Name] = true
		libs = append(libs, lib)
	}
	if policy == "flush" {
		e.flushFunctions()
	}
	if msg := e.installLibraries(libs, policy == "replace", ""); msg != "" {
		c.Error(msg)
		return
	}
	e.dirty++
	c.W.OK()
}
