package txlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// ErrCommitTimeout fails appends the log did not acknowledge in time.
var ErrCommitTimeout = errors.New("the log did not commit in time")

// Committer runs a shard's commit pipeline against its stream: it appends
// sealed batches (several in flight, each fenced on the sequence before
// it), completes them as the log acknowledges them, and fails everything
// pending when an append is refused or not acknowledged within the commit
// timeout.
//
// Appends are sent by whoever makes room for them — the writer that adds
// to an idle pipeline, or the acknowledgement of the previous append —
// and acknowledgements complete their batches on the goroutine that reads
// them from the log connection, so no scheduling hop of the committer's
// own sits between an acknowledgement, the next append and the writers'
// wake-up. Failed attempts, whose handling may read the log, go to Run.
type Committer struct {
	st      *Stream
	writer  string
	timeout time.Duration

	mu sync.Mutex
	p  *Pipeline // guarded by mu
	// epoch counts Resets; appends sent before the last one are stale.
	// Guarded by mu.
	epoch uint64

	// failReported is set once OnFail was called for the present epoch.
	// Guarded by mu.
	failReported bool

	// sent maps each append attempt whose outcome is awaited, by its
	// message, to the batch attempt it carries. Guarded by mu.
	sent map[*nats.Msg]sentBatch

	// errMu guards errs, the attempts that failed, for Run. It is not mu:
	// failures may be reported with the JetStream client's lock held,
	// which a sender holding mu may be waiting for.
	errMu  sync.Mutex
	errs   []failedAttempt
	errSig chan struct{} // capacity 1: errs has entries

	// OnFail is called, from the committer's goroutines, after the
	// pipeline failed; the engine then rebuilds from the log and calls
	// Reset.
	OnFail func(err error)

	Stats CommitStats
}

type sentBatch struct {
	b       *Batch
	epoch   uint64
	attempt int
}

type failedAttempt struct {
	m   *nats.Msg
	err error
}

// CommitStats are the committer's counters, read without locks.
type CommitStats struct {
	Appends     atomic.Int64
	Bytes       atomic.Int64
	Writes      atomic.Int64 // groups committed
	FenceErrors atomic.Int64
	Failures    atomic.Int64
	Latency     LatencyHistogram
}

// NewCommitter returns a committer appending to st after sequence lastSeq.
// writer names this writer in the ids of its appends. It takes over st's
// append handlers.
func NewCommitter(st *Stream, lastSeq uint64, maxInflight int, timeout time.Duration, writer string) *Committer {
	c := &Committer{
		st:      st,
		writer:  writer,
		timeout: timeout,
		p:       NewPipeline(lastSeq, maxInflight),
		sent:    map[*nats.Msg]sentBatch{},
		errSig:  make(chan struct{}, 1),
	}
	st.OnAppend(AppendHandlers{Ack: c.onAck, Fail: c.onFail})
	return c
}

// Add appends one group of effects of about size bytes, written by fill,
// to the open batch and returns the batch; the group commits with it. If
// an append slot is free the batch is sent at once. It fails at once while
// the pipeline is failed.
func (c *Committer) Add(size int, fill func(w *BatchWriter)) (*Batch, error) {
	c.mu.Lock()
	b, err := c.p.OpenFor(size)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	w := b.Writer()
	w.BeginGroup()
	fill(w)
	w.EndGroup()
	err = c.sendReady()
	c.mu.Unlock()
	if err != nil {
		c.fail(err)
	}
	return b, nil
}

// Failed returns why the pipeline failed, or nil.
func (c *Committer) Failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p.Failed()
}

// Reset makes the pipeline usable again after a rebuild up to lastSeq.
func (c *Committer) Reset(lastSeq uint64) {
	c.mu.Lock()
	c.p.Reset(lastSeq)
	c.epoch++
	c.failReported = false
	c.mu.Unlock()
}

// current reports whether an append belongs to the pipeline's present
// epoch and is the batch's latest attempt; with mu held.
func (c *Committer) current(s sentBatch) bool {
	return s.epoch == c.epoch && c.p.Failed() == nil && s.attempt == s.b.Attempt
}

// onAck completes the batch whose append m was acknowledged at seq, if m
// is its latest attempt; on the acknowledgement goroutine.
func (c *Committer) onAck(m *nats.Msg, seq uint64) {
	c.mu.Lock()
	s, ok := c.sent[m]
	delete(c.sent, m)
	ok = ok && c.current(s)
	c.mu.Unlock()
	if ok {
		// An attempt sent before a failure is ignored: its outcome no
		// longer matters, the node rebuilt from the log.
		c.acked(s.b, seq)
	}
}

// onFail queues a failed attempt for Run.
func (c *Committer) onFail(m *nats.Msg, err error) {
	c.errMu.Lock()
	c.errs = append(c.errs, failedAttempt{m, err})
	c.errMu.Unlock()
	select {
	case c.errSig <- struct{}{}:
	default:
	}
}

// takeFailed returns and clears the failed attempts queued.
func (c *Committer) takeFailed() []failedAttempt {
	c.errMu.Lock()
	errs := c.errs
	c.errs = nil
	c.errMu.Unlock()
	return errs
}

// LastSeq returns the last committed sequence.
func (c *Committer) LastSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p.LastSeq()
}

// Pending returns the number of batches not yet finished.
func (c *Committer) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p.Pending()
}

