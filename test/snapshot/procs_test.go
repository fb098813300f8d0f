//go:build linux

package snapshot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(childEnv); url != "" {
		os.Exit(runBuilder(url))
	}
	if spec := os.Getenv(hangEnv); spec != "" {
		os.Exit(runHungUpload(spec))
	}
	code := m.Run()
	removeBin()
	os.Exit(code)
}

// The tests that need whole processes (`mnemo log`, `mnemo node`,
// `mnemo snapshot`, as they run in production) share one mnemo binary,
// built on first use into a directory TestMain removes.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// mnemoBin builds bin/mnemo once per test binary and returns its path.
func mnemoBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		// MNEMO_SNAPTEST_BIN runs the tests on another build (to see a
		// test fail on a binary without a fix, say).
		if binPath = os.Getenv("MNEMO_SNAPTEST_BIN"); binPath != "" {
			return
		}
		binDir, binErr = os.MkdirTemp("", "mnemo-snaptest-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "mnemo")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// removeBin removes the binary mnemoBin built, if any (TestMain).
func removeBin() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// testPorts returns n distinct loopback ports in 20000–32767 (below the
// kernel's ephemeral range, so no outgoing connection takes one meanwhile)
// that were free a moment ago: each was bound, and all stay bound until
// all n are chosen.
func testPorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			t.Fatal("no free loopback port in 20000-32767")
		}
		p := 20000 + rand.IntN(32767-20000+1)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		ports = append(ports, p)
	}
	return ports
}

// proc is a mnemo process a test started; its output goes to a file that
// is logged when the test fails. It is killed, by its PID, however the
// test ends.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  string
	done chan struct{}
}

func startProc(t *testing.T, dir, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, out: filepath.Join(dir, name+".out"), done: make(chan struct{})}
	f, err := os.Create(p.out)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(mnemoBin(t), args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	// A test binary that dies without its cleanups still takes its
	// children with it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.out)
			if len(b) > 8<<10 {
				b = append([]byte("..."), b[len(b)-8<<10:]...)
			}
			t.Logf("output of %s:\n%s", p.name, b)
		}
	})
	return p
}

func (p *proc) signal(sig syscall.Signal) {
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Logf("%s: signal %v: %v", p.name, sig, err)
	}
}

// pause stops the process (SIGSTOP) and waits until all its threads have:
// the signal takes effect asynchronously.
func (p *proc) pause() {
	p.t.Helper()
	p.signal(syscall.SIGSTOP)
	for deadline := time.Now().Add(10 * time.Second); !allStopped(p.cmd.Process.Pid); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not stop within 10s of SIGSTOP", p.name)
		}
	}
}

// allStopped reports whether every thread of pid is stopped (state T).
func allStopped(pid int) bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			return false
		}
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return true
}

func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitPort waits until something listens on addr.
func waitPort(t *testing.T, p *proc, addr string, limit time.Duration) {
	t.Helper()
	for start := time.Now(); time.Since(start) < limit; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if p.exited() {
			t.Fatalf("%s exited before listening on %s", p.name, addr)
		}
	}
	t.Fatalf("nothing listens on %s after %v", addr, limit)
}

// nodeClient waits until the node p serves on addr, checks that the
// process answering is p (INFO server's process_id), and returns a
// client that may read on a replica (READONLY on every connection).
func nodeClient(t *testing.T, p *proc, addr string) *redis.Client {
	t.Helper()
	waitPort(t, p, addr, time.Minute)
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1,
		OnConnect: func(ctx context.Context, cn *redis.Conn) error { return cn.ReadOnly(ctx).Err() }})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		pid, err := infoField(ctx, c, "server", "process_id")
		if err == nil {
			if pid != strconv.Itoa(p.cmd.Process.Pid) {
				t.Fatalf("%s answers as process %s, not %s's %d", addr, pid, p.name, p.cmd.Process.Pid)
			}
			return c
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("%s does not answer INFO: %v", addr, err)
		}
	}
}

// infoField returns one field of an INFO section.
func infoField(ctx context.Context, c *redis.Client, section, field string) (string, error) {
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("INFO %s has no %s", section, field)
}

// runMnemo runs a mnemo command to its end and returns its output.
func runMnemo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, mnemoBin(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mnemo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
