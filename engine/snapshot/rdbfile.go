package snapshot

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
)

// Redis RDB files, so users can migrate in and out: the file framing
// around the records snapshots share with it.
//
//	"REDIS" + 4-digit version ("0010", Redis 7.0's)
//	AUX fields (0xFA key value): redis-ver, redis-bits, ctime, used-mem,
//	  aof-base
//	SELECTDB 0 (0xFE len), RESIZEDB (0xFB keys, keys with expiry)
//	the key records
//	EOF (0xFF), then the CRC-64 of every byte before it, 8 bytes LE

// RedisVersion is the redis-ver an exported RDB file names: the Redis
// version Mnemo's replies match.
const RedisVersion = "7.0.15"

// maxRDBVersion is the newest RDB version ReadRDB reads: Redis 7.2's and
// 7.4's files hold the types of 7.0 (and streams as type 21) unless they
// use hash field expiry, whose types the reader refuses.
const maxRDBVersion = 12

// RDBInfo describes an RDB file read.
type RDBInfo struct {
	Version int
	Keys    uint64
	// Expired counts keys dropped because their time had passed, as
	// Redis's loading drops them.
	Expired uint64
	Aux     map[string]string
}

// WriteRDB writes db as an RDB file that redis-server 7.0 loads. now is
// the file's ctime, in Unix ms.
func WriteRDB(w io.Writer, db *keyspace.DB, l keyspace.Limits, now int64) (Summary, error) {
	cw := &crcWriter{w: bufio.NewWriterSize(w, 1<<16)}
	enc := rdb.NewEncoder(cw, l)
	cw.Write([]byte("REDIS" + fmt.Sprintf("%04d", rdb.Version)))
	aux := func(k, v string) {
		enc.WriteType(opAux)
		enc.WriteString([]byte(k))
		enc.WriteString([]byte(v))
	}
	aux("redis-ver", RedisVersion)
	aux("redis-bits", "64")
	aux("ctime", strconv.FormatInt(now/1000, 10))
	aux("used-mem", "0")
	aux("aof-base", "0")
	if db.Len() > 0 {
		enc.WriteType(opSelectDB)
		enc.WriteLen(0)
		enc.WriteType(opResizeDB)
		enc.WriteLen(uint64(db.Len()))
		enc.WriteLen(uint64(db.VolatileLen()))
	}
	if err := enc.Err(); err != nil {
		return Summary{}, err
	}
	rec := newRecordWriter(cw, l)
	var keys uint64
	var err error
	for slot := 0; slot < keyspace.NumSlots && err == nil; slot++ {
		db.KeysInSlot(slot, func(k string, e *keyspace.Entry) bool {
			if err = rec.write(k, e); err == nil {
				keys++
			}
			return err == nil
		})
	}
	if err != nil {
		return Summary{}, err
	}
	cw.Write([]byte{opEOF})
	crc := binary.LittleEndian.AppendUint64(nil, cw.crc)
	if _, err := cw.w.Write(crc); err != nil {
		return Summary{}, err
	}
	if cw.err != nil {
		return Summary{}, cw.err
	}
	if err := cw.w.Flush(); err != nil {
		return Summary{}, err
	}
	return Summary{Keys: keys, Bytes: uint64(cw.n)}, nil
}

type crcWriter struct {
	w   *bufio.Writer
	crc uint64
	n   int64
	err error
}

func (c *crcWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.crc = rdb.CRC64(c.crc, p)
	c.n += int64(len(p))
	_, c.err = c.w.Write(p)
	return len(p), c.err
}

// ReadRDB loads the keys of an RDB file into db. Keys whose expiry time
// is before now (Unix ms) are dropped, as Redis drops them when it loads
// a file; now 0 keeps every key. Keys of a database other than 0 are an
// error: Mnemo, like Redis Cluster, has one.
func ReadRDB(r io.Reader, db *keyspace.DB, l keyspace.Limits, now int64) (RDBInfo, error) {
	info := RDBInfo{Aux: map[string]string{}}
	cr := &crcReader{r: bufio.NewReaderSize(r, 1<<16)}
	hdr := make([]byte, 9)
	if _, err := io.ReadFull(cr, hdr); err != nil || string(hdr[:5]) != "REDIS" {
		return info, fmt.Errorf("%w: not an RDB file", rdb.ErrBadFormat)
	}
	v, err := strconv.Atoi(string(hdr[5:]))
	if err != nil || v < 1 || v > maxRDBVersion {
		return info, fmt.Errorf("%w: RDB version %q (this engine reads up to %d)", rdb.ErrBadFormat, hdr[5:], maxRDBVersion)
	}
	info.Version = v
	rr := newRecordReader(cr, l)
	rr.onAux = func(k, v []byte) { info.Aux[string(k)] = string(v) }
	rr.onSelect = func(n uint64) error {
		if n != 0 {
			return fmt.Errorf("the RDB file holds keys of database %d: Mnemo serves one database, as Redis Cluster does", n)
		}
		return nil
	}
	for {
		key, e, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, err
		}
		if now != 0 && e.ExpireAt != 0 && e.ExpireAt < now {
			info.Expired++
			continue
		}
		ent := db.Set(key, e.Value)
		if e.ExpireAt != 0 {
			db.SetExpire(key, ent, e.ExpireAt)
		}
		info.Keys++
	}
	want := cr.crc
	if v >= 5 {
		sum := make([]byte, 8)
		if _, err := io.ReadFull(cr.r, sum); err != nil {
			return info, fmt.Errorf("%w: no checksum after EOF", rdb.ErrBadFormat)
		}
		// A zero checksum means the writer had rdbchecksum off.
		if got := binary.LittleEndian.Uint64(sum); got != 0 && got != want {
			return info, fmt.Errorf("%w: RDB checksum %016x, computed %016x", rdb.ErrBadFormat, got, want)
		}
	}
	return info, nil
}

type crcReader struct {
	r   *bufio.Reader
	crc uint64
	one [1]byte
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc = rdb.CRC64(c.crc, p[:n])
	return n, err
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.one[0] = b
		c.crc = rdb.CRC64(c.crc, c.one[:])
	}
	return b, err
}