// Run handles failed append attempts and enforces the commit timeout
// until ctx ends.
func (c *Committer) Run(ctx context.Context) {
	tick := time.NewTicker(c.timeout / 10)
	defer tick.Stop()
	for {
		select {
		case <-c.errSig:
			for _, f := range c.takeFailed() {
				c.mu.Lock()
				s, ok := c.sent[f.m]
				delete(c.sent, f.m)
				ok = ok && c.current(s)
				c.mu.Unlock()
				if ok {
					c.attemptFailed(ctx, s, f.err)
				}
			}
		case <-tick.C:
			c.mu.Lock()
			old := c.p.Oldest()
			late := old != nil && c.p.Failed() == nil && time.Since(old.SentAt) > c.timeout
			c.mu.Unlock()
			if late {
				c.fail(fmt.Errorf("%w (%s)", ErrCommitTimeout, c.timeout))
			}
		case <-ctx.Done():
			c.fail(ctx.Err())
			return
		}
	}
}

// attemptFailed handles an append attempt that got an error instead of
// an acknowledgement. A lost connection, a lost stream leader or an
// attempt timeout is not the log refusing the batch: every batch in flight
// is sent again, in order, with the same fence. A fence error may then
// mean that an earlier attempt did land: if the entry the fence expected
// to follow carries the batch's own id, the batch is committed there.
// Only an entry written by someone else is a real fence. The commit
// timeout bounds it all.
func (c *Committer) attemptFailed(ctx context.Context, s sentBatch, err error) {
	b := s.b
	if IsFenced(err) {
		gctx, cancel := context.WithTimeout(ctx, attemptTimeout)
		id, gerr := c.st.EntryID(gctx, b.ExpectLast+1)
		cancel()
		switch {
		case gerr == nil && id == c.batchID(b):
			c.acked(b, b.ExpectLast+1)
			return
		case gerr == nil:
			c.Stats.FenceErrors.Add(1)
			c.fail(fmt.Errorf("%w: %v", ErrFenced, err))
			return
		}
		// Could not read the log: try again below.
	}
	if time.Since(b.SentAt) > c.timeout {
		c.fail(fmt.Errorf("%w (%s): %v", ErrCommitTimeout, c.timeout, err))
		return
	}
	c.mu.Lock()
	var rerr error
	if c.p.Failed() == nil {
		for _, f := range c.p.Inflight() {
			if f.acked {
				continue
			}
			if rerr = c.send(f); rerr != nil {
				break
			}
		}
	}
	c.mu.Unlock()
	if rerr != nil {
		c.fail(rerr)
	}
}

// batchID is the id an append of batch b carries, unique to this writer.
func (c *Committer) batchID(b *Batch) string { return c.batchIDOf(b.ID) }

// batchIDOf is the id of the batch numbered id of the present epoch.
func (c *Committer) batchIDOf(id uint64) string {
	out := make([]byte, 0, len(c.writer)+24)
	out = append(out, c.writer...)
	out = append(out, '-')
	out = strconv.AppendUint(out, c.epoch, 10)
	out = append(out, '-')
	out = strconv.AppendUint(out, id, 10)
	return string(out)
}

// acked completes batch b: it sends what waits for a slot, then wakes the
// clients of the batches that finished.
func (c *Committer) acked(b *Batch, seq uint64) {
	c.mu.Lock()
	done := c.p.Acked(b, seq)
	failed := c.p.Failed()
	var err error
	if failed == nil {
		err = c.sendReady()
	}
	c.mu.Unlock()
	if failed != nil {
		// Acked failed the pipeline (an acknowledgement at the wrong
		// sequence) and Fail finished every batch already: closing them
		// again would panic.
		c.fail(failed)
		return
	}
	for _, d := range done {
		c.Stats.Latency.Observe(time.Since(d.SentAt))
		c.Stats.Writes.Add(int64(d.Writer().Groups()))
		observeCommit(d, time.Since(d.SentAt))
	}
	Finish(done)
	if err != nil {
		c.fail(err)
	}
}

// sendReady sends every batch the pipeline lets go; with mu held.
func (c *Committer) sendReady() error {
	for {
		b, ok := c.p.Next()
		if !ok {
			return nil
		}
		b.SentAt = time.Now()
		if err := c.send(b); err != nil {
			return err
		}
	}
}

// send makes one attempt at appending b; with mu held.
func (c *Committer) send(b *Batch) error {
	data := b.Data()
	b.Attempt++
	follows := ""
	if b.Follows != 0 {
		follows = c.batchIDOf(b.Follows)
	}
	m, err := c.st.AppendAsync(data, b.ExpectLast, c.batchID(b), follows)
	if err != nil {
		return fmt.Errorf("cannot append to the log: %w", err)
	}
	// The outcome waits for mu, so it finds the attempt recorded.
	c.sent[m] = sentBatch{b, c.epoch, b.Attempt}
	c.Stats.Appends.Add(1)
	c.Stats.Bytes.Add(int64(len(data)))
	return nil
}

// fail fails the pipeline, if it has not failed yet, and tells the engine
// once per epoch, however the failure came about (here, or inside the
// pipeline on an inconsistent acknowledgement).
func (c *Committer) fail(err error) {
	c.mu.Lock()
	if c.p.Failed() == nil {
		c.p.Fail(err)
	}
	first := !c.failReported
	c.failReported = true
	c.mu.Unlock()
	if first {
		c.Stats.Failures.Add(1)
		if c.OnFail != nil {
			c.OnFail(err)
		}
	}
}

// Abort fails the pipeline with err, as a failed append would (OnFail is
// called): a primary that lost its lease must not commit what it holds.
// It returns false when the pipeline had already failed.
func (c *Committer) Abort(err error) bool {
	c.mu.Lock()
	already := c.p.Failed() != nil
	c.mu.Unlock()
	c.fail(err)
	return !already
}
