package specs

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

func testCluster(mutate ...func(*mnemov1.Cluster)) *mnemov1.Cluster {
	c := &mnemov1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "shop", UID: types.UID("uid-orders")},
		Spec: mnemov1.ClusterSpec{
			NodeType: "db.r7g.large", NumShards: 3, NumReplicasPerShard: 2, Port: 6379,
			Log: mnemov1.LogSpec{Replicas: 3, Size: resource.MustParse("20Gi")},
		},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

func withTLS(c *mnemov1.Cluster) {
	c.Spec.TLS = &mnemov1.TLSSpec{Enabled: true, SecretName: "orders-cert"}
}

func testShard(c *mnemov1.Cluster, index int32) *mnemov1.Shard {
	s := Shard(c, index, plan.BalancedSlots(int(c.Spec.NumShards))[index])
	s.UID = types.UID("uid-shard")
	return s
}

func nodeTypeOf(t *testing.T, name string) plan.NodeType {
	t.Helper()
	nt, ok := plan.BuiltinCatalog().Lookup(name)
	if !ok {
		t.Fatalf("no node type %s", name)
	}
	return nt
}

func ownerIs(t *testing.T, what string, m metav1.ObjectMeta, kind, name string) {
	t.Helper()
	ref := metav1.GetControllerOf(&m)
	if ref == nil || ref.Kind != kind || ref.Name != name || ref.APIVersion != "mnemo.dev/v1alpha1" || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("%s: controller owner %+v, want %s %s", what, ref, kind, name)
	}
}

func TestNodeArgs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cluster *mnemov1.Cluster
		want    string
	}{
		{"plain", testCluster(), "node /etc/mnemo/mnemo.conf --port 6379 --bind 0.0.0.0 --log nats://orders-log.shop.svc:4222 " +
			"--shard 1 --role auto --cluster-shards 3 --announce-hostname $(POD_NAME).orders-shard-1.shop.svc --metrics-addr :9121 --aclfile /etc/mnemo/acl/users.acl"},
		{"tls and another port", testCluster(withTLS, func(c *mnemov1.Cluster) { c.Spec.Port = 7000 }),
			"node /etc/mnemo/mnemo.conf --port 7000 --bind 0.0.0.0 --log nats://orders-log.shop.svc:4222 " +
				"--shard 1 --role auto --cluster-shards 3 --announce-hostname $(POD_NAME).orders-shard-1.shop.svc --metrics-addr :9121 --aclfile /etc/mnemo/acl/users.acl " +
				"--tls-port 7001 --tls-cert-file /etc/mnemo/tls/tls.crt --tls-key-file /etc/mnemo/tls/tls.key --tls-ca-cert-file /etc/mnemo/tls/ca.crt --tls-auth-clients optional"},
	} {
		if got := strings.Join(NodeArgs(tc.cluster, testShard(tc.cluster, 1)), " "); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// A restored Cluster's nodes get the restore flags from status.restore,
// kept to their bootstrap slots; they do not follow numShards or the live
// slots, so a resharding after the restore does not change the template.
func TestRestoreArgs(t *testing.T) {
	restored := func(c *mnemov1.Cluster) {
		c.Status.Restore = &mnemov1.RestoreStatus{SnapshotName: "nightly", SourceCluster: "old",
			Log: "nats://old-log.shop.svc:4222", Sources: []string{"0/nightly", "1/nightly"}}
	}
	for _, tc := range []struct {
		name    string
		cluster *mnemov1.Cluster
		index   int32
		want    string
	}{
		{"not restored", testCluster(), 1, ""},
		{"shard 0 of 3 from 2", testCluster(restored), 0,
			"--restore-from 0/nightly,1/nightly --restore-slots 0-5460 --restore-log nats://old-log.shop.svc:4222"},
		{"shard 2 of 3 from 2", testCluster(restored), 2,
			"--restore-from 0/nightly,1/nightly --restore-slots 10923-16383 --restore-log nats://old-log.shop.svc:4222"},
		{"one shard", testCluster(restored, func(c *mnemov1.Cluster) { c.Spec.NumShards = 1 }), 0,
			"--restore-from 0/nightly,1/nightly --restore-slots 0-16383 --restore-log nats://old-log.shop.svc:4222"},
		{"resharded to 5: bootstrap slots stay", testCluster(restored, func(c *mnemov1.Cluster) {
			c.Spec.NumShards, c.Status.BootstrapShards = 5, 3
		}), 1, "--restore-from 0/nightly,1/nightly --restore-slots 5461-10922 --restore-log nats://old-log.shop.svc:4222"},
		{"shard added by resharding starts empty", testCluster(restored, func(c *mnemov1.Cluster) {
			c.Spec.NumShards, c.Status.BootstrapShards = 5, 3
		}), 3, ""},
	} {
		if got := strings.Join(RestoreArgs(tc.cluster, tc.index), " "); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		s := testShard(testCluster(), min(tc.index, 2))
		s.Spec.Index = tc.index
		s.Name = tc.cluster.ShardName(tc.index)
		sts := ShardStatefulSet(tc.cluster, s, nodeTypeOf(t, "db.r7g.large"), "mnemo:test", "")
		args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " ")
		if !strings.Contains(args, " --aclfile /etc/mnemo/acl/users.acl"+strings.TrimRight(" "+tc.want, " ")) {
			t.Errorf("%s: the pod's args do not carry the restore flags: %s", tc.name, args)
		}
		label, labelled := sts.Spec.Template.Labels[LabelRestoreSource]
		if labelled != (tc.cluster.Status.Restore != nil) || (labelled && label != "old") {
			t.Errorf("%s: pod label %s=%q", tc.name, LabelRestoreSource, label)
		}
		if _, ok := sts.Labels[LabelRestoreSource]; ok {
			t.Errorf("%s: the StatefulSet itself is labelled as restoring", tc.name)
		}
	}
}

