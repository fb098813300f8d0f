package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// snapshotTimeout bounds a Snapshot from its creation to Available.
const snapshotTimeout = 5 * time.Minute

// TestRestoreFromSnapshot restores a Cluster's Snapshot into new Clusters
// on the real local Kubernetes: a Cluster of 2 shards is filled by a
// go-redis ClusterClient (strings, hashes, keys with a TTL), a Snapshot of
// it is taken, and two Clusters are created from it in turn, one of 2
// shards (a primary and a replica each, both restoring at once) and one of
// 3 shards (the restore splits by slot). Each must hold exactly the
// source's keys and values, every key compared, and no other key (not
// the one written after the snapshot). Then the source Cluster is
// deleted: a restored node restarts without it (the restore happens
// once), the other pods never rolled, and a new Cluster restoring from
// the Snapshot says, in its Degraded condition, that the snapshot's data
// went with its Cluster. In between, a Cluster restored to a point in time
// after the Snapshot holds exactly the writes before that time.
func TestRestoreFromSnapshot(t *testing.T) {
	e := suite(t)
	const spec = "restore from a Snapshot"
	flow := time.Now()
	ns := e.namespace(t, "e2e-restore")
	ctx := context.Background()
	cluster := func(name string, shards, replicas int32) *mnemov1.Cluster {
		c := sample(t, "cluster_minimal.yaml")
		c.Name = name
		c.Spec.NumShards = shards
		c.Spec.NumReplicasPerShard = replicas
		c.Spec.NodeType = "db.dev.micro"
		return c
	}

	src := cluster("source", 2, 0)
	record(spec, "source Cluster (2 shards) to Available", e.createAvailable(t, ns, src))
	want := restoreData()
	cc := clusterClient(e, ns, src)
	waitFor(t, "the ClusterClient to write", time.Minute, func() (bool, error) {
		err := cc.Set(ctx, "probe", "1", 0).Err()
		return err == nil, err
	})
	if err := cc.Del(ctx, "probe").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	want.write(t, cc)
	record(spec, fmt.Sprintf("write %d keys with a ClusterClient", want.count()), time.Since(start))
	want.compare(t, "source", cc)
	cc.Close()

	snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "before-copy", Namespace: ns},
		Spec: mnemov1.SnapshotSpec{ClusterName: src.Name}}
	if err := e.c.Create(ctx, snap); err != nil {
		t.Fatal(err)
	}
	record(spec, "Snapshot to Available", waitFor(t, "Snapshot "+snap.Name+" to be Available", snapshotTimeout, func() (bool, error) {
		if err := e.c.Get(ctx, client.ObjectKeyFromObject(snap), snap); err != nil {
			return false, err
		}
		if snap.Status.Phase == mnemov1.SnapshotFailed {
			t.Fatalf("Snapshot failed: %+v", snap.Status.Conditions)
		}
		return snap.Status.Phase == mnemov1.SnapshotAvailable, fmt.Errorf("phase %q", snap.Status.Phase)
	}))
	t.Logf("Snapshot %s: shards %+v", snap.Name, snap.Status.Shards)
	// Written after the snapshot: a restore must not have it.
	cc = clusterClient(e, ns, src)
	if err := cc.Set(ctx, "after-snapshot", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cc.Close()

	// A point in time after the snapshot: the writes before it are there,
	// the overwrites and deletions after it are not.
	pitWant := restorePointInTime(t, e, ns, src, snap)

	// One restore at a time: three Clusters' log servers do not fit on
	// the two cores next to each other.
	restore := func(c *mnemov1.Cluster) {
		t.Helper()
		c.Spec.RestoreFrom = &mnemov1.RestoreSource{SnapshotName: snap.Name}
		record(spec, fmt.Sprintf("restore into %d shards (1+%d): create to Available", c.Spec.NumShards, c.Spec.NumReplicasPerShard),
			e.createAvailable(t, ns, c))
		if r := c.Status.Restore; r == nil || r.SourceCluster != src.Name || len(r.Sources) != 2 {
			t.Errorf("%s: status.restore %+v", c.Name, r)
		}
		cc := clusterClient(e, ns, c)
		defer cc.Close()
		waitFor(t, "the ClusterClient to read "+c.Name, time.Minute, func() (bool, error) {
			err := cc.Get(ctx, "s:0").Err()
			return err == nil, err
		})
		start := time.Now()
		want.compare(t, c.Name, cc)
		t.Logf("%s: %d keys compared in %v", c.Name, want.count(), time.Since(start).Round(time.Millisecond))
	}
	same := cluster("same-shards", 2, 1)
	restore(same)
	if err := e.c.Delete(ctx, same); err != nil {
		t.Fatal(err)
	}
	e.waitClusterGone(t, ns, same.Name)

	pit := cluster("pit", 1, 0)
	pit.Spec.RestoreFrom = &mnemov1.RestoreSource{SnapshotName: snap.Name, PointInTime: &pitWant.at}
	record(spec, "point-in-time restore into 1 shard: create to Available", e.createAvailable(t, ns, pit))
	if r := pit.Status.Restore; r == nil || r.SnapshotName != pit.PointInTimeSnapshotName() || r.SourceCluster != src.Name || len(r.Sources) != 2 {
		t.Errorf("%s: status.restore %+v", pit.Name, r)
	}
	cc = clusterClient(e, ns, pit)
	waitFor(t, "the ClusterClient to read "+pit.Name, time.Minute, func() (bool, error) {
		err := cc.Get(ctx, "s:0").Err()
		return err == nil, err
	})
	pitWant.data.compare(t, pit.Name+" (point in time)", cc)
	cc.Close()
	if err := e.c.Delete(ctx, pit); err != nil {
		t.Fatal(err)
	}
	e.waitClusterGone(t, ns, pit.Name)
	waitFor(t, "the point-in-time Snapshot to go with its Cluster", time.Minute, func() (bool, error) {
		err := e.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: pit.PointInTimeSnapshotName()}, &mnemov1.Snapshot{})
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Errorf("still there (%v)", err)
	})

	c := cluster("three-shards", 3, 0)
	restore(c)
	uids := e.restorePodUIDs(t, ns, c)

	// The source goes; its log, which held the snapshot, goes with it.
	if err := e.c.Delete(ctx, src); err != nil {
		t.Fatal(err)
	}
	e.waitClusterGone(t, ns, src.Name)

	// A restored node restarts without its source: it has data, so it
	// does not restore again.
	victim := c.ShardName(0) + "-0"
	old := e.killPod(t, ns, victim)
	record(spec, "restored node restarted after the source is gone", e.waitReplaced(t, ns, victim, old, 3*time.Minute))
	e.waitAvailable(t, c)
	// Right after the restart some reads of the restarted shard were
	// seen answered MOVED to that same node for a moment (an engine
	// matter, not the restore's): wait until every key reads back, then
	// compare once more.
	cc = clusterClient(e, ns, c)
	var firstDiffs []string
	record(spec, "restarted shard serves every key again", waitFor(t, "every key of "+c.Name+" to read back", 2*time.Minute, func() (bool, error) {
		diffs := want.differences(cc)
		if firstDiffs == nil {
			firstDiffs = diffs
		}
		if len(diffs) > 0 {
			return false, fmt.Errorf("%d differences, first %s", len(diffs), diffs[0])
		}
		return true, nil
	}))
	if len(firstDiffs) > 0 {
		t.Logf("first read-back after the restart: %d differences, first %s", len(firstDiffs), firstDiffs[0])
	}
	want.compare(t, c.Name+" after a node restarted", cc)
	cc.Close()
	now := e.restorePodUIDs(t, ns, c)
	for pod, uid := range uids {
		if pod != victim && now[pod] != uid {
			t.Errorf("pod %s was replaced (uid %s → %s): the restore flags must not roll the nodes", pod, uid, now[pod])
		}
	}

	gone := cluster("too-late", 1, 0)
	gone.Namespace = ns
	gone.Spec.RestoreFrom = &mnemov1.RestoreSource{SnapshotName: snap.Name}
	if err := e.c.Create(ctx, gone); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Cluster too-late to say why it cannot restore", time.Minute, func() (bool, error) {
		if err := e.c.Get(ctx, client.ObjectKeyFromObject(gone), gone); err != nil {
			return false, err
		}
		d := meta.FindStatusCondition(gone.Status.Conditions, mnemov1.ConditionDegraded)
		ok := gone.Status.Phase == mnemov1.ClusterFailed && d != nil && d.Reason == mnemov1.ReasonSnapshotNotAvailable &&
			strings.Contains(d.Message, "no longer exists")
		return ok, fmt.Errorf("phase %q, Degraded %+v", gone.Status.Phase, d)
	})
	d := meta.FindStatusCondition(gone.Status.Conditions, mnemov1.ConditionDegraded)
	t.Logf("Cluster too-late: %s: %s", d.Reason, d.Message)
	var shards mnemov1.ShardList
	if err := e.c.List(ctx, &shards, client.InNamespace(ns), client.MatchingLabels{specs.LabelCluster: gone.Name}); err == nil && len(shards.Items) > 0 {
		t.Errorf("Cluster too-late has %d Shards: nothing is built for a restore that cannot be done", len(shards.Items))
	}
	took0 := time.Since(flow)
	record(spec, "the whole flow", took0)
	t.Logf("the whole restore flow took %v", took0.Round(time.Second))
}

