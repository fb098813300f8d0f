package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// Requeue intervals of a Shard.
const (
	// defaultObserveInterval is how often a Shard with running nodes asks
	// them for their roles and lag.
	defaultObserveInterval = 5 * time.Second
	// requeueStep is how soon a Shard looks again after a step of a
	// rollout, a handoff or a scale-down.
	requeueStep = time.Second
	// requeueFailover is how often a requested failover is checked.
	requeueFailover = 250 * time.Millisecond
	// handoffSettle is how long a primary that handed its lease over is
	// left running before a rollout restarts it or a scale-down removes
	// it: clients whose slot map still names it learn the new primary
	// from its MOVED replies (and reload their map), which needs it
	// alive. Deleted at once, it took a write with it in the e2e suite: a
	// ClusterClient still sending there saw its connection drop and its
	// retries go to a name that no longer resolved, for 5 s.
	handoffSettle = 5 * time.Second
)

// ShardReconciler makes a shard's data nodes: a StatefulSet of 1+R mnemo
// node pods, its headless Service and PDB; watches them (roles, lag,
// failovers), carries out requested failovers and rolls the nodes onto a
// changed template.
type ShardReconciler struct {
	base
	Recorder events.EventRecorder
	Catalog  *catalogSource
	Options  Options
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	nodes nodes
	// seen remembers when each shard's primary was last seen serving, to
	// measure failovers. Guarded by mu.
	mu   sync.Mutex
	seen map[types.NamespacedName]sighting
	// handedOver remembers each shard's last planned handoff: the old
	// primary and when (see handoffSettle). Guarded by mu; lost when the
	// operator restarts, which costs only the wait.
	handedOver map[types.NamespacedName]sighting
}

// sighting is a primary seen serving at a time.
type sighting struct {
	pod string
	at  time.Time
}

// shardView is what one reconcile of a Shard works from: its Cluster, its
// StatefulSet and pods, and what the nodes answered.
type shardView struct {
	c     *mnemov1.Cluster
	s     *mnemov1.Shard
	sts   *appsv1.StatefulSet // nil until created
	pods  []corev1.Pod
	nodes []plan.Node
	// primary is the node answering as primary, "" when none does.
	primary string
	// progressing, when set, replaces the Progressing condition: a rollout
	// or failover says where it stands.
	progressing *metav1.Condition
}

type shardStep func(context.Context, *shardView) (ctrl.Result, error)

// Reconcile brings one Shard's objects in line with its spec.
func (r *ShardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var s mnemov1.Shard
	if err := r.Get(ctx, req.NamespacedName, &s); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !s.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // owned objects go with it
	}
	var c mnemov1.Cluster
	err := r.Get(ctx, types.NamespacedName{Namespace: s.Namespace, Name: s.Spec.ClusterName}, &c)
	if apierrors.IsNotFound(err) || (err == nil && !c.DeletionTimestamp.IsZero()) {
		return ctrl.Result{}, nil // the Cluster is gone or going; so is the Shard
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	v, err := r.view(ctx, &c, &s)
	if err != nil {
		return ctrl.Result{}, err
	}
	var res ctrl.Result
	// Paused: watch and report, change nothing.
	if !c.Spec.Paused {
		for _, step := range []shardStep{r.reconcileNodes, r.reconcileFailoverRequest, r.reconcileRollout} {
			if res, err = step(ctx, v); err != nil || !res.IsZero() {
				break
			}
		}
	}
	if serr := r.reconcileStatus(ctx, v); serr != nil && err == nil {
		err = serr
	}
	if err != nil || !res.IsZero() {
		return res, err
	}
	for _, n := range v.nodes {
		if n.Running {
			return ctrl.Result{RequeueAfter: r.observeInterval()}, nil
		}
	}
	return ctrl.Result{}, nil
}

// view reads the Shard's StatefulSet and pods and asks the running nodes
// for their roles.
func (r *ShardReconciler) view(ctx context.Context, c *mnemov1.Cluster, s *mnemov1.Shard) (*shardView, error) {
	v := &shardView{c: c, s: s}
	var sts appsv1.StatefulSet
	err := r.Get(ctx, client.ObjectKeyFromObject(s), &sts)
	if client.IgnoreNotFound(err) != nil {
		return nil, err
	}
	if err == nil {
		v.sts = &sts
	}
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.InNamespace(s.Namespace), client.MatchingLabels{
		specs.LabelCluster: s.Spec.ClusterName, specs.LabelComponent: specs.ComponentNode, specs.LabelShard: fmt.Sprint(s.Spec.Index),
	}); err != nil {
		return nil, fmt.Errorf("cannot list the pods of Shard %s: %w", s.Name, err)
	}
	v.pods = pods.Items
	v.nodes = r.nodes.observe(ctx, c, v.sts, v.pods, r.now())
	v.primary = plan.Primary(v.nodes)
	return v, nil
}

