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
#       offbox       production's topology as near as one machine gets:
#                    the store is S3 on a MinIO server whose data
#                    directory is on tmpfs (/dev/shm: the network store,
#                    off the log's disk), MinIO and the builder both at
#                    nice 19, SCHED_IDLE and the idle I/O class (the
#                    builder Job's own node; MinIO's own machines). The
#                    builder still reads the log's tail from the log
#                    server, as a Job does.
#       offbox-base  offbox, with the builder binary BASE_BIN (another
#                    build of mnemo, e.g. of the commit before a change to
#                    the builder), to compare two builders in one run
#     With offbox, MinIO runs for the whole benchmark and is seeded with a
#     snapshot of the whole log before any other build; the builds into the
#     log's object store then leave the log untrimmed (--trim no), so that
#     the trims of one store never remove the tail the other one needs.
# PIN=yes splits the two CPUs as two machines would be: the log server,
# the node and redis-benchmark on CPU 0, the builder and MinIO on CPU 1
# (taskset), in the rounds alone as in the rounds with a build, so that
# the builder takes no CPU time from the primary's side; what it still
# shares is the L3 cache, memory bandwidth and the kernel. redis-server
# is not pinned: its BGSAVE child runs where the kernel puts it, as in
# production.
# READY_WAIT is how many seconds a server may take to be ready (60; a
# restart replaying 10 M writes on a busy machine needs more).
# RESTARTS=no skips the restart-time figures (1); FIRST=no skips the
# benchmark during the first build from the log's start (the build itself
# still runs, untimed against the benchmark).
# At the end, a summary: every round's SET and GET p99 with the machine's
# load average when it started, per pair and the median per mode.
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
FIRST=${FIRST:-yes}
PIN=${PIN:-no}
FG="" BG=""
if [ "$PIN" = yes ]; then
	[ "$(nproc)" -ge 2 ] || { echo "bench: PIN=yes needs 2 CPUs" >&2; exit 2; }
	FG="taskset -c 0" BG="taskset -c 1"
