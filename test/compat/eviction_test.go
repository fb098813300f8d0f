package compat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ownMnemo starts a Mnemo of the test's own (these tests change maxmemory
// and connection limits, which the shared server must not see) and
// returns its address.
func ownMnemo(t *testing.T, args ...string) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"local", "--port", strconv.Itoa(port), "--dir", t.TempDir()}, args...)
	cmd := exec.Command(mnemoBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c, err := waitDial(cmd.Process.Pid, addr)
	if err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	c.close()
	return addr
}

// pipeline sends commands in one write and reads their replies.
func pipeline(t *testing.T, c *conn, cmds [][]string) []value {
	t.Helper()
	var b strings.Builder
	for _, args := range cmds {
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	out := make([]value, len(cmds))
	for i := range cmds {
		v, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// infoField returns one numeric field of INFO.
func infoField(t *testing.T, c *conn, field string) int64 {
	t.Helper()
	v, err := c.do("INFO", "everything")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(v.str, "\r\n") {
		if val, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, val)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s", field)
	return 0
}

// TestEvictionPolicies writes well past maxmemory under each policy and
// checks that used_memory stays within 5% above maxmemory, that keys were
// evicted (or writes refused, under noeviction), and that the victims are
// the ones the policy asks for: volatile-* never evicts a key without a
// TTL, volatile-ttl prefers the shortest TTLs, the LRU and LFU policies
// keep the keys in use.
func TestEvictionPolicies(t *testing.T) {
	addr := ownMnemo(t)
	c, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	const (
		persistent = 500   // keys without a TTL
		hot        = 500   // keys read throughout the load
		writes     = 24000 // keys written, about 2.5 times what fits
		batch      = 200
	)
	value := strings.Repeat("v", 150)
	for _, policy := range []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			volatile := strings.HasPrefix(policy, "volatile-")
			pipeline(t, c, [][]string{{"CONFIG", "SET", "maxmemory", "0"}, {"FLUSHALL"}})
			base := infoField(t, c, "used_memory")
			limit := base + 2<<20
			pipeline(t, c, [][]string{{"CONFIG", "SET", "maxmemory-policy", policy, "maxmemory", strconv.FormatInt(limit, 10)}})
			evictedBefore := infoField(t, c, "evicted_keys")
			// Keys without a TTL, then hot keys, then the load.
			var cmds [][]string
			for i := range persistent {
				cmds = append(cmds, []string{"SET", "p:" + strconv.Itoa(i), value})
			}
			for i := range hot {
				cmds = append(cmds, []string{"SET", "h:" + strconv.Itoa(i), value, "EX", "100000"})
			}
			pipeline(t, c, cmds)
			ttl := func(i int) int { return 1000 + (i*7919)%99000 } // spread, not ordered by i
			peak, oom := int64(0), 0
			for i := 0; i < writes; i += batch {
				cmds = cmds[:0]
				for j := i; j < i+batch; j++ {
					cmds = append(cmds, []string{"SET", "k:" + strconv.Itoa(j), value, "EX", strconv.Itoa(ttl(j))})
				}
				if i%(batch*5) == 0 {
					// Touch the hot keys: recently for LRU, often for LFU.
					for h := range hot {
						cmds = append(cmds, []string{"GET", "h:" + strconv.Itoa(h)})
					}
				}
				for _, v := range pipeline(t, c, cmds) {
					if v.kind == '-' {
						if !strings.HasPrefix(v.str, "OOM ") {
							t.Fatalf("write error: %v", v)
						}
						oom++
					}
				}
				peak = max(peak, infoField(t, c, "used_memory"))
			}
			evicted := infoField(t, c, "evicted_keys") - evictedBefore
			t.Logf("%s: maxmemory %d, peak used_memory %d (%.2f%% of maxmemory), %d evicted, %d OOM errors",
				policy, limit, peak, float64(peak)*100/float64(limit), evicted, oom)
			if peak > limit+limit/20 {
				t.Errorf("used_memory reached %d, more than 5%% over maxmemory %d", peak, limit)
			}
			if policy == "noeviction" {
				if oom == 0 || evicted != 0 {
					t.Errorf("noeviction: %d OOM errors, %d evicted", oom, evicted)
				}
				if v, _ := c.do("GET", "p:0"); v.kind != '$' || v.null {
					t.Errorf("GET under noeviction: %v", v)
				}
				return
			}
			if evicted == 0 || oom != 0 {
				t.Fatalf("%d evicted, %d OOM errors", evicted, oom)
			}
			exists := func(prefix string, from, to int) (n int) {
				cmds = cmds[:0]
				for i := from; i < to; i++ {
					cmds = append(cmds, []string{"EXISTS", prefix + strconv.Itoa(i)})
				}
				for _, v := range pipeline(t, c, cmds) {
					if v.str == "1" {
						n++
					}
				}
				return n
			}
			pKept, hKept := exists("p:", 0, persistent), exists("h:", 0, hot)
			early := exists("k:", 0, writes/4)
			t.Logf("%s: kept %d/%d keys without TTL, %d/%d hot keys, %d/%d of the first quarter written",
				policy, pKept, persistent, hKept, hot, early, writes/4)
			if volatile && pKept != persistent {
				t.Errorf("%s evicted %d keys without a TTL", policy, persistent-pKept)
			}
			switch policy {
			case "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu":
				// The hot keys are used all along and the first written
				// never again: the first go, the hot ones stay.
				if hKept < hot*9/10 || early > writes/4/10 {
					t.Errorf("%s kept %d/%d hot keys and %d/%d early keys", policy, hKept, hot, early, writes/4)
				}
			case "allkeys-random", "volatile-random":
				// Random victims: some early keys survive, some hot
				// keys go.
				if early == 0 || hKept == hot {
					t.Errorf("%s: %d early keys kept, %d/%d hot keys kept: not random", policy, early, hKept, hot)
				}
			case "volatile-ttl":
				// Survivors have longer TTLs than the keys written.
				var sumAll, sumKept, kept float64
				cmds = cmds[:0]
				for i := range writes {
					cmds = append(cmds, []string{"EXISTS", "k:" + strconv.Itoa(i)})
					sumAll += float64(ttl(i))
				}
				for i, v := range pipeline(t, c, cmds) {
					if v.str == "1" {
						sumKept += float64(ttl(i))
						kept++
					}
				}
				meanAll, meanKept := sumAll/writes, sumKept/kept
				t.Logf("volatile-ttl: mean TTL written %.0f s, kept %.0f s", meanAll, meanKept)
				if meanKept < meanAll*1.3 {
					t.Errorf("volatile-ttl kept keys of mean TTL %.0f s against %.0f s written", meanKept, meanAll)
				}
			}
		})
	}
	pipeline(t, c, [][]string{{"CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction"}, {"FLUSHALL"}})
}