func TestShard(t *testing.T) {
	c := testCluster()
	s := Shard(c, 2, plan.BalancedSlots(3)[2])
	ownerIs(t, "Shard", s.ObjectMeta, "Cluster", "orders")
	if s.Name != "orders-shard-2" || s.Spec.Index != 2 || s.Spec.Nodes != 3 || s.Spec.NodeType != "db.r7g.large" ||
		plan.FormatSlots(s.Spec.SlotRanges) != "10923-16383" || s.Labels[LabelShard] != "2" {
		t.Errorf("got %+v", s)
	}
}

func TestShardStatefulSet(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cluster  *mnemov1.Cluster
		nodeType string
		volumes  []string
		ports    []string
	}{
		{"plain", testCluster(), "db.r7g.large", []string{"config", "acl"}, []string{"redis", "metrics"}},
		{"tls", testCluster(withTLS), "db.t4g.small", []string{"config", "acl", "tls"}, []string{"redis", "metrics", "redis-tls"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testShard(tc.cluster, 0)
			nt := nodeTypeOf(t, tc.nodeType)
			sts := ShardStatefulSet(tc.cluster, s, nt, "mnemo:test", "")
			ownerIs(t, "StatefulSet", sts.ObjectMeta, "Shard", s.Name)
			if *sts.Spec.Replicas != 3 || sts.Spec.ServiceName != "orders-shard-0" || sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
				t.Errorf("replicas %d, service %s, policy %s", *sts.Spec.Replicas, sts.Spec.ServiceName, sts.Spec.PodManagementPolicy)
			}
			if sts.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType {
				t.Errorf("update strategy %s: the operator rolls the pods itself", sts.Spec.UpdateStrategy.Type)
			}
			if !slices.Contains(sts.Spec.Template.Spec.Containers[0].Args, "auto") {
				t.Errorf("args %v: nodes must elect their primary (--role auto)", sts.Spec.Template.Spec.Containers[0].Args)
			}
			if _, ok := sts.Spec.Template.Annotations[AnnotationRestartParameters]; ok {
				t.Error("no parameter needs a restart, yet the template names some")
			}
			if withRestart := ShardStatefulSet(tc.cluster, s, nt, "mnemo:test", "abc"); withRestart.Spec.Template.Annotations[AnnotationRestartParameters] != "abc" {
				t.Error("parameters that need a restart must change the pod template")
			}
			if len(sts.Spec.VolumeClaimTemplates) != 0 {
				t.Error("data nodes must not have volumes: their state comes from snapshot and log")
			}
			for k, v := range sts.Spec.Selector.MatchLabels {
				if sts.Spec.Template.Labels[k] != v {
					t.Errorf("selector %s=%s does not select the pod template", k, v)
				}
			}
			pod := sts.Spec.Template.Spec
			ctr := pod.Containers[0]
			if ctr.Image != "mnemo:test" || ctr.Args[0] != "node" {
				t.Errorf("image %s args %v", ctr.Image, ctr.Args)
			}
			if !ctr.Resources.Limits.Memory().Equal(nt.Memory) || !ctr.Resources.Requests.Cpu().Equal(nt.CPURequest) || !ctr.Resources.Limits.Cpu().Equal(nt.CPULimit) {
				t.Errorf("resources %+v do not match node type %+v", ctr.Resources, nt)
			}
			var vols, ports []string
			for _, v := range pod.Volumes {
				vols = append(vols, v.Name)
			}
			for _, p := range ctr.Ports {
				ports = append(ports, p.Name)
			}
			if !slices.Equal(vols, tc.volumes) || !slices.Equal(ports, tc.ports) {
				t.Errorf("volumes %v ports %v, want %v %v", vols, ports, tc.volumes, tc.ports)
			}
			if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot || !*ctr.SecurityContext.ReadOnlyRootFilesystem {
				t.Error("pods must run as non-root with a read-only root")
			}
			if len(pod.TopologySpreadConstraints) != 1 || pod.TopologySpreadConstraints[0].TopologyKey != "topology.kubernetes.io/zone" {
				t.Errorf("spread %+v", pod.TopologySpreadConstraints)
			}
			if ctr.ReadinessProbe == nil || ctr.ReadinessProbe.TCPSocket == nil {
				t.Error("no readiness probe on the client port")
			}
		})
	}
}

