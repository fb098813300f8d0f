#!/usr/bin/env bash
# check-imports.sh keeps the layers apart (see shared STYLE.md, "Layout and
# boundaries"):
#   - engine/ is a database, not part of the operator: nothing under it, tests
#     included, may depend on k8s.io/* or sigs.k8s.io/*;
#   - api/ holds types only: it may not depend on engine/ or controllers/.
# It reads go list -deps, so indirect imports count too.
set -euo pipefail
cd "$(dirname "$0")/.."

export GOWORK=off
module=$(go list -m)
status=0

# packages PATTERN prints the packages PATTERN matches, one a line, and
# nothing (not a warning) when it matches none yet.
packages() {
	go list -e -f '{{if or .GoFiles .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' "$1" 2>/dev/null || true
}

# forbid PATTERN REGEX WHY fails the check when a dependency of PATTERN,
# counting its tests' dependencies, matches the extended regex REGEX.
forbid() {
	local pattern=$1 regex=$2 why=$3 deps bad lines
	if [[ -z "$(packages "$pattern")" ]]; then
		echo "check-imports: $pattern has no Go packages yet; skipped" >&2
		return 0
	fi
	deps=$(go list -deps -test "$pattern")
	bad=$(grep -E "$regex" <<<"$deps" | sort -u || true)
	if [[ -n "$bad" ]]; then
		echo "check-imports: $pattern must not depend on $why, but depends on:" >&2
		mapfile -t lines <<<"$bad"
		printf '    %s\n' "${lines[@]}" >&2
		echo "  (go list -deps -test $pattern; find the importer with: go list -f '{{.ImportPath}}: {{.Imports}}' -deps -test $pattern)" >&2
		status=1
	fi
}

# go list -deps -test prints "pkg" and, for test variants, "pkg [pkg.test]".
forbid ./engine/... '^(k8s\.io|sigs\.k8s\.io)/' 'k8s.io/* or sigs.k8s.io/*'
forbid ./api/... "^${module//./\\.}/(engine|controllers)([/ ]|$)" "$module/engine or $module/controllers"

exit "$status"
