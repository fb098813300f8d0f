package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// samples are config/samples in kustomization order.
var samples = []string{
	"cluster_minimal.yaml", "cluster_dev.yaml", "parametergroup.yaml", "users.yaml", "acl.yaml", "cluster_sharded_tls.yaml", "snapshot.yaml",
}

// Every sample is accepted, and the operator builds from it what the design
// says, owned as it says, with status.
func TestSamples(t *testing.T) {
	ns := newNamespace(t)
	for _, file := range samples {
		applyFile(t, ns, "../config/samples/"+file)
	}
	var secret corev1.Secret
	if err := get(ns, "orders-passwords", &secret); err != nil {
		t.Fatal(err)
	}
	passwords := map[string]string{}
	for user, pw := range secret.Data {
		passwords[user] = string(pw)
	}

	t.Run("minimal", func(t *testing.T) { checkMinimal(t, ns) })
	t.Run("dev: one log server", func(t *testing.T) { checkDev(t, ns) })
	t.Run("orders", func(t *testing.T) { checkOrders(t, ns, passwords) })
	t.Run("users, ACL and parameter group status", func(t *testing.T) { checkReferencedStatus(t, ns) })
	t.Run("snapshot", func(t *testing.T) { checkSnapshot(t, ns) })
	t.Run("events", func(t *testing.T) { checkEvents(t, ns) })
	t.Run("printer columns", func(t *testing.T) { checkPrinterColumns(t, ns) })
	t.Run("passwords appear nowhere but their Secret", func(t *testing.T) { checkNoPasswords(t, ns, passwords) })
}

// checkDev checks the development sample's single log server: it runs
// unclustered (no routes to wait for), and the data node creates its
// streams with one replica.
func checkDev(t *testing.T, ns string) {
	var logSts, sts appsv1.StatefulSet
	eventually(t, "dev log StatefulSet", func() error { return get(ns, "dev-log", &logSts) })
	eventually(t, "dev shard StatefulSet", func() error { return get(ns, "dev-shard-0", &sts) })
	if *logSts.Spec.Replicas != 1 || *sts.Spec.Replicas != 1 {
		t.Errorf("log servers %d, data nodes %d, want 1 and 1", *logSts.Spec.Replicas, *sts.Spec.Replicas)
	}
	if args := strings.Join(logSts.Spec.Template.Spec.Containers[0].Args, " "); strings.Contains(args, "--routes") {
		t.Errorf("a single log server is given routes: %s", args)
	}
	if args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--log-replicas 1") {
		t.Errorf("the data node does not create one-replica streams: %s", args)
	}
}

