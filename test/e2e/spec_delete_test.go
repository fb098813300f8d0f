package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// ownedKinds are the kinds of every object a Cluster may own, directly or
// through its Shards, in its namespace.
var ownedKinds = [][3]string{
	{"mnemo.dev", "v1alpha1", "Shard"},
	{"apps", "v1", "StatefulSet"},
	{"", "v1", "Pod"},
	{"", "v1", "Service"},
	{"", "v1", "ConfigMap"},
	{"", "v1", "Secret"},
	{"", "v1", "PersistentVolumeClaim"},
	{"policy", "v1", "PodDisruptionBudget"},
	{"networking.k8s.io", "v1", "NetworkPolicy"},
	{"batch", "v1", "Job"},
	{"batch", "v1", "CronJob"},
}

// TestDeletedClusterLeavesNothing deletes an Available Cluster and waits
// until nothing labelled as its own is left: Shards, StatefulSets, pods,
// Services, ConfigMaps, Secrets, the log's volume claims, PDBs.
func TestDeletedClusterLeavesNothing(t *testing.T) {
	e := suite(t)
	const spec = "delete a Cluster"
	ns := e.namespace(t, "e2e-delete")
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "doomed"
	record(spec, "time to Available", e.createAvailable(t, ns, c))

	ctx := context.Background()
	before := len(e.owned(t, ns, c.Name))
	if before == 0 {
		t.Fatalf("found no object labelled %s=%s: the check below would prove nothing", "mnemo.dev/cluster", c.Name)
	}
	t.Logf("Cluster %s owns %d objects", c.Name, before)
	if err := e.c.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, "every object of Cluster "+c.Name+" to be gone", 3*time.Minute, func() (bool, error) {
		err := e.c.Get(ctx, client.ObjectKeyFromObject(c), &mnemov1.Cluster{})
		if client.IgnoreNotFound(err) != nil || err == nil {
			return false, err
		}
		left := e.owned(t, ns, c.Name)
		return len(left) == 0, fmt.Errorf("left: %s", strings.Join(left, ", "))
	})
	record(spec, "delete to nothing left", took)
}

// owned lists the objects in ns labelled as belonging to Cluster name.
func (e *env) owned(t *testing.T, ns, name string) []string {
	t.Helper()
	var names []string
	for _, k := range ownedKinds {
		var l unstructured.UnstructuredList
		l.SetGroupVersionKind(gvk(k[0], k[1], k[2]+"List"))
		if err := e.c.List(context.Background(), &l, client.InNamespace(ns), client.MatchingLabels{"mnemo.dev/cluster": name}); err != nil {
			t.Fatalf("cannot list %ss: %v", k[2], err)
		}
		for _, o := range l.Items {
			names = append(names, k[2]+" "+o.GetName())
		}
	}
	return names
}
