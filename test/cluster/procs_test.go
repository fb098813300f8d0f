//go:build linux

package cluster

import (
	"os"
	"testing"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// The process harness (test/internal/harness) under this package's names.
type proc = harness.Proc

var (
	startProc = harness.StartProc
	waitReady = harness.WaitReady
	waitPort  = harness.WaitPort
	freePorts = harness.Ports
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, "cluster"))
}
