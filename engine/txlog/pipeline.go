package txlog

import (
	"errors"
	"fmt"
	"time"
)

// Batch is one append: the groups of effects that collected while earlier
// appends were in flight.
type Batch struct {
	// ID numbers batches in the order they were opened, from 1.
	ID uint64
	w  *BatchWriter
	// ExpectLast is the stream sequence this append expects to follow: the
	// fence. Set when the batch is sealed.
	ExpectLast uint64
	// Follows is the ID of the batch in flight that this one was sealed
	// behind, 0 if none was: the entry at ExpectLast must be that batch's
	// (the append also expects its id), so a batch can never land behind
	// a foreign entry that took the place of the one before it.
	Follows uint64
	// Seq is the stream sequence the batch was committed at.
	Seq uint64
	// acked is set when the log acknowledged the batch, which may be
	// before earlier batches' acknowledgements arrive.
	acked  bool
	ackSeq uint64

	// SentAt is when the append was first sent, for the commit timeout
	// and append latency.
	SentAt time.Time
	// Attempt counts the times the batch was sent; an outcome of an
	// earlier attempt is ignored.
	Attempt int

	done chan struct{}
	err  error
}

// Done is closed when the batch is committed or has failed.
func (b *Batch) Done() <-chan struct{} { return b.done }

// Err returns why the batch failed, or nil once it is committed. Only
// meaningful after Done is closed.
func (b *Batch) Err() error { return b.err }

// Data returns the encoded batch (valid once sealed).
func (b *Batch) Data() []byte { return b.w.Bytes() }

// Writer returns the batch's writer, to add a group to it.
func (b *Batch) Writer() *BatchWriter { return b.w }

// ErrFenced is the failure of an append whose expected last sequence was
// not the stream's: another primary has written to the stream.
var ErrFenced = errors.New("append fenced: another primary owns the log")

// Pipeline is the commit pipeline's state: the open batch that collects
// effects, the sealed batches in flight in append order, and the last
// sequence known committed. It does no I/O: the committer feeds it acks and
// failures and acts on what it returns. Not safe for concurrent use.
//
// Invariants: batches commit in ID order; the in-flight batch i expects
// lastSeq+i; once one batch fails, every later batch fails with it (their
// fences no longer hold), and the pipeline refuses new work until Reset.
type Pipeline struct {
	open *Batch
	// ready holds batches sealed early because the next group would have
	// made them too big; they are appended before the open one.
	ready       []*Batch
	inflight    []*Batch
	lastSeq     uint64
	nextID      uint64
	maxInflight int
	failed      error
	// sizeHint is the size of the last batch sealed: the next one's
	// buffer starts about that big.
	sizeHint int
}

// NewPipeline returns a pipeline whose next append follows sequence
// lastSeq, with at most maxInflight appends outstanding.
func NewPipeline(lastSeq uint64, maxInflight int) *Pipeline {
	if maxInflight < 1 {
		maxInflight = 1
	}
	return &Pipeline{lastSeq: lastSeq, nextID: 1, maxInflight: maxInflight}
}

// Open returns the batch that collects effects now, opening one if needed.
// It returns an error once the pipeline has failed.
func (p *Pipeline) Open() (*Batch, error) { return p.OpenFor(0) }

// OpenFor is Open for a group of about n bytes: when the open batch could
// not take it within MaxBatchBytes, that batch is sealed and a new one
// opened.
func (p *Pipeline) OpenFor(n int) (*Batch, error) {
	if p.failed != nil {
		return nil, p.failed
	}
	if p.open != nil && p.open.w.Groups() > 0 && p.open.w.Len()+n > MaxBatchBytes-64<<10 {
		p.ready = append(p.ready, p.open)
		p.open = nil
	}
	if p.open == nil {
		p.open = &Batch{ID: p.nextID, w: NewBatchWriterSize(max(n, min(p.sizeHint+p.sizeHint/4, 1<<20))), done: make(chan struct{})}
		p.nextID++
	}
	return p.open, nil
}

