#!/usr/bin/env bash
# Snapshot figures for docs/benchmarks.md, on loopback:
#  1. restart time of a node with KEYS keys and ROUNDS×KEYS writes of log
#     history, without a snapshot and from a snapshot (+ tail);
#  2. "no pause on the primary": redis-benchmark's p99 on the node alone,
#     and while `mnemo snapshot` builds a snapshot in another process;
#     next to redis-server's BGSAVE fork latency and p99 on the same keys.
#     The builder runs in each of BUILDER_MODES, interleaved with runs of
#     the benchmark alone, PAIRS times:
#       plain        as any process (it competes with the node for the cores)
#       idle         nice 19 and SCHED_IDLE (chrt -i 0): it gets only CPU
#                    nothing else wants, as a snapshot Job given a small CPU
#                    request on a node shared with data pods would
#       gomaxprocs1  GOMAXPROCS=1: at most one core of Go code at a time
#       idle-export  idle, and the snapshot goes to a file (--out) instead
#                    of the log server's object store: what is left when
#                    the store is elsewhere (S3) and the builder gets only
#                    spare CPU is the builder's reads of the log's tail
# RESTARTS=no skips the restart-time figures (1).
# A benchmark, not a test: it prints figures and asserts nothing. Every
# process it starts it stops by PID. Ports are random in 20000-32767.
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-1000000}
ROUNDS=${ROUNDS:-5}
BENCH_N=${BENCH_N:-300000}
BUILDER_MODES=${BUILDER_MODES:-plain idle gomaxprocs1}
PAIRS=${PAIRS:-2}
RESTARTS=${RESTARTS:-yes}
make --no-print-directory build >&2
W=$(mktemp -d /tmp/mnemo-snapbench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12768))
		ss -ltn "( sport = :$p )" | grep -q ":$p" || { echo "$p"; return; }
	done
}
# wait_for FILE PATTERN: until PATTERN appears in FILE (60 s at most).
wait_for() {
	for _ in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: no '$2' in $1:" >&2
	cat "$1" >&2
	exit 1
}
ms() { date +%s%3N; }

LP=$(port)
bin/mnemo log --name bench --dir "$W/log" --listen "127.0.0.1:$LP" 2>"$W/log.err" &
pids+=($!)
wait_for "$W/log.err" "Log server ready"
LOG=nats://127.0.0.1:$LP

NODE=
start_node() {
	NP=$(port)
	: >"$W/node.err"
	local t0
	t0=$(ms)
	bin/mnemo node --log "$LOG" --shard 0 --log-replicas 1 --port "$NP" --bind 127.0.0.1 --dir "$W/node" 2>"$W/node.err" &
	NODE=$!
	pids+=("$NODE")
	wait_for "$W/node.err" "Ready to accept"
	local t1
	t1=$(ms)
	echo "restart: $(( t1 - t0 )) ms to ready; $(grep -o 'msg="Loaded snapshot".*' "$W/node.err") $(grep -o 'Rebuilt state.*' "$W/node.err")"
}
# restarts: stop the node and start it REPS times (the machine is shared:
# read the smallest figure).
restarts() {
	[ "$RESTARTS" = yes ] || return 0
	for _ in $(seq "${REPS:-3}"); do stop_node; start_node; done
}
stop_node() { kill "$NODE"; wait "$NODE" 2>/dev/null || true; }

