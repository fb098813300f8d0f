package controllers_test

// The envtest suite: the reconcilers run in a controller-runtime manager
// against a real kube-apiserver and etcd (built by hack/envtest.sh), next to
// a real kube-controller-manager running the garbage collector and the
// StatefulSet, Job, ServiceAccount and volume-claim protection controllers
// (which lets a deleted claim go once no pod uses it), so owner references,
// StatefulSet pods and volume claims, and cascading deletion behave as on a
// cluster. There is no kubelet: pods are created but never run, so the
// tests assert on the objects, not on a working database.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

const (
	operatorNamespace = "mnemo-system"
	nodeTypesName     = "mnemo-node-types"
	testImage         = "mnemo:test"
	// waitFor bounds every wait: the machine running the suite may be busy.
	waitFor = 60 * time.Second
)

// conflictBackoff retries a test's write that raced the operator's.
var conflictBackoff = wait.Backoff{Steps: 50, Duration: 20 * time.Millisecond, Factor: 1.2, Cap: time.Second}

var (
	cfg       *rest.Config
	k8s       client.Client // reads the API server directly, never a cache
	scheme    *runtime.Scheme
	operLog   syncBuffer // everything the operator logged
	nsCounter int
	nsMu      sync.Mutex
)

// syncBuffer is a bytes.Buffer safe for the manager's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

// assetsDir is KUBEBUILDER_ASSETS, or the folder hack/envtest.sh fills.
func assetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	found, _ := filepath.Glob("../bin/envtest/kube-*/kube-apiserver")
	if len(found) == 0 {
		return "", errors.New("no kube-apiserver for envtest: run 'make envtest' (it builds one from the Go module proxy) or set KUBEBUILDER_ASSETS")
	}
	return filepath.Abs(filepath.Dir(found[len(found)-1]))
}

func runSuite(m *testing.M) int {
	assets, err := assetsDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	for _, bin := range []string{"kube-apiserver", "etcd", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			fmt.Fprintf(os.Stderr, "envtest: %s missing from %s: run 'make envtest'\n", bin, assets)
			return 1
		}
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	binDir, err := os.MkdirTemp("", "mnemo-envtest-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	defer os.RemoveAll(binDir)
	buildMnemo(binDir) // for the tests that run data nodes
	redis.SetLogger(quietRedis{})
	start := time.Now()
	cfg, err = env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest: cannot start the control plane:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "envtest: cannot stop the control plane:", err)
		}
	}()
	stopKCM, err := startControllerManager(env, assets)
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	defer stopKCM()

	scheme = runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := mnemov1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	if err := installOperatorConfig(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startManager(ctx)
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "envtest: control plane, controller manager and operator up in %s\n", time.Since(start).Round(time.Millisecond))
	code := m.Run()
	cancel()
	<-done
	if code != 0 || os.Getenv("MNEMO_TEST_LOG") != "" {
		fmt.Fprintln(os.Stderr, "--- operator log (last 8 KiB) ---")
		log := operLog.String()
		fmt.Fprintln(os.Stderr, log[max(0, len(log)-8192):])
	}
	return code
}

// startControllerManager runs kube-controller-manager with the controllers
// whose effects the suite asserts on, as an admin user of envtest's API
// server, serving nothing.
func startControllerManager(env *envtest.Environment, assets string) (func(), error) {
	user, err := env.AddUser(envtest.User{Name: "kube-controller-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot add a user for kube-controller-manager: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mnemo-envtest-kcm-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kubeconfig, 0o600); err != nil {
		return nil, err
	}
	var out syncBuffer
	cmd := exec.Command(filepath.Join(assets, "kube-controller-manager"),
		"--kubeconfig="+path,
		"--controllers=garbage-collector-controller,statefulset-controller,job-controller,serviceaccount-controller,persistentvolumeclaim-protection-controller",
		"--leader-elect=false",
		"--secure-port=0",
		"--concurrent-gc-syncs=5",
		"-v=1",
	)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start kube-controller-manager: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if os.Getenv("MNEMO_TEST_LOG") != "" {
			fmt.Fprintln(os.Stderr, "--- kube-controller-manager log ---\n"+out.String())
		}
		os.RemoveAll(dir)
	}, nil
}

