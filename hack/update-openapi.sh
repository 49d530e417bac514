#!/usr/bin/env bash
# Regenerates the OpenAPI definitions of every served type:
#   pkg/apiserver/openapi/zz_generated.openapi.go    GetOpenAPIDefinitions
#   pkg/apiserver/openapi/violation_exceptions.list  the API-rule report
#
# Usage: hack/update-openapi.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to pkg/apiserver/openapi; hack/verify-openapi.sh passes
#   a temporary directory and compares. Runs from any working directory.
#
# openapi-gen is the k8s.io/kube-openapi version pinned by the `tool` line in
# go.mod (the one k8s.io/apiserver uses), run with `go tool` inside the module,
# so the input packages are exactly the k8s.io/api and k8s.io/apimachinery
# versions the server is built with. Every input is also passed as
# --readonly-pkg: they live in the read-only module cache, and openapi-gen
# must not try to write zz_generated.model_name.go files into them (they ship
# their own). The map keys are therefore upstream's model names, e.g.
# io.k8s.api.core.v1.Pod, the names kube-apiserver serves.
#
# API rule violations (all in the upstream types, which we cannot change) are
# written to violation_exceptions.list beside the generated code, as
# kube-apiserver keeps api/api-rules/violation_exceptions.list: the generator
# does not fail on them, and a k8s.io/api upgrade that changes them shows up
# as a diff in review and in `make verify-generate`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"

GO=${GO:-go}
output_dir=${1:-pkg/apiserver/openapi}
output_pkg=github.com/fakecluster/fakecluster/pkg/apiserver/openapi
output_file=zz_generated.openapi.go
report_file=violation_exceptions.list

# The packages whose types the API server serves or embeds. Add a package here
# when the server starts serving a new group version, then run `make generate`.
input_pkgs=(
  k8s.io/api/core/v1
  k8s.io/api/discovery/v1
  k8s.io/api/events/v1
  k8s.io/api/coordination/v1
  k8s.io/api/networking/v1 # ServiceCIDR and IPAddress, besides the rest of the group
  k8s.io/api/authentication/v1 # kubectl auth whoami
  k8s.io/api/authorization/v1 # kubectl auth can-i
  k8s.io/api/policy/v1 # the pods/eviction body
  k8s.io/api/autoscaling/v1 # the scale subresource
  k8s.io/api/apps/v1
  k8s.io/api/batch/v1
  k8s.io/api/scheduling/v1 # PriorityClasses
  k8s.io/api/scheduling/v1alpha3 # the Workload scheduling types a Job spec refers to
  k8s.io/api/storage/v1
  k8s.io/api/rbac/v1
  k8s.io/api/admissionregistration/v1 # webhook configurations and admission policies
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/version
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
)

readonly_flags=()
for pkg in "${input_pkgs[@]}"; do
  readonly_flags+=(--readonly-pkg "${pkg}")
done

# Generate into a scratch directory and move the results into place only when
# the generator succeeded, so a failed run leaves the committed files alone.
scratch=$(mktemp -d)
trap 'rm -rf "${scratch}"' EXIT

if ! "${GO}" tool openapi-gen \
  --go-header-file "${root}/hack/boilerplate.go.txt" \
  --output-dir "${scratch}" \
  --output-pkg "${output_pkg}" \
  --output-file "${output_file}" \
  --output-model-name-file zz_generated.model_name.go \
  --report-filename "${scratch}/${report_file}" \
  "${readonly_flags[@]}" \
  "${input_pkgs[@]}"; then
  echo "update-openapi: openapi-gen failed. If the go command reported a missing" >&2
  echo "go.sum entry, that module is missing from go.sum: run 'go mod download <module>'" >&2
  echo "(or have go.mod's owner add it) and try again." >&2
  exit 1
fi

for f in "${output_file}" "${report_file}"; do
  if [[ ! -f "${scratch}/${f}" ]]; then
    echo "update-openapi: openapi-gen wrote no ${f}" >&2
    exit 1
  fi
done

mkdir -p "${output_dir}"
cp "${scratch}/${output_file}" "${scratch}/${report_file}" "${output_dir}/"
