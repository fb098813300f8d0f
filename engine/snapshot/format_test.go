package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
)

var limits = keyspace.Limits{
	HashMaxListpackEntries: 128, HashMaxListpackValue: 64, SetMaxIntsetEntries: 512,
	ZsetMaxListpackEntries: 128, ZsetMaxListpackValue: 64,
}

// sampleDB holds every data type in its compact and its large encodings,
// with and without TTLs, binary keys and a value larger than a chunk.
func sampleDB() *keyspace.DB {
	db := keyspace.New()
	set := func(k string, v keyspace.Value, ttl int64) {
		e := db.Set(k, v)
		if ttl != 0 {
			db.SetExpire(k, e, ttl)
		}
	}
	set("str", keyspace.NewString([]byte("hello")), 0)
	set("int", keyspace.NewInt(-12345), 1893456000000)
	set("\x00bin\xff\r\nkey", keyspace.NewString([]byte{0, 1, 2, 255}), 0)
	set("", keyspace.NewString([]byte("empty key")), 0)
	set("big", keyspace.NewString(bytes.Repeat([]byte("0123456789abcdef"), 3<<18)), 4102444800000) // 12 MiB
	rnd := make([]byte, 3<<20)
	for i := range rnd {
		rnd[i] = byte(i*7919 + i>>8)
	}
	set("bigrandom", keyspace.NewString(rnd), 0)
	set("hll", keyspace.NewString([]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")), 0)

	l := keyspace.NewList()
	for _, s := range []string{"a", "1", "-5", "300", "hello"} {
		l.PushBack([]byte(s))
	}
	set("list", l, 1700000000123)
	bl := keyspace.NewList()
	for i := range 20000 {
		bl.PushBack([]byte("element-" + strconv.Itoa(i)))
	}
	bl.PushBack(bytes.Repeat([]byte("x"), 20000)) // a plain node
	set("biglist", bl, 0)

	is := keyspace.NewSet()
	for _, m := range []string{"1", "2", "300", "-7"} {
		is.Add(m)
	}
	set("intset", is, 0)
	ss := keyspace.NewSet()
	for i := range 1000 {
		ss.Add("m" + strconv.Itoa(i))
	}
	set("set", ss, 1800000000000)

	h := keyspace.NewHash()
	h.Set("f", "v", limits)
	h.Set("n", "12", limits)
	set("hash", h, 0)
	bh := keyspace.NewHash()
	for i := range 500 {
		bh.Set("field:"+strconv.Itoa(i), strings.Repeat("v", i), limits)
	}
	set("bighash", bh, 0)

	z := keyspace.NewZSet()
	z.Add("a", 0.1)
	z.Add("b", -1.5)
	z.Add("inf", mathInf())
	set("zset", z, 0)
	bz := keyspace.NewZSet()
	for i := range 1000 {
		bz.Add("member"+strconv.Itoa(i), float64(i)/3)
	}
	bz.FitEncoding(limits) // as ZADD leaves it: a skiplist
	set("bigzset", bz, 0)

	set("stream", sampleStream(), 1900000000000)
	return db
}

func mathInf() float64 { f, _ := strconv.ParseFloat("+Inf", 64); return f }

// sampleStream has several nodes, tombstones, differing fields, a group
// with pending entries held by two consumers, and an empty group.
func sampleStream() *keyspace.Stream {
	s := keyspace.NewStream()
	for i := 1; i <= 250; i++ {
		fv := [][]byte{[]byte("f"), []byte(strconv.Itoa(i))}
		if i%7 == 0 {
			fv = append(fv, []byte("other"), []byte("x"))
		}
		s.Append(keyspace.StreamID{Ms: uint64(1000 + i/3), Seq: uint64(i % 3)}, fv)
	}
	for _, id := range []keyspace.StreamID{{Ms: 1001, Seq: 0}, {Ms: 1010, Seq: 1}, {Ms: 1050, Seq: 2}} {
		s.Delete(id)
	}
	s.MaxDeletedID = keyspace.StreamID{Ms: 1050, Seq: 2}
	s.RefreshFirstID()
	s.CreateGroup("g1", keyspace.StreamID{Ms: 1020, Seq: 0}, 59)
	s.CreateGroup("empty", keyspace.StreamID{}, 0)
	g := s.Group("g1")
	alice, _ := g.CreateConsumer("alice", 1700000000000)
	bob, _ := g.CreateConsumer("bob", 1700000000500)
	g.CreateConsumer("idle", 1700000000900)
	g.Deliver(keyspace.StreamID{Ms: 1002, Seq: 0}, alice, 1700000000100)
	g.Deliver(keyspace.StreamID{Ms: 1003, Seq: 1}, bob, 1700000000200)
	n := g.Deliver(keyspace.StreamID{Ms: 1004, Seq: 2}, alice, 1700000000300)
	n.DeliveryCount = 4
	return s
}

func dumpOf(t *testing.T, v keyspace.Value) []byte {
	t.Helper()
	b, err := rdb.Dump(v, limits)
	if err != nil {
		t.Fatalf("dump %s: %v", v.Type(), err)
	}
	return b
}

// sameDB fails unless a and b hold the same keys with the same DUMP
// payloads and expiry times.
func sameDB(t *testing.T, a, b *keyspace.DB) {
	t.Helper()
	if a.Len() != b.Len() {
		t.Fatalf("%d keys, want %d", b.Len(), a.Len())
	}
	for slot := range keyspace.NumSlots {
		a.KeysInSlot(slot, func(k string, ea *keyspace.Entry) bool {
			eb := b.Peek(k)
			if eb == nil {
				t.Errorf("key %q missing", k)
				return true
			}
			if ea.ExpireAt != eb.ExpireAt {
				t.Errorf("key %q expires at %d, want %d", k, eb.ExpireAt, ea.ExpireAt)
			}
			if !bytes.Equal(dumpOf(t, ea.Value), dumpOf(t, eb.Value)) {
				t.Errorf("key %q (%s) differs after the round trip", k, ea.Value.Type())
			}
			return true
		})
	}
}

func writeSnapshot(t *testing.T, db *keyspace.DB, m Meta) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, m, limits)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteDB(db); err != nil {
		t.Fatal(err)
	}
	sum, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sum.Keys != uint64(db.Len()) {
		t.Fatalf("summary says %d keys, want %d", sum.Keys, db.Len())
	}
	return buf.Bytes()
}

