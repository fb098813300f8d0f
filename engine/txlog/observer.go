package txlog

import (
	"sync/atomic"
	"time"
)

// CommitObservation describes one append the log acknowledged: what an
// exporter needs for latency and batch-size histograms, which the
// committer's own counters (CommitStats) cannot give.
type CommitObservation struct {
	// Latency is from the append's first send to its acknowledgement.
	Latency time.Duration
	// Writes is how many write groups (commands, transactions) the batch
	// carried: the group-commit factor.
	Writes int
	// Bytes is the batch's size on the wire.
	Bytes int
}

// commitObserver is the process's observer of committed appends, nil when
// none is set. It is process-wide rather than per Committer because a node
// process runs one shard's committer, which is created (and re-created)
// deep inside the engine, while the exporter is set up once at start.
var commitObserver atomic.Pointer[func(CommitObservation)]

// SetCommitObserver makes f see every append any Committer of this
// process completes, from the committer's acknowledging goroutine: f must
// be quick and safe for concurrent use. A nil f removes the observer.
func SetCommitObserver(f func(CommitObservation)) {
	if f == nil {
		commitObserver.Store(nil)
		return
	}
	commitObserver.Store(&f)
}

// observeCommit reports the committed batch b to the observer, if any.
func observeCommit(b *Batch, latency time.Duration) {
	f := commitObserver.Load()
	if f == nil {
		return
	}
	(*f)(CommitObservation{Latency: latency, Writes: b.Writer().Groups(), Bytes: b.Writer().Len()})
}
