package snapshot

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// BenchmarkLoad measures loading a snapshot of 100k small strings from
// memory: the floor of a node's restart from a snapshot.
func BenchmarkLoad(b *testing.B) {
	db := keyspace.New()
	for i := range 100000 {
		db.Set("key:"+strconv.Itoa(i), keyspace.NewString([]byte("value-1-"+strconv.Itoa(i))))
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Meta{}, limits)
	w.WriteDB(db)
	w.Close()
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for range b.N {
		if _, err := Load(bytes.NewReader(buf.Bytes()), keyspace.New(), limits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite measures writing the same snapshot.
func BenchmarkWrite(b *testing.B) {
	db := keyspace.New()
	for i := range 100000 {
		db.Set("key:"+strconv.Itoa(i), keyspace.NewString([]byte("value-1-"+strconv.Itoa(i))))
	}
	for range b.N {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, Meta{}, limits)
		w.WriteDB(db)
		w.Close()
		b.SetBytes(int64(buf.Len()))
	}
}
