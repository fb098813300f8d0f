//go:build linux

package durability

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// mnemoBin is bin/mnemo built once for the package by TestMain.
var mnemoBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// Everything the tests write lives in one directory named after this
	// process; t.TempDir goes there too. A run killed by -timeout cannot
	// clean up after itself (its processes die with it, see proc.start),
	// so each run removes what dead runs left.
	base := os.TempDir()
	removeDeadRuns(base)
	dir := filepath.Join(base, fmt.Sprintf("mnemo-durability-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Setenv("TMPDIR", dir)
	mnemoBin = filepath.Join(dir, "mnemo")
	_, file, _, _ := runtime.Caller(0)
	build := exec.Command("go", "build", "-o", mnemoBin, ".")
	build.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "durability: go build: %v: %s\n", err, out)
		return 1
	}
	return m.Run()
}

// removeDeadRuns removes the directories of earlier runs whose process
// is gone.
func removeDeadRuns(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, "mnemo-durability-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "mnemo-durability-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// freePorts returns n distinct loopback ports that were free a moment ago
// (see harness.Ports for why they come from where they do).
func freePorts(t *testing.T, n int) []int {
	return harness.Ports(t, n)
}

// proc is one mnemo process a test started. Its output goes to a file in
// the test's temporary directory and is logged when the test fails.
type proc struct {
	t    *testing.T
	name string
	args []string
	out  string // output file

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current process has exited
}

// startProc starts `mnemo ARGS...` and registers its end with t.Cleanup,
// so that it is killed however the test ends. name labels its output.
func startProc(t *testing.T, dir, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, args: args, out: filepath.Join(dir, name+".out")}
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			p.dumpOutput()
		}
	})
	return p
}

// start runs the process (again), appending to its output file.
func (p *proc) start() {
	p.t.Helper()
	f, err := os.OpenFile(p.out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "=== %s start %s\n", time.Now().Format(time.TimeOnly+".000"), p.name)
	cmd := exec.Command(mnemoBin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	// If the test binary dies without its cleanups (a -timeout panic),
	// the kernel still kills what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		f.Close()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
}

// signal sends sig to the running process, by its PID.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Signal(sig); err != nil {
		p.t.Logf("%s: signal %v: %v", p.name, sig, err)
	}
}

// stop sends SIGSTOP and waits until every thread of the process has
// stopped: the signal takes effect asynchronously, and a test that goes on
// before it has would race the process it means to freeze.
func (p *proc) stop() {
	p.t.Helper()
	p.signal(syscall.SIGSTOP)
	p.mu.Lock()
	pid := p.cmd.Process.Pid
	p.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !allStopped(pid) {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s (pid %d) did not stop within 10s of SIGSTOP", p.name, pid)
		}
		time.Sleep(time.Millisecond)
	}
}

// allStopped reports whether every thread of pid is in state T (stopped).
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
		// pid (comm) state ...: the state follows the last parenthesis.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return true
}

// pid returns the running process's ID.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// kill sends SIGKILL to the running process and waits until it is gone.
// A stopped process dies as well.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// restart starts the process again with the same arguments (after kill).
func (p *proc) restart() {
	p.t.Helper()
	p.kill()
	p.start()
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.out)
	return string(b)
}

func (p *proc) dumpOutput() {
	b := p.output()
	const max = 8 << 10
	if len(b) > max {
		b = "..." + b[len(b)-max:]
	}
	p.t.Logf("output of %s:\n%s", p.name, b)
}

var rebuiltRE = regexp.MustCompile(`msg="Rebuilt state from the log".* keys=(\d+) took=(\S+)`)

// lastRebuild returns the keys and duration of the newest "Rebuilt state
// from the log" line the process printed.
func (p *proc) lastRebuild() (keys int, took string) {
	m := rebuiltRE.FindAllStringSubmatch(p.output(), -1)
	if len(m) == 0 {
		return 0, "?"
	}
	last := m[len(m)-1]
	keys, _ = strconv.Atoi(last[1])
	return keys, last[2]
}

// waitReady waits until addr answers PING, or fails the test after limit.
func waitReady(t *testing.T, p *proc, addr string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var lastErr error
	for time.Since(start) < limit {
		c, err := dial(addr)
		if err == nil {
			v, err := c.do("PING")
			c.close()
			if err == nil && v.str == "PONG" && (p == nil || p.owns(addr)) {
				return time.Since(start)
			}
			lastErr = fmt.Errorf("PING from %s: %v %v", addr, v, err)
		} else {
			lastErr = err
		}
		if p != nil && p.exited() {
			t.Fatalf("%s exited before answering on %s", p.name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered PING within %v: %v", addr, limit, lastErr)
	return 0
}

// owns reports whether the running process listens on addr: another
// package's server may answer there while ours has failed to bind.
func (p *proc) owns(addr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && harness.Serves(p.cmd.Process.Pid, addr)
}

func (p *proc) exited() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// waitPort waits until something listens on addr (a log server's client
// port), or fails the test after limit.
func waitPort(t *testing.T, p *proc, addr string, limit time.Duration) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			if p.owns(addr) {
				return
			}
		}
		if p.exited() {
			t.Fatalf("%s exited before listening on %s", p.name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after %v", addr, limit)
}
