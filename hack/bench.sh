#!/usr/bin/env bash
# bench.sh (make bench) runs redis-benchmark against Mnemo and Debian's
# redis-server side by side on loopback and prints a markdown table of the
# medians: ops/s, p50 and p99 latency, and Mnemo's throughput relative to
# Redis. It is a measurement, not a test: nothing here passes or fails on
# the figures; they go to docs/benchmarks.md.
#
# Both servers run at once, each on its own port; for each pipeline depth the
# runs alternate between them (the order flips every round), so drift on the
# machine falls on both alike. Mnemo runs in cluster mode as a single shard
# owning every slot, so plain redis-benchmark (no --cluster) works against it.
#
# Environment (defaults in brackets):
#   ROUNDS          runs per server and pipeline depth; medians are over these [3]
#   PIPELINES       pipeline depths to run, space-separated [1 16]
#   N               requests per test for every depth; overrides the two below
#   REQUESTS_P1     requests per test at pipeline depth 1 [100000]
#   REQUESTS_P16    requests per test at other depths [200000]
#   CLIENTS         parallel connections (-c) [50]
#   TESTS           redis-benchmark -t list
#                   [set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100]
#   BENCH_ARGS      extra redis-benchmark arguments, e.g. "-r 100000" [none]
#   CUSTOM          commands to benchmark instead of TESTS, separated by
#                   ";", each split on spaces without globbing and named by
#                   its first word, e.g. "XADD s * f v; PFADD h __rand_int__"
#   SETUP           shell code run before each CUSTOM command's run, with
#                   PORT, N (the run's request count) and NAME (the
#                   command's first word) set, e.g. to fill a stream [none]
#   MNEMO_PORT      port of the Mnemo side [7701]
#   REDIS_PORT      port of the Redis side [7702]
#   MNEMO_CMD       command that starts the "mnemo" side; " --port MNEMO_PORT"
#                   is appended. Unset: build bin/mnemo and run "bin/mnemo local".
#                   Set it to compare something else, e.g. redis against redis:
#                   MNEMO_CMD="redis-server --bind 127.0.0.1 --save '' --appendonly no"
#   BENCH_TIMEOUT   seconds the benchmark runs may take in all; runs that do not
#                   fit are cut or skipped and the table says so [1200]
#   BENCH_RAW       if set, a file to which the per-run figures are copied (TSV)
#
# Quick check: N=2000 ROUNDS=1 make bench
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ROUNDS=${ROUNDS:-3}
PIPELINES=${PIPELINES:-1 16}
REQUESTS_P1=${N:-${REQUESTS_P1:-100000}}
REQUESTS_P16=${N:-${REQUESTS_P16:-200000}}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100}
BENCH_ARGS=${BENCH_ARGS:-}
MNEMO_PORT=${MNEMO_PORT:-7701}
REDIS_PORT=${REDIS_PORT:-7702}
MNEMO_CMD=${MNEMO_CMD:-}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1200}
BENCH_RAW=${BENCH_RAW:-}
CUSTOM=${CUSTOM:-}
SETUP=${SETUP:-}

REDIS_CMD=${REDIS_CMD:-"redis-server --bind 127.0.0.1 --save '' --appendonly no --daemonize no"}

log() { echo "bench: $*" >&2; }
die() {
	log "$*"
	exit 1
}

for cmd in redis-server redis-cli redis-benchmark timeout stdbuf awk; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found; run make deps"
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"
[[ "$MNEMO_PORT" != "$REDIS_PORT" ]] || die "MNEMO_PORT and REDIS_PORT are both $MNEMO_PORT"

mnemo_label="bin/mnemo local"
if [[ -z "$MNEMO_CMD" ]]; then
	make --no-print-directory build >&2
	MNEMO_CMD="$root/bin/mnemo local"
else
	mnemo_label="MNEMO_CMD=$MNEMO_CMD"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-bench.XXXXXX")
pids=()     # the servers this script started, and only those
bench_pid=  # the running redis-benchmark (its timeout), if any