func TestLogStatefulSet(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cluster     *mnemov1.Cluster
		replicas    int32
		whenDeleted appsv1.PersistentVolumeClaimRetentionPolicyType
		required    bool
	}{
		{"three servers, volumes deleted with the cluster", testCluster(), 3, appsv1.DeletePersistentVolumeClaimRetentionPolicyType, false},
		{"one server, volumes kept, required anti-affinity", testCluster(func(c *mnemov1.Cluster) {
			c.Spec.Log.Replicas = 1
			c.Spec.Log.RetainVolumesOnDelete = true
			c.Spec.Topology.AntiAffinity = "Required"
		}), 1, appsv1.RetainPersistentVolumeClaimRetentionPolicyType, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sts := LogStatefulSet(tc.cluster, "mnemo:test")
			ownerIs(t, "log StatefulSet", sts.ObjectMeta, "Cluster", "orders")
			if *sts.Spec.Replicas != tc.replicas || sts.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted != tc.whenDeleted {
				t.Errorf("replicas %d, whenDeleted %s", *sts.Spec.Replicas, sts.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted)
			}
			routes := make([]string, tc.replicas)
			for i := range routes {
				routes[i] = "nats://orders-log-" + itoa(i) + ".orders-log-hl.shop.svc:6222"
			}
			want := "log --name $(POD_NAME) --dir /data --listen 0.0.0.0:4222"
			if tc.replicas > 1 {
				// A single server runs unclustered: a JetStream cluster of
				// one waits for routes forever.
				want += " --cluster-listen 0.0.0.0:6222 --routes " + strings.Join(routes, ",")
			}
			if got := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " "); got != want {
				t.Errorf("args\n got %s\nwant %s", got, want)
			}
			vct := sts.Spec.VolumeClaimTemplates
			if len(vct) != 1 || !vct[0].Spec.Resources.Requests.Storage().Equal(resource.MustParse("20Gi")) {
				t.Errorf("volume claim templates %+v", vct)
			}
			anti := sts.Spec.Template.Spec.Affinity.PodAntiAffinity
			if got := len(anti.RequiredDuringSchedulingIgnoredDuringExecution) == 1; got != tc.required {
				t.Errorf("required anti-affinity %v, want %v", got, tc.required)
			}
		})
	}
}

