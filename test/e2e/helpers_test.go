package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// sample reads a Cluster from config/samples.
func sample(t *testing.T, file string) *mnemov1.Cluster {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	var c mnemov1.Cluster
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		t.Fatalf("cannot read sample %s: %v", file, err)
	}
	return &c
}

// createAvailable creates c in ns, waits until it is Available and
// returns how long that took.
func (e *env) createAvailable(t *testing.T, ns string, c *mnemov1.Cluster) time.Duration {
	t.Helper()
	c.Namespace = ns
	if err := e.c.Create(context.Background(), c); err != nil {
		t.Fatalf("cannot create Cluster %s: %v", c.Name, err)
	}
	return e.waitAvailable(t, c)
}

func (e *env) waitAvailable(t *testing.T, c *mnemov1.Cluster) time.Duration {
	t.Helper()
	return waitFor(t, "Cluster "+c.Name+" to be Available", availableTimeout, func() (bool, error) {
		if err := e.c.Get(context.Background(), client.ObjectKeyFromObject(c), c); err != nil {
			return false, err
		}
		return c.Status.Phase == mnemov1.ClusterAvailable, fmt.Errorf("phase %q", c.Status.Phase)
	})
}

// endpoint is a Cluster's client endpoint by its Service's DNS name, as an
// in-cluster client connects to it.
func endpoint(c *mnemov1.Cluster) string {
	return fmt.Sprintf("%s.%s.svc:%d", c.Name, c.Namespace, c.ClientPort())
}

// checkResult is mnemo check's report (see check.go in the repository's root).
type checkResult struct {
	Acked      int           `json:"acked"`
	Failed     int           `json:"failed"`
	Lost       int           `json:"lost"`
	LongestGap time.Duration `json:"longestGapNs"`
	// LongestGapEnd is when the longest gap ended, in Unix ms (the pod
	// runs on this machine: the same clock as the suite's).
	LongestGapEnd int64         `json:"longestGapEndMs"`
	Took          time.Duration `json:"tookNs"`
	FirstError    string        `json:"firstError,omitempty"`
	Error         string        `json:"error,omitempty"`
}

// startCheck starts mnemo check in a pod of ns (the in-cluster client, from
// the same image) with args, and returns the pod's name.
func (e *env) startCheck(t *testing.T, ns, name string, args ...string) string {
	t.Helper()
	return e.startCheckPod(t, ns, name, nil, args...)
}

// startCheckPod is startCheck with a change to the client's pod first
// (a Secret's volume or environment variable).
func (e *env) startCheckPod(t *testing.T, ns, name string, change func(*corev1.Pod), args ...string) string {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/name": "mnemo-check"}},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To[int64](65532),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:            "check",
				Image:           image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            append([]string{"check"}, args...),
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					ReadOnlyRootFilesystem:   ptr.To(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
	if change != nil {
		change(pod)
	}
	if err := e.c.Create(context.Background(), pod); err != nil {
		t.Fatalf("cannot start the client pod: %v", err)
	}
	waitFor(t, "client pod "+name+" to run", time.Minute, func() (bool, error) {
		p, err := e.pod(ns, name)
		if err != nil {
			return false, err
		}
		return p.Status.Phase != corev1.PodPending, nil
	})
	return name
}

// waitCheck waits for a client pod to end and returns its report.
func (e *env) waitCheck(t *testing.T, ns, name string, limit time.Duration) checkResult {
	t.Helper()
	waitFor(t, "client pod "+name+" to finish", limit, func() (bool, error) {
		p, err := e.pod(ns, name)
		if err != nil {
			return false, err
		}
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed, nil
	})
	out := e.logs(ns, name, 200)
	var r checkResult
	found := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "{") {
			found = json.Unmarshal([]byte(line), &r) == nil
		}
	}
	if !found {
		t.Fatalf("client pod %s printed no report:\n%s", name, out)
	}
	t.Logf("client %s: %d acknowledged, %d failed (first: %q), %d lost, longest gap %v, took %v", name, r.Acked, r.Failed, r.FirstError, r.Lost, r.LongestGap, r.Took)
	return r
}

func (e *env) pod(ns, name string) (*corev1.Pod, error) {
	var p corev1.Pod
	err := e.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &p)
	return &p, err
}

// killPod deletes a pod at once (no grace period), as a crash would end it,
// and returns its UID, to tell its replacement from it.
func (e *env) killPod(t *testing.T, ns, name string) string {
	t.Helper()
	p, err := e.pod(ns, name)
	if err != nil {
		t.Fatalf("cannot find pod %s: %v", name, err)
	}
	if err := e.c.Delete(context.Background(), p, client.GracePeriodSeconds(0)); err != nil {
		t.Fatalf("cannot delete pod %s: %v", name, err)
	}
	return string(p.UID)
}

