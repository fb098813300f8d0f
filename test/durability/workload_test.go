//go:build linux

package durability

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// outcome is what a writer knows about one write.
type outcome int

const (
	// acked: the write's reply said it happened; it must be durable.
	acked outcome = iota
	// refused: the engine said the write did not run; it must be absent.
	refused
	// unknown: no reply, or a reply saying it may or may not have taken
	// effect; both are allowed, but whichever recovery shows must last.
	unknown
)

func (o outcome) String() string {
	return [...]string{"acked", "refused", "unknown"}[o]
}

// opKind is a kind of write the workload issues, in rotation.
type opKind int

const (
	opSet opKind = iota
	opIncr
	opIncrShared
	opLpush
	opHset
	opZadd
	opMulti
	numOpKinds
)

var opNames = [...]string{"SET", "INCR", "INCR-shared", "LPUSH", "HSET", "ZADD", "MULTI/EXEC"}

func (k opKind) String() string { return opNames[k] }

// Error texts of the durable write path (engine/command/durability.go).
const (
	// errTextLogDown starts the refusal of a write while the node rebuilds:
	// the write did not run.
	errTextLogDown = "CLUSTERDOWN The transactional log is unavailable"
	// errTextNotCommitted starts the reply of a write whose batch failed:
	// it may or may not have happened.
	errTextNotCommitted = "CLUSTERDOWN The write was not committed to the transactional log"
)

// op is one write and what became of it.
type op struct {
	kind       opKind
	n          int // the worker's operation number, which names keys and values
	out        outcome
	reply      int64  // INCR: the value it returned, when acked
	err        string // the error reply or I/O error, when not acked
	start, end time.Time
}

