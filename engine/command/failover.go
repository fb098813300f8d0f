package command

// failoverState is a planned handoff in progress (FAILOVER).
type failoverState struct {
	state string
}
