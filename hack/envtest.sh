#!/usr/bin/env bash
# envtest.sh prepares what controller-runtime's envtest needs to run the
# operator's tests against a real control plane, and prints the folder to put
# in KUBEBUILDER_ASSETS:
#   - kube-apiserver, and kube-controller-manager (whose garbage collector,
#     StatefulSet and Job controllers the suite runs too), built from the Go
#     module proxy by the wrapper module in hack/envtest (k8s.io/kubernetes
#     pinned there), once per version: the binaries are cached in
#     bin/envtest/kube-<version>/ and the build skipped when they are there
#     (a cold build takes several minutes on two cores);
#   - etcd, Debian's etcd-server (hack/deps.sh installs it when missing),
#     linked next to it.
# Nothing is downloaded but Go modules and Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOWORK=off

version=$(awk '$1 == "//" { next } $1 == "k8s.io/kubernetes" { print $2; exit } $2 == "k8s.io/kubernetes" { print $3; exit }' hack/envtest/go.mod)
if [[ ! $version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
	echo "envtest: no k8s.io/kubernetes version in hack/envtest/go.mod" >&2
	exit 1
fi
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
dir=bin/envtest/kube-$version

# /version must say which release this is; clients and tests read it.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean"
done
for bin in kube-apiserver kube-controller-manager; do
	if [[ -x $dir/$bin ]]; then
		continue
	fi
	echo "envtest: building $bin $version (minutes when cold; cached in $dir)" >&2
	mkdir -p "$dir"
	start=$SECONDS
	CGO_ENABLED=0 go -C hack/envtest build -trimpath -ldflags "$ldflags" \
		-o "$PWD/$dir/$bin.tmp" "./$bin"
	mv "$dir/$bin.tmp" "$dir/$bin"
	echo "envtest: built $bin in $((SECONDS - start))s" >&2
done

if ! command -v etcd >/dev/null 2>&1; then
	bash hack/deps.sh
fi
ln -sfn "$(command -v etcd)" "$dir/etcd"

echo "$PWD/$dir"
