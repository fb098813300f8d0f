package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// TestDayTwoFlows runs the changes a Cluster lives through after its
// creation, one after the other on one Cluster of one shard, each under a
// go-redis ClusterClient's writes from inside the cluster (mnemo check)
// whose every acknowledged write is read back afterwards:
//
//  1. a replica added (1+1 → 1+2);
//  2. a new node type rolled out: replicas first, one at a time, the
//     primary last after a planned handoff, with no client error;
//  3. a manual failover asked through the kubectl plugin, and the plugin's
//     status of the live Cluster;
//  4. the replica removed again (1+2 → 1+1) while it is the primary: it
//     hands over first;
//  5. a ParameterGroup change, applied live on every node, no pod
//     restarted;
//  6. a Snapshot of it; then a new Cluster with an ACL whose User's
//     password is rotated with two passwords.
//
// One Cluster keeps the suite short; each flow starts from the state the
// one before it left, and checks that state first.
func TestDayTwoFlows(t *testing.T) {
	e := suite(t)
	const spec = "day two (1 shard)"
	ns := e.namespace(t, "e2e-daytwo")
	ctx := context.Background()
	pluginBin := buildPlugin(t.TempDir())

	pg := &mnemov1.ParameterGroup{
		ObjectMeta: metav1.ObjectMeta{Name: "daytwo", Namespace: ns},
		Spec:       mnemov1.ParameterGroupSpec{Parameters: map[string]string{"slowlog-max-len": "128"}},
	}
	if err := e.c.Create(ctx, pg); err != nil {
		t.Fatal(err)
	}
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "daytwo"
	c.Spec.NumReplicasPerShard = 1
	// db.t4g.small (250m of CPU each) first, then down to db.dev.micro
	// (50m): three nodes of the larger type and the log fit the local
	// node's 2 CPUs, and after the change the restored Cluster does too.
	c.Spec.NodeType = "db.t4g.small"
	c.Spec.ParameterGroupName = pg.Name
	record(spec, "time to Available", e.createAvailable(t, ns, c))
	shard := c.ShardName(0)
	pod := func(i int) string { return fmt.Sprintf("%s-%d", shard, i) }

	ok := t.Run("add a replica", func(t *testing.T) {
		start := time.Now()
		l := e.startLoad(t, c, "add-replica", 3*time.Minute)
		e.updateCluster(t, c, func(c *mnemov1.Cluster) { c.Spec.NumReplicasPerShard = 2 })
		e.waitSettled(t, c, 3*time.Minute)
		e.waitStatefulSetReady(t, ns, shard, time.Minute)
		waitFor(t, "the new replica to report as a replica", time.Minute, func() (bool, error) {
			var s mnemov1.Shard
			if err := e.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: shard}, &s); err != nil {
				return false, err
			}
			for _, n := range s.Status.Nodes {
				if n.Name == pod(2) {
					return n.Role == mnemov1.RoleReplica && n.Ready, fmt.Errorf("%s: %s, ready %v", n.Name, n.Role, n.Ready)
				}
			}
			return false, fmt.Errorf("no %s in the Shard's status", pod(2))
		})
		record(spec, "1: replica added (1+1 → 1+2), Available", time.Since(start))
		requireNoLoss(t, e.stopLoad(t, l))
	})

	ok = ok && t.Run("roll a new node type", func(t *testing.T) {
		primary := e.primaryOf(t, ns, shard, 3, c.ClientPort())
		before := e.podStates(t, c)
		start := time.Now()
		l := e.startLoad(t, c, "node-type", 5*time.Minute)
		w := e.watchRollout(c, before)
		e.updateCluster(t, c, func(c *mnemov1.Cluster) { c.Spec.NodeType = "db.dev.micro" })
		waitFor(t, "every node to be replaced on db.dev.micro", 5*time.Minute, func() (bool, error) {
			pods := e.dataPods(t, c)
			if len(pods) != 3 {
				return false, fmt.Errorf("%d pods", len(pods))
			}
			for _, p := range pods {
				if string(p.UID) == before[p.Name].uid || p.Annotations[specs.AnnotationNodeType] != "db.dev.micro" || !podIsReady(&p) {
					return false, fmt.Errorf("pod %s not yet replaced and ready", p.Name)
				}
			}
			return true, nil
		})
		e.waitSettled(t, c, 2*time.Minute)
		order, maxDown, phases := w.stop()
		record(spec, "2: node type rolled (3 nodes), Available", time.Since(start))
		t.Logf("rollout order: %v (primary before: %s); most nodes down at once: %d; Cluster phases: %v", order, primary, maxDown, phases)
		if slices.Contains(phases, mnemov1.ClusterCreating) {
			t.Errorf("the Cluster went through phases %v during the rollout: a Cluster that served is not Creating again", phases)
		}
		if len(order) != 3 || order[2] != primary {
			t.Errorf("pods replaced in the order %v; want the replicas first and the primary %s last", order, primary)
		}
		if maxDown > 1 {
			t.Errorf("%d nodes of the shard were down at once; the rollout goes one at a time", maxDown)
		}
		if now := e.primaryOf(t, ns, shard, 3, c.ClientPort()); now == primary {
			t.Errorf("the primary is still %s: it was restarted without handing over first", now)
		}
		r := e.stopLoad(t, l)
		requireNoLoss(t, r)
		if r.Failed != 0 {
			t.Errorf("%d writes failed during the rollout (first: %q); a planned handoff fails none", r.Failed, r.FirstError)
		}
	})

	ok = ok && t.Run("failover through the plugin", func(t *testing.T) {
		bin := pluginBin(t)
		target := pod(2)
		if e.primaryOf(t, ns, shard, 3, c.ClientPort()) == target {
			target = pod(1)
		}
		l := e.startLoad(t, c, "failover", 3*time.Minute)
		start := time.Now()
		out, err := plugin(t, bin, "failover", c.Name, "0", "--to", target, "-n", ns)
		took := time.Since(start)
		t.Logf("kubectl mnemo failover:\n%s", out)
		if err != nil {
			t.Fatalf("kubectl mnemo failover: %v", err)
		}
		record(spec, "3: kubectl mnemo failover --to (its run)", took)
		if !strings.Contains(out, "→ "+target) {
			t.Errorf("the plugin did not report the handover to %s", target)
		}
		if now := e.primaryOf(t, ns, shard, 3, c.ClientPort()); now != target {
			t.Errorf("the primary is %s after a failover to %s", now, target)
		}
		r := e.stopLoad(t, l)
		requireNoLoss(t, r)
		record(spec, "3: longest write gap during the failover", r.LongestGap)

		e.waitSettled(t, c, time.Minute)
		// The Shard's nodes come from the operator's next look at them.
		waitFor(t, "the Shard's status to show "+target+" as primary", time.Minute, func() (bool, error) {
			var s mnemov1.Shard
			if err := e.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: shard}, &s); err != nil {
				return false, err
			}
			for _, n := range s.Status.Nodes {
				if n.Name == target {
					return n.Role == mnemov1.RolePrimary && s.Status.ReadyNodes == 3, fmt.Errorf("%s: %s; %d ready", n.Name, n.Role, s.Status.ReadyNodes)
				}
			}
			return false, fmt.Errorf("no %s in the Shard's status", target)
		})
		out, err = plugin(t, bin, "status", c.Name, "-n", ns, "--events", "8")
		t.Logf("kubectl mnemo status:\n%s", out)
		if err != nil {
			t.Fatalf("kubectl mnemo status: %v", err)
		}
		for _, want := range []string{
			fmt.Sprintf("Cluster %s/%s: Available", ns, c.Name),
			fmt.Sprintf("Endpoint:   %s.%s.svc:6379", c.Name, ns),
			"Node type:  db.dev.micro, 1 shard(s) × (1 primary + 2 replica(s))",
			fmt.Sprintf("%s primary", target),
			"3/3",
			"FailoverCompleted",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("kubectl mnemo status lacks %q", want)
			}
		}
		// The example in docs/operations.md comes from here.
		_ = os.WriteFile(filepath.Join(repoRoot(), "bin", "e2e-status-example.txt"), []byte(out), 0o644)
	})

	ok = ok && t.Run("remove the replica that is primary", func(t *testing.T) {
		// The failover above left the primary on a node to keep or to
		// remove; put it on the one to remove, the case that needs care.
		if e.primaryOf(t, ns, shard, 3, c.ClientPort()) != pod(2) {
			if out, err := plugin(t, pluginBin(t), "failover", c.Name, "0", "--to", pod(2), "-n", ns); err != nil {
				t.Fatalf("kubectl mnemo failover --to %s: %v\n%s", pod(2), err, out)
			}
		}
		start := time.Now()
		l := e.startLoad(t, c, "remove-replica", 3*time.Minute)
		// The last role the removed node answered before it was deleted.
		lastRole := make(chan string, 1)
		go func() {
			role := ""
			for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				p, err := e.pod(ns, pod(2))
				if err != nil || p.DeletionTimestamp != nil {
					break
				}
				if v, err := nodeDo(p.Status.PodIP, c.ClientPort(), "", "", "ROLE"); err == nil {
					if s, ok := v.([]any); ok && len(s) > 0 {
						role = fmt.Sprint(s[0])
					}
				}
			}
			lastRole <- role
		}()
		e.updateCluster(t, c, func(c *mnemov1.Cluster) { c.Spec.NumReplicasPerShard = 1 })
		waitFor(t, "pod "+pod(2)+" to be removed", 3*time.Minute, func() (bool, error) {
			_, err := e.pod(ns, pod(2))
			return client.IgnoreNotFound(err) == nil && err != nil, nil
		})
		e.waitSettled(t, c, 2*time.Minute)
		record(spec, "4: replica that was primary removed (1+2 → 1+1)", time.Since(start))
		if role := <-lastRole; role != "slave" {
			t.Errorf("the removed node last answered ROLE %q before its deletion; it must have handed over (slave)", role)
		}
		if p := e.primaryOf(t, ns, shard, 2, c.ClientPort()); p == pod(2) {
			t.Errorf("primary %s", p)
		}
		r := e.stopLoad(t, l)
		requireNoLoss(t, r)
		t.Logf("writes failed while the primary's node was removed: %d", r.Failed)
	})

	ok = ok && t.Run("change parameters live", func(t *testing.T) {
		before := e.podStates(t, c)
		start := time.Now()
		l := e.startLoad(t, c, "parameters", 2*time.Minute)
		if err := e.c.Get(ctx, client.ObjectKeyFromObject(pg), pg); err != nil {
			t.Fatal(err)
		}
		pg.Spec.Parameters = map[string]string{"slowlog-max-len": "256", "maxmemory-policy": "allkeys-lru"}
		if err := e.c.Update(ctx, pg); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the Cluster to apply the new parameters", 2*time.Minute, func() (bool, error) {
			if err := e.c.Get(ctx, client.ObjectKeyFromObject(c), c); err != nil {
				return false, err
			}
			ap := c.Status.AppliedParameters
			return ap != nil && ap.Generation == pg.Generation, fmt.Errorf("applied %+v, group generation %d", ap, pg.Generation)
		})
		for _, p := range e.dataPods(t, c) {
			for name, want := range pg.Spec.Parameters {
				got, err := configGet(p.Status.PodIP, c.ClientPort(), name)
				if err != nil || got != want {
					t.Errorf("CONFIG GET %s on %s: %q %v; want %q", name, p.Name, got, err, want)
				}
			}
		}
		record(spec, "5: parameter group applied on every node", time.Since(start))
		if after := e.podStates(t, c); !maps.Equal(before, after) {
			t.Errorf("pods (UID, restarts) before the change %v, after %v: a live change restarts nothing", before, after)
		}
		requireNoLoss(t, e.stopLoad(t, l))
	})

	if ok {
		e.snapshotAndRotate(t, spec, c)
	}
}