// installOperatorConfig installs what config/default adds besides the
// CRDs and the Deployment: the operator's namespace, the node-type
// ConfigMap and the admission policy, from the same files.
func installOperatorConfig(ctx context.Context) error {
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}}); err != nil {
		return err
	}
	for _, file := range []string{"../config/manager/node_types.yaml", "../config/policy/node_types.yaml"} {
		objs, err := readManifests(file)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			if err := k8s.Create(ctx, obj); err != nil {
				return fmt.Errorf("%s: cannot create %s %s: %w", file, obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	return nil
}

// startManager runs the reconcilers as mnemo operator does, logging as
// JSON into operLog.
func startManager(ctx context.Context) (<-chan struct{}, error) {
	log := logr.FromSlogHandler(slog.NewJSONHandler(&operLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctrl.SetLogger(log)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}: {Label: labels.SelectorFromSet(labels.Set{specs.LabelManagedBy: specs.ManagedBy})},
		}},
	})
	if err != nil {
		return nil, err
	}
	if err := controllers.SetupWithManager(ctx, mgr, controllers.Options{
		DefaultImage: testImage, OperatorNamespace: operatorNamespace, NodeTypesConfigMap: nodeTypesName,
		// Data nodes, where a test runs them, are processes on loopback
		// (kubelet_envtest_test.go); looked at often so flows are quick.
		Nodes: loopbackNodes, ObserveInterval: 300 * time.Millisecond,
		// The slot maps of the Clusters a resharding test registers are
		// stand-ins (reshard_envtest_test.go); every other goes to the nodes.
		Slots: fakeSlots,
	}); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "envtest: manager stopped:", err)
		}
	}()
	return done, nil
}

// readManifests reads a multi-document YAML file into objects.
func readManifests(path string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}

// newNamespace makes a namespace of the test's own (envtest cannot delete
// namespaces: there is no namespace controller).
func newNamespace(t *testing.T) string {
	t.Helper()
	nsMu.Lock()
	nsCounter++
	name := fmt.Sprintf("%s-%d", strings.ToLower(strings.TrimPrefix(t.Name(), "Test")), nsCounter)
	nsMu.Unlock()
	name = strings.NewReplacer("/", "-", "_", "-").Replace(name)
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

// applyFile creates every object of a YAML file in namespace ns.
func applyFile(t *testing.T, ns, path string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := readManifests(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		obj.SetNamespace(ns)
		if err := k8s.Create(context.Background(), obj); err != nil {
			t.Fatalf("%s: %s %s: %v", path, obj.GetKind(), obj.GetName(), err)
		}
	}
	return objs
}

// eventually retries check until it returns nil or waitFor passes.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after %s: %v", what, waitFor, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// get reads an object from the API server.
func get(ns, name string, obj client.Object) error {
	return k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj)
}

// gone is nil once the object no longer exists.
func gone(ns, name string, obj client.Object) error {
	err := get(ns, name, obj)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%T %s still exists (deletion timestamp %v, finalizers %v)", obj, name, obj.GetDeletionTimestamp(), obj.GetFinalizers())
}

// controlledBy is nil when obj's controller owner reference names the kind
// and name given.
func controlledBy(obj client.Object, kind, name string) error {
	ref := metav1.GetControllerOf(obj)
	if ref == nil {
		return fmt.Errorf("%s has no controller owner", obj.GetName())
	}
	if ref.Kind != kind || ref.Name != name {
		return fmt.Errorf("%s is controlled by %s %s, want %s %s", obj.GetName(), ref.Kind, ref.Name, kind, name)
	}
	return nil
}
