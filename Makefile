# Every target runs the go command from PATH; nothing here needs the network
# beyond the Go module proxy, and only for modules not yet in the cache.

GO ?= go
# Build with the toolchain that is installed instead of downloading the one
# go.mod names; an older Go fails with a message saying which version it needs.
export GOTOOLCHAIN ?= local
# GOFLAGS is left to the environment and `go env`: the go command's default,
# -mod=readonly, already refuses to rewrite go.mod or go.sum while building.

# Extra flags for `make run`, e.g. make run ARGS='--secure-port 0 -v 2'.
ARGS ?=

.PHONY: run build test test-short bench vet fmt check

run:
	$(GO) run ./cmd/fakecluster $(ARGS)

build:
	$(GO) build -o bin/ ./cmd/fakecluster

# The one test command: the README names it and CI (.ci/run) runs it. The
# longer timeout covers a cold build cache, where test/e2e first builds
# kubectl and fakecluster inside its test binary's time. The kubelet's
# packages, whose goroutines share the most state, run again under the race
# detector.
test:
	$(GO) test -timeout 25m ./...
	$(GO) test -race -timeout 10m ./pkg/kubelet/... ./pkg/internal/...

# The inner loop: skips the tests that build binaries or run long.
test-short:
	$(GO) test -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/storage/

vet:
	$(GO) vet ./...

fmt:
	$(GO) fmt ./...

# The checks CI runs before the tests, each naming the file it fails on:
# gofmt, go vet, staticcheck (the version go.mod's tool block pins, so no
# install step) and the layering rules of test/layering.
check:
	@unformatted=$$(gofmt -l cmd internal pkg test); \
	if [ -n "$$unformatted" ]; then echo "gofmt: these files need gofmt -w:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) test -count=1 ./test/layering

# Regenerates the committed generated code (today: the OpenAPI definitions in
# pkg/apiserver/openapi, see hack/update-openapi.sh). Commit the result.
.PHONY: generate verify-generate
generate:
	GO=$(GO) bash hack/update-openapi.sh

# Regenerates into a temporary directory and fails with a diff if the committed
# files differ. It runs the generators (seconds, not milliseconds), so it is not
# part of `make test`.
verify-generate:
	GO=$(GO) bash hack/verify-openapi.sh

# The real kubectl, from the k8s.io/kubectl module go.mod pins (a test tool,
# see internal/kubectl), into bin/. It is stamped with the matching Kubernetes
# release (module v0.37.2 is Kubernetes v1.37.2) so that `kubectl version`
# prints it; test/e2e builds it the same way.
KUBECTL_VERSION = $(patsubst v0.%,v1.%,$(shell $(GO) list -m -f '{{.Version}}' k8s.io/kubectl))
KUBECTL_LDFLAGS = -X k8s.io/component-base/version.gitVersion=$(KUBECTL_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 \
	-X k8s.io/component-base/version.gitMinor=$(word 2,$(subst ., ,$(KUBECTL_VERSION))) \
	-X k8s.io/component-base/version.gitTreeState=clean \
	-X k8s.io/component-base/version.buildDate=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)

.PHONY: kubectl
kubectl:
	$(GO) build -ldflags '$(KUBECTL_LDFLAGS)' -o bin/kubectl ./internal/kubectl