func checkMinimal(t *testing.T, ns string) {
	var c mnemov1.Cluster
	eventually(t, "minimal Cluster has status", func() error {
		if err := get(ns, "minimal", &c); err != nil {
			return err
		}
		if c.Status.Phase != mnemov1.ClusterCreating || c.Status.Endpoint == nil || len(c.Status.Shards) != 1 {
			return fmt.Errorf("status %+v", c.Status)
		}
		return nil
	})
	if !controllerutil.ContainsFinalizer(&c, "mnemo.dev/cluster") {
		t.Errorf("finalizers %v", c.Finalizers)
	}
	if c.Spec.NodeType != "db.t4g.small" || c.Spec.NumReplicasPerShard != 1 || c.Spec.ACLName != "open-access" ||
		c.Spec.ParameterGroupName != "default.mnemo-redis7" || c.Spec.Port != 6379 || c.Spec.Log.Replicas != 3 {
		t.Errorf("defaults not applied: %+v", c.Spec)
	}
	if got := *c.Status.Endpoint; got.Address != "minimal."+ns+".svc" || got.Port != 6379 {
		t.Errorf("endpoint %+v", got)
	}
	for _, typ := range []string{mnemov1.ConditionReady, mnemov1.ConditionProgressing, mnemov1.ConditionDegraded} {
		cond := meta.FindStatusCondition(c.Status.Conditions, typ)
		if cond == nil || cond.ObservedGeneration != c.Generation {
			t.Errorf("condition %s: %+v", typ, cond)
		}
	}
	if !meta.IsStatusConditionTrue(c.Status.Conditions, mnemov1.ConditionProgressing) || meta.IsStatusConditionTrue(c.Status.Conditions, mnemov1.ConditionReady) {
		t.Errorf("a Cluster whose pods never run is progressing and not ready: %+v", c.Status.Conditions)
	}
	if s := c.Status.Shards[0]; s.Name != "minimal-shard-0" || s.Slots != "0-16383" || s.Nodes != 2 {
		t.Errorf("shard summary %+v", s)
	}

	var shard mnemov1.Shard
	eventually(t, "Shard minimal-shard-0", func() error { return get(ns, "minimal-shard-0", &shard) })
	if err := controlledBy(&shard, "Cluster", "minimal"); err != nil {
		t.Error(err)
	}
	var sts appsv1.StatefulSet
	eventually(t, "shard StatefulSet", func() error { return get(ns, "minimal-shard-0", &sts) })
	if err := controlledBy(&sts, "Shard", "minimal-shard-0"); err != nil {
		t.Error(err)
	}
	if *sts.Spec.Replicas != 2 || sts.Spec.Template.Spec.Containers[0].Image != testImage {
		t.Errorf("shard StatefulSet replicas %d image %s", *sts.Spec.Replicas, sts.Spec.Template.Spec.Containers[0].Image)
	}
	var logSts appsv1.StatefulSet
	eventually(t, "log StatefulSet", func() error { return get(ns, "minimal-log", &logSts) })
	if err := controlledBy(&logSts, "Cluster", "minimal"); err != nil {
		t.Error(err)
	}

	owned := []struct {
		name, kind, owner string
		obj               client.Object
	}{
		{"minimal", "Cluster", "minimal", &corev1.Service{}},
		{"minimal-log", "Cluster", "minimal", &corev1.Service{}},
		{"minimal-log-hl", "Cluster", "minimal", &corev1.Service{}},
		{"minimal-log", "Cluster", "minimal", &policyv1.PodDisruptionBudget{}},
		{"minimal-config", "Cluster", "minimal", &corev1.ConfigMap{}},
		{"minimal-acl", "Cluster", "minimal", &corev1.Secret{}},
		{"minimal", "Cluster", "minimal", &networkingv1.NetworkPolicy{}},
		{"minimal-clients", "Cluster", "minimal", &networkingv1.NetworkPolicy{}},
		{"minimal-shard-0", "Shard", "minimal-shard-0", &corev1.Service{}},
		{"minimal-shard-0", "Shard", "minimal-shard-0", &policyv1.PodDisruptionBudget{}},
	}
	for _, o := range owned {
		eventually(t, fmt.Sprintf("%T %s", o.obj, o.name), func() error {
			if err := get(ns, o.name, o.obj); err != nil {
				return err
			}
			return controlledBy(o.obj, o.kind, o.owner)
		})
	}
	var cm corev1.ConfigMap
	_ = get(ns, "minimal-config", &cm)
	if !strings.Contains(cm.Data["mnemo.conf"], "\nmaxmemory 1287651328\n") {
		t.Errorf("parameter file:\n%s", cm.Data["mnemo.conf"])
	}
	var acl corev1.Secret
	_ = get(ns, "minimal-acl", &acl)
	if got := string(acl.Data["users.acl"]); got != "user default on nopass ~* &* +@all\n" {
		t.Errorf("open-access ACL file %q", got)
	}

	// The StatefulSet controller made the pods (which never run: no kubelet)
	// and the log servers' volume claims; the Shard reports the pods.
	eventually(t, "Shard status lists its pods", func() error {
		if err := get(ns, "minimal-shard-0", &shard); err != nil {
			return err
		}
		if len(shard.Status.Nodes) != 2 || shard.Status.Slots != "0-16383" || shard.Status.Nodes[0].Name != "minimal-shard-0-0" {
			return fmt.Errorf("status %+v", shard.Status)
		}
		return nil
	})
	eventually(t, "log volume claims", func() error {
		var pvcs corev1.PersistentVolumeClaimList
		if err := k8s.List(context.Background(), &pvcs, client.InNamespace(ns), client.MatchingLabels{specs.LabelCluster: "minimal"}); err != nil {
			return err
		}
		if len(pvcs.Items) != 3 {
			return fmt.Errorf("%d claims", len(pvcs.Items))
		}
		return nil
	})

	// The built-ins appear in the namespace.
	eventually(t, "built-in ParameterGroup and ACL", func() error {
		if err := get(ns, "default.mnemo-redis7", &mnemov1.ParameterGroup{}); err != nil {
			return err
		}
		return get(ns, "open-access", &mnemov1.ACL{})
	})
}

