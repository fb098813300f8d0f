package command

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/rdb"
)

// A batch closes at its key bound or its byte bound, whichever comes
// first, and a key bigger than the byte bound still goes, alone.
func TestImportBatchBounds(t *testing.T) {
	l := New(config.New()).limits()
	val := func(n int) keyspace.Value { return keyspace.NewString([]byte(strings.Repeat("v", n))) }
	fill := func(b *importBatch, size int) int {
		n := 0
		for !b.full() {
			if err := b.addValue("key:"+strconv.Itoa(n), val(size), 0, l); err != nil {
				t.Fatal(err)
			}
			n++
			if n > 1_000_000 {
				t.Fatal("the batch never closed")
			}
		}
		return n
	}
	for _, tc := range []struct {
		name              string
		maxBytes, maxKeys int
		valueSize         int
		wantKeys          int
		wantBytesAtLeast  int
		wantBytesLessThan int
	}{
		// Small values: the key bound closes the batch.
		{"keys", 1 << 20, 100, 10, 100, 100 * 10, 100 * 40},
		// 100-byte values: the byte bound does, after the key that
		// reaches it.
		{"bytes", 64 << 10, 100_000, 100, 0, 64 << 10, 64<<10 + 200},
		// A value bigger than the byte bound goes alone.
		{"big key", 4 << 10, 100, 10 << 10, 1, 10 << 10, 11 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newImportBatch(tc.maxBytes, tc.maxKeys)
			n := fill(b, tc.valueSize)
			if tc.wantKeys != 0 && n != tc.wantKeys {
				t.Errorf("%d keys in the batch, want %d", n, tc.wantKeys)
			}
			if b.bytes < tc.wantBytesAtLeast || b.bytes >= tc.wantBytesLessThan {
				t.Errorf("%d bytes in the batch, want [%d, %d)", b.bytes, tc.wantBytesAtLeast, tc.wantBytesLessThan)
			}
			if b.len() > tc.maxKeys {
				t.Errorf("%d keys, over the bound of %d", b.len(), tc.maxKeys)
			}
			// Without the last key, the batch was under both bounds.
			if last := b.items[len(b.items)-1]; b.len() > 1 &&
				(b.len()-1 >= tc.maxKeys || b.bytes-len(last.key)-(last.end-last.start) >= tc.maxBytes) {
				t.Errorf("the batch went on past a bound")
			}
			b.reset()
			if b.full() || b.len() != 0 || b.bytes != 0 {
				t.Errorf("reset left %d keys, %d bytes", b.len(), b.bytes)
			}
		})
	}
}

// A finished batch carries, per key, a DUMP payload RESTORE accepts (or
// an empty one for a deletion) and the expiry time.
func TestImportBatchPayloads(t *testing.T) {
	l := New(config.New()).limits()
	b := newImportBatch(migrateBatchBytes, migrateBatchKeys)
	h := keyspace.NewHash()
	h.Set("f", "v", l)
	if err := b.addValue("s", keyspace.NewString([]byte(strings.Repeat("x", 300))), 1234, l); err != nil {
		t.Fatal(err)
	}
	b.addDelete("gone")
	if err := b.addValue("h", h, 0, l); err != nil {
		t.Fatal(err)
	}
	b.finish()
	args := b.args("m1")
	if len(args) != 3+3*3 || string(args[0]) != "CLUSTER" || string(args[1]) != "IMPORTKEYS" || string(args[2]) != "m1" {
		t.Fatalf("args %q", args[:3])
	}
	want := []struct{ key, at, typ string }{{"s", "1234", "string"}, {"gone", "0", ""}, {"h", "0", "hash"}}
	for i, w := range want {
		key, at, p := args[3+3*i], args[4+3*i], args[5+3*i]
		if string(key) != w.key || string(at) != w.at {
			t.Errorf("item %d: %s %s, want %s %s", i, key, at, w.key, w.at)
		}
		if w.typ == "" {
			if len(p) != 0 {
				t.Errorf("%s: a deletion carries a payload", key)
			}
			continue
		}
		if err := rdb.VerifyPayload(p); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		v, err := rdb.Restore(p, l)
		if err != nil || v.Type() != w.typ {
			t.Fatalf("%s: restored %v %v", key, v, err)
		}
	}
}

