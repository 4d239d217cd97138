#!/usr/bin/env bash
# Runs a throwaway versitygw (an S3-compatible server with real IAM users and
# bucket policies) on 127.0.0.1 for the S3 tests.
#
#   eval "$(scripts/test-services/versitygw.sh start)"   # prints export lines
#   go test ./...
#   scripts/test-services/versitygw.sh stop               # uses the exported PID and dir
#
# Commands:
#   build  install versitygw into the cache dir unless it is already there
#   start  build if needed, start the server, print `export` lines
#   stop   [PID DIR] stop the server and remove its data dir
#   bin    print the binary's path
#
# Environment:
#   OPENPCA_TEST_BIN_DIR        cache dir for the binary
#                               (default ${XDG_CACHE_HOME:-$HOME/.cache}/openpca-test-bin)
#   OPENPCA_TEST_S3_ACCESS_KEY  root access key for start (default openpca-root)
#   OPENPCA_TEST_S3_SECRET_KEY  root secret key for start (default openpca-root-secret)
#   OPENPCA_TEST_NO_BUILD=1     start exits 3 instead of building (lets a test skip
#                               rather than spend ~2 minutes compiling)
set -euo pipefail

version=v1.8.0
bin_dir=${OPENPCA_TEST_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/openpca-test-bin}
bin=$bin_dir/versitygw
# The stamp makes a version bump rebuild a cached binary: versitygw built by
# `go install` reports no version of its own.
stamp=$bin_dir/versitygw.version

log() { echo "versitygw.sh: $*" >&2; }

installed() { [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; }

build() {
	installed && return 0
	if [ "${OPENPCA_TEST_NO_BUILD:-}" = 1 ]; then
		log "versitygw $version is not in $bin_dir and OPENPCA_TEST_NO_BUILD=1"
		exit 3
	fi
	mkdir -p "$bin_dir"
	log "building versitygw $version into $bin_dir (about 2 minutes, once)"
	# Outside any module, so the project's go.mod plays no part.
	(cd / && GOBIN=$bin_dir go install "github.com/versity/versitygw/cmd/versitygw@$version") >&2
	echo "$version" >"$stamp"
}

# ready reports whether the server at port answers its health endpoint.
ready() {
	local port=$1 status
	{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
	printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	IFS= read -r -t 2 status <&3 || status=
	exec 3<&- 3>&-
	[[ $status == "HTTP/1."?" 200"* ]]
}

# running is kill -0 that counts a zombie as gone: the server is not our
# child, and whoever inherits it may be slow to reap it.
running() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${state%% *}" != Z ]
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
	build
	local access=${OPENPCA_TEST_S3_ACCESS_KEY:-openpca-root}
	local secret=${OPENPCA_TEST_S3_SECRET_KEY:-openpca-root-secret}
	local dir attempt port pid i
	dir=$(mktemp -d "${TMPDIR:-/tmp}/openpca-versitygw.XXXXXX")
	# stop removes only directories carrying this marker.
	touch "$dir/.openpca-versitygw"
	mkdir "$dir/data" "$dir/iam" "$dir/meta"
	# setsid keeps a terminal's Ctrl-C for the caller from reaching the server.
	local detach=()
	if command -v setsid >/dev/null; then
		detach=(setsid)
	fi

	# A free port can be taken between the check and the bind, so retry a few.
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		port_free "$port" || continue
		# Keys go through the environment to stay out of `ps`. All streams
		# are redirected, so `eval "$(... start)"` does not wait for the
		# server to exit. --sidecar keeps object metadata in files, for
		# temp dirs on filesystems without user xattrs.
		ROOT_ACCESS_KEY=$access ROOT_SECRET_KEY=$secret "${detach[@]}" "$bin" \
			--port "127.0.0.1:$port" \
			--iam-dir "$dir/iam" \
			--health /health \
			--quiet \
			posix --sidecar "$dir/meta" "$dir/data" \
			</dev/null >>"$dir/versitygw.log" 2>&1 &
		pid=$!
		for i in $(seq 100); do
			running "$pid" || break
			if ready "$port"; then
				printf 'export OPENPCA_TEST_S3_ENDPOINT=%q\n' "http://127.0.0.1:$port"
				printf 'export OPENPCA_TEST_S3_REGION=%q\n' us-east-1
				printf 'export OPENPCA_TEST_S3_ACCESS_KEY=%q\n' "$access"
				printf 'export OPENPCA_TEST_S3_SECRET_KEY=%q\n' "$secret"
				printf 'export OPENPCA_TEST_VERSITYGW_PID=%q\n' "$pid"
				printf 'export OPENPCA_TEST_VERSITYGW_DIR=%q\n' "$dir"
				return 0
			fi
			sleep 0.05
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		log "attempt $attempt on port $port failed; log:"
		tail -5 "$dir/versitygw.log" >&2 || true
	done
	rm -rf "$dir"
	log "could not start versitygw"
	exit 1
}

stop() {
	local pid=${1:-${OPENPCA_TEST_VERSITYGW_PID:-}} dir=${2:-${OPENPCA_TEST_VERSITYGW_DIR:-}} i
	if [ -z "$pid" ]; then
		log "stop: no PID (pass one or set OPENPCA_TEST_VERSITYGW_PID)"
		exit 2
	fi
	# A stale PID may belong to another process by now.
	if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q versitygw; then
		log "stop: PID $pid is not versitygw; not killing it"
		pid=
	fi
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for i in $(seq 100); do
			running "$pid" || break
			sleep 0.05
		done
		if running "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	if [ -n "$dir" ] && [ -e "$dir/.openpca-versitygw" ]; then
		rm -rf "$dir"
	fi
}

case ${1:-} in
build) build ;;
start) start ;;
stop) shift; stop "$@" ;;
bin) echo "$bin" ;;
*)
	echo "usage: $0 build|start|stop [PID DIR]|bin" >&2
	exit 2
	;;
esac
