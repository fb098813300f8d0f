//go:build linux

package snapshot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(childEnv); url != "" {
		os.Exit(runBuilder(url))
	}
	if spec := os.Getenv(hangEnv); spec != "" {
		os.Exit(runHungUpload(spec))
	}
	os.Exit(harness.Main(m, "snapshot"))
}

// The tests that need whole processes (`mnemo log`, `mnemo node`,
// `mnemo snapshot`, as they run in production) use the shared process
// harness (test/internal/harness) under this package's names.
type proc = harness.Proc

var (
	startProc = harness.StartProc
	waitPort  = harness.WaitPort
	testPorts = harness.Ports
)

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
			if pid != strconv.Itoa(p.PID()) {
				t.Fatalf("%s answers as process %s, not %s's %d", addr, pid, p.Name, p.PID())
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
	out, err := exec.CommandContext(ctx, harness.Mnemo, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mnemo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
