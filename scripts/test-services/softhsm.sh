#!/usr/bin/env bash
# Makes sure SoftHSM2 and OpenSC's pkcs11-tool are installed for the PKCS#11
# tests, which make their own throwaway tokens (no daemon to start).
#
#   scripts/test-services/softhsm.sh install
#
# Installs with apt-get (as root, running `apt-get update` only when the
# package lists are too stale to install from) unless softhsm2-util and
# pkcs11-tool are already on PATH. Without root it only warns: the tests then
# skip, unless OPENPCA_REQUIRE_SOFTHSM is set, as CI sets it.
set -euo pipefail

case "${1:-}" in
install)
	if command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null; then
		exit 0
	fi
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "softhsm.sh: SoftHSM2 is missing; install softhsm2 and opensc (the PKCS#11 tests skip without them)" >&2
		exit 0
	fi
	pkgs=(softhsm2 opensc)
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null; }
	;;
*)
	echo "usage: $0 install" >&2
	exit 2
	;;
esac