// LastSeq returns the sequence of the last committed batch.
func (p *Pipeline) LastSeq() uint64 { return p.lastSeq }

// Pending returns the number of batches opened and not yet finished.
func (p *Pipeline) Pending() int {
	n := len(p.inflight) + len(p.ready)
	if p.open != nil {
		n++
	}
	return n
}

// Next seals the open batch and returns it for appending, when it holds
// effects and fewer than maxInflight appends are outstanding.
func (p *Pipeline) Next() (*Batch, bool) {
	if p.failed != nil || len(p.inflight) >= p.maxInflight {
		return nil, false
	}
	var b *Batch
	switch {
	case len(p.ready) > 0:
		b = p.ready[0]
		p.ready = p.ready[1:]
	case p.open != nil && p.open.w.Groups() > 0:
		b = p.open
		p.open = nil
	default:
		return nil, false
	}
	b.ExpectLast = p.lastSeq + uint64(len(p.inflight))
	b.Follows = 0
	if n := len(p.inflight); n > 0 {
		b.Follows = p.inflight[n-1].ID
	}
	p.sizeHint = b.w.Len()
	p.inflight = append(p.inflight, b)
	return b, true
}

// Acked records that batch b was committed at seq, and returns the
// batches that are now finished: acknowledgements may arrive out of order,
// but batches finish in append order. An acknowledgement at a sequence
// other than the batch's fence expects is a broken invariant and fails the
// pipeline.
func (p *Pipeline) Acked(b *Batch, seq uint64) []*Batch {
	if p.failed != nil || b.acked {
		return nil
	}
	found := false
	for _, f := range p.inflight {
		found = found || f == b
	}
	if !found {
		// A late acknowledgement of a batch already failed.
		return nil
	}
	if seq != b.ExpectLast+1 {
		return p.Fail(fmt.Errorf("batch %d committed at sequence %d, expected %d", b.ID, seq, b.ExpectLast+1))
	}
	b.acked, b.ackSeq = true, seq
	var done []*Batch
	for len(p.inflight) > 0 && p.inflight[0].acked {
		f := p.inflight[0]
		p.inflight = p.inflight[1:]
		p.lastSeq = f.ackSeq
		f.Seq = f.ackSeq
		done = append(done, f)
	}
	return done
}

// Finish wakes the waiters of batches Acked returned. It is separate so
// that the next append can be sent before the clients of the last one
// start competing for the CPU.
func Finish(done []*Batch) {
	for _, b := range done {
		close(b.done)
	}
}

// Inflight returns the batches in flight, oldest first.
func (p *Pipeline) Inflight() []*Batch { return append([]*Batch(nil), p.inflight...) }

// Oldest returns the oldest batch in flight, if any.
func (p *Pipeline) Oldest() *Batch {
	if len(p.inflight) == 0 {
		return nil
	}
	return p.inflight[0]
}

// Fail fails every batch in flight and the open one with err, and returns
// them. The pipeline refuses new work until Reset.
func (p *Pipeline) Fail(err error) []*Batch {
	if p.failed == nil {
		p.failed = err
	}
	out := append(p.inflight, p.ready...)
	p.inflight, p.ready = nil, nil
	if p.open != nil {
		out = append(out, p.open)
		p.open = nil
	}
	for _, b := range out {
		b.err = err
		close(b.done)
	}
	return out
}

// Failed returns why the pipeline failed, or nil.
func (p *Pipeline) Failed() error { return p.failed }

// Reset makes a failed pipeline usable again after the node has rebuilt
// its state from the log up to lastSeq.
func (p *Pipeline) Reset(lastSeq uint64) {
	p.failed = nil
	p.lastSeq = lastSeq
	p.open = nil
	p.inflight = nil
	p.ready = nil
}

// FailedBatch returns a finished batch that failed with err, for a write
// that could not join the pipeline because it had already failed.
func FailedBatch(err error) *Batch {
	b := &Batch{done: make(chan struct{}), err: err}
	close(b.done)
	return b
}