# load PORT ROUND: one SET of each of KEYS keys, pipelined.
load() {
	awk -v n="$KEYS" -v r="$2" 'BEGIN { for (i = 0; i < n; i++) { k = "key:" i; v = "value-" r "-" i;
		printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' |
		redis-cli -p "$1" --pipe | tail -1
}
bench() { redis-benchmark -p "$1" -t set,get -n "$BENCH_N" -c 16 -r "$KEYS" -d 16 --csv 2>/dev/null | grep -v '^"test"'; }
# during PORT CMD...: the foreground benchmark, with CMD run again and
# again until it ends, so that every request meets a snapshot in progress.
during() {
	local port=$1 n=0
	shift
	bench "$port" >"$W/bench.out" &
	local bp=$!
	while kill -0 "$bp" 2>/dev/null; do
		"$@"
		n=$((n + 1))
	done
	wait "$bp"
	cat "$W/bench.out"
	echo "($n runs of $1 overlapped the benchmark)"
}
# builder MODE: the command prefix that runs the builder in MODE.
builder() {
	case $1 in
	plain) echo "" ;;
	idle | idle-export) echo "nice -n 19 chrt -i 0" ;;
	gomaxprocs1) echo "env GOMAXPROCS=1" ;;
	*) echo "bench: unknown builder mode $1" >&2; exit 2 ;;
	esac
}
SNAP_PREFIX=
SNAP_ARGS=
snap() {
	local t0 t1
	t0=$(ms)
	# shellcheck disable=SC2086 # the prefix is words
	# shellcheck disable=SC2086
	if ! $SNAP_PREFIX bin/mnemo snapshot --log "$LOG" --shard 0 --log-replicas 1 $SNAP_ARGS "$@" >"$W/snap.out" 2>"$W/snap.err"; then
		echo "bench: mnemo snapshot failed:" >&2
		cat "$W/snap.err" >&2
		return 1
	fi
	t1=$(ms)
	echo "snapshot built in $(( t1 - t0 )) ms: $(cat "$W/snap.out" | head -1)"
}

echo "== Mnemo: $KEYS keys"
start_node
t0=$(ms); load "$NP" 1 >/dev/null; echo "load of $KEYS writes: $(( $(ms) - t0 )) ms"
echo "-- no snapshot, history $KEYS writes"; restarts
for r in $(seq 2 "$ROUNDS"); do load "$NP" "$r" >/dev/null; done
echo "-- no snapshot, history $((ROUNDS * KEYS)) writes"; restarts
echo "-- foreground benchmark alone (csv: test, rps, avg, min, p50, p95, p99, max ms)"
bench "$NP"
echo "-- the same while mnemo snapshot builds snapshots in another process (the first replays the log from its start)"
during "$NP" snap
# The benchmark wrote after that snapshot: one more makes the tail empty.
snap
echo "-- from the snapshot, empty tail"; restarts
t0=$(ms); load "$NP" "$((ROUNDS + 1))" >/dev/null; echo "load of $KEYS writes: $(( $(ms) - t0 )) ms"
echo "-- from the snapshot + a tail of $KEYS writes"; restarts
for pair in $(seq "$PAIRS"); do
	echo "-- [$pair] foreground benchmark alone"
	bench "$NP"
	for mode in $BUILDER_MODES; do
		SNAP_PREFIX=$(builder "$mode")
		SNAP_ARGS=
		[ "$mode" != idle-export ] || SNAP_ARGS="--out $W/export.snap"
		echo "-- [$pair] foreground benchmark while mnemo snapshot ($mode: ${SNAP_PREFIX:-no prefix}) builds from the newest snapshot + tail"
		during "$NP" snap
	done
	SNAP_PREFIX= SNAP_ARGS=
done
echo "-- snapshot size"
bin/mnemo snapshot --log "$LOG" --shard 0 --log-replicas 1 --list yes | tail -1
stop_node

echo "== redis-server $(redis-server --version | grep -o 'v=[0-9.]*'): $KEYS keys, BGSAVE"
RP=$(port)
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$W" --dbfilename bench.rdb >"$W/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
load "$RP" 1 >/dev/null
echo "-- foreground benchmark alone"
bench "$RP"
echo "-- the same while BGSAVE forks and writes the RDB file, again and again"
bgsave() {
	redis-cli -p "$RP" bgsave >/dev/null
	for _ in $(seq 600); do redis-cli -p "$RP" info persistence | grep -q 'rdb_bgsave_in_progress:0' && break; sleep 0.05; done
	redis-cli -p "$RP" info stats | grep latest_fork_usec | tr -d '\r' >>"$W/forks"
}
during "$RP" bgsave
echo "fork times (us): $(cut -d: -f2 "$W/forks" | tr '\n' ' ')"
redis-cli -p "$RP" info persistence | grep -E 'rdb_last_bgsave_time_sec|rdb_last_cow_size'
ls -l "$W/bench.rdb" | awk '{ print "rdb file", $5, "bytes" }'
