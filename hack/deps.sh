#!/usr/bin/env bash
# deps.sh installs what the tests need from outside Go, and only what is
# missing: Debian's redis-server and redis-tools, which the compatibility
# tests and hack/bench.sh compare Mnemo against, and etcd-server, the etcd
# the operator's envtest suite runs under its kube-apiserver (which
# hack/envtest.sh builds from the module proxy). Go modules come through
# the module proxy on their own; nothing is fetched from anywhere but apt.
set -euo pipefail

needed=(redis-server redis-cli redis-benchmark etcd)
packages=(redis-server redis-tools etcd-server)

missing=()
for cmd in "${needed[@]}"; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if ((${#missing[@]} == 0)); then
	exit 0
fi
echo "deps: missing ${missing[*]}; installing ${packages[*]} with apt-get" >&2

sudo=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps: need root or sudo to run apt-get install ${packages[*]}" >&2
		exit 1
	fi
	sudo=(sudo)
fi

install() {
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends "${packages[@]}"
}

# A fresh machine may have no package lists yet, or stale ones; update only
# then, so a machine that can install straight away does not pay for it.
if ! install; then
	echo "deps: apt-get install failed; running apt-get update and retrying" >&2
	"${sudo[@]}" apt-get update
	install
fi

for cmd in "${needed[@]}"; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "deps: $cmd still missing after installing ${packages[*]}" >&2
		exit 1
	fi
done
