package command

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/config"
)

// clusterTestEngine returns an engine whose node keeps its ID in dir and
// announces itself on port 7000 of bind, and a connected client.
func clusterTestEngine(t *testing.T, dir, bind string) (*Engine, *Client) {
	t.Helper()
	cfg := config.New()
	for name, v := range map[string]string{"dir": dir, "bind": bind, "port": "7000"} {
		if err := cfg.SetStartup(name, v); err != nil {
			t.Fatal(err)
		}
	}
	e := New(cfg)
	return e, e.NewClient("127.0.0.1:5000", "127.0.0.1:7000", nil)
}

// bulk is a RESP2 bulk string.
func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// verbatim is a RESP3 verbatim text string.
func verbatim(s string) string { return "=" + strconv.Itoa(len(s)+4) + "\r\ntxt:" + s + "\r\n" }

const singleNodeInfo = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n" +
	"cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:1\r\n" +
	"cluster_current_epoch:0\r\ncluster_my_epoch:0\r\ncluster_stats_messages_sent:0\r\n" +
	"cluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n"

// TestClusterSingleNodeReplies checks every topology reply of a node
// alone in its cluster byte for byte, in both protocols: the transcripts
// can only compare their shapes, the reference's IDs and ports differing.
func TestClusterSingleNodeReplies(t *testing.T) {
	e, c := clusterTestEngine(t, t.TempDir(), "0.0.0.0")
	id := e.Topology().Self()
	shardID := cluster.ShardIDOf(id)
	if !cluster.ValidNodeID(id) {
		t.Fatalf("node ID %q", id)
	}
	node2 := "*4\r\n$2\r\nid\r\n" + bulk(id) + "$4\r\nport\r\n:7000\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n" +
		"$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n" +
		"$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
	nodes := id + " 127.0.0.1:7000@0 myself,master - 0 0 0 connected 0-16383\n"
	for _, tc := range []struct {
		args       []string
		resp2      string
		resp3      string // when it differs from resp2
		resp3Equal bool
	}{
		{args: []string{"CLUSTER", "MYID"}, resp2: bulk(id), resp3Equal: true},
		{args: []string{"CLUSTER", "MYSHARDID"}, resp2: bulk(shardID), resp3Equal: true},
		{args: []string{"CLUSTER", "SLOTS"},
			resp2: "*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n" + bulk(id) + "*0\r\n",
			resp3: "*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n" + bulk(id) + "%0\r\n"},
		{args: []string{"CLUSTER", "SHARDS"},
			resp2: "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*14" + node2[2:],
			resp3: "*1\r\n%2\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n%7" + node2[2:]},
		{args: []string{"CLUSTER", "NODES"}, resp2: bulk(nodes), resp3: verbatim(nodes)},
		{args: []string{"CLUSTER", "INFO"}, resp2: bulk(singleNodeInfo), resp3: verbatim(singleNodeInfo)},
		{args: []string{"CLUSTER", "LINKS"}, resp2: "*0\r\n", resp3Equal: true},
		{args: []string{"CLUSTER", "REPLICAS", id}, resp2: "*0\r\n", resp3Equal: true},
		{args: []string{"CLUSTER", "SLAVES", id}, resp2: "*0\r\n", resp3Equal: true},
		{args: []string{"CLUSTER", "COUNT-FAILURE-REPORTS", id}, resp2: ":0\r\n", resp3Equal: true},
		{args: []string{"CLUSTER", "COUNT-FAILURE-REPORTS", strings.ToUpper(id)}, resp2: "-ERR Unknown node " + strings.ToUpper(id) + "\r\n", resp3Equal: true},
	} {
		if tc.resp3Equal {
			tc.resp3 = tc.resp2
		}
		if got := run(e, c, tc.args...); got != tc.resp2 {
			t.Errorf("%v (RESP2) = %q, want %q", tc.args, got, tc.resp2)
		}
		run(e, c, "HELLO", "3")
		if got := run(e, c, tc.args...); got != tc.resp3 {
			t.Errorf("%v (RESP3) = %q, want %q", tc.args, got, tc.resp3)
		}
		run(e, c, "HELLO", "2")
	}
}

