#!/usr/bin/env bash
# Runs a data node on a three-server log cluster on loopback, in the
# foreground, for benchmarks: three `mnemo log` processes (R=3 streams) and
# one `mnemo node` on --port PORT. SIGTERM stops all four.
set -euo pipefail
mnemo=${MNEMO_BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin/mnemo}
port=
args=()
while (($#)); do
	case $1 in
	--port) port=$2; shift 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
[[ -n "$port" ]] || { echo "mnemo-r3: --port is required" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-r3.XXXXXX")
base=$((port + 100))
pids=()
stop() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[[ -n "${KEEP_DIR:-}" ]] || rm -rf "$dir"
}
trap stop EXIT
trap 'exit 143' TERM INT
routes="nats://127.0.0.1:$((base + 10)),nats://127.0.0.1:$((base + 11)),nats://127.0.0.1:$((base + 12))"
urls=
for i in 0 1 2; do
	"$mnemo" log --name "log$i" --dir "$dir/log$i" --listen "127.0.0.1:$((base + i))" \
		--cluster-listen "127.0.0.1:$((base + 10 + i))" --routes "$routes" >"$dir/log$i.out" 2>&1 &
	pids+=("$!")
	urls+="${urls:+,}nats://127.0.0.1:$((base + i))"
done
"$mnemo" node --log "$urls" --log-replicas 3 --log-max-inflight 4 --port "$port" --dir "$dir/node" "${args[@]}" &
pids+=("$!")
wait "${pids[-1]}"
