package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func failoverCmd(conn connect) *cobra.Command {
	var wait bool
	var timeout time.Duration
	var to string
	cmd := &cobra.Command{
		Use:   "failover CLUSTER SHARD",
		Short: "Ask the operator for a manual failover of a shard, and wait for it",
		Long: "failover asks the operator to hand a shard's primary role to a caught-up replica\n" +
			"(MemoryDB's FailoverShard), by setting the annotation " + FailoverAnnotation + "\n" +
			"on the Shard. SHARD is the shard's index or its Shard name; --to names the replica\n" +
			"pod to hand over to (default: the most caught-up one). With --wait (the default)\n" +
			"it waits until the operator has done it and reports the duration and the new\n" +
			"primary, or why the operator did not do it.",
		Example:           "  kubectl mnemo failover orders 1\n  kubectl mnemo failover orders 1 --to orders-shard-1-2\n  kubectl mnemo failover orders orders-shard-1 --wait=false",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: shardArgs(conn),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := conn()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			shard, err := findShard(ctx, e, args[0], args[1])
			if err != nil {
				return err
			}
			if _, ok := shard.Annotations[FailoverAnnotation]; ok {
				return fmt.Errorf("a failover of Shard %s is already requested", shard.Name)
			}
			before := shard.Status.Primary
			requested := e.now()
			// The value is what the operator hands over to: a pod of
			// the shard, or any caught-up replica.
			target := mnemov1.FailoverAny
			if to != "" {
				target = to
			}
			patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, FailoverAnnotation, target)
			if err := e.c.Patch(ctx, shard, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
				return fmt.Errorf("cannot request the failover: %w", err)
			}
			fmt.Fprintf(e.out, "Requested a failover of Shard %s (primary %s)\n", shard.Name, dash(before))
			if !wait {
				return nil
			}
			return waitFailover(ctx, e, shard.Name, before, requested, timeout)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", true, "wait until the operator has completed the failover")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait")
	cmd.Flags().StringVar(&to, "to", "", "the replica pod to hand over to (default: the most caught-up replica)")
	return cmd
}

// waitFailover waits until the operator has removed the request, then
// reports the duration and the primary.
func waitFailover(ctx context.Context, e *env, name, before string, requested time.Time, timeout time.Duration) error {
	deadline := requested.Add(timeout)
	for {
		var s mnemov1.Shard
		if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &s); err != nil {
			return err
		}
		if _, pending := s.Annotations[FailoverAnnotation]; !pending {
			took := e.now().Sub(requested).Round(100 * time.Millisecond)
			// The operator also removes a request it refused or could not
			// carry out; its Event says which.
			if ev := failoverEvent(ctx, e, name, requested); ev != nil && ev.Type == corev1.EventTypeWarning {
				return fmt.Errorf("the operator did not fail Shard %s over (%s): %s", name, ev.Reason, ev.Note)
			}
			if s.Status.Primary == before {
				fmt.Fprintf(e.out, "Failover of Shard %s done in %s; primary is still %s (see kubectl mnemo status)\n", name, took, dash(before))
			} else {
				fmt.Fprintf(e.out, "Failover of Shard %s done in %s: primary %s → %s\n", name, took, dash(before), dash(s.Status.Primary))
			}
			return nil
		}
		if !e.now().Before(deadline) {
			return fmt.Errorf("the operator has not completed the failover of Shard %s after %s (the request stays; see kubectl mnemo status)", name, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.poll):
		}
	}
}

// failoverEvent is the operator's latest Failover* Event about Shard name
// since the request (with a minute's slack for clocks), or nil.
func failoverEvent(ctx context.Context, e *env, name string, requested time.Time) *eventsv1.Event {
	var list eventsv1.EventList
	if err := e.c.List(ctx, &list, client.InNamespace(e.ns)); err != nil {
		return nil
	}
	var latest *eventsv1.Event
	for i := range list.Items {
		ev := &list.Items[i]
		if ev.Regarding.Kind != "Shard" || ev.Regarding.Name != name || !strings.HasPrefix(ev.Reason, "Failover") {
			continue
		}
		if t := eventTime(*ev); t.After(requested.Add(-time.Minute)) && (latest == nil || !t.Before(eventTime(*latest))) {
			latest = ev
		}
	}
	return latest
}

// findShard finds a Cluster's Shard by index or name.
func findShard(ctx context.Context, e *env, cluster, shard string) (*mnemov1.Shard, error) {
	shards, err := shardsOf(ctx, e, cluster)
	if err != nil {
		return nil, err
	}
	idx, numErr := strconv.Atoi(shard)
	for i := range shards {
		if shards[i].Name == shard || (numErr == nil && int(shards[i].Spec.Index) == idx) {
			return &shards[i], nil
		}
	}
	return nil, fmt.Errorf("cluster %s/%s has no shard %s (%d shards)", e.ns, cluster, shard, len(shards))
}

// shardArgs completes CLUSTER, then SHARD (its indexes).
func shardArgs(conn connect) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	clusters := clusterArg(conn)
	return func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return clusters(cmd, args, s)
		}
		if len(args) > 1 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		e, err := conn()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		shards, err := shardsOf(cmd.Context(), e, args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []string
		for _, sh := range shards {
			out = append(out, strconv.Itoa(int(sh.Spec.Index)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
