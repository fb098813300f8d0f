package txlog

import (
	"errors"
	"fmt"
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
	// Seq is the stream sequence the batch was committed at.
	Seq uint64

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
	open        *Batch
	inflight    []*Batch
	lastSeq     uint64
	nextID      uint64
	maxInflight int
	failed      error
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
func (p *Pipeline) Open() (*Batch, error) {
	if p.failed != nil {
		return nil, p.failed
	}
	if p.open == nil {
		p.open = &Batch{ID: p.nextID, w: NewBatchWriter(), done: make(chan struct{})}
		p.nextID++
	}
	return p.open, nil
}

// LastSeq returns the sequence of the last committed batch.
func (p *Pipeline) LastSeq() uint64 { return p.lastSeq }

// Pending returns the number of batches opened and not yet finished.
func (p *Pipeline) Pending() int {
	n := len(p.inflight)
	if p.open != nil {
		n++
	}
	return n
}

// Next seals the open batch and returns it for appending, when it holds
// effects and fewer than maxInflight appends are outstanding.
func (p *Pipeline) Next() (*Batch, bool) {
	if p.failed != nil || p.open == nil || p.open.w.Groups() == 0 || len(p.inflight) >= p.maxInflight {
		return nil, false
	}
	b := p.open
	p.open = nil
	b.ExpectLast = p.lastSeq + uint64(len(p.inflight))
	p.inflight = append(p.inflight, b)
	return b, true
}

// Acked records that batch b was committed at seq and returns the batches
// finished by it (b and none other: acks come in append order). An ack for
// a batch that is not the oldest in flight, or at a sequence other than the
// expected one, is a broken invariant and fails the pipeline.
func (p *Pipeline) Acked(b *Batch, seq uint64) []*Batch {
	if p.failed != nil {
		return nil
	}
	if len(p.inflight) == 0 || p.inflight[0] != b {
		return p.Fail(fmt.Errorf("ack for batch %d out of order", b.ID))
	}
	if seq != b.ExpectLast+1 {
		return p.Fail(fmt.Errorf("batch %d committed at sequence %d, expected %d", b.ID, seq, b.ExpectLast+1))
	}
	p.inflight = p.inflight[1:]
	p.lastSeq = seq
	b.Seq = seq
	close(b.done)
	return []*Batch{b}
}

// Fail fails every batch in flight and the open one with err, and returns
// them. The pipeline refuses new work until Reset.
func (p *Pipeline) Fail(err error) []*Batch {
	if p.failed == nil {
		p.failed = err
	}
	out := p.inflight
	p.inflight = nil
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
}
