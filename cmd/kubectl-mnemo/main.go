package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// FailoverAnnotation asks the operator for a manual failover of the Shard
// it is set on; its value is the pod to hand over to, or "any" (the
// operator's contract, mnemov1.FailoverRequestedAnnotation). The operator
// removes it when the failover is done or has failed.
const FailoverAnnotation = mnemov1.FailoverRequestedAnnotation

// env is what a command needs: clients for the API server, the namespace,
// where to write, and the clock.
type env struct {
	c      client.Client
	cs     kubernetes.Interface
	ns     string
	out    io.Writer
	errOut io.Writer
	now    func() time.Time
	// poll is how often a command that follows something rereads it.
	poll time.Duration
	// kubeFlags are the kubeconfig flags to pass on when running kubectl.
	kubeFlags []string
}

// connect builds an env from the kubeconfig flags.
type connect func() (*env, error)

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := mnemov1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// newEnv makes an env for the API server of cfg, in namespace ns.
func newEnv(cfg *rest.Config, ns string, out, errOut io.Writer) (*env, error) {
	c, err := client.New(cfg, client.Options{Scheme: newScheme()})
	if err != nil {
		return nil, fmt.Errorf("cannot reach the API server: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &env{c: c, cs: cs, ns: ns, out: out, errOut: errOut, now: time.Now, poll: time.Second}, nil
}

// newRootCmd is the plugin's command tree. conn, if not nil, replaces the
// kubeconfig (tests).
func newRootCmd(out, errOut io.Writer, conn connect) *cobra.Command {
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	overrides := &clientcmd.ConfigOverrides{}
	var namespace string
	root := &cobra.Command{
		Use:   "kubectl-mnemo",
		Short: "Manage Mnemo clusters: status, failover, snapshots, a shell, logs, support bundles",
		Long: "kubectl mnemo manages the Mnemo clusters of a namespace through the resources\n" +
			"the Mnemo operator reconciles, with your kubeconfig and permissions.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errOut)
	pf := root.PersistentFlags()
	pf.StringVar(&loading.ExplicitPath, "kubeconfig", "", "path to the kubeconfig file")
	pf.StringVar(&overrides.CurrentContext, "context", "", "the kubeconfig context to use")
	pf.StringVarP(&namespace, "namespace", "n", "", "the namespace of the Cluster (default: the context's)")
	if conn == nil {
		conn = func() (*env, error) {
			cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, overrides)
			cfg, err := cc.ClientConfig()
			if err != nil {
				return nil, err
			}
			ns := namespace
			if ns == "" {
				if ns, _, err = cc.Namespace(); err != nil {
					return nil, err
				}
			}
			e, err := newEnv(cfg, ns, out, errOut)
			if err != nil {
				return nil, err
			}
			if loading.ExplicitPath != "" {
				e.kubeFlags = append(e.kubeFlags, "--kubeconfig", loading.ExplicitPath)
			}
			if overrides.CurrentContext != "" {
				e.kubeFlags = append(e.kubeFlags, "--context", overrides.CurrentContext)
			}
			return e, nil
		}
	} else {
		inner := conn
		conn = func() (*env, error) {
			e, err := inner()
			if err == nil && namespace != "" {
				e.ns = namespace
			}
			return e, err
		}
	}
	root.AddCommand(statusCmd(conn), failoverCmd(conn), snapshotCmd(conn), cliCmd(conn), logsCmd(conn), reportCmd(conn))
	return root
}

// clusterArg completes a Cluster name from those in the namespace.
func clusterArg(conn connect) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		e, err := conn()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var list mnemov1.ClusterList
		if err := e.c.List(cmd.Context(), &list, client.InNamespace(e.ns)); err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var names []string
		for _, c := range list.Items {
			names = append(names, c.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

func main() {
	root := newRootCmd(os.Stdout, os.Stderr, nil)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kubectl mnemo:", err)
		os.Exit(1)
	}
}