// keys and values of the workload. Every key names its run prefix and
// worker, so that runs and workers never share a key except the shared
// counter of a run.
func keySet(p string, w, n int) string { return fmt.Sprintf("s:%s:%d:%d", p, w, n) }
func valSet(p string, w, n int) string { return fmt.Sprintf("v:%s:%d:%d", p, w, n) }
func keyCtr(p string, w int) string    { return fmt.Sprintf("ctr:%s:%d", p, w) }
func keyShared(p string) string        { return "ctr:" + p + ":shared" }
func keyList(p string, w int) string   { return fmt.Sprintf("l:%s:%d", p, w) }
func keyHash(p string, w int) string   { return fmt.Sprintf("h:%s:%d", p, w) }
func keyZset(p string, w int) string   { return fmt.Sprintf("z:%s:%d", p, w) }
func txTag(p string, w int) string     { return fmt.Sprintf("{t:%s:%d}", p, w) }
func keyTxA(p string, w, n int) string { return fmt.Sprintf("%sa:%d", txTag(p, w), n) }
func keyTxB(p string, w, n int) string { return fmt.Sprintf("%sb:%d", txTag(p, w), n) }
func keyTxCtr(p string, w int) string  { return txTag(p, w) + "ctr" }
func elem(n int) string                { return "e" + strconv.Itoa(n) }
func field(n int) string               { return "f" + strconv.Itoa(n) }
func member(n int) string              { return "m" + strconv.Itoa(n) }
func parseNum(s, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// workload runs writers, each on its own connection, issuing one write
// at a time in a fixed rotation of kinds, until stopped or maxOps each.
type workload struct {
	addr    string
	prefix  string
	timeout time.Duration // how long a reply may take before it is unknown
	maxOps  int

	stopping atomic.Bool
	wg       sync.WaitGroup
	workers  []*worker
}

type worker struct {
	wl *workload
	id int
	c  *conn

	mu  sync.Mutex
	ops []op // guarded by mu
}

func startWorkload(addr, prefix string, n, maxOps int, timeout time.Duration) *workload {
	wl := &workload{addr: addr, prefix: prefix, timeout: timeout, maxOps: maxOps}
	for i := range n {
		w := &worker{wl: wl, id: i}
		wl.workers = append(wl.workers, w)
		wl.wg.Add(1)
		go w.run()
	}
	return wl
}

// stop ends the workload and waits for the writers.
func (wl *workload) stop() {
	wl.stopping.Store(true)
	wl.wg.Wait()
}

// allOps returns every write of every worker so far, by worker.
func (wl *workload) allOps() [][]op {
	out := make([][]op, len(wl.workers))
	for i, w := range wl.workers {
		w.mu.Lock()
		out[i] = w.ops[:len(w.ops):len(w.ops)]
		w.mu.Unlock()
	}
	return out
}

// count returns how many writes had each outcome, and how many failed
// with each kind of error (see errKind).
func (wl *workload) count() (n [3]int, errs map[string]int) {
	errs = map[string]int{}
	for _, ops := range wl.allOps() {
		for _, o := range ops {
			n[o.out]++
			if o.err != "" {
				errs[errKind(o.err)]++
			}
		}
	}
	return n, errs
}

func (w *worker) run() {
	defer w.wl.wg.Done()
	defer func() {
		if w.c != nil {
			w.c.Close()
		}
	}()
	for n := 0; n < w.wl.maxOps && !w.wl.stopping.Load(); n++ {
		if w.c == nil {
			c, err := dial(w.wl.addr)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				n--
				continue
			}
			w.c = c
		}
		o := w.do(opKind(n%int(numOpKinds)), n)
		w.mu.Lock()
		w.ops = append(w.ops, o)
		w.mu.Unlock()
		if o.out != acked {
			// Do not spin while the node refuses writes.
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// do issues one write and classifies its reply.
func (w *worker) do(kind opKind, n int) op {
	p, id := w.wl.prefix, w.id
	o := op{kind: kind, n: n, start: time.Now()}
	c := w.c
	var replies int
	switch kind {
	case opSet:
		c.Send("SET", keySet(p, id, n), valSet(p, id, n))
	case opIncr:
		c.Send("INCR", keyCtr(p, id))
	case opIncrShared:
		c.Send("INCR", keyShared(p))
	case opLpush:
		c.Send("LPUSH", keyList(p, id), elem(n))
	case opHset:
		c.Send("HSET", keyHash(p, id), field(n), "v"+strconv.Itoa(n))
	case opZadd:
		c.Send("ZADD", keyZset(p, id), strconv.Itoa(n), member(n))
	case opMulti:
		c.Send("MULTI")
		c.Send("SET", keyTxA(p, id, n), strconv.Itoa(n))
		c.Send("SET", keyTxB(p, id, n), strconv.Itoa(n))
		c.Send("INCR", keyTxCtr(p, id))
		c.Send("EXEC")
		replies = 4 // before EXEC's
	}
	ioErr := func(err error) op {
		o.out, o.err, o.end = unknown, ioError(err), time.Now()
		w.c.Close()
		w.c = nil
		return o
	}
	if err := c.Flush(); err != nil {
		return ioErr(err)
	}
	var queuedErr string
	for range replies {
		v, err := c.ReadTimeout(w.wl.timeout)
		if err != nil {
			return ioErr(err)
		}
		if v.IsErr() && queuedErr == "" {
			queuedErr = v.Str
		}
	}
	v, err := c.ReadTimeout(w.wl.timeout)
	if err != nil {
		return ioErr(err)
	}
	o.end = time.Now()
	o.out, o.err = classify(kind, v, queuedErr)
	if o.out == acked && (kind == opIncr || kind == opIncrShared) {
		o.reply = v.N
	}
	return o
}

// errKind shortens an error for counting: the engine's two durability
// errors keep their reason, others stay as they are.
func errKind(e string) string {
	switch {
	case strings.HasPrefix(e, errTextLogDown):
		return "CLUSTERDOWN log unavailable, write refused"
	case strings.HasPrefix(e, errTextNotCommitted):
		reason := ""
		if i, j := strings.IndexByte(e, '('), strings.IndexByte(e, ')'); i > 0 && j > i {
			reason = " " + e[i:j+1]
		}
		return "CLUSTERDOWN not committed" + reason
	}
	return e
}

// ioError names an I/O error without its addresses, so that errors can
// be counted by kind.
func ioError(err error) string {
	switch {
	case isTimeout(err):
		return "i/o: no reply in time"
	case errors.Is(err, io.EOF):
		return "i/o: EOF"
	case errors.Is(err, syscall.ECONNRESET):
		return "i/o: connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "i/o: broken pipe"
	}
	return "i/o: " + err.Error()
}

// classify decides a write's outcome from its reply (for MULTI/EXEC, the
// reply of EXEC and the first error among the queued commands' replies).
func classify(kind opKind, v value, queuedErr string) (outcome, string) {
	if kind == opMulti {
		if v.IsErr() {
			// EXECABORT: a queued command was refused, nothing ran.
			if strings.HasPrefix(v.Str, "EXECABORT") && strings.HasPrefix(queuedErr, errTextLogDown) {
				return refused, queuedErr
			}
			return unknown, v.Str
		}
		if v.Kind != '*' || len(v.Elems) != 3 {
			return unknown, "unexpected EXEC reply " + v.String()
		}
		for _, e := range v.Elems {
			if e.IsErr() {
				return unknown, e.Str
			}
		}
		return acked, ""
	}
	if v.IsErr() {
		if strings.HasPrefix(v.Str, errTextLogDown) {
			return refused, v.Str
		}
		return unknown, v.Str
	}
	want := byte(':')
	if kind == opSet {
		want = '+'
	}
	if v.Kind != want {
		return unknown, "unexpected reply " + v.String()
	}
	return acked, ""
}
