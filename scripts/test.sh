#!/usr/bin/env bash
# The whole test suite: starts the throwaway servers the tests talk to
# (versitygw for S3, built once into a cache directory; PostgreSQL), runs
# every Go test on the embedded store, then the API and binary tests again
# on PostgreSQL, then cert-manager's aws-privateca-issuer (test/certmanager,
# a module of its own on the Go it needs), and stops the servers.
set -euo pipefail
cd "$(dirname "$0")/.."

cleanup() {
	[ -n "${OPENPCA_TEST_VERSITYGW_PID:-}" ] && scripts/test-services/versitygw.sh stop "$OPENPCA_TEST_VERSITYGW_PID" "$OPENPCA_TEST_VERSITYGW_DIR"
	[ -n "${OPENPCA_TEST_POSTGRES_DIR:-}" ] && scripts/test-services/postgres.sh stop "$OPENPCA_TEST_POSTGRES_DIR"
	return 0
}
trap cleanup EXIT
# SoftHSM2 for the PKCS#11 key tests.
scripts/test-services/softhsm.sh install

eval "$(scripts/test-services/versitygw.sh start)"
eval "$(scripts/test-services/postgres.sh start)"

# The AWS SDK for JavaScript for cmd/openpca's client tests: installed once,
# again only when the lock file changes.
if command -v npm >/dev/null && [ ! test/js/node_modules/.package-lock.json -nt test/js/package-lock.json ]; then
	(cd test/js && npm ci --no-audit --no-fund --loglevel=error)
fi

go test -count=1 -timeout 30m "$@" ./...
echo "== the API and binary tests again, on PostgreSQL"
OPENPCA_TEST_STORE=postgres go test -count=1 -timeout 30m "$@" ./internal/server/ ./cmd/openpca/

echo "== cert-manager's aws-privateca-issuer, on Go 1.27.3"
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"; cleanup' EXIT
go build -o "$bindir/openpca" ./cmd/openpca
(cd test/certmanager && OPENPCA_BIN="$bindir/openpca" GOTOOLCHAIN=go1.27.3 go test -count=1 -timeout 10m "$@" ./...)