func TestClusterMyShardIDIsServed(t *testing.T) {
	e, c := clusterTestEngine(t, t.TempDir(), "127.0.0.1")
	if got := run(e, c, "COMMAND", "INFO", "cluster|myshardid"); !strings.Contains(got, "cluster|myshardid\r\n:2\r\n") {
		t.Errorf("COMMAND INFO cluster|myshardid = %q", got)
	}
	if got := run(e, c, "CLUSTER", "MYSHARDID", "x"); got != "-ERR wrong number of arguments for 'cluster|myshardid' command\r\n" {
		t.Errorf("CLUSTER MYSHARDID x = %q", got)
	}
	if got := run(e, c, "COMMAND", "DOCS", "cluster|myshardid"); !strings.Contains(got, "7.2.0") {
		t.Errorf("COMMAND DOCS cluster|myshardid = %q", got)
	}
}

// The node keeps its ID across restarts: the process loads it from the
// data directory and gives it to the engine.
func TestClusterNodeIDSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	start := func() (*Engine, *Client, string) {
		id, err := cluster.LoadOrCreateNodeID(dir)
		if err != nil {
			t.Fatal(err)
		}
		e, c := clusterTestEngine(t, dir, "127.0.0.1")
		e.SetNodeID(id)
		return e, c, id
	}
	e1, c1, id := start()
	if got := run(e1, c1, "CLUSTER", "MYID"); got != bulk(id) {
		t.Fatalf("MYID = %q, want the loaded ID %q", got, id)
	}
	e2, c2, _ := start()
	if again := run(e2, c2, "CLUSTER", "MYID"); again != bulk(id) {
		t.Errorf("MYID after a restart = %q, want %q", again, bulk(id))
	}
	if again := run(e2, c2, "CLUSTER", "MYSHARDID"); again != run(e1, c1, "CLUSTER", "MYSHARDID") {
		t.Errorf("MYSHARDID changed across a restart")
	}
}

// An engine never writes files: without an ID from its process it takes a
// fresh one, and its data directory stays as it was.
func TestEngineWritesNoNodeIDFile(t *testing.T) {
	dir := t.TempDir()
	e, c := clusterTestEngine(t, dir, "127.0.0.1")
	id := run(e, c, "CLUSTER", "MYID")
	if len(id) != len("$40\r\n")+40+2 {
		t.Errorf("MYID = %q, want 40 hex characters", id)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("dir holds %v after topology commands", entries)
	}
}

func TestAnnounceIP(t *testing.T) {
	for bind, want := range map[string]string{
		"127.0.0.1":           "127.0.0.1",
		"10.1.2.3":            "10.1.2.3",
		"10.1.2.3 127.0.0.1":  "10.1.2.3",
		"-10.1.2.3 127.0.0.1": "10.1.2.3",
		"::1":                 "::1",
		"0.0.0.0":             "127.0.0.1",
		"::":                  "127.0.0.1",
		"* -::*":              "127.0.0.1",
		"":                    "127.0.0.1",
	} {
		if got := announceIP(bind); got != want {
			t.Errorf("announceIP(%q) = %q, want %q", bind, got, want)
		}
	}
}

// Every subcommand that would reshape a Redis cluster answers Mnemo's
// error and changes nothing.
func TestClusterManagedSubcommands(t *testing.T) {
	e, c := clusterTestEngine(t, t.TempDir(), "127.0.0.1")
	id := e.Topology().Self()
	before := run(e, c, "CLUSTER", "NODES")
	for _, args := range [][]string{
		{"ADDSLOTS", "0"},
		{"addslotsrange", "0", "10"},
		{"DELSLOTS", "0"},
		{"DELSLOTSRANGE", "0", "10"},
		{"FLUSHSLOTS"},
		{"MEET", "127.0.0.1", "7001"},
		{"FORGET", id},
		{"REPLICATE", id},
		{"RESET"},
		{"RESET", "HARD"},
		{"FAILOVER"},
		{"FAILOVER", "TAKEOVER"},
		{"SETSLOT", "0", "STABLE"},
		{"SET-CONFIG-EPOCH", "5"},
		{"BUMPEPOCH"},
		{"SAVECONFIG"},
	} {
		want := "-ERR CLUSTER " + strings.ToUpper(args[0]) + " is not allowed: Mnemo manages the cluster topology\r\n"
		if got := run(e, c, append([]string{"CLUSTER"}, args...)...); got != want {
			t.Errorf("CLUSTER %v = %q, want %q", args, got, want)
		}
	}
	if len(managedSubcommands) != 14 {
		t.Errorf("%d managed subcommands, the test covers 14", len(managedSubcommands))
	}
	if after := run(e, c, "CLUSTER", "NODES"); after != before {
		t.Errorf("CLUSTER NODES changed from %q to %q", before, after)
	}
}

