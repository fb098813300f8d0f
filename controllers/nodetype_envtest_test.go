package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// A node type defined in the operator's node-type ConfigMap is admitted
// and sizes the nodes and their maxmemory.
func TestNodeTypeFromConfigMap(t *testing.T) {
	ns := newNamespace(t)
	c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "tiny", Namespace: ns},
		Spec: mnemov1.ClusterSpec{NodeType: "db.dev.micro", NumShards: 1, NumReplicasPerShard: 0}}
	eventually(t, "Cluster admitted", func() error { return k8s.Create(context.Background(), c) })
	var sts appsv1.StatefulSet
	eventually(t, "shard StatefulSet", func() error { return get(ns, "tiny-shard-0", &sts) })
	res := sts.Spec.Template.Spec.Containers[0].Resources
	if *sts.Spec.Replicas != 1 || !res.Requests.Cpu().Equal(resource.MustParse("50m")) || !res.Limits.Cpu().Equal(resource.MustParse("1")) ||
		!res.Limits.Memory().Equal(resource.MustParse("256Mi")) {
		t.Errorf("replicas %d resources %+v", *sts.Spec.Replicas, res)
	}
	eventually(t, "maxmemory from the node type", func() error {
		var cm corev1.ConfigMap
		if err := get(ns, "tiny-config", &cm); err != nil {
			return err
		}
		if !strings.Contains(cm.Data["mnemo.conf"], "\nmaxmemory 167772160\n") {
			return fmt.Errorf("parameter file\n%s", cm.Data["mnemo.conf"])
		}
		return nil
	})

	// Changing the node type rolls the nodes; the Cluster reports how far.
	eventually(t, "the Shard lists its node", func() error {
		var shard mnemov1.Shard
		if err := get(ns, "tiny-shard-0", &shard); err != nil {
			return err
		}
		if len(shard.Status.Nodes) != 1 || shard.Status.Nodes[0].NodeType != "db.dev.micro" {
			return fmt.Errorf("nodes %+v", shard.Status.Nodes)
		}
		return nil
	})
	// Without a kubelet the StatefulSet controller replaces the pod at
	// once; a finalizer holds the old pod (terminating, still listed) so
	// the rollout is observably in progress until the test lets it go.
	const hold = "test.mnemo.dev/hold"
	update(t, ns, "tiny-shard-0-0", &corev1.Pod{}, func(o client.Object) { o.SetFinalizers(append(o.GetFinalizers(), hold)) })
	update(t, ns, "tiny", &mnemov1.Cluster{}, func(o client.Object) { o.(*mnemov1.Cluster).Spec.NodeType = "db.t4g.small" })
	eventually(t, "node-type rollout reported", func() error {
		var c mnemov1.Cluster
		if err := get(ns, "tiny", &c); err != nil {
			return err
		}
		p := c.Status.PendingUpdates
		if p == nil || p.NodeTypeRollout == nil || p.NodeTypeRollout.From != "db.dev.micro" || p.NodeTypeRollout.To != "db.t4g.small" ||
			p.NodeTypeRollout.TotalNodes != 1 || p.NodeTypeRollout.UpdatedNodes != 0 {
			return fmt.Errorf("pending updates %+v", p)
		}
		return nil
	})
	update(t, ns, "tiny-shard-0-0", &corev1.Pod{}, func(o client.Object) {
		o.SetFinalizers(slices.DeleteFunc(o.GetFinalizers(), func(f string) bool { return f == hold }))
	})
	eventually(t, "node-type rollout finished", func() error {
		var c mnemov1.Cluster
		if err := get(ns, "tiny", &c); err != nil {
			return err
		}
		if p := c.Status.PendingUpdates; p != nil {
			return fmt.Errorf("pending updates %+v", p.NodeTypeRollout)
		}
		return nil
	})
	eventually(t, "StatefulSet has the new size", func() error {
		if err := get(ns, "tiny-shard-0", &sts); err != nil {
			return err
		}
		if got := sts.Spec.Template.Spec.Containers[0].Resources.Limits.Memory(); !got.Equal(resource.MustParse("1536Mi")) {
			return fmt.Errorf("memory limit %s", got)
		}
		return nil
	})
}
