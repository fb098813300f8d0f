//go:build linux

package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Mnemo is the path of bin/mnemo as Main built it for the test package.
var Mnemo string

// Main runs a test package whose tests start mnemo processes: it builds
// mnemo once (with the given build tags) into a directory of this run's
// own, points TMPDIR (and so t.TempDir) there, runs the tests and removes
// the directory. name labels the directory: mnemo-<name>-<pid>. A run
// killed by -timeout cannot clean up after itself (its processes die with
// it, see Proc.Start), so each run removes what dead runs left.
func Main(m *testing.M, name string, tags ...string) int {
	base := os.TempDir()
	prefix := "mnemo-" + name + "-"
	removeDeadRuns(base, prefix)
	dir := filepath.Join(base, prefix+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Setenv("TMPDIR", dir)
	// MNEMO_TEST_BIN runs the tests on another build of mnemo (to see a
	// test fail on a binary without a fix, say).
	if Mnemo = os.Getenv("MNEMO_TEST_BIN"); Mnemo != "" {
		return m.Run()
	}
	Mnemo = filepath.Join(dir, "mnemo")
	args := []string{"build", "-o", Mnemo}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	_, file, _, _ := runtime.Caller(0)
	build := exec.Command("go", append(args, ".")...)
	build.Dir = filepath.Join(filepath.Dir(file), "..", "..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: go build: %v: %s\n", name, err, out)
		return 1
	}
	return m.Run()
}

// removeDeadRuns removes the directories of earlier runs whose process is
// gone.
func removeDeadRuns(base, prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(base, prefix+"*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), prefix))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}
