package txlog

import (
	"errors"
	"testing"
)

func addEffect(t *testing.T, p *Pipeline, arg string) *Batch {
	t.Helper()
	b, err := p.Open()
	if err != nil {
		t.Fatal(err)
	}
	w := b.Writer()
	w.BeginGroup()
	w.Effect(args("SET", arg, "v"))
	w.EndGroup()
	return b
}

func isDone(b *Batch) bool {
	select {
	case <-b.Done():
		return true
	default:
		return false
	}
}

func TestPipelineGroupCommit(t *testing.T) {
	p := NewPipeline(10, 2)
	if _, ok := p.Next(); ok {
		t.Fatal("an empty batch must not be appended")
	}
	b1 := addEffect(t, p, "a")
	if b := addEffect(t, p, "b"); b != b1 {
		t.Fatal("writes before the first append must share its batch")
	}
	got, ok := p.Next()
	if !ok || got != b1 || b1.ExpectLast != 10 {
		t.Fatalf("Next = %v %v, expect last %d", got, ok, b1.ExpectLast)
	}
	// Writes during the append join the next batch, which may be
	// pipelined behind the first, fenced on the sequence it will follow.
	b2 := addEffect(t, p, "c")
	if b2 == b1 {
		t.Fatal("a write during an append must join the next batch")
	}
	if n, ok := p.Next(); !ok || n != b2 || b2.ExpectLast != 11 {
		t.Fatalf("second append: %v, expect last %d", ok, b2.ExpectLast)
	}
	// At most two in flight: the third batch waits.
	addEffect(t, p, "d")
	if _, ok := p.Next(); ok {
		t.Fatal("more appends in flight than allowed")
	}
	done := p.Acked(b1, 11)
	Finish(done)
	if len(done) != 1 || !isDone(b1) || b1.Err() != nil || b1.Seq != 11 {
		t.Fatal("ack did not complete the first batch")
	}
	if isDone(b2) {
		t.Fatal("the second batch completed with the first")
	}
	if b3, ok := p.Next(); !ok || b3.ExpectLast != 12 {
		t.Fatal("an ack must make room for the next append")
	}
	Finish(p.Acked(b2, 12))
	if p.LastSeq() != 12 {
		t.Fatalf("last seq %d, want 12", p.LastSeq())
	}
}

func TestPipelineFailureFailsEverythingAfter(t *testing.T) {
	p := NewPipeline(0, 4)
	b1 := addEffect(t, p, "a")
	p.Next()
	b2 := addEffect(t, p, "b")
	p.Next()
	b3 := addEffect(t, p, "c") // still open
	p.Fail(ErrFenced)
	for _, b := range []*Batch{b1, b2, b3} {
		if !isDone(b) || !errors.Is(b.Err(), ErrFenced) {
			t.Fatalf("batch %d: done=%v err=%v, want fenced", b.ID, isDone(b), b.Err())
		}
	}
	if _, err := p.Open(); !errors.Is(err, ErrFenced) {
		t.Fatalf("a failed pipeline took new work: %v", err)
	}
	p.Reset(5)
	b := addEffect(t, p, "d")
	if n, ok := p.Next(); !ok || n != b || b.ExpectLast != 5 {
		t.Fatal("after Reset, appends must follow the rebuilt sequence")
	}
}

func TestPipelineRefusesWrongSequence(t *testing.T) {
	p := NewPipeline(7, 1)
	b := addEffect(t, p, "a")
	p.Next()
	p.Acked(b, 9) // the log says 9, the fence said 8
	if p.Failed() == nil || b.Err() == nil {
		t.Fatal("an ack at an unexpected sequence must fail the pipeline")
	}
}

func TestPipelineAcksOutOfOrderFinishInOrder(t *testing.T) {
	p := NewPipeline(0, 3)
	b1 := addEffect(t, p, "a")
	p.Next()
	b2 := addEffect(t, p, "b")
	p.Next()
	if done := p.Acked(b2, 2); len(done) != 0 || isDone(b2) {
		t.Fatal("a batch finished before the one before it")
	}
	done := p.Acked(b1, 1)
	Finish(done)
	if len(done) != 2 || !isDone(b1) || !isDone(b2) || p.LastSeq() != 2 {
		t.Fatalf("finished %d batches, last seq %d; want both, 2", len(done), p.LastSeq())
	}
	if p.Failed() != nil {
		t.Fatal(p.Failed())
	}
}

func TestPipelineSealsABatchBeforeItOverflows(t *testing.T) {
	p := NewPipeline(0, 4)
	b1 := addEffect(t, p, "a")
	b2, err := p.OpenFor(MaxBatchBytes)
	if err != nil || b2 == b1 {
		t.Fatal("a group that would overflow the open batch must start a new one")
	}
	w := b2.Writer()
	w.BeginGroup()
	w.Effect(args("SET", "big", "v"))
	w.EndGroup()
	if n, ok := p.Next(); !ok || n != b1 || b1.ExpectLast != 0 {
		t.Fatal("the sealed batch must be appended first")
	}
	if n, ok := p.Next(); !ok || n != b2 || b2.ExpectLast != 1 {
		t.Fatal("the new batch must follow it")
	}
}

// An acknowledgement at the wrong sequence fails the committer's pipeline
// once: the batches it finishes are not closed a second time.
func TestCommitterAckAtWrongSequenceFailsOnce(t *testing.T) {
	var failures []error
	c := &Committer{p: NewPipeline(7, 1), OnFail: func(err error) { failures = append(failures, err) }}
	b, _ := c.p.Open()
	b.Writer().BeginGroup()
	b.Writer().Effect([][]byte{[]byte("SET"), []byte("k"), []byte("v")})
	b.Writer().EndGroup()
	c.p.Next()
	c.acked(b, 9) // the log says 9, the fence said 8
	if !isDone(b) || b.Err() == nil {
		t.Fatalf("batch not failed: done %v, err %v", isDone(b), b.Err())
	}
	if len(failures) != 1 {
		t.Fatalf("OnFail called %d times, want 1", len(failures))
	}
}
