#!/usr/bin/env bash
# Slot migration throughput and foreground latency: starts
# `mnemo local --shards 2`, loads KEYS keys (1M by default) of 100 bytes into
# shard 0, then moves all of shard 0's slots to shard 1 while four clients
# SET/GET other keys, and prints keys/s, MB/s and the foreground p50/p99
# before and during the move. Extra flags go to hack/reshardbench.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build >&2
exec go run ./hack/reshardbench -mnemo bin/mnemo -keys "${KEYS:-1000000}" "$@"