// reconcileNodes makes the StatefulSet, headless Service and PDB. When the
// shard shrinks and its primary is among the nodes to go, the StatefulSet
// keeps them until the primary has handed over.
func (r *ShardReconciler) reconcileNodes(ctx context.Context, v *shardView) (ctrl.Result, error) {
	c, s := v.c, v.s
	cat, err := r.Catalog.Catalog(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	nt, ok := cat.Lookup(s.Spec.NodeType)
	if !ok {
		// The Cluster reports this as its problem; nothing to build.
		return ctrl.Result{}, nil
	}
	if restorePending(c) {
		// The Cluster records its restore before making Shards, but this
		// cache may not have seen the record yet: nodes built now would
		// start empty.
		return ctrl.Result{RequeueAfter: requeueStep}, nil
	}
	restart, err := r.restartParameters(ctx, c, nt)
	if err != nil {
		return ctrl.Result{}, err
	}
	sts := specs.ShardStatefulSet(c, s, nt, specs.Image(c, r.Options.DefaultImage), restart)
	var res ctrl.Result
	if v.sts != nil && v.sts.Spec.Replicas != nil && *v.sts.Spec.Replicas > s.Spec.Nodes {
		keep, to, why := plan.ScaleDown(v.nodes, *v.sts.Spec.Replicas, s.Spec.Nodes)
		if old, left := r.settling(v); left > 0 && keep < *v.sts.Spec.Replicas && podOrdinal(old) >= int(keep) {
			keep, why = *v.sts.Spec.Replicas, fmt.Sprintf("%s handed over; letting clients follow the new primary before removing it", old)
			res = ctrl.Result{RequeueAfter: left}
		}
		sts.Spec.Replicas = ptr.To(keep)
		if keep != s.Spec.Nodes {
			res.RequeueAfter = max(res.RequeueAfter, requeueStep)
			v.progressing = &metav1.Condition{Type: mnemov1.ConditionProgressing, Status: metav1.ConditionTrue, Reason: mnemov1.ReasonUpdating, Message: why}
		}
		if to != "" {
			if err := r.handOver(ctx, v, to, why); err != nil {
				return ctrl.Result{}, err
			}
		}
	}
	return res, r.applyAll(ctx, r.Recorder, s, specs.ShardService(c, s), sts, specs.ShardPDB(c, s))
}

// restartParameters identifies the Cluster's parameters that the engine
// reads only at start: they go into the pod template, so changing them
// rolls the nodes.
func (r *ShardReconciler) restartParameters(ctx context.Context, c *mnemov1.Cluster, nt plan.NodeType) (string, error) {
	var params map[string]string
	if c.Spec.ParameterGroupName != mnemov1.DefaultParameterGroupName {
		var pg mnemov1.ParameterGroup
		err := r.Get(ctx, types.NamespacedName{Namespace: c.Namespace, Name: c.Spec.ParameterGroupName}, &pg)
		if client.IgnoreNotFound(err) != nil {
			return "", err
		}
		params = pg.Spec.Parameters
	}
	_, restart := plan.SplitParameters(plan.EffectiveParameters(params, nt))
	return plan.HashParameters(restart), nil
}

// handOver asks the primary to hand its lease to the pod named to.
func (r *ShardReconciler) handOver(ctx context.Context, v *shardView, to, why string) error {
	primary, err := findPod(v.pods, v.primary)
	if err != nil {
		return err
	}
	target, err := findPod(v.pods, to)
	if err != nil {
		return err
	}
	if err := r.nodes.failover(ctx, v.c, primary, target); err != nil {
		return err
	}
	r.mu.Lock()
	if r.handedOver == nil {
		r.handedOver = map[types.NamespacedName]sighting{}
	}
	r.handedOver[client.ObjectKeyFromObject(v.s)] = sighting{pod: v.primary, at: r.now()}
	r.mu.Unlock()
	logf.FromContext(ctx).Info("Requested a planned handoff", "shard", v.s.Name, "from", v.primary, "to", to, "why", why)
	r.Recorder.Eventf(v.s, target, corev1.EventTypeNormal, "Handoff", "Failover", "Asked primary %s to hand over to %s: %s", v.primary, to, why)
	return nil
}

// settling returns the pod that handed the shard's lease over less than
// handoffSettle ago and how long it has yet to be left running, or "", 0.
func (r *ShardReconciler) settling(v *shardView) (string, time.Duration) {
	r.mu.Lock()
	last, ok := r.handedOver[client.ObjectKeyFromObject(v.s)]
	r.mu.Unlock()
	if !ok {
		return "", 0
	}
	if left := handoffSettle - r.now().Sub(last.at); left > 0 {
		return last.pod, left
	}
	return "", 0
}

// reconcileStatus reports the shard's nodes, their roles and lag, and
// records an Event when the primary changed.
func (r *ShardReconciler) reconcileStatus(ctx context.Context, v *shardView) error {
	s := v.s
	obs := plan.ShardObservation{Name: s.Name, Nodes: s.Spec.Nodes}
	if v.sts != nil {
		obs.ReadyNodes = v.sts.Status.ReadyReplicas
		if v.sts.Status.ObservedGeneration == v.sts.Generation {
			obs.UpdatedNodes = v.sts.Status.UpdatedReplicas
		}
	}
	nodes := shardNodes(v.pods, v.nodes)
	conds := plan.ShardHealth(obs)
	if v.progressing != nil {
		for i := range conds {
			if conds[i].Type == v.progressing.Type {
				conds[i] = *v.progressing
			}
		}
	}
	now := r.now()
	lag := plan.MaxLag(v.nodes)
	// The primary the stored status had, read inside the update that
	// replaces it: a pass that started from a stale copy of the Shard
	// (the cache a moment behind this reconciler's own last update) must
	// not report the same change a second time.
	var old string
	err := patchStatus(ctx, r.Client, s, func(s *mnemov1.Shard) {
		old = s.Status.Primary
		primary := v.primary
		if primary == "" {
			primary = old // between primaries: the last one known
		}
		s.Status.ObservedGeneration = s.Generation
		s.Status.Slots = plan.FormatSlots(s.Spec.SlotRanges)
		s.Status.ReadyNodes = obs.ReadyNodes
		s.Status.Nodes = nodes
		s.Status.Primary = primary
		s.Status.Lag = lag
		setConditions(&s.Status.Conditions, s.Generation, now, conds...)
	})
	if err != nil {
		return err
	}
	r.notePrimary(ctx, v, old, now)
	return nil
}

// notePrimary records an Event when the shard's primary changed, with how
// long the shard had no primary at most: from when the operator last saw
// the old primary serving to when it saw the new one. It cannot see
// better than its observation interval.
func (r *ShardReconciler) notePrimary(ctx context.Context, v *shardView, old string, now time.Time) {
	key := client.ObjectKeyFromObject(v.s)
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[types.NamespacedName]sighting{}
	}
	last, known := r.seen[key]
	if v.primary != "" {
		r.seen[key] = sighting{pod: v.primary, at: now}
	}
	r.mu.Unlock()
	if v.primary == "" || old == "" || v.primary == old {
		return
	}
	took := "unmeasured (the operator restarted since it last saw it)"
	if known && last.pod == old {
		d := now.Sub(last.at).Round(time.Millisecond)
		took = fmt.Sprintf("at most %s", d)
		ObserveFailover(v.s.Namespace, v.c.Name, v.s.Name, d)
	}
	logf.FromContext(ctx).Info("Primary changed", "shard", v.s.Name, "from", old, "to", v.primary, "took", took)
	msg := fmt.Sprintf("Primary of shard %s changed from %s to %s; without a primary for %s", v.s.Name, old, v.primary, took)
	r.Recorder.Eventf(v.s, nil, corev1.EventTypeNormal, "PrimaryChanged", "Failover", "%s", msg)
	r.Recorder.Eventf(v.c, v.s, corev1.EventTypeNormal, "PrimaryChanged", "Failover", "%s", msg)
}