// waitReplaced waits until pod name is back, a new pod (not oldUID), and
// Ready, and returns how long that took.
func (e *env) waitReplaced(t *testing.T, ns, name, oldUID string, limit time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, "pod "+name+" to be replaced and Ready", limit, func() (bool, error) {
		p, err := e.pod(ns, name)
		if err != nil {
			return false, err
		}
		if string(p.UID) == oldUID || p.DeletionTimestamp != nil {
			return false, nil
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, fmt.Errorf("pod %s is %s", name, p.Status.Phase)
	})
}

// waitStatefulSetReady waits until every replica of a StatefulSet is ready.
func (e *env) waitStatefulSetReady(t *testing.T, ns, name string, limit time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, "StatefulSet "+name+" to be ready", limit, func() (bool, error) {
		var s appsv1.StatefulSet
		if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
			return false, err
		}
		return s.Spec.Replicas != nil && s.Status.ReadyReplicas == *s.Spec.Replicas, nil
	})
}

// requireNoLoss fails the spec when the client lost an acknowledged write,
// or wrote nothing, or could not read back.
// killUnderLoad runs a client load of the given length through the
// Cluster's endpoint, deletes pod victim a quarter into it, records how long
// its replacement took to be Ready (as replaced) and the client's longest
// write gap under spec, and requires that no acknowledged write was lost.
func (e *env) killUnderLoad(t *testing.T, ns string, c *mnemov1.Cluster, spec, victim, replaced string, load time.Duration) checkResult {
	t.Helper()
	e.startCheck(t, ns, "load", "--cluster", "--addr", endpoint(c), "--duration", load.String(), "--prefix", c.Name)
	time.Sleep(load / 4)
	uid := e.killPod(t, ns, victim)
	record(spec, replaced, e.waitReplaced(t, ns, victim, uid, 3*time.Minute))
	r := e.waitCheck(t, ns, "load", load+3*time.Minute)
	record(spec, "longest write gap seen by the client", r.LongestGap)
	requireNoLoss(t, r)
	return r
}

func requireNoLoss(t *testing.T, r checkResult) {
	t.Helper()
	if r.Error != "" {
		t.Errorf("client: %s", r.Error)
	}
	if r.Acked == 0 {
		t.Errorf("no write was acknowledged")
	}
	if r.Lost != 0 {
		t.Errorf("%d of %d acknowledged writes were lost", r.Lost, r.Acked)
	}
}

// A load is a mnemo check pod writing through a Cluster's endpoint while a
// change is made, until the spec sets its stop key (or its limit passes),
// then reading every acknowledged write back.
type load struct {
	ns, pod, stopKey string
	c                *mnemov1.Cluster
	limit            time.Duration
}

// startLoad starts a load named name (its pod and key prefix) on c, and
// waits until it has had a moment to write, so the change it loads starts
// under writes.
func (e *env) startLoad(t *testing.T, c *mnemov1.Cluster, name string, limit time.Duration) *load {
	t.Helper()
	l := &load{ns: c.Namespace, pod: name, stopKey: "stop:" + name, c: c, limit: limit}
	e.startCheck(t, c.Namespace, name, "--cluster", "--addr", endpoint(c), "--duration", limit.String(),
		"--prefix", name, "--stop-key", l.stopKey, "--settle", "30s")
	time.Sleep(2 * time.Second)
	return l
}

// stop ends the load's writes (its stop key, set on whichever data node
// takes the write, as seen from the suite through the pods' IPs) and
// returns its report.
func (e *env) stopLoad(t *testing.T, l *load) checkResult {
	t.Helper()
	waitFor(t, "a data node of "+l.c.Name+" to take "+l.stopKey, time.Minute, func() (bool, error) {
		var lastErr error
		for _, p := range e.dataPods(t, l.c) {
			if _, err := nodeDo(p.Status.PodIP, l.c.ClientPort(), "", "", "SET", l.stopKey, "1"); err == nil {
				return true, nil
			} else {
				lastErr = err
			}
		}
		return false, lastErr
	})
	return e.waitCheck(t, l.ns, l.pod, l.limit+2*time.Minute)
}

// dataPods are the running data-node pods of a Cluster, by name.
func (e *env) dataPods(t *testing.T, c *mnemov1.Cluster) []corev1.Pod {
	t.Helper()
	var pods corev1.PodList
	if err := e.c.List(context.Background(), &pods, client.InNamespace(c.Namespace), client.MatchingLabels{
		specs.LabelCluster: c.Name, specs.LabelComponent: specs.ComponentNode}); err != nil {
		t.Fatalf("cannot list the data pods of %s: %v", c.Name, err)
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.Status.PodIP != "" && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// nodeDo runs one command on the data node at a pod IP (after AUTH when
// user is set), on a connection of its own.
func nodeDo(ip string, port int32, user, password string, args ...any) (any, error) {
	rc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", ip, port), Username: user, Password: password,
		MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, PoolSize: 1})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return rc.Do(ctx, args...).Result()
}

