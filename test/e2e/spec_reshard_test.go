package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// reshardTimeout bounds one change of numShards, from the patch to the
// Cluster Available again with the slots spread.
const reshardTimeout = 6 * time.Minute

// TestReshardUnderLoad scales a Cluster of 2 shards of a primary and a
// replica to 3 shards and back to 2 by changing numShards, while a
// go-redis ClusterClient writes and reads: the operator creates the new
// Shard, moves slots to it one move at a time, then moves them back and
// deletes the emptied Shard. Afterwards every acknowledged write reads
// back with its latest value; the errors the client saw (redirects it
// followed do not count) are reported, target 0; and the existing data
// pods never restart (--cluster-shards does not follow numShards).
func TestReshardUnderLoad(t *testing.T) {
	e := suite(t)
	const spec = "2x(1+1) → 3 → 2: reshard under load"
	ns := e.namespace(t, "e2e-reshard")
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "reshard"
	c.Spec.NumShards = 2
	c.Spec.NumReplicasPerShard = 1
	c.Spec.NodeType = "db.dev.micro" // six data pods must fit next to the log
	record(spec, "time to Available", e.createAvailable(t, ns, c))
	before := e.dataPodUIDs(t, ns, c)

	w := newReshardLoad(e, ns, c)
	defer w.cc.Close()
	waitFor(t, "the ClusterClient to write", time.Minute, func() (bool, error) {
		err := w.cc.Set(context.Background(), "hello", "1", 0).Err()
		return err == nil, err
	})
	const filler = 5000
	w.preload(t, filler)
	stop := make(chan struct{})
	wg := w.run(stop)

	for _, n := range []int32{3, 2} {
		from := c.Spec.NumShards
		took := e.reshard(t, c, n)
		record(spec, fmt.Sprintf("numShards %d → %d, patch to Available", from, n), took)
		t.Logf("numShards %d → %d took %v; client so far: %d operations, %d errors", from, n, took.Round(time.Millisecond), w.ops.Load(), w.errs.Load())
	}
	close(stop)
	wg.Wait()

	lost := w.check(t)
	for i := range filler {
		if v, err := w.cc.Get(context.Background(), "fill:"+strconv.Itoa(i)).Result(); err != nil || len(v) != 100 {
			t.Errorf("fill:%d after resharding: %d bytes, %v", i, len(v), err)
			break
		}
	}
	t.Logf("client: %d operations, %d client-visible errors %q, %d stale reads, %d keys lost", w.ops.Load(), w.errs.Load(), w.samples(), w.stale.Load(), lost)
	if n := w.errs.Load(); n != 0 {
		t.Errorf("%d client-visible errors during resharding (target 0): %q", n, w.samples())
	}
	if n := w.stale.Load(); n != 0 {
		t.Errorf("%d reads did not see the write acknowledged just before", n)
	}
	after := e.dataPodUIDs(t, ns, c)
	for name, uid := range before {
		if after[name] != uid {
			t.Errorf("pod %s was replaced during resharding (uid %s → %s): numShards must not roll the nodes", name, uid, after[name])
		}
	}
}

// reshard sets numShards to n and waits until the Cluster reports the
// change done: Available, the status for this generation, no resharding
// pending, n Shards, and the live slot map over exactly shards 0…n-1.
// It logs what the status showed on the way.
func (e *env) reshard(t *testing.T, c *mnemov1.Cluster, n int32) time.Duration {
	t.Helper()
	ctx := context.Background()
	key := client.ObjectKeyFromObject(c)
	for {
		if err := e.c.Get(ctx, key, c); err != nil {
			t.Fatal(err)
		}
		c.Spec.NumShards = n
		err := e.c.Update(ctx, c)
		if err == nil {
			break
		}
		if !apierrors.IsConflict(err) {
			t.Fatalf("cannot set numShards to %d: %v", n, err)
		}
	}
	gen := c.Generation
	var seenUpdating bool
	var last string
	took := waitFor(t, fmt.Sprintf("Cluster %s resharded to %d shards", c.Name, n), reshardTimeout, func() (bool, error) {
		if err := e.c.Get(ctx, key, c); err != nil {
			return false, err
		}
		r := c.Status.PendingUpdates.GetResharding()
		if c.Status.Phase == mnemov1.ClusterUpdating {
			seenUpdating = true
		}
		if r != nil {
			line := fmt.Sprintf("phase %s, %d%% (%d/%d slots), waiting %q", c.Status.Phase, r.ProgressPercent, r.SlotsMoved, r.SlotsToMove, r.Waiting)
			if m := r.CurrentMove; m != nil {
				line += fmt.Sprintf(", moving %s (%d slots) %d→%d: %s", m.Slots, m.SlotCount, m.FromShard, m.ToShard, m.State)
			}
			if line != last {
				t.Logf("resharding: %s", line)
				last = line
			}
			return false, errors.New(line)
		}
		if c.Status.ObservedGeneration < gen || c.Status.Phase != mnemov1.ClusterAvailable {
			return false, fmt.Errorf("phase %s, observed generation %d of %d", c.Status.Phase, c.Status.ObservedGeneration, gen)
		}
		var shards mnemov1.ShardList
		if err := e.c.List(ctx, &shards, client.InNamespace(c.Namespace)); err != nil {
			return false, err
		}
		if len(shards.Items) != int(n) {
			return false, fmt.Errorf("%d Shards", len(shards.Items))
		}
		var owners []string
		for _, s := range c.Status.Shards {
			if s.Slots != "" {
				owners = append(owners, s.Name)
			}
		}
		if len(owners) != int(n) {
			return false, fmt.Errorf("shards owning slots: %v", owners)
		}
		return true, nil
	})
	if !seenUpdating {
		t.Logf("the Cluster was not seen Updating (the change may have been quicker than the polling)")
	}
	for _, s := range c.Status.Shards {
		t.Logf("after numShards=%d: %s owns %s", n, s.Name, s.Slots)
	}
	return took
}

