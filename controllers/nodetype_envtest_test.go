package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
}
