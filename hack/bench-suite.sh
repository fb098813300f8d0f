#!/usr/bin/env bash
# make bench: Mnemo against redis-server side by side, in three sections.
#  1. In memory: mnemo local --in-memory yes against redis-server with
#     persistence off, every workload.
#  2. Durable, one log replica: mnemo local (fsync on every append) against
#     redis-server --appendonly yes --appendfsync always, SET.
#  3. Durable, three log replicas on loopback (hack/mnemo-r3.sh) against
#     the same redis-server, SET.
# SECTIONS picks sections ("1 2 3" by default); bench.sh's variables apply.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build >&2
root=$(pwd)
sections=${SECTIONS:-1 2 3}
aof="redis-server --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always --daemonize no"
for s in $sections; do
	case $s in
	1)
		echo "## In memory: mnemo local --in-memory yes vs redis-server, persistence off"
		echo
		MNEMO_CMD="$root/bin/mnemo local --in-memory yes" bash hack/bench.sh
		;;
	2)
		echo "## Durable, R=1: mnemo local (fsync every append) vs redis-server appendfsync always"
		echo
		TESTS=${DURABLE_TESTS:-set} MNEMO_CMD="$root/bin/mnemo local" REDIS_CMD="$aof" bash hack/bench.sh
		;;
	3)
		echo "## Durable, R=3 on loopback: mnemo node + 3 mnemo log vs redis-server appendfsync always"
		echo
		TESTS=${DURABLE_TESTS:-set} MNEMO_CMD="bash $root/hack/mnemo-r3.sh" REDIS_CMD="$aof" bash hack/bench.sh
		;;
	*) echo "bench-suite: unknown section $s" >&2; exit 2 ;;
	esac
	echo
done
