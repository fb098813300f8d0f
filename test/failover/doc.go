// Package failover checks a shard of one primary and two replicas, each a
// separate `mnemo node --role auto` process on a three-server `mnemo log`
// cluster, while a nemesis kills and pauses its processes: client
// histories must be linearizable (checked with porcupine), no
// acknowledged write may be lost, and a planned handoff must not fail a
// single client write. Durations are measured and logged, never used as
// pass criteria.
//
// The package is tests only, and Linux only: it reads /proc and has the
// kernel kill its processes if the test binary dies (Pdeathsig).
package failover
