#!/usr/bin/env bash
# Failover time: SIGKILLs the primary of a three-node shard on a three-server
# log (loopback) KILLS times (20 by default) and prints kill-to-first-write
# times with p50/p99. Extra flags go to hack/failoverbench (-lease-ttl MS…).
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build >&2
exec go run ./hack/failoverbench -mnemo bin/mnemo -kills "${KILLS:-20}" "$@"
