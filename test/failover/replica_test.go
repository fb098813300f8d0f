//go:build linux

package failover

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// TestReplicaReads checks what replicas serve. Writers SET unique tokens
// through the primary while readers send READONLY GETs to every node, and
// the primary is killed and then paused for longer than its lease. At the
// end the test reads the whole log: every value any node returned must be
// in it (a value read but never committed would be a replica serving an
// uncommitted write, or a deposed primary serving one), and so must every
// acknowledged write. After a burst of writes each replica's lag returns
// to 0 and it reads the primary's last values. Before the faults it checks
// that a replica hides a key whose time passed but does not remove it.
func TestReplicaReads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six processes")
	}
	s := startShard(t)
	checkReplicaExpiry(t, s)

	keys := []string{"v{0}", "v{1}", "v{2}"}
	h := &tokens{invoked: map[string]bool{}, acked: map[string]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &tokenWriter{s: s, h: h}
			defer w.close()
			for n := 0; n < 100000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				w.set(key, fmt.Sprintf("w%d-%d", i, n))
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	reads := make([]*replicaReader, 2)
	for i := range reads {
		reads[i] = &replicaReader{s: s, keys: keys, seen: map[string]bool{}, conns: map[int]*conn{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reads[i].run(stop, rand.New(rand.NewPCG(uint64(i), 9)))
		}()
	}

	var faults []string
	time.Sleep(time.Second)
	if p, ok := s.waitPrimary(10 * time.Second); ok {
		s.nodes[p].Kill()
		faults = append(faults, "kill node"+strconv.Itoa(p))
		time.Sleep(2 * leaseTTL)
		s.nodes[p].Start()
	}
	if _, ok := s.waitPrimary(10 * time.Second); !ok {
		t.Fatal("no primary 10s after the kill")
	}
	time.Sleep(time.Second)
	if p, ok := s.waitPrimary(10 * time.Second); ok {
		s.nodes[p].Stop()
		faults = append(faults, "pause node"+strconv.Itoa(p))
		time.Sleep(2 * leaseTTL)
		s.nodes[p].Signal(syscall.SIGCONT)
	}
	if _, ok := s.waitPrimary(10 * time.Second); !ok {
		t.Fatal("no primary 10s after the pause")
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	// A burst: pipelined SETs on one connection to the primary, while
	// the replicas' lag is sampled.
	p, ok := s.waitPrimary(10 * time.Second)
	if !ok {
		t.Fatal("no primary for the burst")
	}
	last, maxLag := burst(t, s, p, keys, h)

	// Lag back to 0: each replica has applied up to the primary's offset.
	primaryOffset := infoField(t, s.addrs[p], "master_repl_offset")
	for i, addr := range s.addrs {
		if i == p {
			continue
		}
		var lag, offset string
		for try := 0; try < 200; try++ {
			lag, offset = infoField(t, addr, "mnemo_repl_lag"), infoField(t, addr, "slave_repl_offset")
			if lag == "0" && offset == primaryOffset {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if lag != "0" || offset != primaryOffset {
			t.Errorf("node%d: lag %s, offset %s after the burst; the primary is at %s", i, lag, offset, primaryOffset)
		}
		c, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Do("READONLY")
		for _, k := range keys {
			if v, err := c.Do("GET", k); err != nil || v.Str != last[k] {
				t.Errorf("node%d reads %s = %v (%v), the primary acknowledged %q last", i, k, v, err, last[k])
			}
		}
		c.Close()
	}

	// The primary's CLUSTER SHARDS and INFO follow the replicas' offsets
	// (they are published every TTL/4), not only joins and leaves.
	var offs []string
	for try := 0; try < 100; try++ {
		offs = shardOffsets(s.addrs[p])
		info := infoAll(s.addrs[p])
		synced := len(offs) == len(s.addrs) && strings.Count(info, ",offset="+primaryOffset+",") == len(s.addrs)-1
		for _, o := range offs {
			synced = synced && o == primaryOffset
		}
		if synced {
			break
		}
		offs = append(offs, "info: "+info)
		time.Sleep(50 * time.Millisecond)
	}
	for _, o := range offs {
		if o != primaryOffset {
			t.Errorf("the primary's CLUSTER SHARDS or INFO shows offsets %v; every node is at %s", offs, primaryOffset)
			break
		}
	}

	// The log as it ends: every value read and every acknowledged write
	// must be in it.
	logged := loggedValues(t, s, keys)
	var notLogged, lost []string
	replicaReads, allReads := 0, 0
	for _, r := range reads {
		replicaReads += r.replicaReads
		allReads += r.reads
		for v := range r.seen {
			if !logged[v] {
				notLogged = append(notLogged, v)
			}
			if !h.invoked[v] {
				t.Errorf("a node returned %q, which no client wrote", v)
			}
		}
	}
	for v := range h.acked {
		if !logged[v] {
			lost = append(lost, v)
		}
	}
	t.Logf("faults: %v", faults)
	t.Logf("%d writes invoked, %d acknowledged, %d values in the log; %d reads returned a value (%d from nodes that said slave just before), %d distinct; max lag seen in the burst %d; acknowledged writes lost: %d",
		len(h.invoked), len(h.acked), len(logged), allReads, replicaReads, len(seenAll(reads)), maxLag, len(lost))
	if len(notLogged) > 0 {
		t.Errorf("%d values read were never committed, e.g. %v", len(notLogged), notLogged[:min(5, len(notLogged))])
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes are not in the log, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	if replicaReads == 0 {
		t.Error("no read was served by a replica")
	}
}

// tokens is the set of values written: each is written once, so a value
// read names the write it came from.
type tokens struct {
	mu      sync.Mutex
	invoked map[string]bool
	acked   map[string]bool
}

func (h *tokens) add(m map[string]bool, v string) {
	h.mu.Lock()
	m[v] = true
	h.mu.Unlock()
}

// tokenWriter SETs through the primary, finding it again on refusals and
// errors; a write is recorded as invoked before it is sent.
type tokenWriter struct {
	s    *shard
	h    *tokens
	conn *conn
}

func (w *tokenWriter) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}

func (w *tokenWriter) set(key, val string) {
	w.h.add(w.h.invoked, val)
	for try := 0; try < 50; try++ {
		if w.conn == nil {
			p := w.s.primary()
			if p < 0 {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			c, err := dial(w.s.addrs[p])
			if err != nil {
				continue
			}
			w.conn = c
		}
		v, err := w.conn.DoTimeout(5*time.Second, "SET", key, val)
		switch {
		case err == nil && !v.IsErr():
			w.h.add(w.h.acked, val)
			return
		case err == nil && refused(v.Str):
			// Nothing ran: send it again to the primary of the moment.
			w.close()
			time.Sleep(20 * time.Millisecond)
			continue
		}
		// It may or may not have happened: a new token for the next one.
		w.close()
		return
	}
}

// replicaReader sends READONLY GETs to every node in turn, each preceded
// by ROLE in the same round trip, and keeps every value it is told.
type replicaReader struct {
	s                   *shard
	keys                []string
	conns               map[int]*conn
	seen                map[string]bool
	reads, replicaReads int
}

func (r *replicaReader) run(stop chan struct{}, rng *rand.Rand) {
	defer func() {
		for _, c := range r.conns {
			c.Close()
		}
	}()
	for n := 0; n < 1000000; n++ {
		select {
		case <-stop:
			return
		default:
		}
		i := n % len(r.s.addrs)
		c := r.conns[i]
		if c == nil {
			var err error
			if c, err = dial(r.s.addrs[i]); err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			if v, err := c.DoTimeout(time.Second, "READONLY"); err != nil || v.IsErr() {
				c.Close()
				continue
			}
			r.conns[i] = c
		}
		c.Send("ROLE")
		c.Send("GET", r.keys[rng.IntN(len(r.keys))])
		role, err1 := readAfterFlush(c, time.Second)
		v, err2 := c.ReadTimeout(time.Second)
		if err1 != nil || err2 != nil {
			c.Close()
			delete(r.conns, i)
			continue
		}
		if v.Kind == '$' && !v.Null {
			r.reads++
			r.seen[v.Str] = true
			if len(role.Elems) > 0 && role.Elems[0].Str == "slave" {
				r.replicaReads++
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// readAfterFlush sends what is buffered and reads one reply.
func readAfterFlush(c *conn, d time.Duration) (value, error) {
	if err := c.Flush(); err != nil {
		return value{}, err
	}
	return c.ReadTimeout(d)
}

func seenAll(rs []*replicaReader) map[string]bool {
	all := map[string]bool{}
	for _, r := range rs {
		for v := range r.seen {
			all[v] = true
		}
	}
	return all
}

// burst pipelines SETs of new tokens to the primary p and samples the
// replicas' lag meanwhile; it returns each key's last value and the
// largest lag seen.
func burst(t *testing.T, s *shard, p int, keys []string, h *tokens) (map[string]string, int) {
	t.Helper()
	c, err := dial(s.addrs[p])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan int)
	go func() {
		maxLag := 0
		for i := 0; i < 200; i++ {
			for j, addr := range s.addrs {
				if j != p {
					n, _ := strconv.Atoi(infoField(t, addr, "mnemo_repl_lag"))
					maxLag = max(maxLag, n)
				}
			}
			select {
			case <-done:
				done <- maxLag
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		<-done
		done <- maxLag
	}()
	const n = 3000
	last := map[string]string{}
	for i := range n {
		k := keys[i%len(keys)]
		val := "b-" + strconv.Itoa(i)
		h.add(h.invoked, val)
		c.Send("SET", k, val)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		v, err := c.ReadTimeout(10 * time.Second)
		if err != nil || v.IsErr() {
			t.Fatalf("burst write %d: %v %v", i, v, err)
		}
		val := "b-" + strconv.Itoa(i)
		h.add(h.acked, val)
		last[keys[i%len(keys)]] = val
	}
	done <- 0
	return last, <-done
}

// loggedValues reads the shard's whole log and returns every value SET to
// one of keys.
func loggedValues(t *testing.T, s *shard, keys []string) map[string]bool {
	t.Helper()
	nc, err := txlog.Dial(s.urls, "failover-test", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := txlog.OpenStream(ctx, nc, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, k := range keys {
		ours[k] = true
	}
	logged := map[string]bool{}
	_, err = st.Replay(ctx, 0, func(seq uint64, data []byte) error {
		return txlog.DecodeBatch(data, func(group [][][]byte) error {
			for _, args := range group {
				if len(args) >= 3 && strings.EqualFold(string(args[0]), "SET") && ours[string(args[1])] {
					logged[string(args[2])] = true
				}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return logged
}

// checkReplicaExpiry writes a key that expires soon, waits until the
// replicas hold it, then pauses the primary (for less than its lease) so
// that no DEL can come from it while the key's time passes: the replicas
// must read it as missing, still hold it (DBSIZE), and not have expired
// it themselves. It also checks that HELLO says role replica there.
func checkReplicaExpiry(t *testing.T, s *shard) {
	t.Helper()
	p, ok := s.waitPrimary(10 * time.Second)
	if !ok {
		t.Fatal("no primary")
	}
	pc, err := dial(s.addrs[p])
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var replicas []*conn
	for i, addr := range s.addrs {
		if i == p {
			continue
		}
		c, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if v, err := c.Do("READONLY"); err != nil || v.Str != "OK" {
			t.Fatalf("READONLY on node%d: %v %v", i, v, err)
		}
		v, err := c.Do("HELLO")
		if r := helloField(v, "role"); err != nil || r != "replica" {
			t.Errorf("HELLO on node%d says role %q (%v), want replica", i, r, err)
		}
		replicas = append(replicas, c)
	}
	if v, err := pc.Do("HELLO"); err != nil || helloField(v, "role") != "master" {
		t.Errorf("HELLO on the primary: %v %v", v, err)
	}
	// The replicas may be slow to apply: try again with a new key if the
	// key's time passed before they all held it.
	for attempt := 0; attempt < 5; attempt++ {
		// Keys of earlier attempts are gone first (by the primary's DEL).
		waitEmpty(t, replicas)
		key := "x{e}" + strconv.Itoa(attempt)
		at := time.Now().Add(600 * time.Millisecond)
		if v, err := pc.Do("SET", key, "v", "PXAT", strconv.FormatInt(at.UnixMilli(), 10)); err != nil || v.Str != "OK" {
			t.Fatalf("SET on the primary: %v %v", v, err)
		}
		held := 0
		for _, c := range replicas {
			for try := 0; try < 100 && time.Now().Before(at); try++ {
				if v, err := c.Do("GET", key); err == nil && v.Str == "v" {
					held++
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if held < len(replicas) {
			t.Logf("attempt %d: the replicas did not all hold %s before its time passed", attempt, key)
			time.Sleep(time.Second)
			continue
		}
		s.nodes[p].Stop()
		time.Sleep(time.Until(at) + 50*time.Millisecond)
		for i, c := range replicas {
			for _, check := range []struct {
				args []string
				want string
			}{
				{[]string{"GET", key}, "(nil)"},
				{[]string{"EXISTS", key}, "(integer) 0"},
				{[]string{"TTL", key}, "(integer) -2"},
				// Still held: the primary's DEL has not come (it is
				// paused), and the replica did not remove it itself.
				{[]string{"DBSIZE"}, "(integer) 1"},
			} {
				if v, err := c.Do(check.args...); err != nil || v.String() != check.want {
					t.Errorf("replica %d: %v = %v (%v), want %s", i, check.args, v, err, check.want)
				}
			}
			if v, err := c.Do("INFO", "stats"); err != nil || !strings.Contains(v.Str, "\r\nexpired_keys:0\r\n") {
				t.Errorf("replica %d counts expired keys: %v", i, err)
			}
		}
		s.nodes[p].Signal(syscall.SIGCONT)
		// The primary's DEL reaches the replicas.
		waitEmpty(t, replicas)
		return
	}
	t.Fatal("the replicas never held the key before its time passed")
}

// waitEmpty waits (boundedly) until every replica holds no key.
func waitEmpty(t *testing.T, replicas []*conn) {
	t.Helper()
	for i, c := range replicas {
		v, _ := c.Do("DBSIZE")
		for try := 0; try < 300 && v.N != 0; try++ {
			time.Sleep(10 * time.Millisecond)
			v, _ = c.Do("DBSIZE")
		}
		if v.N != 0 {
			t.Errorf("replica %d: DBSIZE %d, want 0 once the primary deleted every key", i, v.N)
		}
	}
}

// helloField returns a field of HELLO's RESP2 reply (a flat array).
func helloField(v value, name string) string {
	for i := 0; i+1 < len(v.Elems); i += 2 {
		if v.Elems[i].Str == name {
			return v.Elems[i+1].Str
		}
	}
	return ""
}

// shardOffsets returns the replication-offset of every node in addr's
// CLUSTER SHARDS.
func shardOffsets(addr string) []string {
	c, err := dial(addr)
	if err != nil {
		return nil
	}
	defer c.Close()
	v, err := c.Do("CLUSTER", "SHARDS")
	if err != nil {
		return nil
	}
	var out []string
	for _, shard := range v.Elems {
		for i := 0; i+1 < len(shard.Elems); i += 2 {
			if shard.Elems[i].Str != "nodes" {
				continue
			}
			for _, n := range shard.Elems[i+1].Elems {
				for j := 0; j+1 < len(n.Elems); j += 2 {
					if n.Elems[j].Str == "replication-offset" {
						out = append(out, strconv.FormatInt(n.Elems[j+1].N, 10))
					}
				}
			}
		}
	}
	return out
}

// infoAll returns INFO replication of addr.
func infoAll(addr string) string {
	c, err := dial(addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	v, _ := c.Do("INFO", "replication")
	return v.Str
}
