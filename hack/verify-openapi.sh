#!/usr/bin/env bash
# Checks that the committed OpenAPI definitions and API-rule report in
# pkg/apiserver/openapi are what hack/update-openapi.sh generates today:
# regenerates into a temporary directory and diffs. Runs from any working
# directory; fails with the diff and the command that fixes it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"

committed=pkg/apiserver/openapi
fresh=$(mktemp -d)
trap 'rm -rf "${fresh}"' EXIT

bash "${root}/hack/update-openapi.sh" "${fresh}"

status=0
for f in zz_generated.openapi.go violation_exceptions.list; do
  if [[ ! -f "${committed}/${f}" ]]; then
    echo "verify-openapi: ${committed}/${f} is missing" >&2
    status=1
  elif ! diff -u "${committed}/${f}" "${fresh}/${f}"; then
    status=1
  fi
done

if [[ ${status} -ne 0 ]]; then
  echo "verify-openapi: ${committed} is out of date; run 'make generate' and commit the result" >&2
  exit 1
fi
echo "verify-openapi: ${committed} is up to date"