// TestClusterMultiNodeReplies renders a topology of three shards, seen
// from a replica, the way the multi-node source will hand it over.
func TestClusterMultiNodeReplies(t *testing.T) {
	hex := func(c string) string { return strings.Repeat(c, 40) }
	p1, r1, r2, p2, p3 := hex("1"), hex("2"), hex("3"), hex("4"), hex("5")
	topo, err := cluster.New(r1, 9, []cluster.Shard{
		{ID: hex("a"), Slots: []cluster.SlotRange{{Start: 10000, End: 16383}, {Start: 0, End: 4999}},
			Primary: cluster.Node{ID: p1, IP: "10.0.0.1", Port: 6379, BusPort: 16379, ConfigEpoch: 7, ReplOffset: 100},
			Replicas: []cluster.Node{
				{ID: r1, IP: "10.0.0.2", Port: 6379, Hostname: "r1.example", ReplOffset: 90},
				{ID: r2, IP: "10.0.0.3", Port: 6379, Failed: true},
			}},
		{ID: hex("b"), Slots: []cluster.SlotRange{{Start: 5000, End: 5000}, {Start: 5001, End: 9999}},
			Primary: cluster.Node{ID: p2, IP: "10.0.0.4", Port: 6380, ConfigEpoch: 8}},
		{ID: hex("c"), Primary: cluster.Node{ID: p3, IP: "10.0.0.5", Port: 6381}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, c := clusterTestEngine(t, t.TempDir(), "127.0.0.1")
	e.topo.cur.Store(topo)

	node := func(ip string, port int, id string) string {
		return "*4\r\n" + bulk(ip) + ":" + strconv.Itoa(port) + "\r\n" + bulk(id)
	}
	wantSlots := "*3\r\n" +
		"*4\r\n:0\r\n:4999\r\n" + node("10.0.0.1", 6379, p1) + "*0\r\n" + node("10.0.0.2", 6379, r1) + "*2\r\n$8\r\nhostname\r\n$10\r\nr1.example\r\n" +
		"*3\r\n:5000\r\n:9999\r\n" + node("10.0.0.4", 6380, p2) + "*0\r\n" +
		"*4\r\n:10000\r\n:16383\r\n" + node("10.0.0.1", 6379, p1) + "*0\r\n" + node("10.0.0.2", 6379, r1) + "*2\r\n$8\r\nhostname\r\n$10\r\nr1.example\r\n"
	if got := run(e, c, "CLUSTER", "SLOTS"); got != wantSlots {
		t.Errorf("CLUSTER SLOTS =\n%q\nwant\n%q", got, wantSlots)
	}

	wantNodes := r1 + " 10.0.0.2:6379@0,r1.example myself,slave " + p1 + " 0 0 7 connected\n" +
		p1 + " 10.0.0.1:6379@16379 master - 0 0 7 connected 0-4999 10000-16383\n" +
		r2 + " 10.0.0.3:6379@0 slave,fail " + p1 + " 0 0 7 connected\n" +
		p2 + " 10.0.0.4:6380@0 master - 0 0 8 connected 5000 5001-9999\n" +
		p3 + " 10.0.0.5:6381@0 master - 0 0 0 connected\n"
	if got := run(e, c, "CLUSTER", "NODES"); got != bulk(wantNodes) {
		t.Errorf("CLUSTER NODES =\n%s\nwant\n%s", got, wantNodes)
	}

	shards := run(e, c, "CLUSTER", "SHARDS")
	for _, want := range []string{
		"*3\r\n*4\r\n$5\r\nslots\r\n*4\r\n:0\r\n:4999\r\n:10000\r\n:16383\r\n$5\r\nnodes\r\n*3\r\n",
		"*16\r\n$2\r\nid\r\n" + bulk(r1) + "$4\r\nport\r\n:6379\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n$8\r\nendpoint\r\n$8\r\n10.0.0.2\r\n" +
			"$8\r\nhostname\r\n$10\r\nr1.example\r\n$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:90\r\n$6\r\nhealth\r\n$6\r\nonline\r\n",
		"$4\r\nrole\r\n$7\r\nreplica\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$4\r\nfail\r\n",
		"*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n",
	} {
		if !strings.Contains(shards, want) {
			t.Errorf("CLUSTER SHARDS lacks %q:\n%q", want, shards)
		}
	}

	info := run(e, c, "CLUSTER", "INFO")
	for _, want := range []string{"cluster_state:ok\r\n", "cluster_known_nodes:5\r\n", "cluster_size:2\r\n",
		"cluster_current_epoch:9\r\n", "cluster_my_epoch:7\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("CLUSTER INFO lacks %q:\n%s", want, info)
		}
	}

	wantReplicas := "*2\r\n" + bulk(r1+" 10.0.0.2:6379@0,r1.example myself,slave "+p1+" 0 0 7 connected") +
		bulk(r2+" 10.0.0.3:6379@0 slave,fail "+p1+" 0 0 7 connected")
	for _, tc := range []struct{ args, want string }{
		{"CLUSTER REPLICAS " + p1, wantReplicas},
		{"CLUSTER REPLICAS " + p2, "*0\r\n"},
		{"CLUSTER REPLICAS " + r1, "-ERR The specified node is not a master\r\n"},
		{"CLUSTER COUNT-FAILURE-REPORTS " + r2, ":0\r\n"},
		{"CLUSTER MYID", bulk(r1)},
		{"CLUSTER MYSHARDID", bulk(hex("a"))},
	} {
		if got := run(e, c, strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestClusterInfoFailState(t *testing.T) {
	self := strings.Repeat("1", 40)
	topo, err := cluster.New(self, 0, []cluster.Shard{
		{ID: strings.Repeat("a", 40), Slots: []cluster.SlotRange{{Start: 0, End: 99}}, Primary: cluster.Node{ID: self}},
		{ID: strings.Repeat("b", 40), Slots: []cluster.SlotRange{{Start: 100, End: 199}}, Primary: cluster.Node{ID: strings.Repeat("2", 40), Failed: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, c := clusterTestEngine(t, t.TempDir(), "127.0.0.1")
	e.topo.cur.Store(topo)
	info := run(e, c, "CLUSTER", "INFO")
	for _, want := range []string{"cluster_state:fail\r\n", "cluster_slots_assigned:200\r\n",
		"cluster_slots_ok:100\r\n", "cluster_slots_fail:100\r\n", "cluster_size:2\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("CLUSTER INFO lacks %q:\n%s", want, info)
		}
	}
}

func TestClusterReadOnlyMode(t *testing.T) {
	e, c := clusterTestEngine(t, t.TempDir(), "127.0.0.1")
	other := e.NewClient("127.0.0.1:5001", "127.0.0.1:7000", nil)
	for _, step := range []struct {
		cmd  string
		want bool
	}{
		{"READONLY", true}, {"READONLY", true}, {"READWRITE", false}, {"READWRITE", false}, {"readonly", true},
	} {
		if got := run(e, c, step.cmd); got != "+OK\r\n" {
			t.Fatalf("%s = %q", step.cmd, got)
		}
		if e.isReadOnly(c) != step.want || e.isReadOnly(other) {
			t.Errorf("after %s: read-only = %v (other client %v), want %v", step.cmd, e.isReadOnly(c), e.isReadOnly(other), step.want)
		}
	}
	if got := run(e, c, "ASKING"); got != "+OK\r\n" {
		t.Errorf("ASKING = %q", got)
	}

	// Clients that leave in read-only mode do not pile up.
	for i := 0; i < 1000; i++ {
		gone := e.NewClient("127.0.0.1:6000", "127.0.0.1:7000", nil)
		run(e, gone, "READONLY")
		e.RemoveClient(gone)
	}
	if n := len(e.topo.readOnly); n > 2*1+16+1 {
		t.Errorf("%d read-only entries for one live read-only client", n)
	}
	if !e.isReadOnly(c) {
		t.Error("pruning forgot a live client's mode")
	}
}