fi
make --no-print-directory build >&2
case " $BUILDER_MODES " in *" offbox "* | *" offbox-base "*) OFFBOX=yes ;; *) OFFBOX=no ;; esac
case " $BUILDER_MODES " in *" offbox-base "*) [ -x "${BASE_BIN:-}" ] || { echo "bench: offbox-base needs BASE_BIN, a mnemo binary" >&2; exit 2; } ;; esac
W=$(mktemp -d /tmp/mnemo-snapbench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
	[ -z "${SHM:-}" ] || rm -rf "$SHM"
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
	for _ in $(seq $((${READY_WAIT:-60} * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: no '$2' in $1:" >&2
	cat "$1" >&2
	exit 1
}
ms() { date +%s%3N; }

LP=$(port)
$FG bin/mnemo log --name bench --dir "$W/log" --listen "127.0.0.1:$LP" 2>"$W/log.err" &
pids+=($!)
LOGPID=$!
wait_for "$W/log.err" "Log server ready"
LOG=nats://127.0.0.1:$LP

NODE=
start_node() {
	NP=$(port)
	: >"$W/node.err"
	local t0
	t0=$(ms)
	$FG bin/mnemo node --log "$LOG" --shard 0 --log-replicas 1 --port "$NP" --bind 127.0.0.1 --dir "$W/node" 2>"$W/node.err" &
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
# shellcheck disable=SC2086 # the prefix is words
bench() { $FG redis-benchmark -p "$1" -t set,get -n "$BENCH_N" -c 16 -r "$KEYS" -d 16 --csv 2>/dev/null | grep -v '^"test"'; }
# load1: the machine's 1-minute load average.
load1() { cut -d' ' -f1 /proc/loadavg; }
# cpu PID...: the CPU time, in clock ticks, the processes have used so far
# (user and system, every thread); 0 for a PID that is gone or empty.
cpu() {
	local p t=0
	for p in "$@"; do
		if [ -z "$p" ] || [ ! -r "/proc/$p/stat" ]; then continue; fi
		t=$((t + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
	done
	echo "$t"
}
# busy: the machine's busy clock ticks so far (all but idle and iowait).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# round LABEL PAIR SERVER_PID CMD...: runs CMD (bench or during), prints
# its output and the CPU seconds the log server, the server under test
# and the whole machine used meanwhile, and records each test's p99 under
# LABEL and PAIR for the summary.
round() {
	local label=$1 pair=$2 srv=$3 la l0 s0 b0 l1 s1 b1
	shift 3
	la=$(load1)
	l0=$(cpu "${LOGPID:-}") s0=$(cpu "$srv") b0=$(busy)
	"$@" | tee "$W/round.out"
	l1=$(cpu "${LOGPID:-}") s1=$(cpu "$srv") b1=$(busy)
	echo "cpu seconds in the round: log server $(( (l1 - l0) / 100 )).$(( (l1 - l0) % 100 / 10 )), server under test $(( (s1 - s0) / 100 )).$(( (s1 - s0) % 100 / 10 )), whole machine $(( (b1 - b0) / 100 )).$(( (b1 - b0) % 100 / 10 ))"
	grep '^"' "$W/round.out" | tr -d '"' | awk -F, -v l="$label" -v p="$pair" -v la="$la" -v lc="$((l1 - l0))" '{ print l, p, $1, $7, la, lc / 100 }' >>"$W/p99s"
}
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
	offbox | offbox-base) echo "$BG nice -n 19 chrt -i 0 ionice -c 3" ;;
	*) echo "bench: unknown builder mode $1" >&2; exit 2 ;;
	esac
}
SNAP_PREFIX=
SNAP_ARGS=
SNAP_BIN=bin/mnemo
snap() {
	local t0 t1
	t0=$(ms)
	# shellcheck disable=SC2086 # the prefix is words
	# shellcheck disable=SC2086
	if ! $SNAP_PREFIX "$SNAP_BIN" snapshot --log "$LOG" --shard 0 --log-replicas 1 $SNAP_ARGS "$@" >"$W/snap.out" 2>"$W/snap.err"; then
		echo "bench: mnemo snapshot failed:" >&2
		cat "$W/snap.err" >&2
		return 1
	fi
	t1=$(ms)
	echo "snapshot built in $(( t1 - t0 )) ms: $(cat "$W/snap.out" | head -1)"
}

# The S3 store for offbox: MinIO as built by make tools, its data on
# tmpfs, at the lowest CPU and I/O priority.
S3_ARGS=
if [ "$OFFBOX" = yes ]; then
	MINIO_VERSION=$(awk '$1 == "github.com/minio/minio" { print $2; exit }' hack/minio/go.mod)
	MINIO=bin/tools/minio-$MINIO_VERSION
	[ -x "$MINIO" ] || make --no-print-directory "$MINIO" >&2
	SHM=$(mktemp -d /dev/shm/mnemo-snapbench.XXXXXX)
	MP=$(port)
	export AWS_ACCESS_KEY_ID=mnemo-bench AWS_SECRET_ACCESS_KEY=mnemo-bench-secret
	MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$AWS_SECRET_ACCESS_KEY MINIO_BROWSER=off MINIO_UPDATE=off \
		$BG nice -n 19 chrt -i 0 ionice -c 3 "$MINIO" server "$SHM/data" --address "127.0.0.1:$MP" \
		--console-address "127.0.0.1:$(port)" --quiet >"$W/minio.log" 2>&1 &
	pids+=($!)
	MINIO_PID=$!
	for _ in $(seq 200); do curl -sf "http://127.0.0.1:$MP/minio/health/live" && break; sleep 0.1; done
	# The process answering is ours: its PID listens on the port.
	ss -ltnp "( sport = :$MP )" | grep -q "pid=$MINIO_PID," || { echo "bench: MinIO on $MP is not ours" >&2; cat "$W/minio.log" >&2; exit 1; }
	curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" -u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "http://127.0.0.1:$MP/snapshots" ||
		{ echo "bench: cannot create the bucket" >&2; cat "$W/minio.log" >&2; exit 1; }
	S3_ARGS="--snapshot-store s3 --s3-endpoint 127.0.0.1:$MP --s3-bucket snapshots --s3-prefix bench --s3-insecure yes"
	echo "MinIO $MINIO_VERSION on 127.0.0.1:$MP, data on $SHM (tmpfs), nice 19, SCHED_IDLE, idle I/O class"
fi
# Without offbox the builds into the log's object store trim the log, as
# in production; with it, the S3 builds do and these do not.
JS_ARGS=
[ "$OFFBOX" = no ] || JS_ARGS="--trim no"

[ "$PIN" = no ] || echo "pinned: log server, node, redis-benchmark on CPU 0; builder (offbox modes) and MinIO on CPU 1"
echo "== Mnemo: $KEYS keys, load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_node
t0=$(ms); load "$NP" 1 >/dev/null; echo "load of $KEYS writes: $(( $(ms) - t0 )) ms"
echo "-- no snapshot, history $KEYS writes"; restarts
for r in $(seq 2 "$ROUNDS"); do load "$NP" "$r" >/dev/null; done
echo "-- no snapshot, history $((ROUNDS * KEYS)) writes"; restarts
SNAP_ARGS=$JS_ARGS
if [ "$OFFBOX" = yes ]; then
	echo "-- seeding the S3 store from the log's start (--trim no)"
	SNAP_ARGS="$S3_ARGS --trim no" snap
fi
if [ "$FIRST" = yes ]; then
	echo "-- foreground benchmark alone (csv: test, rps, avg, min, p50, p95, p99, max ms)"
	bench "$NP"
	echo "-- the same while mnemo snapshot builds snapshots in another process (the first replays the log from its start)"
	during "$NP" snap
else
	snap
fi
# The benchmark wrote after that snapshot: one more makes the tail empty.
snap
echo "-- from the snapshot, empty tail"; restarts
t0=$(ms); load "$NP" "$((ROUNDS + 1))" >/dev/null; echo "load of $KEYS writes: $(( $(ms) - t0 )) ms"
echo "-- from the snapshot + a tail of $KEYS writes"; restarts
for pair in $(seq "$PAIRS"); do
	echo "-- [$pair] foreground benchmark alone, load average $(load1)"
	round alone "$pair" "$NODE" bench "$NP"
	for mode in $BUILDER_MODES; do
		SNAP_PREFIX=$(builder "$mode")
		SNAP_ARGS=$JS_ARGS
		[ "$mode" != idle-export ] || SNAP_ARGS="--out $W/export.snap"
		SNAP_BIN=bin/mnemo
		case $mode in offbox) SNAP_ARGS=$S3_ARGS ;; offbox-base) SNAP_ARGS=$S3_ARGS SNAP_BIN=$BASE_BIN ;; esac
		echo "-- [$pair] foreground benchmark while $SNAP_BIN snapshot ($mode: ${SNAP_PREFIX:-no prefix}) builds from the newest snapshot + tail, load average $(load1)"
		round "$mode" "$pair" "$NODE" during "$NP" snap
	done
	SNAP_PREFIX="" SNAP_ARGS="" SNAP_BIN=bin/mnemo
done
echo "-- snapshot size"
# shellcheck disable=SC2086 # the arguments are words
bin/mnemo snapshot --log "$LOG" --shard 0 --log-replicas 1 $JS_ARGS --list yes | tail -1
# shellcheck disable=SC2086
[ "$OFFBOX" = no ] || bin/mnemo snapshot --log "$LOG" --shard 0 --log-replicas 1 $S3_ARGS --list yes | tail -1
stop_node

echo "== redis-server $(redis-server --version | grep -o 'v=[0-9.]*'): $KEYS keys, BGSAVE"
RP=$(port)
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$W" --dbfilename bench.rdb >"$W/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDISPID=${pids[-1]}
[ "$(redis-cli -p "$RP" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }')" = "$REDISPID" ] ||
	{ echo "bench: the redis-server on $RP is not ours" >&2; exit 1; }
load "$RP" 1 >/dev/null
bgsave() {
	redis-cli -p "$RP" bgsave >/dev/null
	for _ in $(seq 600); do redis-cli -p "$RP" info persistence | grep -q 'rdb_bgsave_in_progress:0' && break; sleep 0.05; done
	redis-cli -p "$RP" info stats | grep latest_fork_usec | tr -d '\r' >>"$W/forks"
}
for pair in $(seq "$PAIRS"); do
	echo "-- [$pair] foreground benchmark alone, load average $(load1)"
	round redis-alone "$pair" "$REDISPID" bench "$RP"
	echo "-- [$pair] the same while BGSAVE forks and writes the RDB file, again and again, load average $(load1)"
	round redis-bgsave "$pair" "$REDISPID" during "$RP" bgsave
done
echo "fork times (us): $(cut -d: -f2 "$W/forks" | tr '\n' ' ')"
redis-cli -p "$RP" info persistence | grep -E 'rdb_last_bgsave_time_sec|rdb_last_cow_size'
ls -l "$W/bench.rdb" | awk '{ print "rdb file", $5, "bytes" }'

echo "== summary: p99 in ms per round, SET / GET (load average when it started; CPU seconds the log server used in it), and each mode's median"
awk '{ v[$2, $1, $3] = $4; la[$2, $1] = $5; lc[$2, $1] = $6; if (!($1 in seen)) { seen[$1] = 1; modes[++nm] = $1 } if ($2 > np) np = $2 }
END {
	printf "%-6s", "pair"
	for (m = 1; m <= nm; m++) printf " | %-34s", modes[m] " SET/GET"
	print ""
	for (p = 1; p <= np; p++) {
		printf "%-6s", p
		for (m = 1; m <= nm; m++) printf " | %-34s", sprintf("%s / %s (%s; %s s)", v[p, modes[m], "SET"], v[p, modes[m], "GET"], la[p, modes[m]], lc[p, modes[m]])
		print ""
	}
}' "$W/p99s"
for t in SET GET; do
	for m in $(awk '!s[$1]++ { print $1 }' "$W/p99s"); do
		awk -v m="$m" -v t="$t" '$1 == m && $3 == t { print $4 }' "$W/p99s" | sort -g |
			awk -v m="$m" -v t="$t" '{ a[NR] = $1 } END { if (NR) printf "median p99 %s %-14s %s ms (%d rounds)\n", t, m, (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), NR }'
	done
done
