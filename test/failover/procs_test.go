//go:build linux

package failover

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

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, "failover", unsafeTags()...))
}

// unsafeTags: MNEMO_FAILOVER_UNSAFE=nolease builds nodes whose primary
// ignores its lease (engine/command/unsafe_lease_on.go): the checks of
// TestLinearizableUnderFaults are expected to fail with them.
func unsafeTags() []string {
	if os.Getenv("MNEMO_FAILOVER_UNSAFE") == "nolease" {
		return []string{"mnemo_unsafe_nolease"}
	}
	return nil
}
