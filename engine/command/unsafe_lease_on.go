//go:build mnemo_unsafe_nolease

package command

import "os"

// A build for one experiment only (test/failover with
// MNEMO_FAILOVER_UNSAFE=nolease): it switches the primary's lease safeties
// off to show that TestLinearizableUnderFaults catches what they prevent.
// No release is built with this tag; in every other build the switches are
// the false constants of unsafe_lease_off.go.
//
// MNEMO_UNSAFE_LEASE=refusal-only keeps deposition and switches off only
// the refusal to serve once the lease could not be renewed.
var (
	unsafeNoLeaseRefusal = true
	unsafeNoDepose       = os.Getenv("MNEMO_UNSAFE_LEASE") != "refusal-only"
)
