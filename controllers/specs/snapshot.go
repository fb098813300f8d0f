package specs

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// SnapshotCPURequest is the snapshot Job's CPU request: small, so that on a
// host shared with data pods it gets CPU after them (its cpu.weight is a
// twentieth of that of a data pod requesting 2 CPUs), with no limit on a
// host of its own.
var SnapshotCPURequest = resource.MustParse("100m")

// SnapshotJobName is the name of the Job that snapshots one shard.
func SnapshotJobName(snap *mnemov1.Snapshot, index int32) string {
	return fmt.Sprintf("%s-shard-%d", snap.Name, index)
}

// SnapshotJob builds one shard's snapshot off the data path: mnemo
// snapshot reads the newest snapshot and the log and writes a new one
// (for a Snapshot with a pointInTime: the newest at or before that time,
// and the log up to it; such a build does not trim the log). It runs with
// the Cluster's labels so the Cluster's NetworkPolicy lets it reach the
// log.
//
// The builder must not slow the primary down ("no pause on the primary"):
// it shares nothing with a data pod but the host, so it is kept off the
// hosts of the Cluster's data pods and log servers when the cluster has
// others (snapshotJobAffinity), and asks for little CPU so that where it
// does share a host, the kernel gives the data pods' larger requests the
// CPU first (cpu.weight follows the request). It sets no CPU limit: on a
// host of its own it may use every idle core and finish sooner. No
// PriorityClass: it has the namespace's default priority and never
// preempts a data pod of a higher one.
func SnapshotJob(c *mnemov1.Cluster, snap *mnemov1.Snapshot, index int32, image string) *batchv1.Job {
	labels := Labels(c, ComponentSnapshot)
	labels[LabelShard] = itoa(index)
	labels[LabelSnapshot] = snap.Name
	podSec, sec := restrictedSecurity()
	args := []string{"snapshot",
		"--log", c.LogAddress(),
		"--shard", itoa(index),
		"--name", snap.Name,
	}
	if at := snap.Spec.PointInTime; at != nil {
		args = append(args, "--to-time", at.UTC().Format(time.RFC3339))
	}
	storeArgs, storeEnv := SnapshotStore(c)
	return &batchv1.Job{
		ObjectMeta: ownedBy(SnapshotJobName(snap, index), snap.Namespace, labels, snap, "Snapshot"),
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](3),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:   corev1.RestartPolicyNever,
					SecurityContext: podSec,
					Affinity:        snapshotJobAffinity(c),
					Containers: []corev1.Container{{
						Name:  "snapshot",
						Image: image,
						Args:  append(append(args, LogReplicaArgs(c)...), storeArgs...),
						Env:   storeEnv,
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: SnapshotCPURequest, corev1.ResourceMemory: resource.MustParse("512Mi")},
						},
						SecurityContext: sec,
					}},
				},
			},
		},
	}
}

// S3 credential keys: the Secret spec.snapshotStore.s3.credentialsSecretName
// names holds them under these keys, mapped to the environment variables
// of the same names, which mnemo reads (minio-go's static credentials).
const (
	S3AccessKeyIDKey     = "AWS_ACCESS_KEY_ID"
	S3SecretAccessKeyKey = "AWS_SECRET_ACCESS_KEY"
	S3SessionTokenKey    = "AWS_SESSION_TOKEN"
)

// S3RequiredKeys are the keys a credentials Secret must hold; the session
// token is optional.
var S3RequiredKeys = []string{S3AccessKeyIDKey, S3SecretAccessKeyKey}

// SnapshotStore is the snapshot-store flags and environment of every pod
// that reads or writes a Cluster's snapshots: its data nodes (they load
// the newest snapshot on start) and its snapshot Jobs. A Cluster without
// spec.snapshotStore gets none, so its templates stay as they were (no
// roll on an operator upgrade). With an S3 bucket the credentials come
// from the named Secret through SecretKeyRefs, so no secret value is in a
// pod spec; without a Secret the pods use their ambient credentials
// (minio-go's chain: AWS and MinIO environment variables, then the IAM
// role of the node or the service account).
func SnapshotStore(c *mnemov1.Cluster) (args []string, env []corev1.EnvVar) {
	s3 := c.S3SnapshotStore()
	if s3 == nil {
		return nil, nil
	}
	args = []string{"--snapshot-store", "s3",
		"--s3-endpoint", s3.Endpoint,
		"--s3-bucket", s3.Bucket,
		"--s3-prefix", c.S3Prefix(),
	}
	if s3.Region != "" {
		args = append(args, "--s3-region", s3.Region)
	}
	if s3.Insecure {
		args = append(args, "--s3-insecure", "yes")
	}
	if name := s3.CredentialsSecretName; name != "" {
		ref := func(key string, optional bool) corev1.EnvVar {
			sel := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
			if optional {
				sel.Optional = ptr.To(true)
			}
			return corev1.EnvVar{Name: key, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: sel}}
		}
		env = []corev1.EnvVar{ref(S3AccessKeyIDKey, false), ref(S3SecretAccessKeyKey, false), ref(S3SessionTokenKey, true)}
	}
	return args, env
}

// snapshotJobAffinity prefers hosts without the Cluster's data pods and,
// next, without its log servers: in production the builder runs on
// separate compute, as MemoryDB builds its snapshots, and on a host of
// its own its CPU, memory bandwidth and network use cannot reach the
// primary's latency. Preferred, never required, whatever the Cluster's
// topology says: a snapshot must still run on a one-host cluster, where
// its small CPU request is what keeps it behind the data pods.
func snapshotJobAffinity(c *mnemov1.Cluster) *corev1.Affinity {
	avoid := func(weight int32, component string) corev1.WeightedPodAffinityTerm {
		return corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: corev1.PodAffinityTerm{
			LabelSelector: &metav1.LabelSelector{MatchLabels: SelectorLabels(c, component)},
			TopologyKey:   corev1.LabelHostname,
		}}
	}
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
			avoid(100, ComponentNode),
			avoid(50, ComponentLog),
		},
	}}
}

// PointInTimeSnapshot is the Snapshot the operator builds for a Cluster's
// spec.restoreFrom.pointInTime: of the source Cluster, as of that time.
// The restoring Cluster owns it, so it goes with that Cluster and outlives
// its restore; the source's retention deletes only its own automatic
// Snapshots, so it leaves this one.
func PointInTimeSnapshot(c *mnemov1.Cluster, source *mnemov1.Cluster, at metav1.Time) *mnemov1.Snapshot {
	labels := Labels(source, ComponentSnapshot)
	labels[LabelRestoreFor] = c.Name
	return &mnemov1.Snapshot{
		ObjectMeta: ownedBy(c.PointInTimeSnapshotName(), c.Namespace, labels, c, "Cluster"),
		Spec:       mnemov1.SnapshotSpec{ClusterName: source.Name, Source: mnemov1.SnapshotManual, PointInTime: &at},
	}
}
