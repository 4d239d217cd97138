#!/usr/bin/env bash
# Runs a throwaway PostgreSQL cluster on 127.0.0.1 for the tests.
#
#   eval "$(scripts/test-services/postgres.sh start)"   # prints export lines
#   go test ./...
#   scripts/test-services/postgres.sh stop               # uses the exported dir
#
# Commands:
#   start  initdb a cluster in a temp dir, start it, print `export` lines
#          (OPENPCA_TEST_DATABASE_URL and the cluster's dir)
#   stop   [DIR] stop the cluster and remove its dir
#   pause  DIR   stop the server (pg_ctl stop -m fast), keeping the cluster
#   resume DIR   start a paused server again, on the same port
#   freeze DIR   SIGSTOP the server and its backends: connections hang
#   thaw   DIR   SIGCONT them
#   installed    exit 0 when PostgreSQL is installed, 1 when not
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the
# `postgres` user. When PostgreSQL is not installed it is installed with
# apt-get (Debian's postgresql-15), which needs root.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

pgbin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

install() {
	pgbin >/dev/null && return 0
	if [ "$(id -u)" != 0 ]; then
		log "PostgreSQL is not installed and installing it needs root"
		exit 1
	fi
	log "installing PostgreSQL"
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql) >&2
}

# as runs a command as the cluster's owner.
as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pg_start starts the cluster in $1 on port $2.
pg_start() {
	# Durability settings stay at their defaults: the tests kill -9
	# servers and expect acknowledged writes to survive.
	as "$(pgbin)/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
		-o "-p $2 -k $1 -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
}

# cluster_dir checks that $1 is a cluster dir made by start.
cluster_dir() {
	if [ -z "$1" ] || [ ! -e "$1/.openpca-postgres" ]; then
		log "no cluster dir (pass one or set OPENPCA_TEST_POSTGRES_DIR)"
		exit 2
	fi
}

# signal_cluster sends signal $2 to the postmaster of the cluster in $1,
# then to its children (backends and workers; each has a process group of
# its own). A stopped postmaster forks no new ones meanwhile.
signal_cluster() {
	local pid kids
	pid=$(head -1 "$1/data/postmaster.pid" 2>/dev/null) || return 1
	kill "-$2" "$pid"
	kids=$(ps -o pid= --ppid "$pid") || true
	[ -z "$kids" ] || kill "-$2" $kids
}

start() {
	install
	local bin dir port attempt
	bin=$(pgbin)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/openpca-postgres.XXXXXX")
	touch "$dir/.openpca-postgres"
	chmod 755 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
	as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		port_free "$port" || continue
		if pg_start "$dir" "$port"; then
			# resume starts the server on the same port.
			echo "$port" >"$dir/port"
			printf 'export OPENPCA_TEST_DATABASE_URL=%q\n' "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			printf 'export OPENPCA_TEST_POSTGRES_DIR=%q\n' "$dir"
			return 0
		fi
		log "attempt $attempt on port $port failed"
		tail -5 "$dir/server.log" >&2 || true
	done
	rm -rf "$dir"
	log "could not start PostgreSQL"
	exit 1
}

stop() {
	local dir=${1:-${OPENPCA_TEST_POSTGRES_DIR:-}}
	cluster_dir "$dir"
	# A frozen server would never see the stop signal.
	signal_cluster "$dir" CONT 2>/dev/null || true
	as "$(pgbin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}

pause() {
	cluster_dir "${1:-}"
	as "$(pgbin)/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null
}

resume() {
	cluster_dir "${1:-}"
	pg_start "$1" "$(cat "$1/port")"
}

case ${1:-} in
start) start ;;
stop) shift; stop "$@" ;;
pause) shift; pause "$@" ;;
resume) shift; resume "$@" ;;
freeze) shift; cluster_dir "${1:-}"; signal_cluster "$1" STOP ;;
thaw) shift; cluster_dir "${1:-}"; signal_cluster "$1" CONT ;;
installed) pgbin >/dev/null ;;
*)
	echo "usage: $0 start|stop [DIR]|pause DIR|resume DIR|freeze DIR|thaw DIR|installed" >&2
	exit 2
	;;
esac
