package main

// The plugin's commands run against a real kube-apiserver and etcd
// (envtest, built by hack/envtest.sh) with the Mnemo CRDs installed. No
// operator runs: each test plays the operator's part itself (writing
// status, answering a failover request), so what is checked is the
// plugin's side of the contract — the objects it reads and writes.

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

var (
	cfg  *rest.Config
	k8s  client.Client
	nsMu sync.Mutex
	nsN  int
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func assetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	found, _ := filepath.Glob("../../bin/envtest/kube-*/kube-apiserver")
	if len(found) == 0 {
		return "", errors.New("no kube-apiserver for envtest: run 'make envtest' or set KUBEBUILDER_ASSETS")
	}
	return filepath.Abs(filepath.Dir(found[len(found)-1]))
}

func runSuite(m *testing.M) int {
	assets, err := assetsDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "envtest: cannot start the control plane:", err)
		return 1
	}
	defer env.Stop()
	if k8s, err = client.New(cfg, client.Options{Scheme: newScheme()}); err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	return m.Run()
}

func newNamespace(t *testing.T) string {
	t.Helper()
	nsMu.Lock()
	nsN++
	name := fmt.Sprintf("plugin-%d", nsN)
	nsMu.Unlock()
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

// plugin runs `kubectl mnemo ARGS...` against envtest and returns its
// output and error.
func plugin(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out syncBuf
	conn := func() (*env, error) {
		e, err := newEnv(cfg, "default", &out, &out)
		if err != nil {
			return nil, err
		}
		e.poll = 20 * time.Millisecond
		return e, nil
	}
	root := newRootCmd(&out, &out, conn)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// makeCluster creates a Cluster with shards Shards and writes the status
// the operator would: phase Available, an endpoint, a rollout in
// progress, a snapshot; shard 0's primary is pod -0.
func makeCluster(t *testing.T, ns, name string, shards int32) {
	t.Helper()
	ctx := context.Background()
	c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: mnemov1.ClusterSpec{NumShards: shards}}
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	snapTime := metav1.NewTime(time.Now().Add(-2 * time.Hour))
	c.Status = mnemov1.ClusterStatus{
		Phase:        mnemov1.ClusterUpdating,
		Endpoint:     &mnemov1.Endpoint{Address: name + "." + ns + ".svc", Port: 6379},
		LastSnapshot: &mnemov1.LastSnapshot{Name: name + "-daily", Time: &snapTime},
		PendingUpdates: &mnemov1.PendingUpdates{NodeTypeRollout: &mnemov1.RolloutStatus{
			From: "db.t4g.small", To: "db.r7g.large", UpdatedNodes: 1, TotalNodes: 4}},
	}
	for i := range shards {
		s := &mnemov1.Shard{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c.ShardName(i)},
			Spec:       mnemov1.ShardSpec{ClusterName: name, Index: i, Nodes: 2, NodeType: "db.t4g.small"},
		}
		if err := k8s.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		s.Status = mnemov1.ShardStatus{
			Slots: fmt.Sprintf("%d-%d", i*100, i*100+99), Primary: s.Name + "-0", ReadyNodes: 2,
			Nodes: []mnemov1.ShardNode{{Name: s.Name + "-0", Role: mnemov1.RolePrimary, Ready: true, UsedMemoryBytes: 12 << 20, MaxMemoryBytes: 1 << 30},
				{Name: s.Name + "-1", Role: mnemov1.RoleReplica, Ready: true}},
		}
		if err := k8s.Status().Update(ctx, s); err != nil {
			t.Fatal(err)
		}
		c.Status.Shards = append(c.Status.Shards, mnemov1.ShardSummary{Name: s.Name, Slots: s.Status.Slots, PrimaryPod: s.Status.Primary, Nodes: 2, ReadyNodes: 2, Lag: int64(i) * 7})
	}
	if err := k8s.Status().Update(ctx, c); err != nil {
		t.Fatal(err)
	}
}

func TestStatus(t *testing.T) {
	ns := newNamespace(t)
	makeCluster(t, ns, "orders", 2)
	ev := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders.1"},
		EventTime:  metav1.NewMicroTime(time.Now()), ReportingController: "mnemo.dev/operator", ReportingInstance: "test",
		Action: "Reconcile", Reason: "Updating", Type: corev1.EventTypeNormal, Note: "Cluster is Updating: rolling out db.r7g.large",
		Regarding: corev1.ObjectReference{Kind: "Cluster", Name: "orders", Namespace: ns, APIVersion: "mnemo.dev/v1alpha1"},
	}
	if err := k8s.Create(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	out, err := plugin(t, "status", "orders", "-n", ns)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Cluster " + ns + "/orders: Updating",
		"Endpoint:   orders." + ns + ".svc:6379",
		"node type db.t4g.small → db.r7g.large, 1/4 nodes  [#####...............]  25%",
		"Snapshot:   orders-daily, 2h0m",
		"orders-shard-0-0 primary 12.0MiB/1.0GiB (1%), orders-shard-0-1 replica",
		"Normal  Updating  Cluster/orders  Cluster is Updating: rolling out db.r7g.large",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(out, "\n")
	var rows []string
	for _, l := range lines {
		if strings.HasPrefix(l, "0 ") || strings.HasPrefix(l, "1 ") {
			rows = append(rows, strings.Join(strings.Fields(l)[:5], " "))
		}
	}
	if want := []string{"0 0-99 orders-shard-0-0 2/2 0", "1 100-199 orders-shard-1-0 2/2 7"}; strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("shard rows %q, want %q\n%s", rows, want, out)
	}
	if out, err := plugin(t, "status", "nope", "-n", ns); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("status of a missing Cluster: %v\n%s", err, out)
	}
}