// dataPodUIDs maps each data pod of the Cluster to its UID.
func (e *env) dataPodUIDs(t *testing.T, ns string, c *mnemov1.Cluster) map[string]string {
	t.Helper()
	var pods corev1.PodList
	if err := e.c.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{
		specs.LabelCluster: c.Name, specs.LabelComponent: specs.ComponentNode}); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range pods.Items {
		out[p.Name] = string(p.UID)
	}
	return out
}

// reshardLoad is the suite's ClusterClient load: writers that each own
// a few keys and write them over and over with growing values, reading
// each back after it is acknowledged. It remembers every key's last
// acknowledged value, and the value of a write whose outcome it does not
// know (it failed: it may still have happened).
type reshardLoad struct {
	cc *redis.ClusterClient

	mu         sync.Mutex
	acked      map[string]int // guarded by mu
	unknown    map[string]int // guarded by mu
	errSamples []string       // guarded by mu

	ops, errs, stale atomic.Int64
}

// newReshardLoad starts nothing yet: it connects the load's ClusterClient
// (see clusterClient).
func newReshardLoad(e *env, ns string, c *mnemov1.Cluster) *reshardLoad {
	return &reshardLoad{cc: clusterClient(e, ns, c), acked: map[string]int{}, unknown: map[string]int{}}
}

func (w *reshardLoad) fail(err error) {
	w.errs.Add(1)
	w.mu.Lock()
	if len(w.errSamples) < 10 {
		w.errSamples = append(w.errSamples, err.Error())
	}
	w.mu.Unlock()
}

func (w *reshardLoad) samples() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.errSamples...)
}

// preload writes n filler keys of 100 bytes, so that moves carry data.
func (w *reshardLoad) preload(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 500 {
		p := w.cc.Pipeline()
		for j := i; j < min(n, i+500); j++ {
			p.Set(ctx, "fill:"+strconv.Itoa(j), strings.Repeat("x", 100), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("preload: %v", err)
		}
	}
}

// run starts the writers; they stop when stop is closed.
func (w *reshardLoad) run(stop <-chan struct{}) *sync.WaitGroup {
	const writers, keys = 4, 64
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for seq := 1; ; seq++ {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond): // a steady load, not a benchmark
				}
				key := fmt.Sprintf("w%d:k%d", g, seq%keys)
				w.ops.Add(1)
				if err := w.cc.Set(ctx, key, seq, 0).Err(); err != nil {
					w.fail(fmt.Errorf("SET %s: %w", key, err))
					w.mu.Lock()
					w.unknown[key] = seq
					w.mu.Unlock()
					continue
				}
				w.mu.Lock()
				w.acked[key] = seq
				delete(w.unknown, key)
				w.mu.Unlock()
				w.ops.Add(1)
				v, err := w.cc.Get(ctx, key).Int()
				switch {
				case err != nil:
					w.fail(fmt.Errorf("GET %s: %w", key, err))
				case v != seq:
					w.stale.Add(1)
				}
			}
		}()
	}
	return &wg
}

// check reads every key written and compares it with its last
// acknowledged value (or the value of a later write that failed, which
// may have happened); it returns how many keys lost theirs.
func (w *reshardLoad) check(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	w.mu.Lock()
	defer w.mu.Unlock()
	lost := 0
	for key, want := range w.acked {
		got, err := w.cc.Get(ctx, key).Int()
		if err != nil || (got != want && got != w.unknown[key]) {
			lost++
			if lost <= 10 {
				t.Errorf("%s: %d %v, want its last acknowledged value %d", key, got, err, want)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d keys lost their last acknowledged value", lost, len(w.acked))
	}
	return lost
}
