//go:build !mnemo_unsafe_nolease

package command

// The primary's lease safeties, on in every build but the test-only one
// of unsafe_lease_on.go: being constants here, the checks that read them
// compile to what they were without the switch.
const (
	// unsafeNoLeaseRefusal, when true, lets a primary that could not
	// renew its lease in time go on serving writes and keyed reads.
	unsafeNoLeaseRefusal = false
	// unsafeNoDepose, when true, keeps a primary that lost its lease
	// (taken by another node, or not renewed before it expired) primary.
	unsafeNoDepose = false
)
