#!/usr/bin/env bash
# e2e.sh runs the end-to-end suite (test/e2e) on the local one-node cluster:
# it brings the cluster up (hack/local-k8s), imports the mnemo image, runs
# the suite, prints its timing report, and tears the cluster down whatever
# happens (a trap), unless the cluster was up before it started (make
# cluster-up): then it leaves it up.
#
# Usage: bash hack/e2e.sh HELM [go test flags...]   (make test-e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOWORK=off
helm=$1
shift
# shellcheck source=hack/local-k8s/env.sh
source hack/local-k8s/env.sh
start=$SECONDS

if [[ -e $S/up ]]; then
	echo "e2e: using the cluster that is already up ($S)" >&2
else
	trap 'bash hack/local-k8s/down.sh' EXIT
	# An interrupt or a kill ends the script through exit, so EXIT runs.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	bash hack/local-k8s/up.sh >/dev/null
fi
echo "e2e: cluster up at +$((SECONDS - start))s" >&2
ctr --address "$S/containerd/containerd.sock" -n k8s.io images import bin/mnemo-image.tar >/dev/null

report=$PWD/bin/e2e-report.txt
rm -f "$report"
status=0
E2E_KUBECONFIG=$S/admin.kubeconfig E2E_HELM=$helm E2E_REPORT=$report \
	go test ./test/e2e -count=1 -v -timeout 40m "$@" || status=$?
echo "e2e: suite ended at +$((SECONDS - start))s (report in $report)" >&2
exit "$status"
