package command

import (
	"strings"
	"testing"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/config"
)

// TestClusterRepliesToTLSClients checks that a client connected to the
// TLS port is told the nodes' TLS ports (port + tls-port - port), as
// Redis tells each client the port of its own connection type, and that
// a plaintext client on the same node is told the plaintext ports.
func TestClusterRepliesToTLSClients(t *testing.T) {
	hex := func(c string) string { return strings.Repeat(c, 40) }
	p1, p2 := hex("1"), hex("2")
	host := "db-shard-1-0.db-shard-1.ns.svc"
	topo, err := cluster.New(p1, 3, []cluster.Shard{
		{ID: hex("a"), Slots: []cluster.SlotRange{{Start: 0, End: 8191}},
			Primary: cluster.Node{ID: p1, IP: "db-shard-0-0.db-shard-0.ns.svc", Hostname: "db-shard-0-0.db-shard-0.ns.svc", Port: 6379}},
		{ID: hex("b"), Slots: []cluster.SlotRange{{Start: 8192, End: 16383}},
			Primary: cluster.Node{ID: p2, IP: host, Hostname: host, Port: 6379}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.New()
	for name, v := range map[string]string{"dir": t.TempDir(), "port": "6379", "tls-port": "6380"} {
		if err := cfg.SetStartup(name, v); err != nil {
			t.Fatal(err)
		}
	}
	e := New(cfg)
	e.topo.cur.Store(topo)
	plain := e.NewClient("10.244.0.9:5000", "10.244.0.8:6379", nil)
	secure := e.NewClient("10.244.0.9:5001", "10.244.0.8:6380", nil)

	for _, tc := range []struct {
		c    *Client
		args string
		want string
	}{
		{plain, "CLUSTER SLOTS", bulk(host) + ":6379\r\n"},
		{secure, "CLUSTER SLOTS", bulk(host) + ":6380\r\n"},
		{plain, "CLUSTER NODES", host + ":6379@0," + host},
		{secure, "CLUSTER NODES", host + ":6380@0," + host},
		{plain, "CLUSTER SHARDS", "$4\r\nport\r\n:6379\r\n"},
		{secure, "CLUSTER SHARDS", "$8\r\ntls-port\r\n:6380\r\n"},
	} {
		if got := run(e, tc.c, strings.Fields(tc.args)...); !strings.Contains(got, tc.want) {
			t.Errorf("%s on port %s: %q lacks %q", tc.args, tc.c.LAddr, got, tc.want)
		}
	}
	if got := e.clientAddr(secure, host+":6379"); got != host+":6380" {
		t.Errorf("MOVED target for a TLS client = %q", got)
	}
	if got := e.clientAddr(plain, host+":6379"); got != host+":6379" {
		t.Errorf("MOVED target for a plaintext client = %q", got)
	}
}
