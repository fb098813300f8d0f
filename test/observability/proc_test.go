//go:build linux

package observability

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, "observability"))
}

// local is a running `mnemo local` with its metrics listener.
type local struct {
	addr       string // client address
	metricsURL string // as the process printed it
	cmd        *exec.Cmd
	out        *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) add(s string) {
	l.mu.Lock()
	l.b.WriteString(s)
	l.mu.Unlock()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var metricsURLLine = regexp.MustCompile(`msg="Serving metrics" url=(\S+)`)

// randomPort returns a loopback port that was free a moment ago (see
// harness.Ports for the range).
func randomPort(t *testing.T) int {
	t.Helper()
	return harness.Ports(t, 1)[0]
}

// startLocal starts `mnemo local` on random loopback ports with metrics
// on, retrying with other ports if a bind fails (another process may take
// a port between the check and the bind), and stops it at the test's end.
func startLocal(t *testing.T, extra ...string) *local {
	t.Helper()
	for attempt := 1; attempt <= 3; attempt++ {
		port, mport := randomPort(t), randomPort(t)
		l := &local{addr: "127.0.0.1:" + strconv.Itoa(port), out: &lockedBuffer{}}
		args := append([]string{"local", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--dir", t.TempDir(), "--metrics-addr", "127.0.0.1:" + strconv.Itoa(mport)}, extra...)
		l.cmd = exec.Command(harness.Mnemo, args...)
		l.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		stderr, err := l.cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := l.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		exited := make(chan struct{})
		go func() {
			defer close(exited)
			sc := bufio.NewScanner(stderr)
			signalled := false
			for sc.Scan() {
				line := sc.Text()
				l.out.add(line + "\n")
				if m := metricsURLLine.FindStringSubmatch(line); m != nil {
					l.out.mu.Lock()
					l.metricsURL = m[1]
					l.out.mu.Unlock()
				}
				if !signalled && strings.Contains(line, "Ready to accept connections") {
					signalled = true
					close(ready)
				}
			}
		}()
		select {
		case <-ready:
			t.Cleanup(func() {
				_ = l.cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(20 * time.Second):
					_ = l.cmd.Process.Kill()
					<-exited
				}
				_ = l.cmd.Wait()
				if t.Failed() {
					t.Logf("mnemo local output:\n%s", l.out.String())
				}
			})
			l.out.mu.Lock()
			defer l.out.mu.Unlock()
			if l.metricsURL == "" {
				t.Fatalf("mnemo local did not print where it serves metrics:\n%s", l.out.b.String())
			}
			return l
		case <-exited:
			_ = l.cmd.Wait()
			t.Logf("attempt %d: mnemo local exited before it was ready:\n%s", attempt, l.out.String())
		case <-time.After(2 * time.Minute):
			_ = l.cmd.Process.Kill()
			<-exited
			_ = l.cmd.Wait()
			t.Fatalf("mnemo local not ready after 2 minutes:\n%s", l.out.String())
		}
	}
	t.Fatal("mnemo local did not start in 3 attempts")
	return nil
}
