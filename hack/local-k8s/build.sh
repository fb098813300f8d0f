#!/usr/bin/env bash
# build.sh builds every binary of the local one-node cluster from the Go
# module proxy, once per version, and prints the folder holding them:
#   - kube-apiserver and kube-controller-manager: hack/envtest.sh's, already
#     built for the operator's envtest suite (bin/envtest/kube-<version>/);
#   - kube-scheduler, kubelet and kube-proxy: the wrapper module
#     hack/local-k8s/kube, which pins the same Kubernetes release as
#     hack/envtest and is built with the same flags, so the packages the two
#     share compile once;
#   - coredns (cluster DNS): the wrapper module hack/local-k8s/coredns;
#   - etcd: Debian's etcd-server, as for envtest.
# Binaries land in bin/local-k8s/kube-<version>/ and are skipped when they
# are there: a second run costs nothing, a cold one several minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOWORK=off

modversion() { # modversion FILE MODULE: the version FILE requires MODULE at
	awk -v m="$2" '$1 == "//" { next } $1 == m { print $2; exit } $2 == m { print $3; exit }' "$1"
}
version=$(modversion hack/envtest/go.mod k8s.io/kubernetes)
mine=$(modversion hack/local-k8s/kube/go.mod k8s.io/kubernetes)
if [[ $version != "$mine" ]]; then
	echo "local-k8s: hack/local-k8s/kube pins k8s.io/kubernetes $mine but hack/envtest pins $version; keep them equal" >&2
	exit 1
fi
if [[ ! $version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
	echo "local-k8s: no k8s.io/kubernetes version in hack/envtest/go.mod" >&2
	exit 1
fi
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
coredns_version=$(modversion hack/local-k8s/coredns/go.mod github.com/coredns/coredns)
dir=bin/local-k8s/kube-$version

# kube-apiserver, kube-controller-manager and the etcd link, as envtest has them.
envtest=$(bash hack/envtest.sh)
mkdir -p "$dir"
for bin in kube-apiserver kube-controller-manager etcd; do
	ln -sfn "$envtest/$bin" "$dir/$bin"
done

# The same flags as hack/envtest.sh, so shared packages come from the cache.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean"
done
build() { # build MODULE-DIR PACKAGE OUTPUT [LDFLAGS]
	local out=$3
	if [[ -x $out ]]; then
		return
	fi
	echo "local-k8s: building $(basename "$out") (minutes when cold; cached in $(dirname "$out"))" >&2
	local start=$SECONDS
	CGO_ENABLED=0 go -C "$1" build -trimpath -ldflags "${4:-}" -o "$PWD/$out.tmp" "$2"
	mv "$out.tmp" "$out"
	echo "local-k8s: built $(basename "$out") in $((SECONDS - start))s" >&2
}
for bin in kube-scheduler kubelet kube-proxy; do
	build hack/local-k8s/kube "./$bin" "$dir/$bin" "$ldflags"
done
mkdir -p "bin/local-k8s/coredns-$coredns_version"
build hack/local-k8s/coredns . "bin/local-k8s/coredns-$coredns_version/coredns" "-s -w"
ln -sfn "$PWD/bin/local-k8s/coredns-$coredns_version/coredns" "$dir/coredns"

echo "$PWD/$dir"
