package v1alpha1

// FailoverRequestedAnnotation on a Shard asks the operator for a planned
// handoff of the shard's primary (MemoryDB's FailoverShard): its value is
// the pod to hand over to, or "any" for the most caught-up replica. The
// operator removes it once the handoff is done or has failed, and says
// which in an Event.
const FailoverRequestedAnnotation = "mnemo.dev/failover-requested"

// FailoverAny is the FailoverRequestedAnnotation value that lets the
// data plane pick the replica.
const FailoverAny = "any"
