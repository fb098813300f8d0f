package controllers_test

// A stand-in kubelet for the flows that need running data nodes: envtest
// has no kubelet, so for the pods of the Clusters a test hands it, it runs
// real `mnemo node` processes on loopback (on one real `mnemo log`), marks
// the pods Running and Ready as the nodes come up, and stops a pod's
// process when the pod goes. The operator reaches the nodes through
// loopbackNodes, its NodeResolver in this suite. No fake Redis: the
// operator talks to the engine.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// nodeLeaseTTL is the test nodes' lease: short, so failovers are quick,
// but long enough for a busy machine not to elect a node the operator
// did not hand over to.
const nodeLeaseTTL = "1000"

var (
	mnemoBin   string
	buildErr   error
	buildDone  = make(chan struct{})
	buildStart sync.Once
)

// buildMnemo builds the mnemo binary into dir in the background; the
// suite starts it while the control plane comes up, which takes about as
// long.
func buildMnemo(dir string) {
	buildStart.Do(func() {
		go func() {
			defer close(buildDone)
			mnemoBin = filepath.Join(dir, "mnemo")
			_, file, _, _ := runtime.Caller(0)
			cmd := exec.Command("go", "build", "-o", mnemoBin, ".")
			cmd.Dir = filepath.Join(filepath.Dir(file), "..")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build: %v: %s", err, out)
			}
		}()
	})
}

// mnemoBinary waits for the build and returns the binary.
func mnemoBinary(t *testing.T) string {
	t.Helper()
	<-buildDone
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return mnemoBin
}

// quietRedis drops go-redis's own log lines (dial retries to nodes the
// tests kill on purpose).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// loopbackResolver maps test pods to their processes' addresses; pods it
// does not know (every other test's) are unreachable at once.
type loopbackResolver struct {
	mu    sync.Mutex
	addrs map[types.NamespacedName]string
}

var loopbackNodes = &loopbackResolver{addrs: map[types.NamespacedName]string{}}

func (l *loopbackResolver) NodeAddress(_ context.Context, pod *corev1.Pod, _ int32) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.addrs[types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}]; ok {
		return a, nil
	}
	return "", fmt.Errorf("pod %s/%s runs no test node", pod.Namespace, pod.Name)
}

func (l *loopbackResolver) set(ns, pod, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs[types.NamespacedName{Namespace: ns, Name: pod}] = addr
}

// freePort picks a random port in 20000–39999 that can be bound now.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		p := 20000 + rand.IntN(20000)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no free port in 20000-39999")
	return 0
}

// proc is a mnemo process this test started.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	out  string
}

