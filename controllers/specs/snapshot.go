package specs

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// SnapshotJobName is the name of the Job that snapshots one shard.
func SnapshotJobName(snap *mnemov1.Snapshot, index int32) string {
	return fmt.Sprintf("%s-shard-%d", snap.Name, index)
}

// SnapshotJob builds one shard's snapshot off the data path: mnemo
// snapshot reads the newest snapshot and the log and writes a new one. It
// runs with the Cluster's labels so the Cluster's NetworkPolicy lets it
// reach the log.
func SnapshotJob(c *mnemov1.Cluster, snap *mnemov1.Snapshot, index int32, image string) *batchv1.Job {
	labels := Labels(c, ComponentSnapshot)
	labels[LabelShard] = itoa(index)
	labels[LabelSnapshot] = snap.Name
	podSec, sec := restrictedSecurity()
	return &batchv1.Job{
		ObjectMeta: ownedBy(SnapshotJobName(snap, index), snap.Namespace, labels, snap, "Snapshot"),
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](3),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:   corev1.RestartPolicyNever,
					SecurityContext: podSec,
					Containers: []corev1.Container{{
						Name:  "snapshot",
						Image: image,
						Args: append([]string{"snapshot",
							"--log", c.LogAddress(),
							"--shard", itoa(index),
							"--name", snap.Name,
						}, LogReplicaArgs(c)...),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
						},
						SecurityContext: sec,
					}},
				},
			},
		},
	}
}