// waitClusterGone waits until a deleted Cluster and its data and log
// pods are gone.
func (e *env) waitClusterGone(t *testing.T, ns, name string) {
	t.Helper()
	ctx := context.Background()
	waitFor(t, "Cluster "+name+" and its pods to be gone", 3*time.Minute, func() (bool, error) {
		var pods corev1.PodList
		if err := e.c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{specs.LabelCluster: name}); err != nil {
			return false, err
		}
		left := 0
		for _, p := range pods.Items {
			// A Snapshot's Job pods carry the Cluster's labels and
			// outlive it, as the Snapshot does.
			if p.Labels[specs.LabelComponent] != specs.ComponentSnapshot {
				left++
			}
		}
		err := e.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &mnemov1.Cluster{})
		return left == 0 && client.IgnoreNotFound(err) == nil && err != nil, fmt.Errorf("%d pods left", left)
	})
}

// restorePodUIDs maps each data pod of the Cluster to its UID.
func (e *env) restorePodUIDs(t *testing.T, ns string, c *mnemov1.Cluster) map[string]string {
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

// restoreDataSet is what the source Cluster holds: strings, hashes, and
// strings with a TTL far in the future.
type restoreDataSet struct {
	strs   map[string]string
	hashes map[string]map[string]string
	ttls   map[string]string
}

func restoreData() *restoreDataSet {
	d := &restoreDataSet{strs: map[string]string{}, hashes: map[string]map[string]string{}, ttls: map[string]string{}}
	for i := range 3000 {
		d.strs["s:"+strconv.Itoa(i)] = fmt.Sprintf("value-%d-%s", i, strings.Repeat("v", i%50))
	}
	for i := range 200 {
		h := map[string]string{}
		for f := range 1 + i%20 {
			h["f"+strconv.Itoa(f)] = strconv.Itoa(i * f)
		}
		d.hashes["h:"+strconv.Itoa(i)] = h
	}
	for i := range 100 {
		d.ttls["t:"+strconv.Itoa(i)] = "expiring-" + strconv.Itoa(i)
	}
	return d
}

func (d *restoreDataSet) count() int { return len(d.strs) + len(d.hashes) + len(d.ttls) }

func (d *restoreDataSet) write(t *testing.T, cc *redis.ClusterClient) {
	t.Helper()
	ctx := context.Background()
	for k, v := range d.strs {
		if err := cc.Set(ctx, k, v, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	for k, h := range d.hashes {
		if err := cc.HSet(ctx, k, h).Err(); err != nil {
			t.Fatalf("HSET %s: %v", k, err)
		}
	}
	for k, v := range d.ttls {
		if err := cc.Set(ctx, k, v, 24*time.Hour).Err(); err != nil {
			t.Fatalf("SET %s EX: %v", k, err)
		}
	}
}

// compare checks every key and its value, the TTLs, and that the
// Cluster holds no other key (the masters' DBSIZEs add up); it fails the
// test on any difference.
func (d *restoreDataSet) compare(t *testing.T, what string, cc *redis.ClusterClient) {
	t.Helper()
	if diffs := d.differences(cc); len(diffs) > 0 {
		for _, m := range diffs[:min(10, len(diffs))] {
			t.Errorf("%s: %s", what, m)
		}
		t.Fatalf("%s: %d differences from the source's data", what, len(diffs))
	}
}

// differences lists how the Cluster differs from the data set.
func (d *restoreDataSet) differences(cc *redis.ClusterClient) []string {
	ctx := context.Background()
	var diffs []string
	miss := func(format string, a ...any) { diffs = append(diffs, fmt.Sprintf(format, a...)) }
	for k, want := range d.strs {
		if got, err := cc.Get(ctx, k).Result(); err != nil || got != want {
			miss("%s = %q %v, want %q", k, got, err, want)
		}
	}
	for k, want := range d.hashes {
		got, err := cc.HGetAll(ctx, k).Result()
		if err != nil || len(got) != len(want) {
			miss("%s: %d fields %v, want %d", k, len(got), err, len(want))
			continue
		}
		for f, v := range want {
			if got[f] != v {
				miss("%s.%s = %q, want %q", k, f, got[f], v)
			}
		}
	}
	for k, want := range d.ttls {
		got, err := cc.Get(ctx, k).Result()
		ttl, terr := cc.PTTL(ctx, k).Result()
		if err != nil || got != want || terr != nil || ttl <= 0 || ttl > 24*time.Hour {
			miss("%s = %q %v, TTL %v %v, want %q with a TTL under a day", k, got, err, ttl, terr, want)
		}
	}
	var mu sync.Mutex
	var total int64
	err := cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		mu.Lock()
		total += n
		mu.Unlock()
		return err
	})
	if err != nil || total != int64(d.count()) {
		miss("the masters hold %d keys (%v), want exactly %d", total, err, d.count())
	}
	return diffs
}

// pointInTimeWant is what a restore to a point in time must hold.
type pointInTimeWant struct {
	at   metav1.Time
	data *restoreDataSet
}

// restorePointInTime writes to the source after its Snapshot, takes a
// point in time T, then overwrites and deletes some of it: a restore to T
// must hold the Snapshot's data, the key written after it, and the writes
// before T, and none of the changes after. Kubernetes times are whole
// seconds and the log's commit times come from the log servers' clock
// (the same machine): T is a whole second at least a second after the
// last write before it, and the writes after it start a second after T.
func restorePointInTime(t *testing.T, e *env, ns string, src *mnemov1.Cluster, snap *mnemov1.Snapshot) pointInTimeWant {
	t.Helper()
	ctx := context.Background()
	want := restoreData()
	want.strs["after-snapshot"] = "x"
	want.strs["s:0"] = "before-the-point"
	want.strs["pit:a"] = "1"
	want.strs["pit:b"] = "2"
	cc := clusterClient(e, ns, src)
	defer cc.Close()
	for _, k := range []string{"s:0", "pit:a", "pit:b"} {
		if err := cc.Set(ctx, k, want.strs[k], 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().Add(time.Second).Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(at.Add(time.Second)))
	after := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	after(cc.Set(ctx, "pit:a", "after-the-point", 0).Err())
	after(cc.Del(ctx, "pit:b").Err())
	after(cc.Del(ctx, "s:1").Err())
	after(cc.Set(ctx, "s:2", "after-the-point", 0).Err())
	after(cc.Set(ctx, "pit:c", "after-the-point", 0).Err())
	if snap.Status.StartTime == nil || at.Before(snap.Status.StartTime.Time) {
		t.Fatalf("the point in time %v is before the Snapshot's start %v", at, snap.Status.StartTime)
	}
	return pointInTimeWant{at: metav1.NewTime(at), data: want}
}