func checkOrders(t *testing.T, ns string, passwords map[string]string) {
	want := []string{"0-5460", "5461-10922", "10923-16383"}
	for i, slots := range want {
		name := fmt.Sprintf("orders-shard-%d", i)
		var sts appsv1.StatefulSet
		eventually(t, "StatefulSet "+name, func() error { return get(ns, name, &sts) })
		var shard mnemov1.Shard
		if err := get(ns, name, &shard); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%d-%d", shard.Spec.SlotRanges[0].Start, shard.Spec.SlotRanges[0].End); got != slots || shard.Spec.Nodes != 3 {
			t.Errorf("%s: slots %s nodes %d, want %s and 3", name, got, shard.Spec.Nodes, slots)
		}
		ctr := sts.Spec.Template.Spec.Containers[0]
		args := strings.Join(ctr.Args, " ")
		if *sts.Spec.Replicas != 3 || !strings.Contains(args, "--tls-port 6380") || !strings.Contains(args, fmt.Sprintf("--shard %d", i)) ||
			ctr.Resources.Limits.Memory().String() != "16Gi" {
			t.Errorf("%s: replicas %d args %s resources %v", name, *sts.Spec.Replicas, args, ctr.Resources)
		}
	}
	var svc corev1.Service
	eventually(t, "endpoint Service", func() error { return get(ns, "orders", &svc) })
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 6380 || svc.Spec.ClusterIP == "" {
		t.Errorf("with TLS the endpoint offers the TLS port only: %+v", svc.Spec)
	}
	var cm corev1.ConfigMap
	eventually(t, "parameter file", func() error {
		if err := get(ns, "orders-config", &cm); err != nil {
			return err
		}
		for _, line := range []string{"maxmemory 13958643712", "maxmemory-policy allkeys-lru", "slowlog-max-len 256", "timeout 300"} {
			if !strings.Contains(cm.Data["mnemo.conf"], "\n"+line+"\n") {
				return fmt.Errorf("no line %q in\n%s", line, cm.Data["mnemo.conf"])
			}
		}
		return nil
	})
	var acl corev1.Secret
	opLine := operatorLine(t, ns, "orders")
	eventually(t, "ACL file", func() error {
		if err := get(ns, "orders-acl", &acl); err != nil {
			return err
		}
		want := "user default off -@all\n" +
			"user app on #" + specs.HashPassword([]byte(passwords["app"])) + " ~* &* +@all -@dangerous\n" +
			opLine + "\n" +
			"user reader on #" + specs.HashPassword([]byte(passwords["reader"])) + " ~* &* +@read +@connection\n"
		if got := string(acl.Data["users.acl"]); got != want {
			return fmt.Errorf("got\n%s\nwant\n%s", got, want)
		}
		return nil
	})
	var c mnemov1.Cluster
	eventually(t, "orders status", func() error {
		if err := get(ns, "orders", &c); err != nil {
			return err
		}
		if len(c.Status.Shards) != 3 || c.Status.Endpoint == nil || c.Status.Endpoint.Port != 6380 {
			return fmt.Errorf("status %+v", c.Status)
		}
		return nil
	})
}

func checkReferencedStatus(t *testing.T, ns string) {
	eventually(t, "ParameterGroup lists its Cluster", func() error {
		var pg mnemov1.ParameterGroup
		if err := get(ns, "orders-params", &pg); err != nil {
			return err
		}
		if !slices.Equal(pg.Status.Clusters, []string{"orders"}) || !meta.IsStatusConditionTrue(pg.Status.Conditions, mnemov1.ConditionReady) {
			return fmt.Errorf("status %+v", pg.Status)
		}
		return nil
	})
	eventually(t, "ACL lists its Cluster", func() error {
		var acl mnemov1.ACL
		if err := get(ns, "orders-acl", &acl); err != nil {
			return err
		}
		if !slices.Equal(acl.Status.Clusters, []string{"orders"}) || !meta.IsStatusConditionTrue(acl.Status.Conditions, mnemov1.ConditionReady) {
			return fmt.Errorf("status %+v", acl.Status)
		}
		return nil
	})
	for _, name := range []string{"app", "reader"} {
		eventually(t, "User "+name+" is active", func() error {
			var u mnemov1.User
			if err := get(ns, name, &u); err != nil {
				return err
			}
			if u.Status.Phase != mnemov1.UserActive || !slices.Equal(u.Status.ACLs, []string{"orders-acl"}) || u.Status.PasswordCount != 1 {
				return fmt.Errorf("status %+v", u.Status)
			}
			return nil
		})
	}
}