// snapshotAndRotate snapshots src (whose loads have all ended), then
// makes a Cluster with an ACL and rotates its User's password with two
// passwords.
func (e *env) snapshotAndRotate(t *testing.T, spec string, src *mnemov1.Cluster) {
	ctx := context.Background()
	ns := src.Namespace
	start := time.Now()
	snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "daytwo-snap", Namespace: ns}, Spec: mnemov1.SnapshotSpec{ClusterName: src.Name}}
	if err := e.c.Create(ctx, snap); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Snapshot "+snap.Name+" to be Available", 3*time.Minute, func() (bool, error) {
		if err := e.c.Get(ctx, client.ObjectKeyFromObject(snap), snap); err != nil {
			return false, err
		}
		if snap.Status.Phase == mnemov1.SnapshotFailed {
			t.Fatalf("Snapshot %s failed: %+v", snap.Name, snap.Status.Conditions)
		}
		return snap.Status.Phase == mnemov1.SnapshotAvailable, fmt.Errorf("phase %q", snap.Status.Phase)
	})
	record(spec, "6: Snapshot Available", time.Since(start))
	// (status.shards[].logSequence and size are not filled in by the
	// operator yet.)
	if len(snap.Status.Shards) != 1 || !snap.Status.Shards[0].Done {
		t.Errorf("Snapshot shards %+v; want shard 0 done", snap.Status.Shards)
	}

	// A Cluster with an ACL: one User, app, with one password to start
	// with. (It was to be restored from the Snapshot, holding the same
	// data; the operator does not pass spec.restoreFrom to the nodes yet
	// — docs/snapshots.md — and the JetStream snapshot store is the
	// source Cluster's own log, which a new Cluster cannot read.)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "app-passwords", Namespace: ns},
		StringData: map[string]string{"old": "e2e-old-password", "new": "e2e-new-password"},
	}
	ref := func(key string) corev1.SecretKeySelector {
		return corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret.Name}, Key: key}
	}
	user := &mnemov1.User{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: mnemov1.UserSpec{AccessString: "on ~* &* +@all", Authentication: mnemov1.UserAuthentication{
			Type: mnemov1.AuthPassword, PasswordSecretRefs: []corev1.SecretKeySelector{ref("old")}}},
	}
	acl := &mnemov1.ACL{ObjectMeta: metav1.ObjectMeta{Name: "app-only", Namespace: ns}, Spec: mnemov1.ACLSpec{UserNames: []string{"app"}}}
	for _, o := range []client.Object{secret, user, acl} {
		if err := e.c.Create(ctx, o); err != nil {
			t.Fatalf("cannot create %s: %v", o.GetName(), err)
		}
	}
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "rotation"
	c.Spec.NumReplicasPerShard = 0
	c.Spec.NodeType = "db.dev.micro"
	c.Spec.ACLName = acl.Name
	start = time.Now()
	e.createAvailable(t, ns, c)
	node := e.dataPods(t, c)
	if len(node) != 1 {
		t.Fatalf("%d data pods in a Cluster of one node", len(node))
	}
	ip := node[0].Status.PodIP
	record(spec, "6: Cluster with an ACL Available", time.Since(start))
	if _, err := nodeDo(ip, c.ClientPort(), "", "", "SET", "k", "v"); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Errorf("a client without credentials: %v; want NOAUTH", err)
	}

	// Password rotation: both passwords, then the new one only.
	auth := func(password string) error {
		_, err := nodeDo(ip, c.ClientPort(), "app", password, "SET", "rotation:"+password, "1")
		return err
	}
	setPasswords := func(keys ...string) {
		if err := e.c.Get(ctx, client.ObjectKeyFromObject(user), user); err != nil {
			t.Fatal(err)
		}
		user.Spec.Authentication.PasswordSecretRefs = nil
		for _, k := range keys {
			user.Spec.Authentication.PasswordSecretRefs = append(user.Spec.Authentication.PasswordSecretRefs, ref(k))
		}
		if err := e.c.Update(ctx, user); err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	setPasswords("old", "new")
	waitFor(t, "the new password to be accepted", 4*time.Minute, func() (bool, error) {
		err := auth("e2e-new-password")
		return err == nil, err
	})
	if err := auth("e2e-old-password"); err != nil {
		t.Errorf("during the rotation the old password is refused: %v", err)
	}
	record(spec, "6: second password accepted (both work)", time.Since(start))
	start = time.Now()
	setPasswords("new")
	waitFor(t, "the old password to be refused", 4*time.Minute, func() (bool, error) {
		err := auth("e2e-old-password")
		if err != nil && !strings.HasPrefix(err.Error(), "WRONGPASS") {
			return false, err
		}
		return err != nil, nil
	})
	if err := auth("e2e-new-password"); err != nil {
		t.Errorf("after the rotation the new password is refused: %v", err)
	}
	record(spec, "6: old password refused (rotation done)", time.Since(start))
}

