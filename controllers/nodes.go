package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// The operator talks to data nodes with go-redis, as any client does: INFO
// replication to learn roles and lag, FAILOVER for planned handoffs,
// CONFIG SET for live parameters. It learns roles from the nodes rather
// than from the log's KV bucket (MNEMO_CONTROL) because it must reach the
// nodes anyway for FAILOVER and CONFIG SET; because a node's own answer is
// what clients see (a primary that still holds the lease but cannot renew
// says so through CLUSTERDOWN, not through the bucket); because the pod a
// reply comes from is known without decoding the engine's internal key
// layout (node IDs, addresses); and because the operator then needs no
// credentials for, or route to, the log servers.

// nodeTimeout bounds one request to a data node: a node that cannot
// answer INFO within it is not healthy enough to roll the next one.
const nodeTimeout = 2 * time.Second

// NodeResolver gives the client address (host:port) of the data node a
// pod runs. The production resolver names the pod through its shard's
// headless Service, which is also the address a node announces; tests map
// pods to engine processes on loopback.
type NodeResolver interface {
	NodeAddress(ctx context.Context, pod *corev1.Pod, port int32) (string, error)
}

// PodDNSResolver resolves a data node to <pod>.<shard>.<namespace>.svc,
// the name its StatefulSet's headless Service gives it.
type PodDNSResolver struct{}

// NodeAddress implements NodeResolver.
func (PodDNSResolver) NodeAddress(_ context.Context, pod *corev1.Pod, port int32) (string, error) {
	if pod.Spec.Subdomain == "" {
		return "", fmt.Errorf("pod %s has no subdomain", pod.Name)
	}
	host := fmt.Sprintf("%s.%s.%s.svc", pod.Name, pod.Spec.Subdomain, pod.Namespace)
	return net.JoinHostPort(host, strconv.Itoa(int(port))), nil
}

// nodes reaches data nodes.
type nodes struct {
	resolver NodeResolver
	// secrets reads the operator's password Secrets (operator_user.go);
	// without it the operator connects as the default user.
	secrets client.Reader
}

func (n nodes) address(ctx context.Context, c *mnemov1.Cluster, pod *corev1.Pod) (string, error) {
	r := n.resolver
	if r == nil {
		r = PodDNSResolver{}
	}
	return r.NodeAddress(ctx, pod, c.ClientPort())
}

// do runs one command on the node a pod runs, on a connection of its own.
func (n nodes) do(ctx context.Context, c *mnemov1.Cluster, pod *corev1.Pod, args ...any) (any, error) {
	addr, err := n.address(ctx, c, pod)
	if err != nil {
		return nil, err
	}
	user, password := n.credentials(ctx, c)
	reply, err := n.doAt(ctx, addr, user, password, args...)
	if user != "" && authRefused(err) {
		reply, err = n.doAt(ctx, addr, "", "", args...)
	}
	return reply, err
}

// doAt runs one command at addr, authenticated when user is set.
func (n nodes) doAt(ctx context.Context, addr, user, password string, args ...any) (any, error) {
	cl := redis.NewClient(&redis.Options{
		// One try: a node that does not answer is reported as such, and
		// the next observation asks again.
		Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1, PoolSize: 1, DialerRetries: 1,
		DialTimeout: nodeTimeout, ReadTimeout: nodeTimeout, WriteTimeout: nodeTimeout,
		Username: user, Password: password,
	})
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, nodeTimeout)
	defer cancel()
	return cl.Do(ctx, args...).Result()
}

// failover asks primary for a planned handoff: to target's address, or
// to whichever replica the engine picks when target is nil.
func (n nodes) failover(ctx context.Context, c *mnemov1.Cluster, primary, target *corev1.Pod) error {
	args := []any{"FAILOVER"}
	if target != nil {
		addr, err := n.address(ctx, c, target)
		if err != nil {
			return err
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("address %s of pod %s: %w", addr, target.Name, err)
		}
		args = append(args, "TO", host, port)
	}
	if _, err := n.do(ctx, c, primary, args...); err != nil {
		return fmt.Errorf("FAILOVER on %s: %w", primary.Name, err)
	}
	return nil
}

// observe asks every running pod's node for INFO replication, in
// parallel, and returns what the rollout and failover decisions need.
func (n nodes) observe(ctx context.Context, c *mnemov1.Cluster, sts *appsv1.StatefulSet, pods []corev1.Pod, now time.Time) []plan.Node {
	out := make([]plan.Node, len(pods))
	var wg sync.WaitGroup
	for i := range pods {
		p := &pods[i]
		node := plan.Node{
			Name: p.Name, Ordinal: podOrdinal(p.Name), Role: mnemov1.RoleUnknown,
			Running: p.Status.Phase == corev1.PodRunning, Ready: podReady(p),
			Terminating: !p.DeletionTimestamp.IsZero(),
			Age:         now.Sub(p.CreationTimestamp.Time),
		}
		if sts != nil && sts.Status.UpdateRevision != "" {
			node.Updated = p.Labels[appsv1.ControllerRevisionHashLabelKey] == sts.Status.UpdateRevision
		}
		out[i] = node
		if !node.Running || node.Terminating {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reply, err := n.do(ctx, c, p, "INFO", "replication", "memory")
			if err != nil {
				return
			}
			if s, ok := reply.(string); ok {
				parseReplication(&out[i], s)
			}
		}()
	}
	wg.Wait()
	return out
}

// parseReplication reads the fields of INFO replication and memory the
// operator uses (docs/failover.md) into n.
func parseReplication(n *plan.Node, info string) {
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	switch fields["role"] {
	case "master":
		n.Role = mnemov1.RolePrimary
	case "slave":
		n.Role = mnemov1.RoleReplica
	default:
		return
	}
	n.Answered = true
	n.Epoch, _ = strconv.ParseInt(fields["mnemo_lease_epoch"], 10, 64)
	n.Offset, _ = strconv.ParseInt(fields["master_repl_offset"], 10, 64)
	n.Lag, _ = strconv.ParseInt(fields["mnemo_repl_lag"], 10, 64)
	n.UsedMemory, _ = strconv.ParseInt(fields["used_memory"], 10, 64)
	n.MaxMemory, _ = strconv.ParseInt(fields["maxmemory"], 10, 64)
	if st := fields["master_failover_state"]; st != "" && st != "no-failover" {
		n.FailingOver = true
	}
}

// podOrdinal is the StatefulSet ordinal at the end of a pod's name, -1
// when there is none.
func podOrdinal(name string) int {
	i := strings.LastIndexByte(name, '-')
	n, err := strconv.Atoi(name[i+1:])
	if i < 0 || err != nil {
		return -1
	}
	return n
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// errNoPod is returned when a decision names a pod that is not listed.
var errNoPod = errors.New("no such pod")

func findPod(pods []corev1.Pod, name string) (*corev1.Pod, error) {
	for i := range pods {
		if pods[i].Name == name {
			return &pods[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s", errNoPod, name)
}
