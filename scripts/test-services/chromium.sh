#!/usr/bin/env bash
# Makes sure headless Chromium is installed for the console's browser tests,
# which start their own browser (no daemon to start).
#
#   scripts/test-services/chromium.sh install
#
# Installs with apt-get (as root, running `apt-get update` only when the
# package lists are too stale to install from) unless chromium is already on
# PATH. Without root it only warns: the browser tests then skip, unless
# OPENPCA_REQUIRE_CHROMIUM=1 is set, as CI sets it.
set -euo pipefail

case "${1:-}" in
install)
	if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
		exit 0
	fi
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "chromium.sh: Chromium is missing; install chromium (the console's browser tests skip without it)" >&2
		exit 0
	fi
	pkgs=(chromium)
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null; }
	;;
*)
	echo "usage: $0 install" >&2
	exit 2
	;;
esac