func TestFailoverRequest(t *testing.T) {
	ns := newNamespace(t)
	makeCluster(t, ns, "orders", 2)
	ctx := context.Background()
	key := client.ObjectKey{Namespace: ns, Name: "orders-shard-1"}

	// The operator's part: once the request appears, move the primary and
	// clear the request.
	answered := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			var s mnemov1.Shard
			if err := k8s.Get(ctx, key, &s); err != nil {
				answered <- err
				return
			}
			if v, ok := s.Annotations[FailoverAnnotation]; ok {
				// The operator's contract: a pod to hand over to, or any.
				if v != mnemov1.FailoverAny {
					answered <- fmt.Errorf("annotation value %q, want %q", v, mnemov1.FailoverAny)
					return
				}
				s.Status.Primary = "orders-shard-1-1"
				if err := k8s.Status().Update(ctx, &s); err != nil {
					answered <- err
					return
				}
				delete(s.Annotations, FailoverAnnotation)
				answered <- k8s.Update(ctx, &s)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		answered <- errors.New("no failover request within a minute")
	}()
	out, err := plugin(t, "failover", "orders", "1", "-n", ns)
	if err != nil {
		t.Fatalf("failover: %v\n%s", err, out)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Failover of Shard orders-shard-1 done in") || !strings.Contains(out, "primary orders-shard-1-0 → orders-shard-1-1") {
		t.Errorf("failover output:\n%s", out)
	}

	// Without waiting: the request stays for the operator, and a second
	// one is refused while it is pending.
	if out, err := plugin(t, "failover", "orders", "orders-shard-0", "--wait=false", "-n", ns); err != nil {
		t.Fatalf("failover --wait=false: %v\n%s", err, out)
	}
	var s mnemov1.Shard
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "orders-shard-0"}, &s); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Annotations[FailoverAnnotation]; !ok {
		t.Errorf("no %s annotation on the Shard: %v", FailoverAnnotation, s.Annotations)
	}
	// --to names the pod: the annotation's value, as the operator reads it.
	if out, err := plugin(t, "failover", "orders", "1", "--to", "orders-shard-1-0", "--wait=false", "-n", ns); err != nil {
		t.Fatalf("failover --to: %v\n%s", err, out)
	}
	if err := k8s.Get(ctx, key, &s); err != nil {
		t.Fatal(err)
	}
	if v := s.Annotations[FailoverAnnotation]; v != "orders-shard-1-0" {
		t.Errorf("failover --to orders-shard-1-0: annotation %q", v)
	}
	if out, err := plugin(t, "failover", "orders", "0", "-n", ns); err == nil || !strings.Contains(err.Error(), "already requested") {
		t.Errorf("a second request while one is pending: %v\n%s", err, out)
	}
	if out, err := plugin(t, "failover", "orders", "7", "-n", ns); err == nil || !strings.Contains(err.Error(), "no shard 7") {
		t.Errorf("failover of a missing shard: %v\n%s", err, out)
	}
	if out, err := plugin(t, "failover", "orders", "0", "--wait=true", "--timeout=200ms", "-n", ns); err == nil {
		t.Errorf("a failover nobody answers did not time out:\n%s", out)
	}

	// A request the operator refuses: it removes the annotation and says
	// why in a Warning Event, which the plugin reports as a failure.
	go func() {
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			var s mnemov1.Shard
			if err := k8s.Get(ctx, key, &s); err != nil {
				answered <- err
				return
			}
			if s.Annotations[FailoverAnnotation] == "orders-shard-1-9" {
				ev := &eventsv1.Event{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-shard-1.rejected"},
					EventTime:  metav1.NewMicroTime(time.Now()), ReportingController: "mnemo.dev/operator", ReportingInstance: "test",
					Action: "Failover", Reason: "FailoverRejected", Type: corev1.EventTypeWarning, Note: "Failover to orders-shard-1-9 rejected: no pod orders-shard-1-9 in the shard",
					Regarding: corev1.ObjectReference{Kind: "Shard", Name: "orders-shard-1", Namespace: ns, APIVersion: "mnemo.dev/v1alpha1"},
				}
				if err := k8s.Create(ctx, ev); err != nil {
					answered <- err
					return
				}
				delete(s.Annotations, FailoverAnnotation)
				answered <- k8s.Update(ctx, &s)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		answered <- errors.New("no failover request within a minute")
	}()
	// The --to request above is still pending: clear it first.
	if err := k8s.Get(ctx, key, &s); err != nil {
		t.Fatal(err)
	}
	delete(s.Annotations, FailoverAnnotation)
	if err := k8s.Update(ctx, &s); err != nil {
		t.Fatal(err)
	}
	out, err = plugin(t, "failover", "orders", "1", "--to", "orders-shard-1-9", "-n", ns)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if err == nil || !strings.Contains(err.Error(), "FailoverRejected") || !strings.Contains(err.Error(), "no pod orders-shard-1-9") {
		t.Errorf("a refused failover: %v\n%s", err, out)
	}
}

