package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func statusCmd(conn connect) *cobra.Command {
	var events int
	cmd := &cobra.Command{
		Use:   "status CLUSTER",
		Short: "Show a Cluster on one screen: phase, endpoint, shards, nodes, snapshots, updates, events",
		Long: "status shows what the operator knows of a Cluster: its phase and conditions, its\n" +
			"endpoint, each shard with its slots, primary, replicas and lag, the last snapshot,\n" +
			"changes rolling out with their progress, and the latest Events.",
		Example:           "  kubectl mnemo status orders -n shop",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: clusterArg(conn),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := conn()
			if err != nil {
				return err
			}
			st, err := loadStatus(cmd.Context(), e, args[0], events)
			if err != nil {
				return err
			}
			renderStatus(e.out, st, e.now())
			return nil
		},
	}
	cmd.Flags().IntVar(&events, "events", 5, "how many of the latest Events to show")
	return cmd
}

// clusterStatus is everything status shows.
type clusterStatus struct {
	cluster mnemov1.Cluster
	shards  []mnemov1.Shard
	events  []eventsv1.Event
}

func loadStatus(ctx context.Context, e *env, name string, events int) (*clusterStatus, error) {
	st := &clusterStatus{}
	if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &st.cluster); err != nil {
		return nil, fmt.Errorf("cannot read Cluster %s/%s: %w", e.ns, name, err)
	}
	var err error
	if st.shards, err = shardsOf(ctx, e, name); err != nil {
		return nil, err
	}
	var list eventsv1.EventList
	if err := e.c.List(ctx, &list, client.InNamespace(e.ns)); err != nil {
		return nil, fmt.Errorf("cannot list Events: %w", err)
	}
	for _, ev := range list.Items {
		if relatesTo(ev, name, st.shards) {
			st.events = append(st.events, ev)
		}
	}
	slices.SortFunc(st.events, func(a, b eventsv1.Event) int { return eventTime(a).Compare(eventTime(b)) })
	if len(st.events) > events {
		st.events = st.events[len(st.events)-events:]
	}
	return st, nil
}

// shardsOf lists a Cluster's Shards in index order.
func shardsOf(ctx context.Context, e *env, cluster string) ([]mnemov1.Shard, error) {
	var list mnemov1.ShardList
	if err := e.c.List(ctx, &list, client.InNamespace(e.ns)); err != nil {
		return nil, fmt.Errorf("cannot list Shards: %w", err)
	}
	var out []mnemov1.Shard
	for _, s := range list.Items {
		if s.Spec.ClusterName == cluster {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b mnemov1.Shard) int { return int(a.Spec.Index - b.Spec.Index) })
	return out, nil
}

// relatesTo reports whether ev is about the Cluster or one of its Shards.
func relatesTo(ev eventsv1.Event, cluster string, shards []mnemov1.Shard) bool {
	switch ev.Regarding.Kind {
	case "Cluster":
		return ev.Regarding.Name == cluster
	case "Shard":
		return slices.ContainsFunc(shards, func(s mnemov1.Shard) bool { return s.Name == ev.Regarding.Name })
	}
	return false
}

func eventTime(ev eventsv1.Event) time.Time {
	if !ev.EventTime.IsZero() {
		return ev.EventTime.Time
	}
	return ev.CreationTimestamp.Time
}

