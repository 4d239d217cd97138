#!/usr/bin/env bash
# The whole test suite: starts the throwaway servers the tests talk to
# (versitygw for S3; built once into a cache directory), runs every Go test,
# and stops them again.
set -euo pipefail
cd "$(dirname "$0")/.."

# SoftHSM2 for the PKCS#11 key tests.
scripts/test-services/softhsm.sh install

eval "$(scripts/test-services/versitygw.sh start)"
trap 'scripts/test-services/versitygw.sh stop "$OPENPCA_TEST_VERSITYGW_PID" "$OPENPCA_TEST_VERSITYGW_DIR"' EXIT

go test -count=1 -timeout 30m "$@" ./...
