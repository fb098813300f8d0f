package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// SlotPlane is the resharding's whole contact with the data plane: it
// reads the live slot map and starts slot moves. The decisions are pure
// (plan.PlanReshard); this is the thin part that talks, so envtest, which
// runs no pods, can stand in for it.
type SlotPlane interface {
	// SlotMap reads the live slot map (CLUSTER SHARDS) from one of the
	// Cluster's running data pods, and the moves each shard's primary
	// reports (CLUSTER GETSLOTMIGRATIONS). It fails rather than answer
	// with a part of it.
	SlotMap(ctx context.Context, c *mnemov1.Cluster, pods []corev1.Pod) (plan.LiveSlots, error)
	// StartMove asks the source shard's primary to start the move
	// (CLUSTER MIGRATESLOTS); it runs in the background.
	StartMove(ctx context.Context, c *mnemov1.Cluster, primary *corev1.Pod, m plan.Move) error
}

// NewNodeSlotPlane is the SlotPlane that talks to the data nodes with
// go-redis, reaching each pod's node through r (PodDNSResolver when nil).
func NewNodeSlotPlane(r NodeResolver) SlotPlane { return nodeSlotPlane{nodes{resolver: r}} }

type nodeSlotPlane struct{ n nodes }

// errNoDataNode is returned when no data pod of the Cluster answers.
var errNoDataNode = errors.New("no running data node answered CLUSTER SHARDS")