func TestServices(t *testing.T) {
	c := testCluster()
	svc := ClientService(c)
	ownerIs(t, "client Service", svc.ObjectMeta, "Cluster", "orders")
	if svc.Name != "orders" || svc.Spec.Ports[0].Port != 6379 || svc.Spec.Selector[LabelComponent] != ComponentNode {
		t.Errorf("client service %+v", svc.Spec)
	}
	if tls := ClientService(testCluster(withTLS)); len(tls.Spec.Ports) != 1 || tls.Spec.Ports[0].Port != 6380 {
		t.Errorf("with TLS the endpoint offers only the TLS port, got %+v", tls.Spec.Ports)
	}
	s := testShard(c, 1)
	hl := ShardService(c, s)
	ownerIs(t, "shard Service", hl.ObjectMeta, "Shard", s.Name)
	if hl.Spec.ClusterIP != "None" || !hl.Spec.PublishNotReadyAddresses || hl.Spec.Selector[LabelShard] != "1" {
		t.Errorf("shard service %+v", hl.Spec)
	}
	if l := LogHeadlessService(c); l.Spec.ClusterIP != "None" || l.Name != "orders-log-hl" {
		t.Errorf("log headless service %+v", l)
	}
	if l := LogService(c); l.Spec.Ports[0].Port != 4222 {
		t.Errorf("log service %+v", l.Spec)
	}
	for _, pdb := range []struct {
		name string
		max  string
		meta metav1.ObjectMeta
	}{
		{"log", LogPDB(c).Spec.MaxUnavailable.String(), LogPDB(c).ObjectMeta},
		{"shard", ShardPDB(c, s).Spec.MaxUnavailable.String(), ShardPDB(c, s).ObjectMeta},
	} {
		if pdb.max != "1" || len(pdb.meta.OwnerReferences) != 1 {
			t.Errorf("%s PDB: maxUnavailable %s, owners %v", pdb.name, pdb.max, pdb.meta.OwnerReferences)
		}
	}
}

func TestRenderParameters(t *testing.T) {
	nt := nodeTypeOf(t, "db.t4g.small") // maxmemory 1228mb
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   []string // the lines after the comment
	}{
		{"defaults", nil, []string{"maxmemory 1287651328"}},
		{"sorted", map[string]string{"timeout": "300", "hz": "20", "maxmemory-policy": "allkeys-lru"},
			[]string{"maxmemory 1287651328", "hz 20", "maxmemory-policy allkeys-lru", "timeout 300"}},
		{"group lowers maxmemory", map[string]string{"maxmemory": "100mb"}, []string{"maxmemory 104857600"}},
		{"group cannot raise it", map[string]string{"maxmemory": "10gb"}, []string{"maxmemory 1287651328"}},
		{"0 (no limit) keeps the node type's", map[string]string{"maxmemory": "0"}, []string{"maxmemory 1287651328"}},
	} {
		got := RenderParameters("mine", tc.params, nt)
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "# Rendered by the Mnemo operator from ParameterGroup mine and node type db.t4g.small") {
			t.Errorf("%s: header %q", tc.name, lines[0])
		}
		if !slices.Equal(lines[2:], tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, lines[2:], tc.want)
		}
	}
}

func TestHashPassword(t *testing.T) {
	// sha256("password"), as redis-cli ACL GETUSER shows it.
	if got := HashPassword([]byte("password")); got != "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8" {
		t.Errorf("HashPassword = %s", got)
	}
}

func TestRenderACL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		acl   string
		users []ResolvedUser
		want  string
	}{
		{"open access", "open-access", []ResolvedUser{{Name: "ignored"}}, "user default on nopass ~* &* +@all\n"},
		{"empty acl locks everyone out", "none", nil, "user default off -@all\n"},
		{"users sorted, state first, hashes, rules", "app", []ResolvedUser{
			{Name: "writer", AccessString: "on ~app:* &* +@all -@dangerous", Hashes: []string{"aa", "bb"}},
			{Name: "reader", AccessString: "~* +@read on", NoPassword: true},
			{Name: "gone", AccessString: "off ~* +@all", Hashes: []string{"cc"}},
			{Name: "default", AccessString: "on ~* +@all", NoPassword: true},
		}, "user default off -@all\n" +
			"user gone off #cc ~* +@all\n" +
			"user reader on nopass ~* +@read\n" +
			"user writer on #aa #bb ~app:* &* +@all -@dangerous\n"},
		{"no on means off", "app", []ResolvedUser{{Name: "u", AccessString: "~* +@all", Hashes: []string{"aa"}}},
			"user default off -@all\nuser u off #aa ~* +@all\n"},
	} {
		if got := RenderACL(tc.acl, tc.users); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	c := testCluster()
	sec := ACLSecret(c, "x")
	ownerIs(t, "ACL Secret", sec.ObjectMeta, "Cluster", "orders")
	if string(sec.Data[ACLFileKey]) != "x" || sec.Name != "orders-acl" {
		t.Errorf("ACL secret %+v", sec)
	}
}

