package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// operatorFlags are mnemo operator's command line.
type operatorFlags struct {
	namespaces         []string
	metricsAddr        string
	probeAddr          string
	leaderElect        bool
	logFormat          string
	logLevel           string
	image              string
	operatorNamespace  string
	nodeTypesConfigMap string
}

// namespaceList is a flag that may be repeated or comma-separated.
type namespaceList []string

func (l *namespaceList) String() string { return strings.Join(*l, ",") }

func (l *namespaceList) Set(v string) error {
	for _, ns := range strings.Split(v, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			*l = append(*l, ns)
		}
	}
	return nil
}

func parseOperatorFlags(args []string, stderr io.Writer) (*operatorFlags, error) {
	f := &operatorFlags{}
	fs := flag.NewFlagSet("mnemo operator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var((*namespaceList)(&f.namespaces), "namespace", "watch only this namespace (repeat or comma-separate for several; all when unset)")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus metrics endpoint (0 turns it off)")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz probes")
	fs.BoolVar(&f.leaderElect, "leader-elect", false, "elect a leader, so that only one of several replicas reconciles")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: json or text")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info or error")
	fs.StringVar(&f.image, "mnemo-image", "mnemo:dev", "the mnemo image Clusters run unless they set spec.image")
	fs.StringVar(&f.operatorNamespace, "operator-namespace", envOr("POD_NAMESPACE", "mnemo-system"),
		"the operator's namespace: its leader-election lease and the node-type ConfigMap live there")
	fs.StringVar(&f.nodeTypesConfigMap, "node-types-configmap", "mnemo-node-types",
		"ConfigMap in the operator's namespace that adds to or redefines the node-type catalog")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: mnemo operator [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Runs the Kubernetes operator: it reconciles mnemo.dev Clusters, Shards,")
		fmt.Fprintln(fs.Output(), "ParameterGroups, Users, ACLs and Snapshots. It finds the cluster the way")
		fmt.Fprintln(fs.Output(), "kubectl does: in-cluster, or $KUBECONFIG / ~/.kube/config.")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.logFormat != "json" && f.logFormat != "text" {
		return nil, fmt.Errorf("--log-format must be json or text, not %q", f.logFormat)
	}
	if _, err := slogLevel(f.logLevel); err != nil {
		return nil, err
	}
	return f, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func slogLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level must be debug, info or error, not %q", s)
}

// newLogger makes the logr logger every part of the operator logs through
// (controller-runtime, client-go via klog), as JSON or text on w.
func newLogger(format, level string, w io.Writer) logr.Logger {
	lvl, _ := slogLevel(level)
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return logr.FromSlogHandler(h)
}

// operatorScheme knows the built-in kinds and mnemo.dev's.
func operatorScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := mnemov1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

func runOperator(args []string, stdout, stderr io.Writer) int {
	var usage bytes.Buffer
	f, err := parseOperatorFlags(args, &usage)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = usage.WriteTo(stdout) // asked for: not an error
		return 0
	}
	_, _ = usage.WriteTo(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mnemo operator: %v\n", err)
		return 2
	}
	log := newLogger(f.logFormat, f.logLevel, stderr)
	ctrl.SetLogger(log)
	klog.SetLogger(log)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := startOperator(ctx, f, log); err != nil {
		log.Error(err, "Operator stopped")
		return 1
	}
	return 0
}

// startOperator runs the manager until ctx is done.
func startOperator(ctx context.Context, f *operatorFlags, log logr.Logger) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("cannot find a Kubernetes cluster: %w", err)
	}
	scheme, err := operatorScheme()
	if err != nil {
		return err
	}
	cacheOpts := cache.Options{
		// Only the operator's own pods are worth caching.
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}: {Label: labels.SelectorFromSet(labels.Set{specs.LabelManagedBy: specs.ManagedBy})},
		},
	}
	if len(f.namespaces) > 0 {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range f.namespaces {
			cacheOpts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   cacheOpts,
		Metrics:                 metricsserver.Options{BindAddress: f.metricsAddr},
		HealthProbeBindAddress:  f.probeAddr,
		LeaderElection:          f.leaderElect,
		LeaderElectionID:        "operator.mnemo.dev",
		LeaderElectionNamespace: f.operatorNamespace,
		// Step down at once on SIGTERM, so a new leader need not wait for
		// the lease to expire during a rollout.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("cannot create the manager: %w", err)
	}
	if err := controllers.SetupWithManager(ctx, mgr, controllers.Options{
		DefaultImage:       f.image,
		OperatorNamespace:  f.operatorNamespace,
		NodeTypesConfigMap: f.nodeTypesConfigMap,
	}); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	log.Info("Starting operator", "namespaces", f.namespaces, "leaderElect", f.leaderElect, "image", f.image)
	return mgr.Start(ctx)
}
