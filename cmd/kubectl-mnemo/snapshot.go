package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func snapshotCmd(conn connect) *cobra.Command {
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "snapshot CLUSTER [NAME]",
		Short: "Take a snapshot of a Cluster now, and follow it to completion",
		Long: "snapshot creates a Snapshot of the Cluster (named CLUSTER-YYYYMMDD-HHMMSS unless\n" +
			"NAME is given), which the operator builds off the data path, one Job per shard,\n" +
			"and follows it, showing how many shards are done, until it is Available or Failed.",
		Example:           "  kubectl mnemo snapshot orders\n  kubectl mnemo snapshot orders before-migration --timeout 30m",
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: clusterArg(conn),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := conn()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cluster := args[0]
			if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: cluster}, &mnemov1.Cluster{}); err != nil {
				return fmt.Errorf("cannot read Cluster %s/%s: %w", e.ns, cluster, err)
			}
			name := cluster + "-" + e.now().UTC().Format("20060102-150405")
			if len(args) == 2 {
				name = args[1]
			}
			snap := &mnemov1.Snapshot{
				ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: name},
				Spec:       mnemov1.SnapshotSpec{ClusterName: cluster},
			}
			if err := e.c.Create(ctx, snap); err != nil {
				return fmt.Errorf("cannot create Snapshot %s: %w", name, err)
			}
			fmt.Fprintf(e.out, "Created Snapshot %s/%s of Cluster %s\n", e.ns, name, cluster)
			if !wait {
				return nil
			}
			return followSnapshot(ctx, e, name, timeout)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", true, "follow the snapshot until it is Available or Failed")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "how long to follow it")
	return cmd
}

// followSnapshot prints the snapshot's progress whenever it changes, until
// it is finished or timeout passes.
func followSnapshot(ctx context.Context, e *env, name string, timeout time.Duration) error {
	start := e.now()
	last := ""
	for {
		var s mnemov1.Snapshot
		if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &s); err != nil {
			return err
		}
		done := 0
		for _, sh := range s.Status.Shards {
			if sh.Done {
				done++
			}
		}
		frac := 0.0
		if n := len(s.Status.Shards); n > 0 {
			frac = float64(done) / float64(n)
		}
		phase := string(s.Status.Phase)
		if phase == "" {
			phase = "Pending"
		}
		line := fmt.Sprintf("%-10s %d/%d shards %s", phase, done, len(s.Status.Shards), progressBar(frac))
		if line != last {
			fmt.Fprintln(e.out, line)
			last = line
		}
		switch s.Status.Phase {
		case mnemov1.SnapshotAvailable:
			fmt.Fprintf(e.out, "Snapshot %s is Available (%s)\n", name, e.now().Sub(start).Round(time.Second))
			return nil
		case mnemov1.SnapshotFailed:
			msg := ""
			for _, c := range s.Status.Conditions {
				if c.Type == mnemov1.ConditionReady {
					msg = ": " + c.Message
				}
			}
			return fmt.Errorf("snapshot %s failed%s", name, msg)
		}
		if e.now().Sub(start) >= timeout {
			return fmt.Errorf("snapshot %s is still %s after %s; it goes on (kubectl get snapshot %s)", name, phase, timeout, name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.poll):
		}
	}
}
