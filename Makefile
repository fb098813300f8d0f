# Mnemo: a Redis-compatible database engine and its Kubernetes operator, one
# binary. `make help` lists the targets; `make test` is what CI runs.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

export GOWORK := off

PORT ?= 6379
FUZZ ?= FuzzReader
FUZZTIME ?= 3m
TEST_TIMEOUT ?= 30m

# The tools module pins staticcheck; its version names the cached binary, so
# bumping it in hack/tools/go.mod rebuilds and nothing else does.
TOOLS_MOD := hack/tools/go.mod
STATICCHECK_VERSION := $(shell awk '{for (i = 1; i < NF; i++) if ($$i == "honnef.co/go/tools") { print $$(i+1); exit }}' $(TOOLS_MOD))
STATICCHECK := bin/tools/staticcheck-$(STATICCHECK_VERSION)

# controller-gen has a module of its own (hack/controller-gen) and is cached
# by version like staticcheck; envtest's kube-apiserver and etcd come from
# hack/envtest.sh, cached by Kubernetes version under bin/envtest/.
CONTROLLER_GEN_MOD := hack/controller-gen/go.mod
CONTROLLER_GEN_VERSION := $(shell awk '$$1 == "sigs.k8s.io/controller-tools" { print $$2; exit } $$2 == "sigs.k8s.io/controller-tools" { print $$3; exit }' $(CONTROLLER_GEN_MOD))
CONTROLLER_GEN := bin/tools/controller-gen-$(CONTROLLER_GEN_VERSION)

# helm has a module of its own too (hack/helm), cached by version.
HELM_MOD := hack/helm/go.mod
HELM_VERSION := $(shell awk '$$1 == "helm.sh/helm/v3" { print $$2; exit } $$2 == "helm.sh/helm/v3" { print $$3; exit }' $(HELM_MOD))
HELM := bin/tools/helm-$(HELM_VERSION)

# MinIO, the S3-compatible server test/snapshot runs the S3 snapshot store
# against, has a module of its own (hack/minio), cached by version.
MINIO_MOD := hack/minio/go.mod
MINIO_VERSION := $(shell awk '$$1 == "github.com/minio/minio" { print $$2; exit }' $(MINIO_MOD))
MINIO := bin/tools/minio-$(MINIO_VERSION)

.PHONY: help build plugin run deps tools lint check-imports test test-race fuzz bench commands check-generated clean
.PHONY: manifests generate check-operator-generated envtest test-operator
.PHONY: local-k8s cluster-up cluster-down image check-chart test-e2e

help: ## List the targets.
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z0-9-]*:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo "Variables: PORT=$(PORT) FUZZTIME=$(FUZZTIME) TEST_TIMEOUT=$(TEST_TIMEOUT) (bench: see hack/bench.sh)"

build: ## Build bin/mnemo.
	CGO_ENABLED=0 go build -trimpath -o bin/mnemo .

plugin: ## Build the kubectl plugin, bin/kubectl-mnemo (put it on PATH: kubectl mnemo --help).
	CGO_ENABLED=0 go build -trimpath -o bin/kubectl-mnemo ./cmd/kubectl-mnemo

run: build ## Run a local single-node Mnemo on PORT (default 6379).
	exec bin/mnemo local --port $(PORT)

deps: ## Install what a fresh machine lacks (redis-server, redis-tools) with apt.
	bash hack/deps.sh

tools: $(STATICCHECK) $(CONTROLLER_GEN) $(HELM) $(MINIO) ## Build the pinned staticcheck, controller-gen, helm and MinIO into bin/tools/ (once per version).

$(STATICCHECK):
	@test -n "$(STATICCHECK_VERSION)" || { echo "no honnef.co/go/tools version in $(TOOLS_MOD)" >&2; exit 1; }
	go -C hack/tools build -o $(CURDIR)/$@ honnef.co/go/tools/cmd/staticcheck

$(CONTROLLER_GEN):
	@test -n "$(CONTROLLER_GEN_VERSION)" || { echo "no sigs.k8s.io/controller-tools version in $(CONTROLLER_GEN_MOD)" >&2; exit 1; }
	go -C hack/controller-gen build -o $(CURDIR)/$@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(HELM):
	@test -n "$(HELM_VERSION)" || { echo "no helm.sh/helm/v3 version in $(HELM_MOD)" >&2; exit 1; }
	CGO_ENABLED=0 go -C hack/helm build -trimpath -o $(CURDIR)/$@ helm.sh/helm/v3/cmd/helm

$(MINIO):
	@test -n "$(MINIO_VERSION)" || { echo "no github.com/minio/minio version in $(MINIO_MOD)" >&2; exit 1; }
	go -C hack/minio build -o $(CURDIR)/$@ github.com/minio/minio

