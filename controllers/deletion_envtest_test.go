package controllers_test

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// countOf lists objects of a Cluster by label and counts them.
func countOf(ns, cluster string, list client.ObjectList) (int, error) {
	if err := k8s.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{specs.LabelCluster: cluster}); err != nil {
		return 0, err
	}
	return listLen(list), nil
}

func listLen(list client.ObjectList) int {
	switch l := list.(type) {
	case *corev1.PodList:
		return len(l.Items)
	case *corev1.PersistentVolumeClaimList:
		return len(l.Items)
	case *appsv1.StatefulSetList:
		return len(l.Items)
	case *mnemov1.ShardList:
		return len(l.Items)
	case *corev1.ServiceList:
		return len(l.Items)
	}
	panic(fmt.Sprintf("listLen: %T", list))
}

// waitForCount waits until a Cluster has n objects of a list's kind.
func waitForCount(t *testing.T, ns, cluster string, n int, newList func() client.ObjectList) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d %T of %s", n, newList(), cluster), func() error {
		got, err := countOf(ns, cluster, newList())
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("%d, want %d", got, n)
		}
		return nil
	})
}

func newCluster(t *testing.T, ns, name string, mutate func(*mnemov1.Cluster)) *mnemov1.Cluster {
	t.Helper()
	c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: mnemov1.ClusterSpec{NumShards: 2, NumReplicasPerShard: 1, Log: mnemov1.LogSpec{Size: resource.MustParse("1Gi")}}}
	if mutate != nil {
		mutate(c)
	}
	if err := k8s.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	// Everything is there, the pods and the log's claims included (made
	// by the StatefulSet controller): 2 shards x 2 nodes, 3 log servers.
	waitForCount(t, ns, name, 2, func() client.ObjectList { return &mnemov1.ShardList{} })
	waitForCount(t, ns, name, 3, func() client.ObjectList { return &appsv1.StatefulSetList{} })
	waitForCount(t, ns, name, 7, func() client.ObjectList { return &corev1.PodList{} })
	waitForCount(t, ns, name, 3, func() client.ObjectList { return &corev1.PersistentVolumeClaimList{} })
	waitForCount(t, ns, name, 5, func() client.ObjectList { return &corev1.ServiceList{} })
	return c
}

// Deleting a Cluster deletes everything it made, through owner references
// and the garbage collector, as on a real cluster.
func TestDeletion(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()

	t.Run("everything goes", func(t *testing.T) {
		c := newCluster(t, ns, "doomed", nil)
		if err := k8s.Delete(ctx, c); err != nil {
			t.Fatal(err)
		}
		eventually(t, "Cluster deleted", func() error { return gone(ns, "doomed", &mnemov1.Cluster{}) })
		for _, o := range []struct {
			name string
			obj  client.Object
		}{
			{"doomed-config", &corev1.ConfigMap{}}, {"doomed-acl", &corev1.Secret{}},
			{"doomed", &networkingv1.NetworkPolicy{}}, {"doomed-clients", &networkingv1.NetworkPolicy{}},
			{"doomed-log", &policyv1.PodDisruptionBudget{}}, {"doomed-shard-1", &policyv1.PodDisruptionBudget{}},
		} {
			eventually(t, fmt.Sprintf("%T %s deleted", o.obj, o.name), func() error { return gone(ns, o.name, o.obj) })
		}
		for _, list := range []func() client.ObjectList{
			func() client.ObjectList { return &mnemov1.ShardList{} },
			func() client.ObjectList { return &appsv1.StatefulSetList{} },
			func() client.ObjectList { return &corev1.ServiceList{} },
			func() client.ObjectList { return &corev1.PodList{} },
			func() client.ObjectList { return &corev1.PersistentVolumeClaimList{} },
		} {
			waitForCount(t, ns, "doomed", 0, list)
		}
	})

	t.Run("the log's volumes can be kept", func(t *testing.T) {
		c := newCluster(t, ns, "kept", func(c *mnemov1.Cluster) { c.Spec.Log.RetainVolumesOnDelete = true })
		if err := k8s.Delete(ctx, c); err != nil {
			t.Fatal(err)
		}
		eventually(t, "Cluster deleted", func() error { return gone(ns, "kept", &mnemov1.Cluster{}) })
		waitForCount(t, ns, "kept", 0, func() client.ObjectList { return &appsv1.StatefulSetList{} })
		waitForCount(t, ns, "kept", 0, func() client.ObjectList { return &corev1.PodList{} })
		waitForCount(t, ns, "kept", 3, func() client.ObjectList { return &corev1.PersistentVolumeClaimList{} })
	})

	t.Run("a final snapshot is taken first and outlives the Cluster", func(t *testing.T) {
		c := newCluster(t, ns, "last", func(c *mnemov1.Cluster) { c.Spec.FinalSnapshotName = "last-words" })
		if err := k8s.Delete(ctx, c); err != nil {
			t.Fatal(err)
		}
		var snap mnemov1.Snapshot
		eventually(t, "final Snapshot started", func() error {
			if err := get(ns, "last-words", &snap); err != nil {
				return err
			}
			if snap.Status.Phase != mnemov1.SnapshotCreating || len(snap.Status.Shards) != 2 {
				return fmt.Errorf("status %+v", snap.Status)
			}
			return nil
		})
		eventually(t, "Cluster waits, Deleting", func() error {
			var c mnemov1.Cluster
			if err := get(ns, "last", &c); err != nil {
				return err
			}
			if c.Status.Phase != mnemov1.ClusterDeleting {
				return fmt.Errorf("phase %s", c.Status.Phase)
			}
			return nil
		})
		// Without a kubelet the snapshot Jobs never run; record the
		// snapshot as written, as the Jobs would have.
		snap.Status.Phase = mnemov1.SnapshotAvailable
		snap.Status.FinishTime = &metav1.Time{Time: snap.Status.StartTime.Add(1)}
		eventually(t, "snapshot marked written", func() error {
			var cur mnemov1.Snapshot
			if err := get(ns, "last-words", &cur); err != nil {
				return err
			}
			cur.Status.Phase = mnemov1.SnapshotAvailable
			cur.Status.FinishTime = snap.Status.FinishTime
			return k8s.Status().Update(ctx, &cur)
		})
		eventually(t, "Cluster deleted", func() error { return gone(ns, "last", &mnemov1.Cluster{}) })
		waitForCount(t, ns, "last", 0, func() client.ObjectList { return &appsv1.StatefulSetList{} })
		if err := get(ns, "last-words", &snap); err != nil || snap.Status.Phase != mnemov1.SnapshotAvailable {
			t.Errorf("the final snapshot should outlive its Cluster, Available: %v %+v", err, snap.Status)
		}
	})
}
