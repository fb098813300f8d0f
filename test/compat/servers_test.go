package compat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// The servers under comparison, started once for the package.
var (
	redisAddr string
	mnemoAddr string
	mnemoBin  string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mnemo-compat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	stopRedis, err := startRedis(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat: cannot start the reference redis-server (make deps installs it):", err)
		return 1
	}
	defer stopRedis()
	stopMnemo, err := startMnemo(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat: cannot start mnemo:", err)
		return 1
	}
	defer stopMnemo()
	return m.Run()
}

// freePort returns a loopback port that was free a moment ago (see
// harness.Ports for the range).
func freePort() (int, error) {
	ports, err := harness.FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// startRedis starts redis-server in cluster mode with every slot assigned
// to it, so that it answers like a one-shard cluster as Mnemo does.
func startRedis(dir string) (func(), error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	rdir := filepath.Join(dir, "redis")
	if err := os.MkdirAll(rdir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(rdir, "nodes.conf"), "--dir", rdir,
		"--enable-debug-command", "yes")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	redisAddr = fmt.Sprintf("127.0.0.1:%d", port)
	c, err := waitDial(cmd.Process.Pid, redisAddr)
	if err != nil {
		stop()
		return nil, fmt.Errorf("%v: %s", err, out.String())
	}
	defer c.close()
	if v, err := c.do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil || v.kind == '-' {
		stop()
		return nil, fmt.Errorf("CLUSTER ADDSLOTSRANGE: %v %v", v, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := c.do("CLUSTER", "INFO")
		if err == nil && strings.Contains(v.str, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("redis cluster state never became ok: %v", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return stop, nil
}

// startMnemo builds bin/mnemo into the temp dir and starts `mnemo local`.
func startMnemo(dir string) (func(), error) {
	mnemoBin = filepath.Join(dir, "mnemo")
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	build := exec.Command("go", "build", "-o", mnemoBin, ".")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(mnemoBin, "local", "--port", strconv.Itoa(port), "--dir", filepath.Join(dir, "mnemo-data"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	mnemoAddr = fmt.Sprintf("127.0.0.1:%d", port)
	c, err := waitDial(cmd.Process.Pid, mnemoAddr)
	if err != nil {
		cmd.Process.Signal(os.Interrupt)
		time.Sleep(time.Second)
		stop()
		return nil, fmt.Errorf("%v: %s", err, out.String())
	}
	c.close()
	return stop, nil
}

// waitDial waits until process pid answers PING on addr. Another
// process may answer there while pid failed to bind: that is an error.
func waitDial(pid int, addr string) (*conn, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := dial(addr)
		if err == nil {
			if v, err := c.do("PING"); err == nil && v.str == "PONG" && harness.Serves(pid, addr) {
				return c, nil
			}
			c.close()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s never answered PING: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServersAnswer is the smallest check that both servers are up and the
// comparison can fail: they must both answer PING.
func TestServersAnswer(t *testing.T) {
	for _, addr := range []string{redisAddr, mnemoAddr} {
		c, err := dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.do("PING")
		c.close()
		if err != nil || v.kind != '+' || v.str != "PONG" {
			t.Fatalf("%s: PING = %v, %v", addr, v, err)
		}
	}
}