func (r *ShardReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *ShardReconciler) observeInterval() time.Duration {
	if r.Options.ObserveInterval > 0 {
		return r.Options.ObserveInterval
	}
	return defaultObserveInterval
}

// shardNodes lists a shard's pods as nodes, sorted by name, with what the
// nodes answered.
func shardNodes(pods []corev1.Pod, observed []plan.Node) []mnemov1.ShardNode {
	byName := map[string]plan.Node{}
	for _, n := range observed {
		byName[n.Name] = n
	}
	nodes := make([]mnemov1.ShardNode, 0, len(pods))
	for _, p := range pods {
		o := byName[p.Name]
		role := o.Role
		if role == "" {
			role = mnemov1.RoleUnknown
		}
		nodes = append(nodes, mnemov1.ShardNode{Name: p.Name, Role: role, Ready: podReady(&p),
			NodeType: p.Annotations[specs.AnnotationNodeType], AppliedSequence: o.Offset, Lag: o.Lag, Updated: o.Updated,
			UsedMemoryBytes: o.UsedMemory, MaxMemoryBytes: o.MaxMemory})
	}
	slices.SortFunc(nodes, func(a, b mnemov1.ShardNode) int { return strings.Compare(a.Name, b.Name) })
	return nodes
}

// SetupWithManager watches Shards, what they own, their pods, and their
// Clusters (pausing, the maintenance window and the rollout settings live
// there).
func (r *ShardReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&mnemov1.Shard{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&policyv1.PodDisruptionBudget{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(shardOfPod)).
		Watches(&mnemov1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.shardsOfCluster)).
		Named("shard").
		Complete(r)
}

func (r *ShardReconciler) shardsOfCluster(ctx context.Context, obj client.Object) []reconcile.Request {
	var list mnemov1.ShardList
	if err := r.List(ctx, &list, client.InNamespace(obj.GetNamespace()), client.MatchingFields{indexClusterName: obj.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "Cannot list Shards to reconcile", "cluster", obj.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}

// shardOfPod maps a data node's pod to its Shard, through the pod's
// StatefulSet, which is named like the Shard.
func shardOfPod(_ context.Context, obj client.Object) []reconcile.Request {
	if obj.GetLabels()[specs.LabelComponent] != specs.ComponentNode {
		return nil
	}
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Kind == "StatefulSet" {
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}}}
		}
	}
	return nil
}