// rolloutWatch follows a Cluster's data pods while they roll: the order in
// which they were taken down and the most that were down at once.
type rolloutWatch struct {
	mu      sync.Mutex
	order   []string
	maxDown int
	// phases are the Cluster's phases seen, in order, without repeats.
	phases []mnemov1.ClusterPhase
	done   chan struct{}
	ended  chan struct{}
}

// watchRollout starts following c's pods, which before holds.
func (e *env) watchRollout(c *mnemov1.Cluster, before map[string]podState) *rolloutWatch {
	w := &rolloutWatch{done: make(chan struct{}), ended: make(chan struct{})}
	names := slices.Sorted(maps.Keys(before))
	go func() {
		defer close(w.ended)
		for {
			select {
			case <-w.done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			var pods corev1.PodList
			if err := e.c.List(context.Background(), &pods, client.InNamespace(c.Namespace), client.MatchingLabels{
				specs.LabelCluster: c.Name, specs.LabelComponent: specs.ComponentNode}); err != nil {
				continue
			}
			var cl mnemov1.Cluster
			if err := e.c.Get(context.Background(), client.ObjectKeyFromObject(c), &cl); err == nil {
				w.mu.Lock()
				if n := len(w.phases); n == 0 || w.phases[n-1] != cl.Status.Phase {
					w.phases = append(w.phases, cl.Status.Phase)
				}
				w.mu.Unlock()
			}
			byName := map[string]*corev1.Pod{}
			for i := range pods.Items {
				byName[pods.Items[i].Name] = &pods.Items[i]
			}
			down := 0
			w.mu.Lock()
			for _, name := range names {
				p := byName[name]
				taken := p == nil || p.DeletionTimestamp != nil || string(p.UID) != before[name].uid
				if taken && !slices.Contains(w.order, name) {
					w.order = append(w.order, name)
				}
				if p == nil || p.DeletionTimestamp != nil || !podIsReady(p) {
					down++
				}
			}
			w.maxDown = max(w.maxDown, down)
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *rolloutWatch) stop() ([]string, int, []mnemov1.ClusterPhase) {
	close(w.done)
	<-w.ended
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.order, w.maxDown, w.phases
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
