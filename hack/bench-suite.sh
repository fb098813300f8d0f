#!/usr/bin/env bash
# make bench: Mnemo against redis-server side by side, in three sections.
#  1. In memory: mnemo local --in-memory yes against redis-server with
#     persistence off, every workload.
#  2. Durable, one log replica: mnemo local (fsync on every append) against
#     redis-server --appendonly yes --appendfsync always, SET.
#  3. Durable, three log replicas on loopback (hack/mnemo-r3.sh) against
#     the same redis-server, SET.
#  4. In memory, the commands redis-benchmark -t does not cover: streams
#     (XADD, XREADGROUP), HyperLogLog (PFADD), bitmaps (SETBIT), geo
#     (GEOADD), and EVALSHA of a small script.
# SECTIONS picks sections ("1 2 3 4" by default); bench.sh's variables apply.
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory build >&2
root=$(pwd)
sections=${SECTIONS:-1 2 3 4}
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
	4)
		echo "## In memory, more data types: mnemo local --in-memory yes vs redis-server, persistence off"
		echo
		# XREADGROUP needs at least N entries to deliver one per call: its
		# SETUP fills the stream and creates the group first.
		CUSTOM="XADD bench:s * field value; XREADGROUP GROUP g c COUNT 1 STREAMS bench:s >; PFADD bench:hll __rand_int__; SETBIT bench:bits:__rand_int__ 100 1; GEOADD bench:geo 13.361389 38.115556 __rand_int__; EVALSHA 4e6d8fc8bb01276962cce5371fa795a7763657ae 1 bench:k" \
			BENCH_ARGS="${BENCH_ARGS:--r 100000}" PIPELINES="${PIPELINES:-1}" \
			SETUP='redis-cli -p "$PORT" DEL bench:s bench:hll bench:geo >/dev/null
if [ "$NAME" = XREADGROUP ]; then
	redis-benchmark -p "$PORT" -n "$N" -c 50 -q XADD bench:s "*" field value >/dev/null
	redis-cli -p "$PORT" XGROUP CREATE bench:s g 0 >/dev/null
fi
if [ "$NAME" = EVALSHA ]; then
	redis-cli -p "$PORT" SET bench:k v >/dev/null
	redis-cli -p "$PORT" SCRIPT LOAD "return redis.call('"'"'get'"'"', KEYS[1])" >/dev/null
fi' \
			MNEMO_CMD="$root/bin/mnemo local --in-memory yes" bash hack/bench.sh
		;;
	*) echo "bench-suite: unknown section $s" >&2; exit 2 ;;
	esac
	echo
done
