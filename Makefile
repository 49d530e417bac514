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

.PHONY: run build test test-short bench vet fmt

run:
	$(GO) run ./cmd/fakecluster $(ARGS)

build:
	$(GO) build -o bin/ ./cmd/fakecluster

# The one test command: the README names it and CI (.ci/run) runs it.
test:
	$(GO) test ./...

# The inner loop: skips the tests that build binaries or run long.
test-short:
	$(GO) test -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/storage/

vet:
	$(GO) vet ./...

fmt:
	$(GO) fmt ./...

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