func TestNetworkPolicies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cluster *mnemov1.Cluster
		client  int32
	}{
		{"plain", testCluster(), 6379},
		{"tls", testCluster(withTLS), 6380},
	} {
		nps := NetworkPolicies(tc.cluster)
		if len(nps) != 3 {
			t.Fatalf("%s: %d policies", tc.name, len(nps))
		}
		own := nps[0]
		if own.Spec.PodSelector.MatchLabels[LabelCluster] != "orders" || own.Spec.Ingress[0].From[0].PodSelector.MatchLabels[LabelCluster] != "orders" || len(own.Spec.Ingress[0].Ports) != 0 {
			t.Errorf("%s: own-traffic policy %+v", tc.name, own.Spec)
		}
		clients := nps[1]
		ports := clients.Spec.Ingress[0].Ports
		if clients.Spec.PodSelector.MatchLabels[LabelComponent] != ComponentNode || len(clients.Spec.Ingress[0].From) != 0 ||
			len(ports) != 2 || ports[0].Port.IntVal != tc.client || ports[1].Port.IntVal != 9121 {
			t.Errorf("%s: clients policy %+v", tc.name, clients.Spec)
		}
		restores := nps[2]
		in := restores.Spec.Ingress
		if restores.Name != "orders-restores" || restores.Spec.PodSelector.MatchLabels[LabelComponent] != ComponentLog ||
			len(in) != 1 || len(in[0].From) != 1 || in[0].From[0].PodSelector.MatchLabels[LabelRestoreSource] != "orders" ||
			len(in[0].Ports) != 1 || in[0].Ports[0].Port.IntVal != 4222 {
			t.Errorf("%s: restores policy %+v", tc.name, restores.Spec)
		}
		for _, np := range nps {
			ownerIs(t, "NetworkPolicy "+np.Name, np.ObjectMeta, "Cluster", "orders")
		}
	}
}

func TestSnapshotJob(t *testing.T) {
	c := testCluster()
	snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "shop", UID: "uid-snap"}}
	job := SnapshotJob(c, snap, 2, "mnemo:test")
	ownerIs(t, "Job", job.ObjectMeta, "Snapshot", "nightly")
	if job.Name != "nightly-shard-2" || job.Labels[LabelCluster] != "orders" || job.Labels[LabelSnapshot] != "nightly" {
		t.Errorf("job meta %+v", job.ObjectMeta)
	}
	want := "snapshot --log nats://orders-log.shop.svc:4222 --shard 2 --name nightly"
	if got := strings.Join(job.Spec.Template.Spec.Containers[0].Args, " "); got != want {
		t.Errorf("args\n got %s\nwant %s", got, want)
	}

	// A point-in-time Snapshot's Jobs replay the log up to its time, in
	// RFC 3339 UTC whatever the zone it was written in.
	at := metav1.NewTime(time.Date(2026, 5, 1, 6, 30, 15, 0, time.FixedZone("CEST", 2*3600)))
	pit := PointInTimeSnapshot(testCluster(func(c *mnemov1.Cluster) { c.Name = "copy"; c.UID = "uid-copy" }), c, at)
	ownerIs(t, "point-in-time Snapshot", pit.ObjectMeta, "Cluster", "copy")
	if pit.Name != "copy-pitr" || pit.Namespace != "shop" || pit.Spec.ClusterName != "orders" || pit.Spec.Source != mnemov1.SnapshotManual ||
		pit.Labels[LabelRestoreFor] != "copy" || pit.Labels[LabelCluster] != "orders" || !pit.Spec.PointInTime.Equal(&at) {
		t.Errorf("point-in-time Snapshot %+v", pit)
	}
	pit.UID = "uid-pit"
	want = "snapshot --log nats://orders-log.shop.svc:4222 --shard 1 --name copy-pitr --to-time 2026-05-01T04:30:15Z"
	if got := strings.Join(SnapshotJob(c, pit, 1, "mnemo:test").Spec.Template.Spec.Containers[0].Args, " "); got != want {
		t.Errorf("point-in-time args\n got %s\nwant %s", got, want)
	}
}