// SlotMap implements SlotPlane.
func (p nodeSlotPlane) SlotMap(ctx context.Context, c *mnemov1.Cluster, pods []corev1.Pod) (plan.LiveSlots, error) {
	running := make([]*corev1.Pod, 0, len(pods))
	for i := range pods {
		if pods[i].Status.Phase == corev1.PodRunning && pods[i].DeletionTimestamp.IsZero() {
			running = append(running, &pods[i])
		}
	}
	// Ready nodes first: they have read the slot map.
	slices.SortStableFunc(running, func(a, b *corev1.Pod) int {
		ra, rb := podReady(a), podReady(b)
		switch {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return 0
	})
	var reply any
	err := errNoDataNode
	for _, pod := range running {
		if reply, err = p.n.do(ctx, c, pod, "CLUSTER", "SHARDS"); err == nil {
			break
		}
	}
	if err != nil {
		return plan.LiveSlots{}, fmt.Errorf("cannot read the slot map: %w", err)
	}
	byAddr := map[string]*corev1.Pod{}
	byName := map[string]*corev1.Pod{}
	for _, pod := range running {
		byName[pod.Name] = pod
		if addr, err := p.n.address(ctx, c, pod); err == nil {
			byAddr[addr] = pod
		}
	}
	live, err := parseClusterShards(reply, func(host, port string) *corev1.Pod {
		if pod := byAddr[net.JoinHostPort(host, port)]; pod != nil {
			return pod
		}
		// A node announces <pod>.<shard>.<namespace>.svc.
		name, _, _ := strings.Cut(host, ".")
		return byName[name]
	})
	if err != nil {
		return plan.LiveSlots{}, err
	}
	for _, s := range live.Shards {
		if s.Primary == "" {
			continue
		}
		reply, err := p.n.do(ctx, c, byName[s.Primary], "CLUSTER", "GETSLOTMIGRATIONS")
		if err != nil {
			return plan.LiveSlots{}, fmt.Errorf("cannot list the slot moves of shard %d's primary %s: %w", s.Index, s.Primary, err)
		}
		live.Migrations = append(live.Migrations, parseSlotMigrations(reply)...)
	}
	return live, nil
}

// StartMove implements SlotPlane.
func (p nodeSlotPlane) StartMove(ctx context.Context, c *mnemov1.Cluster, primary *corev1.Pod, m plan.Move) error {
	user, password := p.n.credentials(ctx, c)
	if _, err := p.n.do(ctx, c, primary, migrateSlotsArgs(m, user, password)...); err != nil {
		return fmt.Errorf("CLUSTER MIGRATESLOTS on %s: %w", primary.Name, err)
	}
	return nil
}

// migrateSlotsArgs is the command that starts move m on the source's
// primary. With the operator's credentials (any ACL but open-access, where
// the default user is off) the source authenticates its connections to
// the target with them.
func migrateSlotsArgs(m plan.Move, user, password string) []any {
	args := []any{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE"}
	for _, r := range m.Slots {
		args = append(args, r.Start, r.End)
	}
	args = append(args, "SHARD", m.To)
	if user != "" {
		args = append(args, "AUTH2", user, password)
	}
	return args
}

// parseClusterShards reads a CLUSTER SHARDS reply (RESP2: each map as a
// flat array) into the live slot map. podOf finds the pod a node's
// announced host and port belong to; the shard's index is that pod's
// mnemo.dev/shard label. A shard's primary counts only when online.
func parseClusterShards(reply any, podOf func(host, port string) *corev1.Pod) (plan.LiveSlots, error) {
	entries, ok := reply.([]any)
	if !ok {
		return plan.LiveSlots{}, fmt.Errorf("CLUSTER SHARDS answered %T", reply)
	}
	var live plan.LiveSlots
	for _, e := range entries {
		f := pairs(e)
		var s plan.LiveShard
		s.Index = -1
		bounds, _ := f["slots"].([]any)
		for i := 0; i+1 < len(bounds); i += 2 {
			a, _ := bounds[i].(int64)
			b, _ := bounds[i+1].(int64)
			s.Slots = append(s.Slots, mnemov1.SlotRange{Start: int32(a), End: int32(b)})
		}
		nodes, _ := f["nodes"].([]any)
		var names []string
		for _, n := range nodes {
			nf := pairs(n)
			host, _ := nf["hostname"].(string)
			if host == "" {
				host, _ = nf["ip"].(string)
			}
			port, ok := nf["port"].(int64)
			if !ok {
				port, _ = nf["tls-port"].(int64)
			}
			names = append(names, net.JoinHostPort(host, strconv.FormatInt(port, 10)))
			pod := podOf(host, strconv.FormatInt(port, 10))
			if pod == nil {
				continue
			}
			idx, err := strconv.Atoi(pod.Labels[specs.LabelShard])
			if err != nil {
				continue
			}
			s.Index = int32(idx)
			if nf["role"] == "master" && nf["health"] == "online" {
				s.Primary = pod.Name
			}
		}
		if s.Index < 0 {
			if len(s.Slots) == 0 {
				continue // a shard of pods already gone, owning nothing
			}
			return plan.LiveSlots{}, fmt.Errorf("the slot map gives slots %s to nodes %v, which are no running pods of the Cluster", plan.FormatSlots(s.Slots), names)
		}
		live.Shards = append(live.Shards, s)
	}
	return live, nil
}

// parseSlotMigrations reads a CLUSTER GETSLOTMIGRATIONS reply.
func parseSlotMigrations(reply any) []plan.SlotMigration {
	entries, _ := reply.([]any)
	out := make([]plan.SlotMigration, 0, len(entries))
	for _, e := range entries {
		f := pairs(e)
		m := plan.SlotMigration{}
		m.ID, _ = f["id"].(string)
		m.Slots, _ = f["slots"].(string)
		m.State, _ = f["state"].(string)
		m.Error, _ = f["error"].(string)
		from, _ := f["source-shard"].(int64)
		to, _ := f["target-shard"].(int64)
		m.From, m.To = int32(from), int32(to)
		out = append(out, m)
	}
	return out
}

// pairs reads a map reply: a flat array of names and values in RESP2, a
// map in RESP3.
func pairs(v any) map[string]any {
	out := map[string]any{}
	switch t := v.(type) {
	case []any:
		for i := 0; i+1 < len(t); i += 2 {
			if k, ok := t[i].(string); ok {
				out[k] = t[i+1]
			}
		}
	case map[any]any:
		for k, val := range t {
			if ks, ok := k.(string); ok {
				out[ks] = val
			}
		}
	case map[string]any:
		return t
	}
	return out
}