func TestSnapshotFollowsToCompletion(t *testing.T) {
	ns := newNamespace(t)
	makeCluster(t, ns, "orders", 2)
	ctx := context.Background()
	key := client.ObjectKey{Namespace: ns, Name: "before-migration"}

	// The operator's part: one shard done, then both and Available.
	go func() {
		var s mnemov1.Snapshot
		for range 3000 {
			if k8s.Get(ctx, key, &s) == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.Status = mnemov1.SnapshotStatus{Phase: mnemov1.SnapshotCreating, Shards: []mnemov1.SnapshotShard{
			{Index: 0, Job: "j0", Done: true}, {Index: 1, Job: "j1"}}}
		if err := k8s.Status().Update(ctx, &s); err != nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
		now := metav1.Now()
		s.Status.Shards[1].Done = true
		s.Status.Phase = mnemov1.SnapshotAvailable
		s.Status.FinishTime = &now
		_ = k8s.Status().Update(ctx, &s)
	}()
	out, err := plugin(t, "snapshot", "orders", "before-migration", "-n", ns)
	if err != nil {
		t.Fatalf("snapshot: %v\n%s", err, out)
	}
	var s mnemov1.Snapshot
	if err := k8s.Get(ctx, key, &s); err != nil {
		t.Fatal(err)
	}
	if s.Spec.ClusterName != "orders" {
		t.Errorf("snapshot of %q, want orders", s.Spec.ClusterName)
	}
	for _, want := range []string{"Created Snapshot " + ns + "/before-migration of Cluster orders",
		"Creating   1/2 shards [##########..........]  50%", "Available  2/2 shards", "Snapshot before-migration is Available"} {
		if !strings.Contains(out, want) {
			t.Errorf("snapshot output lacks %q:\n%s", want, out)
		}
	}

	// A generated name; no following.
	out, err = plugin(t, "snapshot", "orders", "--wait=false", "-n", ns)
	if err != nil || !strings.Contains(out, "Created Snapshot "+ns+"/orders-") {
		t.Errorf("snapshot --wait=false: %v\n%s", err, out)
	}
	if out, err := plugin(t, "snapshot", "nope", "-n", ns); err == nil {
		t.Errorf("a snapshot of a missing Cluster was created:\n%s", out)
	}
}

func TestReportRedactsSecrets(t *testing.T) {
	ns := newNamespace(t)
	makeCluster(t, ns, "orders", 1)
	const password = "correct-horse-battery-staple"
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-passwords",
		Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"stringData":{"app":"` + password + `"}}`}},
		StringData: map[string]string{"app": password}}
	if err := k8s.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.zip")
	if out, err := plugin(t, "report", "orders", "-o", file, "-n", ns); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(b)
		if strings.Contains(string(b), password) {
			t.Errorf("%s holds the password", f.Name)
		}
	}
	if !strings.Contains(files["cluster.yaml"], "kind: Cluster") || !strings.Contains(files["cluster.yaml"], "name: orders") {
		t.Errorf("cluster.yaml:\n%s", files["cluster.yaml"])
	}
	if !strings.Contains(files["shards.yaml"], "name: orders-shard-0") {
		t.Errorf("shards.yaml:\n%s", files["shards.yaml"])
	}
	if !strings.Contains(files["secrets.yaml"], "app: REDACTED (28 bytes)") {
		t.Errorf("secrets.yaml:\n%s", files["secrets.yaml"])
	}
}

func TestHelpAndCompletion(t *testing.T) {
	for _, cmd := range []string{"", "status", "failover", "snapshot", "cli", "logs", "report", "completion"} {
		args := []string{"--help"}
		if cmd != "" {
			args = []string{cmd, "--help"}
		}
		out, err := plugin(t, args...)
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: %v\n%s", cmd, err, out)
		}
	}
	ns := newNamespace(t)
	makeCluster(t, ns, "orders", 2)
	out, err := plugin(t, "__complete", "-n", ns, "failover", "")
	if err != nil || !strings.Contains(out, "orders\n") {
		t.Errorf("completion of CLUSTER: %v\n%s", err, out)
	}
	out, err = plugin(t, "__complete", "-n", ns, "failover", "orders", "")
	if err != nil || !strings.Contains(out, "0\n1\n") {
		t.Errorf("completion of SHARD: %v\n%s", err, out)
	}
	out, err = plugin(t, "completion", "bash")
	if err != nil || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: %v\n%.200s", err, out)
	}
}
