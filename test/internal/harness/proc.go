//go:build linux

package harness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is one mnemo process a test started. Its output goes to a file in
// the test's temporary directory and is logged when the test fails.
type Proc struct {
	t    testing.TB
	Name string // labels its output
	args []string
	out  string // output file

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current process has exited
}

// StartProc starts `mnemo ARGS...` and registers its end with t.Cleanup,
// so that it is killed however the test ends.
func StartProc(t testing.TB, dir, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, Name: name, args: args, out: filepath.Join(dir, name+".out")}
	p.Start()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			p.DumpOutput()
		}
	})
	return p
}

// Start runs the process (again), appending to its output file.
func (p *Proc) Start() {
	p.t.Helper()
	f, err := os.OpenFile(p.out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "=== %s start %s\n", time.Now().Format(time.TimeOnly+".000"), p.Name)
	cmd := exec.Command(Mnemo, p.args...)
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

// Signal sends sig to the running process, by its PID.
func (p *Proc) Signal(sig syscall.Signal) {
	p.t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Signal(sig); err != nil {
		p.t.Logf("%s: signal %v: %v", p.Name, sig, err)
	}
}

// Stop sends SIGSTOP and waits until every thread of the process has
// stopped: the signal takes effect asynchronously, and a test that goes on
// before it has would race the process it means to freeze.
func (p *Proc) Stop() {
	p.t.Helper()
	p.Signal(syscall.SIGSTOP)
	pid := p.PID()
	deadline := time.Now().Add(10 * time.Second)
	for !allStopped(pid) {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s (pid %d) did not stop within 10s of SIGSTOP", p.Name, pid)
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

// PID returns the running process's ID, 0 when none runs.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL to the running process and waits until it is gone.
// A stopped process dies as well.
func (p *Proc) Kill() {
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

// Restart starts the process again with the same arguments (after Kill).
func (p *Proc) Restart() {
	p.t.Helper()
	p.Kill()
	p.Start()
}

// Output is everything the process (in all its runs) printed.
func (p *Proc) Output() string {
	b, _ := os.ReadFile(p.out)
	return string(b)
}

// DumpOutput logs the end of the output.
func (p *Proc) DumpOutput() {
	b := p.Output()
	const max = 8 << 10
	if len(b) > max {
		b = "..." + b[len(b)-max:]
	}
	p.t.Logf("output of %s:\n%s", p.Name, b)
}

// Exited reports whether the current process has exited.
func (p *Proc) Exited() bool {
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

// Owns reports whether the running process listens on addr: another
// package's server may answer there while ours has failed to bind.
func (p *Proc) Owns(addr string) bool {
	return Serves(p.PID(), addr)
}

var rebuiltRE = regexp.MustCompile(`msg="Rebuilt state from the log".* keys=(\d+) took=(\S+)`)

// LastRebuild returns the keys and duration of the newest "Rebuilt state
// from the log" line the process printed.
func (p *Proc) LastRebuild() (keys int, took string) {
	m := rebuiltRE.FindAllStringSubmatch(p.Output(), -1)
	if len(m) == 0 {
		return 0, "?"
	}
	last := m[len(m)-1]
	keys, _ = strconv.Atoi(last[1])
	return keys, last[2]
}

// WaitReady waits until p answers PING on addr (any process when p is
// nil), or fails the test after limit. It returns how long that took.
func WaitReady(t testing.TB, p *Proc, addr string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var lastErr error
	for time.Since(start) < limit {
		c, err := Dial(addr)
		if err == nil {
			v, err := c.Do("PING")
			c.Close()
			if err == nil && v.Str == "PONG" && (p == nil || p.Owns(addr)) {
				return time.Since(start)
			}
			lastErr = fmt.Errorf("PING from %s: %v %v", addr, v, err)
		} else {
			lastErr = err
		}
		if p != nil && p.Exited() {
			t.Fatalf("%s exited before answering on %s", p.Name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered PING within %v: %v", addr, limit, lastErr)
	return 0
}

// WaitPort waits until p listens on addr (a log server's client port), or
// fails the test after limit.
func WaitPort(t testing.TB, p *Proc, addr string, limit time.Duration) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			if p.Owns(addr) {
				return
			}
		}
		if p.Exited() {
			t.Fatalf("%s exited before listening on %s", p.Name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing of %s listens on %s after %v", p.Name, addr, limit)
}
