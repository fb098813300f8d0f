#!/usr/bin/env bash
# check-chart.sh fails when charts/mnemo's copies of generated files (the
# CRDs, the operator's ClusterRole rules, the node-type admission policy)
# differ from config/, where make manifests writes them, then lints the
# chart and renders it with its defaults and with every option on.
set -euo pipefail
cd "$(dirname "$0")/.."
helm=${HELM:?HELM must name the helm binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

stale=0
same() { # same FROM TO
	if ! diff -u "$1" "$2" >/dev/null 2>&1; then
		echo "check-chart: $2 differs from $1; run 'make manifests' and commit" >&2
		stale=1
	fi
}
for crd in config/crd/bases/*.yaml; do
	same "$crd" "charts/mnemo/crds/$(basename "$crd")"
done
for crd in charts/mnemo/crds/*.yaml; do
	[[ -e config/crd/bases/$(basename "$crd") ]] || { echo "check-chart: $crd is no longer in config/crd/bases" >&2; stale=1; }
done
same config/rbac/role.yaml charts/mnemo/files/role.yaml
same config/policy/node_types.yaml charts/mnemo/files/node_types_policy.yaml
for f in podmonitor-nodes.yaml prometheusrule.yaml dashboard.json; do
	same "config/monitoring/$f" "charts/mnemo/files/$f"
done
((stale == 0)) || exit 1

"$helm" lint --strict charts/mnemo
kube=$(awk '$1 == "//" { next } $1 == "k8s.io/kubernetes" { print $2; exit } $2 == "k8s.io/kubernetes" { print $3; exit }' hack/envtest/go.mod)
"$helm" template mnemo charts/mnemo -n mnemo-system --kube-version "$kube" >/dev/null
"$helm" template mnemo charts/mnemo -n mnemo-system --kube-version "$kube" \
	--set 'watchNamespaces={team-a,team-b}' --set metrics.serviceMonitor.enabled=true \
	--set nodeTypePolicy.enabled=false --set serviceAccount.create=false --set replicaCount=2 \
	--set monitoring.podMonitor.enabled=true --set monitoring.prometheusRule.enabled=true \
	--set monitoring.grafanaDashboard.enabled=true >"$tmp/all.yaml"
# The monitoring objects carry the files' contents: the alerts' expressions
# (checked by config/monitoring's test) and the dashboard's JSON.
go run ./hack/check-chart-monitoring "$tmp/all.yaml"
# The schema must refuse a bad value.
if "$helm" template mnemo charts/mnemo --kube-version "$kube" --set logLevel=loud >/dev/null 2>&1; then
	echo "check-chart: values.schema.json admitted logLevel=loud" >&2
	exit 1
fi
echo "chart is in sync, lints and renders"
