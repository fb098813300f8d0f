package txlog

import (
	"os"
	"sync"
)

// pollWaker finishes acknowledged batches — wakes the clients waiting for
// them — from a goroutine that the Go runtime's network poller wakes,
// instead of from the acknowledgement itself. It is used when the log
// server runs in this process (mnemo local).
//
// Why: the runtime polls the network only when a P has nothing else to
// run. The embedded log server reads the next append from its socket in a
// goroutine that only the poller can wake, while closing a batch's done
// channel puts its writers straight on the run queue. On one thread
// (io-threads 1), an acknowledgement that sent the next append and then
// woke its ~50 writers made the log wait until every one of them had
// written its reply (about 8 µs each) before it could even read that
// append: 0.4 ms of a 0.9 ms commit cycle in a trace of SET -c 50 -P 1,
// with the disk idle. A waker that itself waits on the poller is woken by
// the same poll as the log's reader, behind it, so the log reads and
// starts fsyncing the next append first, and the clients are answered
// while the disk works.
//
// The clients are woken later than before by at most one scheduling round,
// never earlier than their batch's acknowledgement: nothing about what is
// committed, or when a reply may leave, changes.
type pollWaker struct {
	r, w *os.File

	mu sync.Mutex
	// queue holds acknowledged batches in the order they finish; each
	// committer adds its own in append order, under its lock.
	queue []*Batch
	// signaled is set while a byte is in the pipe that run has not taken
	// yet: one byte wakes run for any number of batches.
	signaled bool
	// broken is set if the pipe failed: batches are finished at once.
	broken bool
}

var (
	pollWakerOnce sync.Once
	thePollWaker  *pollWaker
)

// sharedPollWaker returns the process's poll waker, starting it on first
// use, or nil if it cannot work (no pipe). One serves every committer of
// the process: it holds no per-shard state.
func sharedPollWaker() *pollWaker {
	pollWakerOnce.Do(func() {
		// os.Pipe's ends are non-blocking and registered with the
		// runtime's poller, which is the point.
		r, w, err := os.Pipe()
		if err != nil {
			return
		}
		thePollWaker = &pollWaker{r: r, w: w}
		go thePollWaker.run()
	})
	return thePollWaker
}

var wakeByte = []byte{0}

// finish queues done (batches that finished, in order) to be finished by
// run. The caller keeps the order of its own batches by calling finish
// under its lock.
func (k *pollWaker) finish(done []*Batch) {
	if len(done) == 0 {
		return
	}
	k.mu.Lock()
	if k.broken {
		k.mu.Unlock()
		Finish(done)
		return
	}
	k.queue = append(k.queue, done...)
	signal := !k.signaled
	k.signaled = true
	k.mu.Unlock()
	if !signal {
		return
	}
	if _, err := k.w.Write(wakeByte); err != nil {
		// Cannot happen while run reads the pipe; never leave a
		// batch unfinished if it does.
		k.mu.Lock()
		k.broken = true
		q := k.queue
		k.queue = nil
		k.mu.Unlock()
		Finish(q)
	}
}

// run finishes the queued batches each time the pipe says there are some.
func (k *pollWaker) run() {
	var buf [64]byte
	var q []*Batch
	for {
		_, err := k.r.Read(buf[:])
		k.mu.Lock()
		q, k.queue = k.queue, q[:0]
		k.signaled = false
		if err != nil {
			k.broken = true
		}
		k.mu.Unlock()
		Finish(q)
		clear(q) // do not keep finished batches alive
		if err != nil {
			return
		}
	}
}
