package txlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testStream starts a log server and opens shard 0's stream on it over
// loopback TCP, as mnemo local does.
func testStream(t *testing.T) (*Stream, *nats.Conn) {
	t.Helper()
	srv, err := StartServer(ServerConfig{Name: "test", Dir: t.TempDir(), Listen: "127.0.0.1:-1", Token: "t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.DialLoopback("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := OpenStream(ctx, nc, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return st, nc
}

func waitBatch(t *testing.T, b *Batch) {
	t.Helper()
	select {
	case <-b.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("batch %d not finished after 30s", b.ID)
	}
}

// Writers adding concurrently to a pipeline with several appends in
// flight: every group commits once, in the order of its batch, each
// writer's groups in the order it added them, and batches finish in
// append order (when the newest is done, all are).
func TestCommitterPipelinesInOrder(t *testing.T) {
	for _, inflight := range []int{1, 4} {
		t.Run(fmt.Sprintf("inflight=%d", inflight), func(t *testing.T) {
			st, _ := testStream(t)
			c := NewCommitter(st, 0, inflight, 10*time.Second, "w")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go c.Run(ctx)

			const writers, each = 8, 150
			var mu sync.Mutex
			var batches []*Batch
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						b, err := c.Add(16, func(bw *BatchWriter) {
							bw.Effect(args("SET", "w"+strconv.Itoa(w), strconv.Itoa(i)))
						})
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						batches = append(batches, b)
						mu.Unlock()
						if i%10 == 9 {
							<-b.Done() // writers that wait, and writers that do not
						}
					}
				})
			}
			wg.Wait()
			var newest *Batch
			for _, b := range batches {
				if newest == nil || b.ID > newest.ID {
					newest = b
				}
			}
			waitBatch(t, newest)
			for _, b := range batches {
				if !isDone(b) {
					t.Fatalf("batch %d not finished when batch %d was", b.ID, newest.ID)
				}
				if b.Err() != nil {
					t.Fatalf("batch %d: %v", b.ID, b.Err())
				}
				if b.Seq != b.ExpectLast+1 {
					t.Fatalf("batch %d committed at %d, fence %d", b.ID, b.Seq, b.ExpectLast)
				}
			}
			if s := c.Stats.Appends.Load(); s < 2 {
				t.Fatalf("%d appends", s)
			}

			next := make([]int, writers)
			groups := 0
			last, err := st.Replay(context.Background(), 0, func(seq uint64, data []byte) error {
				return DecodeBatch(data, func(group [][][]byte) error {
					groups++
					e := group[0]
					w, _ := strconv.Atoi(string(e[1][1:]))
					if i, _ := strconv.Atoi(string(e[2])); i != next[w] {
						return fmt.Errorf("writer %d: write %d where %d was expected", w, i, next[w])
					}
					next[w]++
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if groups != writers*each || last != c.LastSeq() {
				t.Fatalf("log holds %d groups up to %d, want %d up to %d", groups, last, writers*each, c.LastSeq())
			}
		})
	}
}

// A foreign entry where the first of several pipelined appends expected to
// land fences all of them: none lands behind it, although the second
// append's expected sequence is exactly the foreign entry's.
func TestCommitterPipelinedFenceIsExact(t *testing.T) {
	st, nc := testStream(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// Another primary appends at sequence 1, which this committer
	// believes it will write.
	msg := &nats.Msg{Subject: st.subject, Data: NewBatchWriter().Bytes(), Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, "epoch-2-other")
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var failures []error
	c := NewCommitter(st, 0, 4, 10*time.Second, "stale")
	c.OnFail = func(err error) {
		mu.Lock()
		failures = append(failures, err)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)

	// All four appends leave before any outcome is handled: the
	// handlers wait for the committer's lock.
	var batches []*Batch
	c.mu.Lock()
	for i := range 4 {
		b, err := c.p.OpenFor(0)
		if err != nil {
			t.Fatal(err)
		}
		w := b.Writer()
		w.BeginGroup()
		w.Effect(args("SET", "k", strconv.Itoa(i)))
		w.EndGroup()
		if err := c.sendReady(); err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	inflight := len(c.p.inflight)
	c.mu.Unlock()
	if inflight != 4 {
		t.Fatalf("%d appends in flight, want 4", inflight)
	}
	for i, b := range batches {
		waitBatch(t, b)
		if !errors.Is(b.Err(), ErrFenced) {
			t.Errorf("batch %d: err %v, want fenced", i+1, b.Err())
		}
	}
	// Outcomes of the later appends may still be on their way: the log
	// is what must not change.
	time.Sleep(200 * time.Millisecond)
	last, err := st.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if last != 1 {
		t.Fatalf("the stream's last sequence is %d: a fenced primary's append landed behind the other primary's entry", last)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failures) != 1 {
		t.Fatalf("OnFail called %d times, want 1", len(failures))
	}
}
