package txlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ErrCommitTimeout fails appends the log did not acknowledge in time.
var ErrCommitTimeout = errors.New("the log did not commit in time")

// Committer runs a shard's commit pipeline against its stream: it appends
// sealed batches (several in flight, each fenced on the sequence before
// it), completes them as the log acknowledges them, and fails everything
// pending when an append is refused or not acknowledged within the commit
// timeout.
type Committer struct {
	st      *Stream
	timeout time.Duration

	mu sync.Mutex
	p  *Pipeline // guarded by mu

	wake chan struct{}
	// OnFail is called, from the committer's goroutine, after the
	// pipeline failed; the engine then rebuilds from the log and calls
	// Reset.
	OnFail func(err error)

	Stats CommitStats
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
func NewCommitter(st *Stream, lastSeq uint64, maxInflight int, timeout time.Duration) *Committer {
	return &Committer{
		st:      st,
		timeout: timeout,
		p:       NewPipeline(lastSeq, maxInflight),
		wake:    make(chan struct{}, 1),
	}
}

// Add appends one group of effects of about size bytes, written by fill,
// to the open batch and returns the batch; the group commits with it. It
// fails at once while the pipeline is failed.
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
	c.mu.Unlock()
	c.poke()
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
	c.mu.Unlock()
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

func (c *Committer) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run appends until ctx ends.
func (c *Committer) Run(ctx context.Context) {
	tick := time.NewTicker(c.timeout / 10)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			c.fail(ctx.Err())
			return
		case <-c.wake:
		case <-tick.C:
		}
		c.mu.Lock()
		if old := c.p.Oldest(); old != nil && time.Since(old.SentAt) > c.timeout {
			c.mu.Unlock()
			c.fail(fmt.Errorf("%w (%s)", ErrCommitTimeout, c.timeout))
			continue
		}
		var err error
		for {
			b, ok := c.p.Next()
			if !ok {
				break
			}
			if err = c.send(b); err != nil {
				break
			}
		}
		c.mu.Unlock()
		if err != nil {
			c.fail(err)
		}
	}
}

// send starts one append; called with mu held.
func (c *Committer) send(b *Batch) error {
	data := b.Data()
	b.SentAt = time.Now()
	fut, err := c.st.AppendAsync(data, b.ExpectLast)
	if err != nil {
		return fmt.Errorf("cannot append to the log: %w", err)
	}
	c.Stats.Appends.Add(1)
	c.Stats.Bytes.Add(int64(len(data)))
	groups := int64(b.Writer().Groups())
	go func() {
		select {
		case ack := <-fut.Ok():
			c.mu.Lock()
			done := c.p.Acked(b, ack.Sequence)
			failed := c.p.Failed()
			c.mu.Unlock()
			for _, d := range done {
				c.Stats.Latency.Observe(time.Since(d.SentAt))
			}
			c.Stats.Writes.Add(groups)
			if failed != nil {
				c.fail(failed)
			}
			c.poke()
		case err := <-fut.Err():
			if IsFenced(err) {
				c.Stats.FenceErrors.Add(1)
				err = fmt.Errorf("%w: %v", ErrFenced, err)
			}
			c.fail(err)
		}
	}()
	return nil
}

// fail fails the pipeline once and tells the engine.
func (c *Committer) fail(err error) {
	c.mu.Lock()
	first := c.p.Failed() == nil
	if first {
		c.p.Fail(err)
	}
	c.mu.Unlock()
	if first {
		c.Stats.Failures.Add(1)
		if c.OnFail != nil {
			c.OnFail(err)
		}
	}
}