cleanup() {
	local pid i alive
	if [[ -n "$bench_pid" ]]; then
		kill -TERM "$bench_pid" 2>/dev/null || true
		wait "$bench_pid" 2>/dev/null || true
	fi
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for ((i = 0; i < 50; i++)); do # up to 5 s to shut down
		alive=0
		for pid in "${pids[@]}"; do
			if kill -0 "$pid" 2>/dev/null; then alive=1; fi
		done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ping_reply() { # PORT: prints the reply to PING, if any, within 2 s
	timeout 2 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null || true
}

# start NAME PORT CMD starts CMD --port PORT in its own directory under $tmp
# (so nothing it writes lands in the work tree) and records its PID.
start() {
	local name=$1 port=$2 cmd=$3
	if [[ -n "$(ping_reply "$port")" ]]; then
		die "something already answers on 127.0.0.1:$port; stop it or set ${name^^}_PORT"
	fi
	mkdir -p "$tmp/$name"
	# The subshell execs bash, which execs the server: $! is the server's PID.
	(cd "$tmp/$name" && exec bash -c "exec $cmd --port $port") >"$tmp/$name.log" 2>&1 &
	pids+=("$!")
	log "started $name (pid $!): $cmd --port $port"
}

# alive NAME PID dies with the tail of NAME's log when PID has exited.
alive() {
	if ! kill -0 "$2" 2>/dev/null; then
		log "$1 (pid $2) exited; last lines of its output:"
		tail -n 20 "$tmp/$1.log" >&2 || true
		exit 1
	fi
}

wait_ready() { # NAME PORT PID
	local i
	for ((i = 0; i < 100; i++)); do # up to 10 s
		[[ "$(ping_reply "$2")" == PONG ]] && return 0
		alive "$1" "$3"
		sleep 0.1
	done
	die "$1 did not answer PING on 127.0.0.1:$2 within 10 s"
}

start mnemo "$MNEMO_PORT" "$MNEMO_CMD"
mnemo_pid=${pids[-1]}
start redis "$REDIS_PORT" "$REDIS_CMD"
redis_pid=${pids[-1]}
wait_ready mnemo "$MNEMO_PORT" "$mnemo_pid"
wait_ready redis "$REDIS_PORT" "$redis_pid"

raw=$tmp/raw.tsv # side, pipeline, round, test, rps, p50 ms, p99 ms
: >"$raw"
deadline=$((SECONDS + BENCH_TIMEOUT))
incomplete=0

# bench1 SIDE PORT PID PIPELINE REQUESTS ROUND NAME [COMMAND...] runs
# redis-benchmark once (the -t TESTS when no COMMAND is given) and appends
# its figures to $raw, named NAME when it is not empty.
bench1() {
	local side=$1 port=$2 pid=$3 p=$4 n=$5 round=$6 name=$7 left rc=0 start=$SECONDS before
	shift 7
	local what=(-t "$TESTS")
	(($# == 0)) || what=("$@")
	left=$((deadline - SECONDS))
	if ((left <= 0)); then
		log "BENCH_TIMEOUT (${BENCH_TIMEOUT}s) used up; skipped $side P=$p round $round"
		incomplete=1
		return 0
	fi
	# In the background and waited for, so that a signal to this script is
	# handled at once; line-buffered, so that a run cut by the timeout keeps
	# the tests it finished.
	# shellcheck disable=SC2086 # BENCH_ARGS splits on purpose
	timeout "$left" stdbuf -oL redis-benchmark -h 127.0.0.1 -p "$port" \
		-c "$CLIENTS" -P "$p" -n "$n" --csv -q $BENCH_ARGS "${what[@]}" \
		>"$tmp/run.csv" 2>"$tmp/run.err" &
	bench_pid=$!
	wait "$bench_pid" || rc=$?
	bench_pid=
	alive "$side" "$pid"
	if ((rc == 124)); then
		log "BENCH_TIMEOUT (${BENCH_TIMEOUT}s) reached during $side P=$p round $round; its last test is lost"
		incomplete=1
	elif ((rc != 0)); then
		log "redis-benchmark exited $rc on $side P=$p round $round:"
		tail -n 5 "$tmp/run.err" >&2 || true
		incomplete=1
	fi
	before=$(wc -l <"$raw")
	# Lines look like "SET","689655.19","0.978",...; the LPUSH that only
	# fills the list for LRANGE is left out, and "LRANGE_100 (first 100
	# elements)" becomes LRANGE_100.
	awk -v side="$side" -v p="$p" -v round="$round" -v name="$name" '
		NR == 1 && /^"test"/ { next }
		/needed to benchmark/ { next }
		/^"/ {
			line = substr($0, 2, length($0) - 2)
			nf = split(line, f, /","/)
			if (nf < 7) next
			test = f[1]; sub(/ \(.*$/, "", test)
			if (name != "") test = name
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", side, p, round, test, f[2], f[5], f[7]
		}' "$tmp/run.csv" >>"$raw"
	log "$side P=$p round $round/$ROUNDS: $(($(wc -l <"$raw") - before)) tests in $((SECONDS - start))s"
}

# run SIDE PORT PID PIPELINE REQUESTS ROUND runs the TESTS, or each CUSTOM
# command after its SETUP, once.
run() {
	local side=$1 port=$2 pid=$3 p=$4 n=$5 round=$6 c cmd
	if [[ -z "$CUSTOM" ]]; then
		bench1 "$side" "$port" "$pid" "$p" "$n" "$round" ""
		return
	fi
	local cmds
	IFS=';' read -ra cmds <<<"$CUSTOM"
	for c in "${cmds[@]}"; do
		read -ra cmd <<<"$c"
		((${#cmd[@]})) || continue
		if [[ -n "$SETUP" ]] && ! PORT=$port N=$n NAME=${cmd[0]} bash -c "$SETUP" >"$tmp/setup.out" 2>&1; then
			log "SETUP for ${cmd[0]} failed on $side:"
			tail -n 5 "$tmp/setup.out" >&2 || true
			incomplete=1
			continue
		fi
		bench1 "$side" "$port" "$pid" "$p" "$n" "$round" "${cmd[0]}" "${cmd[@]}"
	done
}

began=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for p in $PIPELINES; do
	n=$REQUESTS_P16
	((p == 1)) && n=$REQUESTS_P1
	for ((round = 1; round <= ROUNDS; round++)); do
		if ((round % 2)); then
			run mnemo "$MNEMO_PORT" "$mnemo_pid" "$p" "$n" "$round"
			run redis "$REDIS_PORT" "$redis_pid" "$p" "$n" "$round"
		else
			run redis "$REDIS_PORT" "$redis_pid" "$p" "$n" "$round"
			run mnemo "$MNEMO_PORT" "$mnemo_pid" "$p" "$n" "$round"
		fi
	done
done

[[ -z "$BENCH_RAW" ]] || cp "$raw" "$BENCH_RAW"
[[ -s "$raw" ]] || die "no figures were collected"

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo "none")
if [[ "$commit" != none ]] && ! git diff --quiet HEAD 2>/dev/null; then
	commit="$commit (with uncommitted changes)"
fi
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)

cat <<EOF
## redis-benchmark: Mnemo vs Redis

- date: $began
- machine: $(uname -m), $(nproc) CPUs${cpu:+ ($cpu)}
- redis: $(redis-server --version | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^v=/) print substr($i, 3) }')
- mnemo: $mnemo_label, commit $commit
- settings: ${CUSTOM:+commands "$CUSTOM" instead of }-t $TESTS -c $CLIENTS${BENCH_ARGS:+ $BENCH_ARGS}; requests per test: $REQUESTS_P1 at -P 1, $REQUESTS_P16 deeper; median over $ROUNDS round(s) per server, servers alternating
EOF
if ((incomplete)); then
	echo "- INCOMPLETE: some runs failed or did not fit in BENCH_TIMEOUT=${BENCH_TIMEOUT}s; medians are over the runs that finished"
fi
echo

awk -F'\t' '
	function median(key,   n, i, j, x, a) {
		n = cnt[key]
		if (n == 0) return ""
		for (i = 1; i <= n; i++) a[i] = val[key, i] + 0
		for (i = 2; i <= n; i++) { # insertion sort: n is a handful
			x = a[i]
			for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
			a[j + 1] = x
		}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function add(key, v) { val[key, ++cnt[key]] = v }
	{
		row = $4 SUBSEP $2
		if (!(row in seen)) { seen[row] = 1; order[++rows] = row }
		add($1 SUBSEP row SUBSEP "rps", $5)
		add($1 SUBSEP row SUBSEP "p50", $6)
		add($1 SUBSEP row SUBSEP "p99", $7)
	}
	function ops(side, row,   m) {
		m = median(side SUBSEP row SUBSEP "rps")
		return m == "" ? "n/a" : sprintf("%.0f", m)
	}
	function lat(side, row,   a, b) {
		a = median(side SUBSEP row SUBSEP "p50")
		b = median(side SUBSEP row SUBSEP "p99")
		return a == "" ? "n/a" : sprintf("%.3f / %.3f", a, b)
	}
	END {
		print "| test | pipeline | mnemo ops/s | redis ops/s | mnemo/redis | mnemo p50 / p99 ms | redis p50 / p99 ms |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
		for (i = 1; i <= rows; i++) {
			split(order[i], k, SUBSEP)
			m = ops("mnemo", order[i]); r = ops("redis", order[i])
			ratio = (m == "n/a" || r == "n/a" || r == 0) ? "n/a" : sprintf("%.2f", m / r)
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", k[1], k[2], m, r, ratio, lat("mnemo", order[i]), lat("redis", order[i])
		}
	}' "$raw"
