#!/usr/bin/env bash
# Regenerates engine/command/commands.json from the reference redis-server:
# starts one on a loopback port, reads its command metadata, stops it.
# With --check it only verifies that the committed file is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${GEN_PORT:-6399}
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
	redis-cli -p "$port" PING >/dev/null 2>&1 && break
	sleep 0.05
done
out=engine/command/commands.json
if [[ "${1:-}" == "--check" ]]; then
	go run ./hack/gencommands -addr "127.0.0.1:$port" -out "$dir/commands.json" 2>/dev/null
	if ! cmp -s "$dir/commands.json" "$out"; then
		echo "$out is stale: run 'make commands' and commit the result" >&2
		exit 1
	fi
	echo "$out is up to date"
	exit 0
fi
go run ./hack/gencommands -addr "127.0.0.1:$port" -out "$out"
