package specs

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// Shard is the Shard object of a Cluster's shard index, owning the slot
// ranges the plan gives it.
func Shard(c *mnemov1.Cluster, index int32, slots []mnemov1.SlotRange) *mnemov1.Shard {
	l := Labels(c, ComponentNode)
	l[LabelShard] = itoa(index)
	return &mnemov1.Shard{
		ObjectMeta: ownedBy(c.ShardName(index), c.Namespace, l, c, "Cluster"),
		Spec: mnemov1.ShardSpec{
			ClusterName: c.Name,
			Index:       index,
			SlotRanges:  slots,
			Nodes:       c.NodesPerShard(),
			NodeType:    c.Spec.NodeType,
		},
	}
}

// NodeArgs is the mnemo node command line of a shard's data nodes. Every
// node is a candidate for its shard's lease (--role auto: the nodes elect
// their primary, docs/failover.md) and a node of one Redis Cluster of
// numShards shards (--cluster-shards: the first node up creates the slot
// map in the log's KV, spreading the slots as the operator's plan does;
// afterwards the slot map there wins, and resharding moves slots online).
// --cluster-shards is the Cluster's bootstrap shard count, not numShards:
// it is read only once, so a change of numShards must not roll the nodes.
// Nodes announce their pod's DNS name under the shard's headless Service:
// stable across pod replacement, resolvable by every in-cluster client,
// and the name the TLS certificate is issued for. With TLS, client
// certificates are checked when sent but not required: clients
// authenticate with ACL users, as MemoryDB's in-transit encryption.
func NodeArgs(c *mnemov1.Cluster, s *mnemov1.Shard) []string {
	args := []string{"node", configDir + "/" + configFile,
		"--port", itoa(c.ClientPort()),
		"--bind", "0.0.0.0",
		"--log", c.LogAddress(),
		"--shard", itoa(s.Spec.Index),
		// A shard's nodes elect their primary through the log's lease
		// (docs/failover.md); solo would make each one a writer. The first
		// node up creates the cluster's slot map (docs/cluster.md).
		"--role", "auto",
		"--cluster-shards", itoa(c.ClusterShardsFlag()),
		"--announce-hostname", fmt.Sprintf("$(POD_NAME).%s.%s.svc", s.Name, c.Namespace),
		"--metrics-addr", fmt.Sprintf(":%d", metricsPort),
		"--aclfile", aclDir + "/" + ACLFileKey,
	}
	args = append(args, LogReplicaArgs(c)...)
	args = append(args, RestoreArgs(c, s.Spec.Index)...)
	storeArgs, _ := SnapshotStore(c)
	args = append(args, storeArgs...)
	if c.TLSEnabled() {
		args = append(args,
			"--tls-port", itoa(c.TLSPort()),
			"--tls-cert-file", tlsDir+"/tls.crt",
			"--tls-key-file", tlsDir+"/tls.key",
			"--tls-ca-cert-file", tlsDir+"/ca.crt",
			"--tls-auth-clients", "optional",
		)
	}
	return args
}

// RestoreArgs are the restore flags of a restored Cluster's shard, from
// status.restore: every shard of the snapshot (--restore-from), kept to
// the slots the shard starts with (--restore-slots, its bootstrap slots:
// the first node creates the slot map that way), read from the source
// Cluster's log (--restore-log). A node restores only into an empty
// shard, so the flags stay after the restore and the template does not
// change: they are built from the recorded status and the bootstrap
// shard count, never from the Snapshot or the live slot map. Shards added
// later by a resharding start empty and get their slots by moves.
func RestoreArgs(c *mnemov1.Cluster, index int32) []string {
	rec := c.Status.Restore
	if rec == nil || index >= c.ClusterShardsFlag() {
		return nil
	}
	slots := plan.BalancedSlots(int(c.ClusterShardsFlag()))
	if int(index) >= len(slots) {
		return nil
	}
	return []string{
		"--restore-from", strings.Join(rec.Sources, ","),
		"--restore-slots", plan.FormatSlots(slots[index]),
		"--restore-log", rec.Log,
	}
}

// AnnotationNodeType on a data node's pod names the node type it runs.
const AnnotationNodeType = "mnemo.dev/node-type"

// AnnotationRestartParameters on a data node's pod template identifies the
// parameters the engine reads only at start (plan.SplitParameters): a
// change of them changes the template, so the nodes roll.
const AnnotationRestartParameters = "mnemo.dev/restart-parameters"