func startProc(t *testing.T, out string, args ...string) (*proc, error) {
	f, err := os.Create(out)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(mnemoBinary(t), args...)
	cmd.Stdout, cmd.Stderr = f, f
	// The process dies with the test binary, however that ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), out: out}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

// stop ends the process by its PID: SIGTERM, SIGKILL after 5s.
func (p *proc) stop(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// podProc is the node process of one pod incarnation.
type podProc struct {
	uid  types.UID
	proc *proc
	// ready is what the kubelet last wrote to the pod's status.
	ready bool
}

// kubelet runs the data nodes of one namespace's pods.
type kubelet struct {
	t       *testing.T
	ns, dir string
	logURL  string
	log     *proc
	ports   map[string]int // pod name → its port, kept across incarnations
	// auth is the user and password the probe connects to a pod's node
	// with: the operator's, when the Cluster's ACL is not open-access.
	auth map[string][2]string

	mu    sync.Mutex
	procs map[string]*podProc // by pod name
	// deleted lists the pods whose process stopped because the pod went,
	// in order, each with the role its node had at the time.
	deleted []string

	stopc chan struct{}
	done  chan struct{}
}

// startKubelet starts a log server and the stand-in kubelet for ns. It is
// stopped, with every process it started, when the test ends.
func startKubelet(t *testing.T, ns string) *kubelet {
	t.Helper()
	k := &kubelet{t: t, ns: ns, dir: t.TempDir(), ports: map[string]int{}, procs: map[string]*podProc{}, auth: map[string][2]string{},
		stopc: make(chan struct{}), done: make(chan struct{})}
	logPort := freePort(t)
	var err error
	k.log, err = startProc(t, filepath.Join(k.dir, "log.out"), "log", "--name", "log0", "--dir", filepath.Join(k.dir, "log"),
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(logPort)), "--sync-always=false")
	if err != nil {
		t.Fatal(err)
	}
	k.logURL = fmt.Sprintf("nats://127.0.0.1:%d", logPort)
	eventually(t, "log server listening", func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(logPort)), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	go k.run()
	t.Cleanup(func() {
		close(k.stopc)
		<-k.done
		k.mu.Lock()
		defer k.mu.Unlock()
		for _, p := range k.procs {
			p.proc.stop(syscall.SIGKILL)
		}
		k.log.stop(syscall.SIGTERM)
		if t.Failed() {
			for name, p := range k.procs {
				out, _ := os.ReadFile(p.proc.out)
				t.Logf("--- node %s ---\n%s", name, tail(string(out), 2000))
			}
		}
	})
	return k
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// run syncs the pods with their processes until the test ends.
func (k *kubelet) run() {
	defer close(k.done)
	for {
		select {
		case <-k.stopc:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if err := k.sync(); err != nil && !errors.Is(err, context.Canceled) {
			k.t.Logf("kubelet: %v", err)
		}
	}
}

func (k *kubelet) sync() error {
	ctx := context.Background()
	var pods corev1.PodList
	if err := k8s.List(ctx, &pods, client.InNamespace(k.ns), client.MatchingLabels{specs.LabelComponent: specs.ComponentNode}); err != nil {
		return err
	}
	live := map[string]*corev1.Pod{}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp.IsZero() {
			live[p.Name] = p
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	// Pods gone, or replaced by a new incarnation: stop their process.
	for name, pp := range k.procs {
		if p, ok := live[name]; ok && p.UID == pp.uid {
			continue
		}
		k.deleted = append(k.deleted, name+"="+k.roleLocked(name))
		pp.proc.stop(syscall.SIGTERM)
		delete(k.procs, name)
	}
	for name, p := range live {
		pp := k.procs[name]
		if pp == nil {
			var err error
			if pp, err = k.startNode(ctx, p); err != nil {
				return err
			}
			k.procs[name] = pp
		}
		ready := k.nodeUp(name)
		if ready != pp.ready || p.Status.Phase != corev1.PodRunning {
			if err := setPodStatus(ctx, p, ready); err != nil {
				return err
			}
			pp.ready = ready
		}
	}
	return nil
}

// startNode starts the node of a pod on the pod's port, with the
// parameter file the pod would mount.
func (k *kubelet) startNode(ctx context.Context, p *corev1.Pod) (*podProc, error) {
	port, ok := k.ports[p.Name]
	if !ok {
		port = freePort(k.t)
		k.ports[p.Name] = port
	}
	var cm corev1.ConfigMap
	cluster := p.Labels[specs.LabelCluster]
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: cluster + "-config"}, &cm); err != nil {
		return nil, err
	}
	dir := filepath.Join(k.dir, p.Name+"-"+string(p.UID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "mnemo.conf")
	if err := os.WriteFile(conf, []byte(cm.Data["mnemo.conf"]), 0o644); err != nil {
		return nil, err
	}
	args := []string{"node", conf, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--log", k.logURL, "--shard", p.Labels[specs.LabelShard], "--role", "auto",
		"--log-replicas", "1", "--lease-ttl", nodeLeaseTTL}
	// A Cluster with an ACL of its own: the node gets the rendered file
	// (as the pod mounts it), and the probe connects as the operator.
	var op corev1.Secret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: cluster + "-operator"}, &op); err == nil {
		var acl corev1.Secret
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: cluster + "-acl"}, &acl); err != nil {
			return nil, err
		}
		file := filepath.Join(dir, specs.ACLFileKey)
		if err := os.WriteFile(file, acl.Data[specs.ACLFileKey], 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--aclfile", file)
		k.auth[p.Name] = [2]string{specs.OperatorUser, string(op.Data[specs.OperatorPasswordKey])}
	}
	proc, err := startProc(k.t, filepath.Join(dir, "out"), args...)
	if err != nil {
		return nil, err
	}
	loopbackNodes.set(k.ns, p.Name, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	return &podProc{uid: p.UID, proc: proc}, nil
}

// nodeUp is the readiness probe: the process runs and its node answers
// INFO replication with a role.
func (k *kubelet) nodeUp(pod string) bool {
	pp := k.procs[pod]
	select {
	case <-pp.proc.done:
		return false
	default:
	}
	return k.roleLocked(pod) != "?"
}

// roleLocked asks a pod's node for its role ("master", "slave", "?").
func (k *kubelet) roleLocked(pod string) string {
	info, err := k.client(pod).Info(context.Background(), "replication").Result()
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "role:"); ok {
			return v
		}
	}
	return "?"
}

func (k *kubelet) client(pod string) *redis.Client {
	auth := k.auth[pod]
	return redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(k.ports[pod])), Protocol: 2,
		DisableIdentity: true, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second,
		Username: auth[0], Password: auth[1]})
}

// do runs a command on a pod's node.
func (k *kubelet) do(pod string, args ...any) (any, error) {
	k.mu.Lock()
	c := k.client(pod)
	k.mu.Unlock()
	defer c.Close()
	return c.Do(context.Background(), args...).Result()
}

// pids returns each pod's process ID, to tell a restart from none.
func (k *kubelet) pids() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]int{}
	for name, pp := range k.procs {
		out[name] = pp.proc.cmd.Process.Pid
	}
	return out
}

// kill SIGKILLs a pod's node, as a crash would, and restarts it, as the
// kubelet restarts a container, once restart is called.
func (k *kubelet) kill(pod string) (restart func()) {
	k.mu.Lock()
	pp := k.procs[pod]
	k.mu.Unlock()
	pp.proc.stop(syscall.SIGKILL)
	return func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		delete(k.procs, pod) // the next sync starts it again
	}
}

// deletions returns the pods whose process stopped because the pod went,
// in order, as "pod=role".
func (k *kubelet) deletions() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.deleted...)
}

// setPodStatus marks a pod Running, and Ready or not.
func setPodStatus(ctx context.Context, p *corev1.Pod, ready bool) error {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Phase = corev1.PodRunning
	now := metav1.Now()
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: st, LastTransitionTime: now}}
	if p.Status.StartTime == nil {
		p.Status.StartTime = &now
	}
	return client.IgnoreNotFound(k8s.Status().Update(ctx, p))
}
