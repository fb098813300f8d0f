//go:build linux

package failover

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// faultTime is how long the nemesis runs; the whole test takes about a
// minute more (start, settling, checking).
const faultTime = 60 * time.Second

// TestLinearizableUnderFaults runs GET/SET/INCR/CAS clients against a
// shard of three nodes while a nemesis SIGKILLs the primary, SIGSTOPs it
// for longer than its lease and SIGKILLs log servers, restarting each. The
// history must be linearizable and no acknowledged increment may be lost.
func TestLinearizableUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six processes and runs a minute of faults")
	}
	s := startShard(t)
	h := newHistory()
	registers := []string{"r{0}", "r{1}", "r{2}"}
	counters := []string{"n{0}", "n{1}"}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	const clients = 4
	for id := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{s: s, id: id}
			defer c.close()
			rng := rand.New(rand.NewPCG(uint64(id), 42))
			for n := 0; n < 100000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				switch p := rng.IntN(100); {
				case p < 30:
					k := registers[rng.IntN(len(registers))]
					c.run(h, opInput{op: opGet, key: k})
				case p < 50:
					k := registers[rng.IntN(len(registers))]
					c.run(h, opInput{op: opSet, key: k, val: fmt.Sprintf("c%d-%d", id, n)})
				case p < 65:
					c.runCAS(h, registers[rng.IntN(len(registers))], fmt.Sprintf("c%d-%d", id, n))
				case p < 85:
					c.run(h, opInput{op: opInc, key: counters[rng.IntN(len(counters))]})
				default:
					c.run(h, opInput{op: opGet, key: counters[rng.IntN(len(counters))]})
				}
				time.Sleep(time.Duration(2+rng.IntN(6)) * time.Millisecond)
			}
		}()
	}

	faults := nemesis(t, s, faultTime)
	// Let the shard settle and the clients see it whole again.
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()

	// Final reads, through whichever node is primary now. A read that
	// meets the shard still recovering from the last fault (a log server
	// just restarted, a leader being elected) is dropped from the history
	// unanswered; reads change nothing, so it is asked again until it is
	// answered, for up to a minute: what is checked is the state, and how
	// soon the shard serves again is the failover suite's to measure.
	fc := &client{s: s, id: clients}
	for _, k := range append(append([]string(nil), registers...), counters...) {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			n := len(h.ops)
			fc.run(h, opInput{op: opGet, key: k})
			if len(h.ops) > n || time.Now().After(deadline) {
				break
			}
		}
	}
	finals := map[string]string{}
	for _, op := range h.ops[len(h.ops)-len(registers)-len(counters):] {
		in, out := op.Input.(opInput), op.Output.(opOutput)
		if in.op == opGet && op.ClientId == clients && !out.unknown {
			finals[in.key] = out.val
		}
	}
	fc.close()

	lost := 0
	for _, k := range counters {
		final, _ := strconv.Atoi(finals[k])
		if a := h.ackedIncr[k]; final < a {
			lost += a - final
			t.Errorf("counter %s is %d after %d acknowledged increments: %d lost", k, final, a, a-final)
		} else if u := h.unknownIncr[k]; final > a+u {
			t.Errorf("counter %s is %d, more than %d acknowledged + %d unknown increments", k, final, a, u)
		}
	}
	t.Logf("faults: %v", faults)
	t.Logf("history: %d operations, %d acknowledged writes, %d unknown outcomes, %d dropped (refused or unanswered reads), %d refusals retried; acknowledged writes lost: %d",
		len(h.ops), h.acked, h.unknown, h.dropped, h.refusals, lost)
	if len(finals) != len(registers)+len(counters) {
		t.Errorf("final reads: got %d of %d answers", len(finals), len(registers)+len(counters))
	}

	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(kvModel, h.ops, 90*time.Second)
	t.Logf("porcupine: %s in %v", res, time.Since(start).Round(time.Millisecond))
	switch res {
	case porcupine.Illegal:
		path := filepath.Join(os.Getenv("FAILOVER_ARTIFACTS"), "linearizability.html")
		if os.Getenv("FAILOVER_ARTIFACTS") == "" {
			path = filepath.Join(t.TempDir(), "linearizability.html")
		}
		if err := porcupine.VisualizePath(kvModel, info, path); err == nil {
			t.Logf("visualization: %s", path)
		}
		t.Fatal("the history is not linearizable")
	case porcupine.Unknown:
		t.Fatal("porcupine could not decide within its time limit")
	}
}

// nemesis breaks the shard for d: in turn it SIGKILLs the primary,
// SIGSTOPs it for twice its lease, and SIGKILLs a log server, restarting
// each after a while, with a quiet moment between faults. It returns what
// it did.
func nemesis(t *testing.T, s *shard, d time.Duration) []string {
	var did []string
	rng := rand.New(rand.NewPCG(7, 7))
	start := time.Now()
	for i := 0; i < 100 && time.Since(start) < d; i++ {
		time.Sleep(2 * time.Second)
		switch i % 3 {
		case 0:
			p := s.primary()
			if p < 0 {
				did = append(did, "no primary to kill")
				continue
			}
			s.nodes[p].Kill()
			did = append(did, "kill node"+strconv.Itoa(p))
			time.Sleep(2 * leaseTTL)
			s.nodes[p].Start()
		case 1:
			p := s.primary()
			if p < 0 {
				did = append(did, "no primary to pause")
				continue
			}
			s.nodes[p].Stop()
			did = append(did, "pause node"+strconv.Itoa(p))
			time.Sleep(2 * leaseTTL)
			s.nodes[p].Signal(syscall.SIGCONT)
		case 2:
			l := rng.IntN(len(s.logs))
			s.logs[l].Kill()
			did = append(did, "kill log"+strconv.Itoa(l))
			time.Sleep(3 * time.Second)
			s.logs[l].Start()
		}
	}
	return did
}