// ShardStatefulSet is the StatefulSet of a shard's 1+R data nodes. Nodes
// keep no volume: a node's state comes from the newest snapshot and the log.
// The StatefulSet does not roll its pods itself (OnDelete): the operator
// does, replicas first and the primary after a planned handoff.
// restartParams is plan.HashParameters of the parameters that need a
// restart, "" for none.
func ShardStatefulSet(c *mnemov1.Cluster, s *mnemov1.Shard, nt plan.NodeType, image, restartParams string) *appsv1.StatefulSet {
	labels := shardLabels(c, s)
	podLabels := shardLabels(c, s)
	if c.Status.Restore != nil {
		podLabels[LabelRestoreSource] = c.Status.Restore.SourceCluster
	}
	selector := shardSelector(c, s)
	annotations := map[string]string{AnnotationNodeType: nt.Name}
	if restartParams != "" {
		annotations[AnnotationRestartParameters] = restartParams
	}
	podSec, sec := restrictedSecurity()
	affinity, spreadC := spread(c, selector)
	_, storeEnv := SnapshotStore(c)
	ports := []corev1.ContainerPort{
		{Name: "redis", ContainerPort: c.ClientPort()},
		{Name: "metrics", ContainerPort: metricsPort},
	}
	mounts := []corev1.VolumeMount{
		{Name: "config", MountPath: configDir + "/" + configFile, SubPath: configFile, ReadOnly: true},
		{Name: "acl", MountPath: aclDir, ReadOnly: true},
	}
	volumes := []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: c.ConfigName()}}}},
		{Name: "acl", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: c.ACLSecretName(), DefaultMode: ptr.To[int32](0o440)}}},
	}
	if c.TLSEnabled() {
		ports = append(ports, corev1.ContainerPort{Name: "redis-tls", ContainerPort: c.TLSPort()})
		mounts = append(mounts, corev1.VolumeMount{Name: "tls", MountPath: tlsDir, ReadOnly: true})
		volumes = append(volumes, corev1.Volume{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: c.TLSSecretName(), DefaultMode: ptr.To[int32](0o440)}}})
	}
	return &appsv1.StatefulSet{
		ObjectMeta: ownedBy(s.Name, c.Namespace, labels, s, "Shard"),
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To(s.Spec.Nodes),
			ServiceName: s.Name,
			Selector:    &metav1.LabelSelector{MatchLabels: selector},
			// Nodes of a shard do not wait for each other: each loads the
			// newest snapshot and follows the log on its own.
			PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      podLabels,
					Annotations: annotations,
				},
				Spec: corev1.PodSpec{
					SecurityContext:               podSec,
					Affinity:                      affinity,
					TopologySpreadConstraints:     spreadC,
					TerminationGracePeriodSeconds: ptr.To[int64](30),
					Containers: []corev1.Container{{
						Name:  "node",
						Image: image,
						Args:  NodeArgs(c, s),
						Env:   append([]corev1.EnvVar{podNameEnv}, storeEnv...),
						Ports: ports,
						// Ready means serving: mnemo node listens only
						// once it has rebuilt its shard from the log up
						// to the tail (a replica is caught up) and read
						// the slot map.
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}},
							PeriodSeconds: 5,
						},
						LivenessProbe: &corev1.Probe{
							ProbeHandler:     corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}},
							PeriodSeconds:    10,
							FailureThreshold: 6,
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: nt.CPURequest, corev1.ResourceMemory: nt.Memory},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: nt.CPULimit, corev1.ResourceMemory: nt.Memory},
						},
						SecurityContext: sec,
						VolumeMounts:    mounts,
					}},
					Volumes: volumes,
				},
			},
		},
	}
}

// ShardService is a shard's headless Service: it gives each node the DNS
// name it announces to clients (CLUSTER SLOTS), published before the node
// is ready so the name resolves while it starts.
func ShardService(c *mnemov1.Cluster, s *mnemov1.Shard) *corev1.Service {
	ports := []corev1.ServicePort{{Name: "redis", Port: c.ClientPort(), TargetPort: intstr.FromString("redis")}}
	if c.TLSEnabled() {
		ports = append(ports, corev1.ServicePort{Name: "redis-tls", Port: c.TLSPort(), TargetPort: intstr.FromString("redis-tls")})
	}
	return &corev1.Service{
		ObjectMeta: ownedBy(s.Name, c.Namespace, shardLabels(c, s), s, "Shard"),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
			Selector:                 shardSelector(c, s),
			Ports:                    ports,
		},
	}
}

// ShardPDB lets at most one of a shard's nodes be evicted at a time.
func ShardPDB(c *mnemov1.Cluster, s *mnemov1.Shard) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: ownedBy(s.Name, c.Namespace, shardLabels(c, s), s, "Shard"),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: shardSelector(c, s)},
		},
	}
}

// ClientService is the cluster endpoint: a ClusterIP Service over every
// data node, which a Redis Cluster client connects to first. With TLS on it
// offers only the TLS port.
func ClientService(c *mnemov1.Cluster) *corev1.Service {
	port := corev1.ServicePort{Name: "redis", Port: c.ClientPort(), TargetPort: intstr.FromString("redis")}
	if c.TLSEnabled() {
		port = corev1.ServicePort{Name: "redis-tls", Port: c.TLSPort(), TargetPort: intstr.FromString("redis-tls")}
	}
	return &corev1.Service{
		ObjectMeta: ownedBy(c.Name, c.Namespace, Labels(c, ComponentNode), c, "Cluster"),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: SelectorLabels(c, ComponentNode),
			Ports:    []corev1.ServicePort{port},
		},
	}
}
