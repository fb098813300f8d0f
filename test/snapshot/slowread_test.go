package snapshot

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/snapshot/build"
)

// TestSlowSnapshotRead reads a snapshot from the JetStream object store
// more slowly than the JetStream client's default timeout (5 s), as a
// node or builder loading a large snapshot on a busy machine does: the
// read must go on, not fail with "i/o timeout" (which it did, since
// nats.go makes that timeout the deadline of the whole object's reads).
func TestSlowSnapshotRead(t *testing.T) {
	ctx := context.Background()
	env := startLog(t, t.TempDir())
	n := startNode(t, env, true)
	writeAllTypes(t, n.c, "a", 2000)
	r, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store})
	must(t, err)
	rc, err := env.store.Open(ctx, 0, r.Info)
	must(t, err)
	defer rc.Close()
	first := make([]byte, 1)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(6 * time.Second) // a reader busy loading what it read
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the snapshot on after a pause: %v", err)
	}
	if got := int64(len(rest)) + 1; got != r.Info.Size {
		t.Errorf("read %d bytes, the snapshot has %d", got, r.Info.Size)
	}
}