func checkSnapshot(t *testing.T, ns string) {
	var snap mnemov1.Snapshot
	eventually(t, "Snapshot started", func() error {
		if err := get(ns, "orders-manual", &snap); err != nil {
			return err
		}
		if snap.Status.Phase != mnemov1.SnapshotCreating || snap.Status.StartTime == nil || len(snap.Status.Shards) != 3 {
			return fmt.Errorf("status %+v", snap.Status)
		}
		return nil
	})
	if snap.Spec.Source != mnemov1.SnapshotManual || len(snap.OwnerReferences) != 0 {
		t.Errorf("a manual snapshot outlives its Cluster: source %s owners %v", snap.Spec.Source, snap.OwnerReferences)
	}
	for i, sh := range snap.Status.Shards {
		var job batchv1.Job
		if err := get(ns, sh.Job, &job); err != nil {
			t.Fatal(err)
		}
		if err := controlledBy(&job, "Snapshot", "orders-manual"); err != nil {
			t.Error(err)
		}
		want := fmt.Sprintf("snapshot --log nats://orders-log.%s.svc:4222 --shard %d --name orders-manual", ns, i)
		if got := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "); got != want {
			t.Errorf("job %s args %q, want %q", job.Name, got, want)
		}
	}
	eventually(t, "Cluster reports the snapshot in progress", func() error {
		var c mnemov1.Cluster
		if err := get(ns, "orders", &c); err != nil {
			return err
		}
		// Snapshotting shows only on an Available Cluster; this one never
		// gets there without a kubelet, so it stays Creating.
		if c.Status.Phase != mnemov1.ClusterCreating {
			return fmt.Errorf("phase %s", c.Status.Phase)
		}
		return nil
	})
}

func checkEvents(t *testing.T, ns string) {
	eventually(t, "Events about the orders Cluster", func() error {
		var list eventsv1.EventList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, e := range list.Items {
			if e.Regarding.Kind == "Cluster" && e.Regarding.Name == "orders" {
				seen[e.Reason+": "+e.Note] = true
			}
		}
		for _, want := range []string{"Created: Created StatefulSet orders-log", "Created: Created Shard orders-shard-2",
			"Created: Created Secret orders-acl", "Created: Created Service orders"} {
			if !seen[want] {
				return fmt.Errorf("no Event %q among %v", want, seen)
			}
		}
		return nil
	})
}

// kubectl get clusters asks the API server for a Table; check its columns
// and a row as kubectl would print them.
func checkPrinterColumns(t *testing.T, ns string) {
	var table metav1.Table
	raw, err := restTable(ns, "clusters")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range table.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	if want := []string{"Name", "Phase", "Shards", "Replicas", "Node Type", "Endpoint", "Age"}; !slices.Equal(cols, want) {
		t.Errorf("columns %v, want %v", cols, want)
	}
	rows := map[string][]any{}
	for _, r := range table.Rows {
		rows[fmt.Sprint(r.Cells[0])] = r.Cells
	}
	orders := rows["orders"]
	if len(orders) != 7 || fmt.Sprint(orders[1]) != "Creating" || fmt.Sprint(orders[2]) != "3" || fmt.Sprint(orders[3]) != "2" ||
		fmt.Sprint(orders[4]) != "db.r7g.large" || fmt.Sprint(orders[5]) != "orders."+ns+".svc" {
		t.Errorf("orders row %v", orders)
	}
}

func checkNoPasswords(t *testing.T, ns string, passwords map[string]string) {
	if len(passwords) == 0 {
		t.Fatal("the samples hold no passwords to look for")
	}
	var dump []string
	for _, list := range []client.ObjectList{
		&mnemov1.ClusterList{}, &mnemov1.ShardList{}, &mnemov1.UserList{}, &mnemov1.ACLList{},
		&mnemov1.ParameterGroupList{}, &mnemov1.SnapshotList{}, &eventsv1.EventList{}, &corev1.ConfigMapList{},
		&appsv1.StatefulSetList{}, &batchv1.JobList{},
	} {
		if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(list)
		dump = append(dump, string(b))
	}
	var acl corev1.Secret
	if err := get(ns, "orders-acl", &acl); err != nil {
		t.Fatal(err)
	}
	dump = append(dump, string(acl.Data["users.acl"]))
	all := strings.Join(dump, "\n")
	log := operLog.String()
	for user, pw := range passwords {
		if strings.Contains(all, pw) {
			t.Errorf("the password of %s appears in an object other than its Secret", user)
		}
		if strings.Contains(log, pw) {
			t.Errorf("the password of %s appears in the operator's log", user)
		}
		if strings.Contains(log, specs.HashPassword([]byte(pw))) {
			t.Errorf("the password hash of %s appears in the operator's log", user)
		}
	}
}

// restTable GETs a mnemo.dev list as a server-side Table, as kubectl get
// does.
func restTable(ns, resource string) ([]byte, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(cfg.Host, "/")+"/apis/mnemo.dev/v1alpha1/namespaces/"+ns+"/"+resource, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", req.URL, resp.Status, body)
	}
	return body, nil
}
