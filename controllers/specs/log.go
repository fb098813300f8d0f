package specs

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// LogReplicas is the number of log servers of a Cluster (3 unless set).
func LogReplicas(c *mnemov1.Cluster) int32 {
	if c.Spec.Log.Replicas == 0 {
		return 3
	}
	return c.Spec.Log.Replicas
}

// LogReplicaArgs is the flag that gives the replicas of the streams a data
// node or snapshot Job creates in the log: one per log server, up to 3 or
// 5. Left out for 3, the programs' default, so Clusters made before the
// flag keep their pod templates (and their pods).
func LogReplicaArgs(c *mnemov1.Cluster) []string {
	if n := LogReplicas(c); n != 3 {
		return []string{"--log-replicas", itoa(n)}
	}
	return nil
}

// LogRoutes are the cluster-route URLs of every log server, which each one
// is given so the JetStream cluster can form.
func LogRoutes(c *mnemov1.Cluster) []string {
	routes := make([]string, LogReplicas(c))
	for i := range routes {
		routes[i] = fmt.Sprintf("nats://%s-%d.%s.%s.svc:%d", c.LogName(), i, c.LogHeadlessName(), c.Namespace, logClusterPort)
	}
	return routes
}

// LogArgs are a log server's arguments. Several servers form one
// JetStream cluster over routes; a single one (development) runs
// unclustered, since a JetStream cluster of one never elects its meta
// leader while it waits for routes.
func LogArgs(c *mnemov1.Cluster) []string {
	args := []string{"log",
		"--name", "$(POD_NAME)",
		"--dir", logDataDir,
		"--listen", fmt.Sprintf("0.0.0.0:%d", logClientPort),
	}
	if LogReplicas(c) > 1 {
		args = append(args,
			"--cluster-listen", fmt.Sprintf("0.0.0.0:%d", logClusterPort),
			"--routes", strings.Join(LogRoutes(c), ","))
	}
	return args
}

// LogStatefulSet is the StatefulSet of a Cluster's log servers: mnemo log
// pods with a volume each, spread over zones and hosts.
func LogStatefulSet(c *mnemov1.Cluster, image string) *appsv1.StatefulSet {
	labels := Labels(c, ComponentLog)
	selector := SelectorLabels(c, ComponentLog)
	podSec, sec := restrictedSecurity()
	affinity, spreadC := spread(c, selector)
	size := c.Spec.Log.Size
	if size.IsZero() {
		size = resource.MustParse("10Gi")
	}
	whenDeleted := appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	if c.Spec.Log.RetainVolumesOnDelete {
		whenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	return &appsv1.StatefulSet{
		ObjectMeta: ownedBy(c.LogName(), c.Namespace, labels, c, "Cluster"),
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To(LogReplicas(c)),
			ServiceName: c.LogHeadlessName(),
			Selector:    &metav1.LabelSelector{MatchLabels: selector},
			// The servers form one JetStream cluster: start them together.
			PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: whenDeleted,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					SecurityContext:           podSec,
					Affinity:                  affinity,
					TopologySpreadConstraints: spreadC,
					Containers: []corev1.Container{{
						Name:  "log",
						Image: image,
						Args:  LogArgs(c),
						Env:   []corev1.EnvVar{podNameEnv},
						Ports: []corev1.ContainerPort{
							{Name: "client", ContainerPort: logClientPort},
							{Name: "cluster", ContainerPort: logClusterPort},
						},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("client")}},
							PeriodSeconds: 5,
						},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
						},
						SecurityContext: sec,
						VolumeMounts:    []corev1.VolumeMount{{Name: "data", MountPath: logDataDir}},
					}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: labels},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					StorageClassName: c.Spec.Log.StorageClassName,
					Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
				},
			}},
		},
	}
}

// LogService is the log servers' client Service, which nodes and snapshot
// Jobs reach them by.
func LogService(c *mnemov1.Cluster) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: ownedBy(c.LogName(), c.Namespace, Labels(c, ComponentLog), c, "Cluster"),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: SelectorLabels(c, ComponentLog),
			Ports:    []corev1.ServicePort{{Name: "client", Port: logClientPort, TargetPort: intstr.FromString("client")}},
		},
	}
}

// LogHeadlessService gives each log server a DNS name for the cluster
// routes, published before the servers are ready, since they need each
// other to become ready.
func LogHeadlessService(c *mnemov1.Cluster) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: ownedBy(c.LogHeadlessName(), c.Namespace, Labels(c, ComponentLog), c, "Cluster"),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
			Selector:                 SelectorLabels(c, ComponentLog),
			Ports: []corev1.ServicePort{
				{Name: "client", Port: logClientPort, TargetPort: intstr.FromString("client")},
				{Name: "cluster", Port: logClusterPort, TargetPort: intstr.FromString("cluster")},
			},
		},
	}
}

// LogPDB lets at most one log server be evicted at a time, so the quorum
// holds through node drains.
func LogPDB(c *mnemov1.Cluster) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: ownedBy(c.LogName(), c.Namespace, Labels(c, ComponentLog), c, "Cluster"),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: SelectorLabels(c, ComponentLog)},
		},
	}
}
