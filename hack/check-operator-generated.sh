#!/usr/bin/env bash
# check-operator-generated.sh fails when the operator's generated files (the
# CRDs and RBAC role in config/, the deepcopy code in api/) are not what
# controller-gen makes from the sources: it regenerates them in a copy of
# the tree and compares, so the working tree is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOWORK=off

version=$(awk '$1 == "sigs.k8s.io/controller-tools" { print $2; exit } $2 == "sigs.k8s.io/controller-tools" { print $3; exit }' hack/controller-gen/go.mod)
gen=$PWD/bin/tools/controller-gen-$version
if [[ ! -x $gen ]]; then
	make --no-print-directory "bin/tools/controller-gen-$version" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar --exclude=./bin --exclude=./.git -cf - . | tar -xf - -C "$tmp"
(
	cd "$tmp"
	"$gen" object paths=./api/...
	"$gen" crd rbac:roleName=mnemo-operator paths=./api/... paths=./controllers/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
)

stale=0
for path in api config/crd/bases config/rbac/role.yaml; do
	if ! diff -ruN "$path" "$tmp/$path" >"$tmp/diff" 2>&1; then
		echo "check-operator-generated: $path is stale; run 'make manifests generate' and commit:" >&2
		head -40 "$tmp/diff" >&2
		stale=1
	fi
done
if ((stale == 0)); then
	echo "operator generated files are up to date"
fi
exit "$stale"
