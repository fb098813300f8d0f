// Package snapshot tests snapshots end to end against real processes: an
// embedded JetStream log, Mnemo engines serving on loopback, a MinIO
// server built from the module proxy (bin/tools, `make tools`) for the
// S3 store, and Debian's redis-server for RDB interoperability.
package snapshot
