//go:build linux

package durability

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// streamLeader returns the name of the log server leading shard 0's
// stream, asking the log servers at urls.
func streamLeader(urls string) (string, error) {
	nc, err := nats.Connect(urls, nats.Timeout(2*time.Second))
	if err != nil {
		return "", err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, txlog.StreamName(0))
	if err != nil {
		return "", err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return "", err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return "", fmt.Errorf("stream %s has no leader", txlog.StreamName(0))
	}
	return info.Cluster.Leader, nil
}

// startLogCluster starts three `mnemo log` servers routed to each other,
// on the client ports ports[0:3] and route ports ports[3:6].
func startLogCluster(t *testing.T, dir string, ports []int) ([]*logServer, []string) {
	t.Helper()
	var routes, clients []string
	for i := range 3 {
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(ports[3+i]))
	}
	logs := make([]*logServer, 3)
	for i := range logs {
		logs[i] = startLog(t, dir, "log"+strconv.Itoa(i), ports[i], ports[3+i], routes)
		clients = append(clients, logs[i].clientURL)
	}
	return logs, clients
}

// waitLogCluster waits until the log cluster answers JetStream requests
// (it has a meta leader), each request bounded on its own.
func waitLogCluster(t *testing.T, urls string) {
	t.Helper()
	start := time.Now()
	nc, err := nats.Connect(urls, nats.Timeout(2*time.Second), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("the log cluster does not answer JetStream requests after 2 minutes: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("log cluster answering JetStream requests %v after its servers listened", time.Since(start).Round(time.Millisecond))
}

func leaderIndex(t *testing.T, name string) int {
	t.Helper()
	i, err := strconv.Atoi(strings.TrimPrefix(name, "log"))
	if err != nil || i < 0 || i > 2 {
		t.Fatalf("unexpected log server name %q", name)
	}
	return i
}

// stepDown asks shard 0's stream leader to step down, and waits until
// another server leads.
func stepDown(t *testing.T, urls string, from string) string {
	t.Helper()
	nc, err := nats.Connect(urls, nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+txlog.StreamName(0), nil, 5*time.Second); err != nil {
		t.Fatalf("stream leader step down: %v", err)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		if l, err := streamLeader(urls); err == nil && l != from {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new stream leader a minute after %s stepped down", from)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// connectedLog returns the index in ports of the log server that process
// pid has an established TCP connection to, read from /proc, or -1.
func connectedLog(pid int, ports []int) int {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && err == nil {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	for _, table := range []string{"tcp", "tcp6"} {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			// sl local rem state ... inode (the tenth field); 01 is ESTABLISHED.
			if len(f) < 10 || f[3] != "01" || !inodes[f[9]] {
				continue
			}
			port, err := strconv.ParseUint(f[2][strings.LastIndexByte(f[2], ':')+1:], 16, 32)
			if err != nil {
				continue
			}
			for i, p := range ports {
				if int(port) == p {
					return i
				}
			}
		}
	}
	return -1
}

// logCluster is three `mnemo log` servers and one `mnemo node` on them.
type logCluster struct {
	logs    []*logServer
	clients []string // client URLs
	ports   []int    // client ports
	urls    string   // the node's --log
	node    *proc
	addr    string
}

// startLogClusterNode starts three log servers, waits until they answer,
// then starts a node on them with the stream at R=3.
func startLogClusterNode(t *testing.T, dir string, nodeFlags ...string) *logCluster {
	t.Helper()
	ports := freePorts(t, 7)
	lc := &logCluster{ports: ports[:3]}
	lc.logs, lc.clients = startLogCluster(t, dir, ports[:6])
	lc.urls = strings.Join(lc.clients, ",")
	// A node started while the log cluster elects its meta leader may
	// never come up (TestNodeStartsWithItsLogCluster): wait for the log.
	waitLogCluster(t, lc.urls)
	lc.node, lc.addr = startNode(t, dir, "node", ports[6], lc.urls, append([]string{"--log-replicas", "3"}, nodeFlags...)...)
	return lc
}

// followerConnection makes sure the node's connection to the log is to a
// follower of the stream, moving the leadership away if need be, and
// returns the indexes of that follower and of the leader.
func (lc *logCluster) followerConnection(t *testing.T) (conn, leader int) {
	t.Helper()
	conn = connectedLog(lc.node.PID(), lc.ports)
	if conn < 0 {
		t.Fatal("cannot tell which log server the node is connected to")
	}
	l, err := streamLeader(lc.urls)
	if err != nil {
		t.Fatalf("cannot find the stream's leader: %v", err)
	}
	if leader = leaderIndex(t, l); leader == conn {
		leader = leaderIndex(t, stepDown(t, lc.urls, l))
	}
	return conn, leader
}
