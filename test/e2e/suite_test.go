package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// The suite's settings come from the environment make test-e2e sets; with
// no E2E_KUBECONFIG every spec skips, so `go test ./...` needs no cluster.
var (
	kubeconfig = os.Getenv("E2E_KUBECONFIG")
	helmBin    = os.Getenv("E2E_HELM")
	image      = envOr("E2E_IMAGE", "mnemo:dev")
	reportFile = os.Getenv("E2E_REPORT")
	keep       = flag.Bool("e2e.keep", false, "keep each spec's namespace after it ends, for a look")
)

const (
	operatorNamespace = "mnemo-system"
	release           = "mnemo"
	// availableTimeout bounds how long a Cluster may take to be Available.
	availableTimeout = 5 * time.Minute
	poll             = 500 * time.Millisecond
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// env is what every spec works with: clients of the local cluster, on
// which the operator is installed once, by its Helm chart.
type env struct {
	c  client.Client
	cs *kubernetes.Clientset
}

var (
	setupOnce sync.Once
	shared    *env
	setupErr  error
)

// suite returns the shared env, installing the operator on first use. A
// spec calls it first; without a cluster it skips.
func suite(t *testing.T) *env {
	t.Helper()
	if kubeconfig == "" {
		t.Skip("no E2E_KUBECONFIG: the e2e suite runs under make test-e2e")
	}
	setupOnce.Do(func() {
		start := time.Now()
		shared, setupErr = setup()
		record("suite", "operator installed by Helm and ready", time.Since(start))
	})
	if setupErr != nil {
		t.Fatalf("cannot set up the suite: %v", setupErr)
	}
	return shared
}

func setup() (*env, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	scheme := clientgoscheme.Scheme
	if err := mnemov1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	repo, tag, _ := strings.Cut(image, ":")
	helm := exec.Command(helmBin, "upgrade", "--install", release, chartDir(),
		"--namespace", operatorNamespace, "--create-namespace",
		"--set", "image.repository="+repo, "--set", "image.tag="+tag,
		"--set", "logLevel=debug", "--set", "logFormat=text",
		"--wait", "--timeout", "3m")
	helm.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	if out, err := helm.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("helm install: %v\n%s", err, out)
	}
	return &env{c: c, cs: cs}, nil
}

// repoRoot is the repository's root, found from this file's path.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func chartDir() string { return filepath.Join(repoRoot(), "charts", "mnemo") }

// namespace makes a namespace for one spec and deletes it (and waits for it
// to be gone, so its pods' CPU requests are free for the next spec) when the
// spec ends, unless -e2e.keep.
func (e *env) namespace(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := e.c.Create(ctx, ns); err != nil {
		t.Fatalf("cannot create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		if *keep {
			return
		}
		if t.Failed() {
			e.dumpNamespace(t, name)
		}
		_ = e.c.Delete(ctx, ns)
		waitFor(t, "namespace "+name+" to be gone", 3*time.Minute, func() (bool, error) {
			err := e.c.Get(ctx, client.ObjectKeyFromObject(ns), &corev1.Namespace{})
			return client.IgnoreNotFound(err) == nil && err != nil, nil
		})
	})
	return name
}

// dumpNamespace logs a failed spec's pods, events and the operator's log.
func (e *env) dumpNamespace(t *testing.T, ns string) {
	ctx := context.Background()
	var pods corev1.PodList
	if err := e.c.List(ctx, &pods, client.InNamespace(ns)); err == nil {
		for _, p := range pods.Items {
			t.Logf("pod %s: phase %s", p.Name, p.Status.Phase)
			for _, cs := range p.Status.ContainerStatuses {
				t.Logf("  container %s: ready %v, restarts %d, state %+v", cs.Name, cs.Ready, cs.RestartCount, cs.State)
			}
			t.Logf("  log:\n%s", e.logs(p.Namespace, p.Name, 20))
		}
	}
	var events corev1.EventList
	if err := e.c.List(ctx, &events, client.InNamespace(ns)); err == nil {
		for _, ev := range events.Items {
			t.Logf("event %s %s/%s: %s %s", ev.Type, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Reason, ev.Message)
		}
	}
	var ops corev1.PodList
	if err := e.c.List(ctx, &ops, client.InNamespace(operatorNamespace)); err == nil {
		for _, p := range ops.Items {
			t.Logf("operator pod %s log:\n%s", p.Name, e.logs(p.Namespace, p.Name, 40))
		}
	}
}

// logs is the tail of a pod's log, or why there is none.
func (e *env) logs(ns, pod string, lines int64) string {
	b, err := e.cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{TailLines: &lines}).DoRaw(context.Background())
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// waitFor polls cond until it is true or limit passes (then the spec
// fails), and returns how long it took.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() (bool, error)) time.Duration {
	t.Helper()
	start := time.Now()
	var lastErr error
	for time.Since(start) < limit {
		ok, err := cond()
		if ok {
			return time.Since(start)
		}
		lastErr = err
		time.Sleep(poll)
	}
	t.Fatalf("timed out after %v waiting for %s (last error: %v)", limit, what, lastErr)
	return 0
}

// The timing report: every spec records its figures, TestMain prints them
// (and writes E2E_REPORT) at the end. Figures, not thresholds: regressions
// show in the report; see docs/kubernetes.md.
var (
	reportMu sync.Mutex
	report   []timing
)

type timing struct {
	spec, what string
	took       time.Duration
}

func record(spec, what string, took time.Duration) {
	reportMu.Lock()
	defer reportMu.Unlock()
	report = append(report, timing{spec, what, took})
}

func writeReport() {
	reportMu.Lock()
	defer reportMu.Unlock()
	if len(report) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "e2e timing report (%s)\n", time.Now().UTC().Format(time.RFC3339))
	for _, r := range report {
		fmt.Fprintf(&b, "  %-34s %-48s %8.1fs\n", r.spec, r.what, r.took.Seconds())
	}
	fmt.Print(b.String())
	if reportFile != "" {
		_ = os.WriteFile(reportFile, []byte(b.String()), 0o644)
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	writeReport()
	os.Exit(code)
}

// gvk is a kind's GroupVersionKind, for listing objects generically.
func gvk(group, version, kind string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: group, Version: version, Kind: kind}
}