// The snapshot Job keeps off the hosts of its Cluster's data pods, and
// next of its log servers, by preference only (a one-host cluster still
// snapshots), whatever the Cluster's anti-affinity says; it asks for a
// little CPU and sets no limit. The pods it avoids are the ones the
// StatefulSets make, so a change of their labels fails here.
func TestSnapshotJobPlacement(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cluster *mnemov1.Cluster
	}{
		{"preferred topology", testCluster()},
		{"required topology: the Job's is still preferred", testCluster(func(c *mnemov1.Cluster) { c.Spec.Topology.AntiAffinity = "Required" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cluster
			snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "shop", UID: "uid-snap"}}
			pod := SnapshotJob(c, snap, 1, "mnemo:test").Spec.Template.Spec
			other := testCluster(func(c *mnemov1.Cluster) { c.Name = "billing" })
			for _, p := range []struct {
				what   string
				labels map[string]string
				weight int32 // how much the Job avoids a host with this pod
			}{
				{"a data pod of the shard it snapshots", ShardStatefulSet(c, testShard(c, 1), nodeTypeOf(t, "db.r7g.large"), "i", "").Spec.Template.Labels, 100},
				{"a data pod of another shard", ShardStatefulSet(c, testShard(c, 2), nodeTypeOf(t, "db.r7g.large"), "i", "").Spec.Template.Labels, 100},
				{"a log server", LogStatefulSet(c, "i").Spec.Template.Labels, 50},
				{"another Cluster's data pod", ShardStatefulSet(other, testShard(other, 1), nodeTypeOf(t, "db.r7g.large"), "i", "").Spec.Template.Labels, 0},
				{"another Cluster's log server", LogStatefulSet(other, "i").Spec.Template.Labels, 0},
				{"another snapshot Job", SnapshotJob(c, snap, 2, "i").Spec.Template.Labels, 0},
			} {
				if pod.Affinity == nil || pod.Affinity.PodAntiAffinity == nil {
					t.Fatalf("no pod anti-affinity: %+v", pod.Affinity)
				}
				anti := pod.Affinity.PodAntiAffinity
				if len(anti.RequiredDuringSchedulingIgnoredDuringExecution) != 0 || pod.Affinity.PodAffinity != nil || pod.Affinity.NodeAffinity != nil {
					t.Errorf("the Job may be unschedulable on one host: %+v", pod.Affinity)
				}
				var got int32
				for _, term := range anti.PreferredDuringSchedulingIgnoredDuringExecution {
					sel, err := metav1.LabelSelectorAsSelector(term.PodAffinityTerm.LabelSelector)
					if err != nil {
						t.Fatal(err)
					}
					if term.PodAffinityTerm.TopologyKey == "kubernetes.io/hostname" && len(term.PodAffinityTerm.Namespaces) == 0 &&
						sel.Matches(labels.Set(p.labels)) {
						got += term.Weight
					}
				}
				if got != p.weight {
					t.Errorf("%s (%v): avoided with weight %d, want %d", p.what, p.labels, got, p.weight)
				}
			}
			res := pod.Containers[0].Resources
			if cpu := res.Requests.Cpu(); !cpu.Equal(resource.MustParse("100m")) {
				t.Errorf("CPU request %s, want 100m", cpu)
			}
			if _, ok := res.Limits[corev1.ResourceCPU]; ok {
				t.Errorf("CPU limit %v: the builder may use a host's idle cores", res.Limits)
			}
			if pod.PriorityClassName != "" {
				t.Errorf("priority class %q", pod.PriorityClassName)
			}
		})
	}
}