manifests: $(CONTROLLER_GEN) ## Generate the CRDs and the operator's RBAC role into config/ (and the chart) from api/ and controllers/.
	$(CONTROLLER_GEN) crd rbac:roleName=mnemo-operator paths=./api/... paths=./controllers/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	rm -f charts/mnemo/crds/*.yaml
	cp config/crd/bases/*.yaml charts/mnemo/crds/
	cp config/rbac/role.yaml charts/mnemo/files/role.yaml
	cp config/policy/node_types.yaml charts/mnemo/files/node_types_policy.yaml
	cp config/monitoring/podmonitor-nodes.yaml config/monitoring/prometheusrule.yaml config/monitoring/dashboard.json charts/mnemo/files/

check-chart: $(HELM) ## Fail when the chart's CRDs and RBAC are stale; helm lint and helm template the chart.
	HELM=$(CURDIR)/$(HELM) bash hack/check-chart.sh

generate: $(CONTROLLER_GEN) ## Generate the API's deepcopy code.
	$(CONTROLLER_GEN) object paths=./api/...

check-operator-generated: ## Fail when the CRDs, RBAC or deepcopy code are stale.
	bash hack/check-operator-generated.sh

envtest: ## Build (once per version) kube-apiserver and kube-controller-manager for envtest; etcd comes from apt.
	@bash hack/envtest.sh >/dev/null

test-operator: envtest ## Run the api and controllers tests, the envtest suite included.
	KUBEBUILDER_ASSETS=$$(bash hack/envtest.sh) go test ./api/... ./controllers/... . -count=1 -timeout $(TEST_TIMEOUT)

# The local one-node Kubernetes (hack/local-k8s): its binaries come from
# the Go module proxy, cached by version under bin/local-k8s/; its state
# lives in bin/local-k8s/run/ until cluster-down.
local-k8s: ## Build (once per version) the local cluster's binaries: kube-*, kubelet, CoreDNS.
	@bash hack/local-k8s/build.sh >/dev/null

cluster-up: local-k8s ## Bring up a one-node Kubernetes on this machine (root; see docs/kubernetes.md).
	bash hack/local-k8s/up.sh

cluster-down: ## Tear the local cluster down and undo every host change it made.
	bash hack/local-k8s/down.sh

# The image: bin/mnemo in an OCI layout tarball, built without a Docker
# engine, and imported into the local cluster's containerd when it is up.
IMAGE ?= mnemo:dev
image: build ## Build the mnemo image (bin/mnemo-image.tar) and import it into the local cluster.
	go run ./hack/image -binary bin/mnemo -name docker.io/library/$(IMAGE) -o bin/mnemo-image.tar
	@sock=bin/local-k8s/run/containerd/containerd.sock; \
	if [[ -S $$sock ]]; then \
		ctr --address $$sock -n k8s.io images import bin/mnemo-image.tar; \
	else \
		echo "image: no local cluster up; bin/mnemo-image.tar is not imported"; \
	fi

# The end-to-end suite on the local cluster (needs root): up, the suite,
# its timing report (bin/e2e-report.txt), and down even when it fails.
test-e2e: local-k8s image $(HELM) ## Run test/e2e on a local one-node Kubernetes (brought up and torn down unless already up).
	bash hack/e2e.sh $(CURDIR)/$(HELM) $(E2E_FLAGS)

lint: $(STATICCHECK) check-imports ## gofmt, go vet, staticcheck and the layering check.
	@unformatted=$$(gofmt -l .); \
	if [[ -n "$$unformatted" ]]; then \
		echo "gofmt: these files need gofmt -w:" >&2; echo "$$unformatted" >&2; exit 1; \
	fi
	go vet ./...
	$(STATICCHECK) ./...

check-imports: ## engine/ must not import Kubernetes; api/ must not import engine/ or controllers/.
	bash hack/check-imports.sh

test: deps tools lint check-generated check-operator-generated check-chart envtest local-k8s ## Lint, then run every test, the e2e suite last (what CI runs).
	go test ./... -count=1 -timeout $(TEST_TIMEOUT)
	$(MAKE) --no-print-directory test-e2e

test-race: deps envtest ## Run every test under the race detector.
	go test ./... -race -count=1 -timeout $(TEST_TIMEOUT)

fuzz: ## Fuzz the RESP reader for FUZZTIME (default 3m).
	go test ./engine/resp -run '^$$' -fuzz '^$(FUZZ)$$' -fuzztime $(FUZZTIME)

bench: ## Compare Mnemo with redis-server using redis-benchmark (see hack/bench.sh).
	@bash hack/bench-suite.sh

check-generated: deps ## Fail when generated files are stale.
	bash hack/gen-commands.sh --check

commands: deps ## Regenerate the command metadata from the reference redis-server.
	bash hack/gen-commands.sh

clean: ## Remove build output (bin/, including cached tools) and coverage files.
	rm -rf bin/ cover.out coverage.out coverage.html
