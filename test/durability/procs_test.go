//go:build linux

package durability

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

// The raw RESP2 client (test/internal/harness) under this package's names.
type (
	value = harness.Value
	conn  = harness.Conn
)

var dial = harness.Dial

var isTimeout = harness.IsTimeout

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, "durability"))
}
