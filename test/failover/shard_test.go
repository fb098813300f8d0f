//go:build linux

package failover

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// leaseTTL is the nodes' --lease-ttl: short, so a test sees many
// failovers, yet long enough for two loaded cores.
const leaseTTL = 1500 * time.Millisecond

// shard is three log servers and three data nodes on them.
type shard struct {
	t     *testing.T
	logs  []*proc
	nodes []*proc
	addrs []string // the nodes' client addresses
	urls  string
}

// startShard starts the log cluster, waits until it answers, then starts
// the nodes and waits until one of them is primary.
func startShard(t *testing.T) *shard {
	t.Helper()
	dir := t.TempDir()
	ports := freePorts(t, 9)
	s := &shard{t: t}
	var routes, clients []string
	for i := range 3 {
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(ports[3+i]))
		clients = append(clients, "nats://127.0.0.1:"+strconv.Itoa(ports[i]))
	}
	for i := range 3 {
		name := "log" + strconv.Itoa(i)
		p := startProc(t, dir, name, "log", "--name", name, "--dir", filepath.Join(dir, name),
			"--listen", "127.0.0.1:"+strconv.Itoa(ports[i]),
			"--cluster-listen", "127.0.0.1:"+strconv.Itoa(ports[3+i]), "--routes", strings.Join(routes, ","))
		s.logs = append(s.logs, p)
	}
	for i, p := range s.logs {
		waitPort(t, p, "127.0.0.1:"+strconv.Itoa(ports[i]), time.Minute)
	}
	s.urls = strings.Join(clients, ",")
	waitLogCluster(t, s.urls)
	for i := range 3 {
		name := "node" + strconv.Itoa(i)
		addr := "127.0.0.1:" + strconv.Itoa(ports[6+i])
		p := startProc(t, dir, name, "node", "--log", s.urls, "--log-replicas", "3", "--role", "auto",
			"--lease-ttl", strconv.Itoa(int(leaseTTL/time.Millisecond)),
			"--port", strconv.Itoa(ports[6+i]), "--dir", filepath.Join(dir, name))
		s.nodes = append(s.nodes, p)
		s.addrs = append(s.addrs, addr)
	}
	for i, p := range s.nodes {
		waitReady(t, p, s.addrs[i], time.Minute)
	}
	if _, ok := s.waitPrimary(time.Minute); !ok {
		t.Fatal("no node became primary within a minute")
	}
	return s
}

// waitLogCluster waits until the log cluster answers JetStream requests.
func waitLogCluster(t *testing.T, urls string) {
	t.Helper()
	nc, err := nats.Connect(urls, nats.Timeout(2*time.Second), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("the log cluster does not answer after 2 minutes: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// role asks addr for its ROLE: "master", "slave" or "" if it does not
// answer.
func role(addr string) string {
	c, err := dial(addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	v, err := c.DoTimeout(time.Second, "ROLE")
	if err != nil || v.Kind != '*' || len(v.Elems) == 0 {
		return ""
	}
	return v.Elems[0].Str
}

// primary returns the index of a node that says it is master, or -1.
func (s *shard) primary() int {
	for i, a := range s.addrs {
		if role(a) == "master" {
			return i
		}
	}
	return -1
}

// waitPrimary waits up to limit for a node to say it is master.
func (s *shard) waitPrimary(limit time.Duration) (int, bool) {
	for start := time.Now(); time.Since(start) < limit; time.Sleep(50 * time.Millisecond) {
		if i := s.primary(); i >= 0 {
			return i, true
		}
	}
	return -1, false
}
