//go:build linux

// Package harness holds what the process-level test suites share: loopback
// ports that do not collide with the kernel's, and the check that the
// process answering on a port is the one the test started.
//
// Test packages run in parallel, each starting servers on ports it chose.
// A server that fails to bind exits, but until it does a client that
// dials its port reaches whoever holds it — another package's server,
// which answers PING just as well. So "it answers" is not "it is up":
// readiness checks ask the kernel who owns the listening socket.
package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Test ports come from below the kernel's ephemeral range (32768–60999 by
// default, /proc/sys/net/ipv4/ip_local_port_range), which `listen :0` and
// every outgoing connection draw from: a port chosen here is taken only
// by another test that chose it too.
const (
	portMin = 20000
	portMax = 32767
)

// Ports returns n distinct loopback ports that were free a moment ago.
// The listeners stay open until all n are chosen, so none repeats.
func Ports(t testing.TB, n int) []int {
	t.Helper()
	ports, err := FreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// FreePorts is Ports for code without a testing.TB (a TestMain).
func FreePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries == 1000 {
			return nil, fmt.Errorf("no %d free loopback ports in %d–%d after %d tries", n, portMin, portMax, tries)
		}
		p := portMin + rand.IntN(portMax-portMin+1)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		ports = append(ports, p)
	}
	return ports, nil
}

// Listens reports whether process pid holds a TCP socket listening on
// port: the kernel lists listening sockets with their inode in
// /proc/net/tcp{,6}, and the process's descriptors link to
// "socket:[inode]".
func Listens(pid, port int) bool {
	inodes := listeningInodes(port)
	if len(inodes) == 0 {
		return false
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			return true
		}
	}
	return false
}

// listeningInodes returns the inodes of the sockets in state LISTEN on
// port, from both address families.
func listeningInodes(port int) map[string]bool {
	const stateListen = "0A"
	want := fmt.Sprintf(":%04X", port)
	out := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != stateListen || !strings.HasSuffix(f[1], want) {
				continue
			}
			out[f[9]] = true
		}
	}
	return out
}

// PortOf returns the port of a host:port address, or 0.
func PortOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// Serves reports whether process pid listens on addr's port: what a
// readiness check asks before it trusts an answer from addr.
func Serves(pid int, addr string) bool {
	return pid > 0 && Listens(pid, PortOf(addr))
}

// ConsecutivePorts returns the first of n consecutive loopback ports that
// were free a moment ago: `mnemo local --shards/--replicas` serves its
// nodes on --port, --port+1, ….
func ConsecutivePorts(t testing.TB, n int) int {
	t.Helper()
	for range 50 {
		base := portMin + rand.IntN(portMax-portMin+2-n)
		var lns []net.Listener
		for i := range n {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if len(lns) == n {
			return base
		}
	}
	t.Fatalf("no %d consecutive free loopback ports in %d–%d after 50 tries", n, portMin, portMax)
	return 0
}