// renderStatus writes the status screen: a pure function of st and now.
func renderStatus(w io.Writer, st *clusterStatus, now time.Time) {
	c := &st.cluster
	phase := string(c.Status.Phase)
	if phase == "" {
		phase = "Unknown (the operator has not reported yet)"
	}
	fmt.Fprintf(w, "Cluster %s/%s: %s\n", c.Namespace, c.Name, phase)
	endpoint := "-"
	if ep := c.Status.Endpoint; ep != nil {
		endpoint = fmt.Sprintf("%s:%d", ep.Address, ep.Port)
		if c.Spec.TLS != nil && c.Spec.TLS.Enabled {
			endpoint += " (TLS)"
		}
	}
	fmt.Fprintf(w, "Endpoint:   %s\n", endpoint)
	fmt.Fprintf(w, "Node type:  %s, %d shard(s) × (1 primary + %d replica(s))\n", c.Spec.NodeType, c.Spec.NumShards, c.Spec.NumReplicasPerShard)
	for _, typ := range []string{mnemov1.ConditionReady, mnemov1.ConditionProgressing, mnemov1.ConditionDegraded} {
		if cond := meta.FindStatusCondition(c.Status.Conditions, typ); cond != nil {
			fmt.Fprintf(w, "%-11s %s (%s) %s\n", typ+":", cond.Status, cond.Reason, cond.Message)
		}
	}
	last := "none"
	if ls := c.Status.LastSnapshot; ls != nil {
		last = ls.Name
		if ls.Time != nil {
			last += fmt.Sprintf(", %s ago", now.Sub(ls.Time.Time).Round(time.Second))
		}
	}
	fmt.Fprintf(w, "Snapshot:   %s\n", last)
	if pu := c.Status.PendingUpdates; pu != nil {
		fmt.Fprintln(w, "Pending updates:")
		if r := pu.Resharding; r != nil {
			fmt.Fprintf(w, "  resharding %d → %d shards, %d slots  %s\n", r.FromShards, r.ToShards, r.SlotsToMove, progressBar(float64(r.ProgressPercent)/100))
		}
		if r := pu.NodeTypeRollout; r != nil {
			frac := 0.0
			if r.TotalNodes > 0 {
				frac = float64(r.UpdatedNodes) / float64(r.TotalNodes)
			}
			fmt.Fprintf(w, "  node type %s → %s, %d/%d nodes  %s\n", r.From, r.To, r.UpdatedNodes, r.TotalNodes, progressBar(frac))
		}
	}

	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tSLOTS\tPRIMARY\tREADY\tLAG\tNODES")
	summaries := map[string]mnemov1.ShardSummary{}
	for _, s := range c.Status.Shards {
		summaries[s.Name] = s
	}
	for _, s := range st.shards {
		sum := summaries[s.Name]
		slots := s.Status.Slots
		if slots == "" {
			slots = sum.Slots
		}
		primary := s.Status.Primary
		if primary == "" {
			primary = "-"
		}
		if _, ok := s.Annotations[FailoverAnnotation]; ok {
			primary += " (failover requested)"
		}
		var nodes []string
		for _, n := range s.Status.Nodes {
			mark := ""
			if !n.Ready {
				mark = " not ready"
			}
			if n.UsedMemoryBytes > 0 {
				mark += " " + memoryText(n.UsedMemoryBytes, n.MaxMemoryBytes)
			}
			nodes = append(nodes, fmt.Sprintf("%s %s%s", n.Name, n.Role, mark))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%d\t%s\n", s.Spec.Index, dash(slots), primary, s.Status.ReadyNodes, s.Spec.Nodes, sum.Lag, dash(strings.Join(nodes, ", ")))
	}
	tw.Flush()
	if len(st.events) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Events:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, ev := range st.events {
			fmt.Fprintf(tw, "  %s ago\t%s\t%s\t%s/%s\t%s\n", now.Sub(eventTime(ev)).Round(time.Second), ev.Type, ev.Reason, ev.Regarding.Kind, ev.Regarding.Name, ev.Note)
		}
		tw.Flush()
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// progressBar draws frac (0 to 1) as a 20-cell bar with a percentage.
func progressBar(frac float64) string {
	frac = min(max(frac, 0), 1)
	n := int(frac*20 + 0.5)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 20-n) + fmt.Sprintf("] %3.0f%%", frac*100)
}

// memoryText is a node's memory as "12.5MiB/1.0GiB (1%)", or the used
// figure alone without a maxmemory.
func memoryText(used, limit int64) string {
	if limit <= 0 {
		return bytesText(used)
	}
	return fmt.Sprintf("%s/%s (%d%%)", bytesText(used), bytesText(limit), used*100/limit)
}

// bytesText is n bytes in binary units, one decimal.
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTP"[exp])
}