func TestConfigMapAndImage(t *testing.T) {
	c := testCluster()
	cm := ConfigMap(c, "hz 10\n")
	ownerIs(t, "ConfigMap", cm.ObjectMeta, "Cluster", "orders")
	if cm.Name != "orders-config" || cm.Data[ConfigFileKey] != "hz 10\n" {
		t.Errorf("config map %+v", cm)
	}
	if Image(c, "def") != "def" {
		t.Error("Image ignores the default")
	}
	c.Spec.Image = "mine"
	if Image(c, "def") != "mine" {
		t.Error("Image ignores the override")
	}
}

func TestCertificate(t *testing.T) {
	c := testCluster(func(c *mnemov1.Cluster) {
		c.Spec.NumShards = 2
		c.Spec.TLS = &mnemov1.TLSSpec{Enabled: true, IssuerRef: &mnemov1.IssuerReference{Name: "ca", Kind: "ClusterIssuer", Group: "cert-manager.io"}}
	})
	u := Certificate(c)
	if u.GetKind() != "Certificate" || u.GetAPIVersion() != "cert-manager.io/v1" || u.GetName() != "orders-tls" {
		t.Errorf("got %s %s %s", u.GetAPIVersion(), u.GetKind(), u.GetName())
	}
	if ref := metav1.GetControllerOf(u); ref == nil || ref.Kind != "Cluster" || ref.Name != "orders" {
		t.Errorf("owner %+v", ref)
	}
	spec := u.Object["spec"].(map[string]any)
	want := []any{"orders.shop.svc", "orders.shop.svc.cluster.local", "*.orders-shard-0.shop.svc", "*.orders-shard-1.shop.svc"}
	if spec["secretName"] != "orders-tls" || !slices.Equal(spec["dnsNames"].([]any), want) ||
		spec["issuerRef"].(map[string]any)["kind"] != "ClusterIssuer" {
		t.Errorf("spec %+v", spec)
	}
}

// The operator's user replaces a User of its name and renders in order.
func TestWithOperatorUser(t *testing.T) {
	users := []ResolvedUser{{Name: "zed", AccessString: "on ~* +@all", Hashes: []string{"aa"}},
		{Name: OperatorUser, AccessString: "on ~* +@all", Hashes: []string{"bb"}}}
	got := RenderACL("mine", WithOperatorUser(users, "cc"))
	want := "user default off -@all\n" +
		"user mnemo-operator on #cc -@all +info +ping +role +config|get +config|set +cluster +failover\n" +
		"user zed on #aa ~* +@all\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if len(users) != 2 || users[1].Hashes[0] != "bb" {
		t.Errorf("WithOperatorUser changed its argument: %+v", users)
	}
	c := testCluster()
	s := OperatorSecret(c, []byte("pw"))
	ownerIs(t, "operator Secret", s.ObjectMeta, "Cluster", "orders")
	if s.Name != "orders-operator" || string(s.Data[OperatorPasswordKey]) != "pw" {
		t.Errorf("operator Secret %+v", s)
	}
}

// TestLogReplicasReachTheLogsClients checks that data nodes and snapshot
// Jobs create their streams with as many replicas as there are log
// servers: a stream of 3 replicas cannot be created on one server.
func TestLogReplicasReachTheLogsClients(t *testing.T) {
	for _, tc := range []struct {
		replicas int32
		want     string // the flag, "" for none (the programs' default, 3)
	}{{0, ""}, {1, "--log-replicas 1"}, {3, ""}, {5, "--log-replicas 5"}} {
		c := testCluster(func(c *mnemov1.Cluster) { c.Spec.Log.Replicas = tc.replicas })
		snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: c.Namespace}}
		for what, args := range map[string][]string{
			"node":         NodeArgs(c, testShard(c, 0)),
			"snapshot Job": SnapshotJob(c, snap, 0, "mnemo:test").Spec.Template.Spec.Containers[0].Args,
		} {
			got := strings.Join(args, " ")
			if tc.want == "" && strings.Contains(got, "--log-replicas") || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("log.replicas %d: %s args %q, want %q", tc.replicas, what, got, tc.want)
			}
		}
	}
}

