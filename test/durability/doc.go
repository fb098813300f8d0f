// Package durability checks Mnemo's promise against real processes: a
// write is acknowledged only after the transactional log has committed it,
// and no client reads a write that could still be lost.
//
// The tests build bin/mnemo once, start `mnemo local`, `mnemo node` and
// `mnemo log` processes on free loopback ports with their own temporary
// directories, and break them the way machines break: SIGKILL at a random
// moment, SIGKILL of log servers under load, SIGSTOP of the log while a
// write is pending. Writers record every write as acknowledged, refused
// (the engine said it did not run) or unknown (no reply, or a reply that
// says it may or may not have happened); after recovery a checker reads the
// whole keyspace back and requires:
//
//   - every acknowledged write is present with its value;
//   - nothing refused and nothing never sent is present;
//   - a MULTI/EXEC is all or nothing;
//   - counters lie between the last acknowledged value and that value plus
//     the increments whose outcome is unknown;
//   - a key observed after one recovery keeps its value across later ones.
//
// Durations (kill to first answer, rebuild, failure detection) are
// measured and logged, never used as pass criteria.
//
// The package is tests only, and Linux only: it reads /proc and has the
// kernel kill its processes if the test binary dies (Pdeathsig).
package durability
