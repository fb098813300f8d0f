//go:build linux

package harness

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

func TestPortsAreDistinctAndBelowTheEphemeralRange(t *testing.T) {
	ports := Ports(t, 50)
	seen := map[int]bool{}
	for _, p := range ports {
		if p < portMin || p > portMax || seen[p] {
			t.Fatalf("port %d repeated or outside %d–%d: %v", p, portMin, portMax, ports)
		}
		seen[p] = true
	}
}

// TestListens tells this process's listener from another process's: the
// case the check exists for is a child that failed to bind while someone
// else answers on its port.
func TestListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if !Listens(os.Getpid(), port) {
		t.Errorf("Listens(self, %d) = false for our own listener", port)
	}
	if Listens(os.Getpid(), Ports(t, 1)[0]) {
		t.Error("Listens is true for a port nobody listens on")
	}

	// A child process holding a connection to the port does not own it.
	sleep := exec.Command("sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	if Listens(sleep.Process.Pid, port) {
		t.Errorf("Listens(child %d, %d) = true, but our process listens there", sleep.Process.Pid, port)
	}

	// A child that does listen there is recognised.
	p2 := Ports(t, 1)[0]
	child := exec.Command(os.Args[0], "-test.run=^TestListenHelper$")
	child.Env = append(os.Environ(), "HARNESS_LISTEN_PORT="+strconv.Itoa(p2))
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for !Listens(child.Process.Pid, p2) {
		if time.Now().After(deadline) {
			t.Fatalf("Listens(child %d, %d) never became true", child.Process.Pid, p2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if Listens(os.Getpid(), p2) {
		t.Errorf("Listens(self, %d) = true for the child's listener", p2)
	}
}

// TestListenHelper is the child of TestListens: it listens on the port it
// is given and waits to be killed. Run directly, it has nothing to do.
func TestListenHelper(t *testing.T) {
	port := os.Getenv("HARNESS_LISTEN_PORT")
	if port == "" {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		os.Exit(1)
	}
	defer ln.Close()
	time.Sleep(30 * time.Second)
}