// configGet is a data node's value of one parameter (CONFIG GET).
func configGet(ip string, port int32, name string) (string, error) {
	rc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("%s:%d", ip, port), MaxRetries: -1, DialTimeout: 2 * time.Second, PoolSize: 1})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := rc.ConfigGet(ctx, name).Result()
	return m[name], err
}

// waitSettled waits until the operator has taken in c's latest spec and
// the Cluster is Available with nothing rolling out, and returns how long
// that took.
func (e *env) waitSettled(t *testing.T, c *mnemov1.Cluster, limit time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, "Cluster "+c.Name+" to settle on its spec", limit, func() (bool, error) {
		if err := e.c.Get(context.Background(), client.ObjectKeyFromObject(c), c); err != nil {
			return false, err
		}
		st := c.Status
		return st.ObservedGeneration == c.Generation && st.Phase == mnemov1.ClusterAvailable && st.PendingUpdates == nil,
			fmt.Errorf("phase %q, observed generation %d of %d, pending %+v", st.Phase, st.ObservedGeneration, c.Generation, st.PendingUpdates)
	})
}

// updateCluster changes a Cluster's spec (rereading it on a conflict).
func (e *env) updateCluster(t *testing.T, c *mnemov1.Cluster, change func(*mnemov1.Cluster)) {
	t.Helper()
	for try := 0; ; try++ {
		if err := e.c.Get(context.Background(), client.ObjectKeyFromObject(c), c); err != nil {
			t.Fatal(err)
		}
		change(c)
		err := e.c.Update(context.Background(), c)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) || try > 5 {
			t.Fatalf("cannot update Cluster %s: %v", c.Name, err)
		}
	}
}

// podState is what a rollout may change of a pod: its identity and its
// containers' restarts.
type podState struct {
	uid      string
	restarts int32
}

func (e *env) podStates(t *testing.T, c *mnemov1.Cluster) map[string]podState {
	t.Helper()
	out := map[string]podState{}
	for _, p := range e.dataPods(t, c) {
		s := podState{uid: string(p.UID)}
		for _, cs := range p.Status.ContainerStatuses {
			s.restarts += cs.RestartCount
		}
		out[p.Name] = s
	}
	return out
}

// plugin runs the kubectl plugin, built from this tree (buildPlugin), on
// the suite's cluster, and returns its output.
func plugin(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append(args, "--kubeconfig", kubeconfig)...).CombinedOutput()
	return string(out), err
}

// buildPlugin builds bin/kubectl-mnemo's source (make plugin) into dir,
// in the background; the returned function waits for it.
func buildPlugin(dir string) func(t *testing.T) string {
	bin := filepath.Join(dir, "kubectl-mnemo")
	done := make(chan error, 1)
	go func() {
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-mnemo")
		cmd.Dir = repoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("%v\n%s", err, out)
		}
		done <- err
	}()
	return func(t *testing.T) string {
		t.Helper()
		if err := <-done; err != nil {
			t.Fatalf("cannot build the kubectl plugin: %v", err)
		}
		done <- nil
		return bin
	}
}

// clusterClient connects a ClusterClient to the Cluster's data pods from
// the test process. Nodes announce <pod>.<shard>.<ns>.svc, which only
// cluster DNS resolves: the dialer turns such a name into the pod's IP
// (the local cluster's pod network is reachable from this machine).
func clusterClient(e *env, ns string, c *mnemov1.Cluster) *redis.ClusterClient {
	port := strconv.Itoa(int(c.ClientPort()))
	var seeds []string
	var pods corev1.PodList
	_ = e.c.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{
		specs.LabelCluster: c.Name, specs.LabelComponent: specs.ComponentNode})
	for _, p := range pods.Items {
		seeds = append(seeds, p.Name+"."+p.Spec.Subdomain+"."+ns+".svc:"+port)
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if labels := strings.Split(host, "."); len(labels) == 4 && labels[3] == "svc" {
			pod, err := e.pod(labels[2], labels[0])
			if err != nil {
				return nil, err
			}
			if pod.Status.PodIP == "" {
				return nil, fmt.Errorf("pod %s has no IP", labels[0])
			}
			host = pod.Status.PodIP
		}
		d := net.Dialer{Timeout: 2 * time.Second}
		return d.DialContext(ctx, network, net.JoinHostPort(host, p))
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, Dialer: dial, MaxRedirects: 16, MaxRetries: 3,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
}
