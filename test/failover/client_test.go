//go:build linux

package failover

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// refused reports whether an error reply means the command did not run:
// the node is not (or no longer knows it is) the primary, or it refuses
// writes until it has rebuilt from the log. The client may send it again
// elsewhere without risk of running it twice.
func refused(msg string) bool {
	for _, p := range []string{"READONLY ", "MOVED ", "EXECABORT ", "CLUSTERDOWN The transactional log is unavailable",
		"CLUSTERDOWN This node's lease", "CLUSTERDOWN The cluster is down"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// notCommitted reports whether an error reply means the write may or may
// not have happened.
func notCommitted(msg string) bool {
	return strings.HasPrefix(msg, "CLUSTERDOWN The write was not committed")
}

// history collects operations from several clients.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
	// counts for the report
	acked, unknown, dropped, refusals int
	ackedIncr                         map[string]int
	unknownIncr                       map[string]int
}

func newHistory() *history {
	return &history{start: time.Now(), ackedIncr: map[string]int{}, unknownIncr: map[string]int{}}
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// add records an operation; an unknown one completes at the end of time.
func (h *history) add(client int, in opInput, out opOutput, call int64) {
	ret := h.now()
	if out.unknown {
		ret = math.MaxInt64
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	if out.unknown {
		h.unknown++
		if in.op == opInc {
			h.unknownIncr[in.key]++
		}
		return
	}
	if in.op != opGet {
		h.acked++
	}
	if in.op == opInc {
		h.ackedIncr[in.key]++
	}
}

func (h *history) drop() {
	h.mu.Lock()
	h.dropped++
	h.mu.Unlock()
}

// refusal counts an attempt a node refused (the client tries again).
func (h *history) refusal() {
	h.mu.Lock()
	h.refusals++
	h.mu.Unlock()
}

// client runs operations against whichever node is primary, finding it
// again with ROLE when a node refuses.
type client struct {
	s    *shard
	id   int
	conn *conn
	cur  int // index of the node conn is to
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// connect connects to the node that says it is primary.
func (c *client) connect() bool {
	c.close()
	for i, a := range c.s.addrs {
		if role(a) == "master" {
			cn, err := dial(a)
			if err == nil {
				c.conn, c.cur = cn, i
				return true
			}
		}
	}
	return false
}

// attempt is the outcome of one try of an operation.
type attempt int

const (
	done     attempt = iota // out is the answer
	retry                   // refused: nothing ran, try elsewhere
	unknown                 // may or may not have happened
	failRead                // a read that got no answer: nothing to record
)

// run performs one operation, retrying refusals on the primary of the
// moment (a bounded number of times), and records it.
func (c *client) run(h *history, in opInput) {
	call := h.now()
	for try := 0; try < 100; try++ {
		if c.conn == nil && !c.connect() {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		out, a := c.once(in)
		switch a {
		case done:
			h.add(c.id, in, out, call)
			return
		case unknown:
			c.close()
			if in.op == opGet {
				h.drop()
			} else {
				h.add(c.id, in, opOutput{unknown: true}, call)
			}
			return
		case failRead:
			c.close()
			h.drop()
			return
		}
		h.refusal()
		c.close()
		time.Sleep(20 * time.Millisecond)
	}
	h.drop()
}

// once makes one attempt of an operation on the current connection.
func (c *client) once(in opInput) (opOutput, attempt) {
	write := in.op != opGet
	lost := unknown
	if !write {
		lost = failRead
	}
	classify := func(v value, err error) (value, attempt, bool) {
		switch {
		case err != nil:
			return v, lost, false
		case v.IsErr() && refused(v.Str):
			return v, retry, false
		case v.IsErr() && notCommitted(v.Str):
			return v, lost, false
		case v.IsErr():
			return v, lost, false
		}
		return v, done, true
	}
	const d = 5 * time.Second
	switch in.op {
	case opGet:
		v, a, ok := classify(c.conn.DoTimeout(d, "GET", in.key))
		if !ok {
			return opOutput{}, a
		}
		return opOutput{val: v.Str, ok: true}, done
	case opSet:
		_, a, ok := classify(c.conn.DoTimeout(d, "SET", in.key, in.val))
		if !ok {
			return opOutput{}, a
		}
		return opOutput{ok: true}, done
	case opInc:
		v, a, ok := classify(c.conn.DoTimeout(d, "INCR", in.key))
		if !ok {
			return opOutput{}, a
		}
		return opOutput{val: v.Str, ok: true}, done
	}
	// CAS goes through runCAS.
	return opOutput{}, failRead
}

// runCAS performs one compare-and-set: it reads the key under WATCH and
// writes a new value only if nothing changed it meanwhile.
func (c *client) runCAS(h *history, key, val string) {
	call := h.now()
	const d = 5 * time.Second
	for try := 0; try < 100; try++ {
		if c.conn == nil && !c.connect() {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		cn := c.conn
		step := func(args ...string) (value, attempt) {
			v, err := cn.DoTimeout(d, args...)
			switch {
			case err != nil:
				return v, failRead
			case v.IsErr() && refused(v.Str):
				return v, retry
			case v.IsErr():
				return v, failRead
			}
			return v, done
		}
		var old value
		a := done
		for _, args := range [][]string{{"WATCH", key}, {"GET", key}, {"MULTI"}, {"SET", key, val}} {
			var v value
			if v, a = step(args...); a != done {
				break
			}
			if args[0] == "GET" {
				old = v
			}
		}
		if a == failRead {
			// Nothing was written yet: the CAS did not happen.
			c.close()
			h.drop()
			return
		}
		if a == retry {
			h.refusal()
			c.close()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		in := opInput{op: opCAS, key: key, val: val, old: old.Str}
		v, err := cn.DoTimeout(d, "EXEC")
		switch {
		case err != nil || (v.IsErr() && !refused(v.Str)):
			c.close()
			h.add(c.id, in, opOutput{unknown: true}, call)
			return
		case v.IsErr():
			h.refusal()
			c.close()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		h.add(c.id, in, opOutput{ok: !v.Null}, call)
		return
	}
	h.drop()
}