// importTarget returns an engine serving shard 1 of two, which imports
// slots 0-8191 from shard 0 in migration "m1".
func importTarget(t *testing.T) (*Engine, *Client) {
	t.Helper()
	e, c := clusterTestEngine(t, t.TempDir(), "127.0.0.1")
	e.EnableCluster(ClusterOptions{Shard: 1, NodeID: e.Topology().Self(), Addr: "127.0.0.1:7001"})
	cfg, err := cluster.EvenConfig(2).StartMigration(cluster.Migration{ID: "m1", From: 0, To: 1,
		Slots: []cluster.SlotRange{{Start: 0, End: 8191}}})
	if err != nil {
		t.Fatal(err)
	}
	v := cluster.NewView()
	now := time.Now()
	v.Apply(cluster.Update{Config: cfg, Rev: 1}, now)
	v.SetLease(0, "node0", "127.0.0.1:7000", 1)
	v.SetLease(1, e.Topology().Self(), "127.0.0.1:7001", 1)
	e.topo.cl.view = v
	e.publishCluster()
	return e, c
}

// CLUSTER IMPORTKEYS writes a batch on the target, deletes what the
// source no longer has, and refuses a batch of another migration or with
// a key outside the migration's slots, changing nothing.
func TestClusterImportKeys(t *testing.T) {
	e, c := importTarget(t)
	l := New(config.New()).limits()
	// "a" is in slot 15495, "b" in 3300, "c" in 7365.
	b := newImportBatch(migrateBatchBytes, migrateBatchKeys)
	if err := b.addValue("b", keyspace.NewString([]byte("bee")), 0, l); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour).UnixMilli()
	if err := b.addValue("c", keyspace.NewString([]byte("sea")), future, l); err != nil {
		t.Fatal(err)
	}
	b.finish()
	exec := func(args [][]byte) string {
		c.W.Reset()
		e.Execute(c, args)
		out := string(c.W.Bytes())
		c.W.Reset()
		return out
	}
	if got := exec(b.args("m1")); got != ":2\r\n" {
		t.Fatalf("IMPORTKEYS: %q", got)
	}
	e.mu.Lock()
	if ent := e.db.Peek("b"); ent == nil || string(ent.Value.(*keyspace.String).B) != "bee" {
		t.Errorf("b after the import: %+v", ent)
	}
	ent := e.db.Peek("c")
	e.mu.Unlock()
	if ent == nil || ent.ExpireAt != future {
		t.Errorf("c after the import: %+v, want it expiring at %d", ent, future)
	}

	b.reset()
	b.addDelete("b")
	b.finish()
	if got := exec(b.args("m1")); got != ":1\r\n" {
		t.Fatalf("IMPORTKEYS of a deletion: %q", got)
	}
	e.mu.Lock()
	gone := e.db.Peek("b") == nil
	e.mu.Unlock()
	if !gone {
		t.Error("b still there after its deletion was imported")
	}

	for _, tc := range []struct {
		id, key string
		want    string
	}{
		{"m2", "b", "-" + errImportUnknown + "m2\r\n"},
		{"m1", "a", "-ERR Slot 15495 is not imported by migration m1\r\n"},
	} {
		b.reset()
		if err := b.addValue(tc.key, keyspace.NewString([]byte("x")), 0, l); err != nil {
			t.Fatal(err)
		}
		b.finish()
		if got := exec(b.args(tc.id)); got != tc.want {
			t.Errorf("IMPORTKEYS %s %s: %q, want %q", tc.id, tc.key, got, tc.want)
		}
	}
	bad := [][]byte{[]byte("CLUSTER"), []byte("IMPORTKEYS"), []byte("m1"), []byte("b"), []byte("0"), []byte("not a payload")}
	if got := exec(bad); got != "-"+errDumpPayload+"\r\n" {
		t.Errorf("IMPORTKEYS with a bad payload: %q", got)
	}
	e.mu.Lock()
	n := e.db.Len()
	e.mu.Unlock()
	if n != 1 {
		t.Errorf("%d keys after the refused batches, want 1 (c)", n)
	}
}