func TestRoundTripEveryType(t *testing.T) {
	db := sampleDB()
	meta := Meta{Shard: 3, Slots: []SlotRange{{0, 5460}, {10000, 10010}}, Seq: 4242,
		SeqTime: time.UnixMilli(1700000000000).UTC(), Created: time.UnixMilli(1700000001000).UTC(), Engine: "test"}
	data := writeSnapshot(t, db, meta)

	back := keyspace.New()
	got, err := Load(bytes.NewReader(data), back, limits)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(meta) {
		t.Errorf("meta %+v, want %+v", got, meta)
	}
	sameDB(t, db, back)
	// Written again, the snapshot is the same but for map order: same size.
	if again := writeSnapshot(t, back, meta); len(again) != len(data) {
		t.Errorf("rewritten snapshot is %d bytes, first was %d", len(again), len(data))
	}
}

func TestEmptySnapshot(t *testing.T) {
	data := writeSnapshot(t, keyspace.New(), Meta{Slots: AllSlots})
	back := keyspace.New()
	if _, err := Load(bytes.NewReader(data), back, limits); err != nil || back.Len() != 0 {
		t.Fatalf("empty snapshot: %d keys, %v", back.Len(), err)
	}
}

// TestDamageIsDetected cuts a snapshot short and flips bytes at many
// places: every damaged copy must fail to load, none may load partly
// and report success.
func TestDamageIsDetected(t *testing.T) {
	db := keyspace.New()
	for i := range 3000 {
		db.Set("key:"+strconv.Itoa(i), keyspace.NewString([]byte(strings.Repeat("v", i%300))))
	}
	db.Set("stream", sampleStream())
	data := writeSnapshot(t, db, Meta{Slots: AllSlots})
	step := max(1, len(data)/400)
	for cut := 0; cut < len(data); cut += step {
		if _, err := Load(bytes.NewReader(data[:cut]), keyspace.New(), limits); err == nil {
			t.Fatalf("a snapshot cut at %d of %d bytes loaded", cut, len(data))
		}
	}
	for at := 0; at < len(data); at += step {
		bad := bytes.Clone(data)
		bad[at] ^= 0x20
		_, err := Load(bytes.NewReader(bad), keyspace.New(), limits)
		if err == nil {
			t.Fatalf("a snapshot with byte %d of %d flipped loaded", at, len(data))
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerFormat) {
			t.Fatalf("byte %d flipped: error %v is not ErrCorrupt", at, err)
		}
	}
	extra := append(bytes.Clone(data), 0)
	if _, err := Load(bytes.NewReader(extra), keyspace.New(), limits); err != nil {
		// Bytes after the trailer are not the snapshot's: the store's size
		// check catches them; the reader stops at the trailer.
		t.Fatalf("trailing byte: %v", err)
	}
}

// TestStreamingReader never needs the whole file: it reads through a
// reader that hands out a few bytes at a time.
func TestStreamingReader(t *testing.T) {
	db := sampleDB()
	data := writeSnapshot(t, db, Meta{Slots: AllSlots})
	back := keyspace.New()
	if _, err := Load(io.LimitReader(&trickle{data}, int64(len(data))), back, limits); err != nil {
		t.Fatal(err)
	}
	sameDB(t, db, back)
}

type trickle struct{ b []byte }

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 7)], r.b)
	r.b = r.b[n:]
	return n, nil
}