// Data nodes and snapshot Jobs of a Cluster with an S3 snapshot store get
// the store's flags, and its credentials as SecretKeyRefs (never values);
// a Cluster without one gets nothing, so its templates do not change.
func TestSnapshotStore(t *testing.T) {
	s3 := func(mutate func(*mnemov1.S3SnapshotStore)) func(*mnemov1.Cluster) {
		return func(c *mnemov1.Cluster) {
			c.Spec.SnapshotStore = &mnemov1.SnapshotStoreSpec{S3: &mnemov1.S3SnapshotStore{Endpoint: "minio.storage.svc:9000", Bucket: "snaps"}}
			if mutate != nil {
				mutate(c.Spec.SnapshotStore.S3)
			}
		}
	}
	for _, tc := range []struct {
		name    string
		cluster *mnemov1.Cluster
		args    string // the store flags, "" for none
		secret  string // the credentials Secret the env refers to, "" for no env
	}{
		{"log's object store", testCluster(), "", ""},
		{"snapshotStore without s3", testCluster(func(c *mnemov1.Cluster) { c.Spec.SnapshotStore = &mnemov1.SnapshotStoreSpec{} }), "", ""},
		{"s3, default prefix, ambient credentials", testCluster(s3(nil)),
			"--snapshot-store s3 --s3-endpoint minio.storage.svc:9000 --s3-bucket snaps --s3-prefix shop/orders/", ""},
		{"s3, a prefix that is a folder already", testCluster(s3(func(s *mnemov1.S3SnapshotStore) { s.Prefix = "shared/" })),
			"--s3-bucket snaps --s3-prefix shared/", ""},
		{"s3, every field", testCluster(s3(func(s *mnemov1.S3SnapshotStore) {
			s.Prefix, s.Region, s.Insecure, s.CredentialsSecretName = "team-a/orders", "eu-west-1", true, "s3-creds"
		})), "--snapshot-store s3 --s3-endpoint minio.storage.svc:9000 --s3-bucket snaps --s3-prefix team-a/orders/ --s3-region eu-west-1 --s3-insecure yes", "s3-creds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cluster
			snap := &mnemov1.Snapshot{ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "shop", UID: "uid-snap"}}
			node := ShardStatefulSet(c, testShard(c, 1), nodeTypeOf(t, "db.r7g.large"), "mnemo:test", "").Spec.Template.Spec.Containers[0]
			job := SnapshotJob(c, snap, 1, "mnemo:test").Spec.Template.Spec.Containers[0]
			for _, p := range []struct {
				what string
				ctr  corev1.Container
				base []corev1.EnvVar // the env without the store's
			}{{"data node", node, []corev1.EnvVar{podNameEnv}}, {"snapshot Job", job, nil}} {
				args := strings.Join(p.ctr.Args, " ")
				if tc.args == "" && (strings.Contains(args, "--snapshot-store") || strings.Contains(args, "--s3-")) {
					t.Errorf("%s: store flags for a Cluster without an S3 store: %s", p.what, args)
				}
				if tc.args != "" && !strings.Contains(args, " "+tc.args) {
					t.Errorf("%s: args %s\nwant them to carry %s", p.what, args, tc.args)
				}
				if tc.secret == "" {
					if len(p.ctr.Env) != len(p.base) || (len(p.base) > 0 && p.ctr.Env[0] != p.base[0]) {
						t.Errorf("%s: env %+v, want %+v", p.what, p.ctr.Env, p.base)
					}
					continue
				}
				env := map[string]*corev1.EnvVarSource{}
				for _, e := range p.ctr.Env {
					if e.Value != "" && e.Name != "POD_NAME" {
						t.Errorf("%s: env %s has a value in the pod spec", p.what, e.Name)
					}
					env[e.Name] = e.ValueFrom
				}
				for _, key := range []string{S3AccessKeyIDKey, S3SecretAccessKeyKey, S3SessionTokenKey} {
					src := env[key]
					if src == nil || src.SecretKeyRef == nil || src.SecretKeyRef.Name != tc.secret || src.SecretKeyRef.Key != key {
						t.Errorf("%s: env %s from %+v, want Secret %s key %s", p.what, key, src, tc.secret, key)
						continue
					}
					optional := src.SecretKeyRef.Optional != nil && *src.SecretKeyRef.Optional
					if optional != (key == S3SessionTokenKey) {
						t.Errorf("%s: env %s optional %v", p.what, key, optional)
					}
				}
				if len(p.ctr.Env) != len(p.base)+3 {
					t.Errorf("%s: env %+v", p.what, p.ctr.Env)
				}
			}
		})
	}
}
