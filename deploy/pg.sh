#!/usr/bin/env bash
# deploy/pg.sh - a project-local PostgreSQL cluster for development and tests.
#
#   deploy/pg.sh start            init (first time), start, wait until ready, create db "swi"
#   deploy/pg.sh stop [MODE]      shutdown: fast (default: open transactions rolled back,
#                                 checkpoint) or immediate (like a crash: no checkpoint,
#                                 WAL recovery at the next start; used by the chaos test)
#   deploy/pg.sh status           running or not (exit 0 when running, 3 when not)
#   deploy/pg.sh env              prints: export SWI_PG_CONNINFO='...'
#   deploy/pg.sh psql [args]      psql on database swi (extra args passed through)
#
# Environment:
#   SWI_RUN_DIR   run directory (default <repo>/.run); data in pgdata/, socket in pgsock/,
#                 server log in pg.log
#   SWI_PG_PORT   TCP port (default 54329), listening on 127.0.0.1 only
#   SWI_PG_BIN    directory of initdb/pg_ctl/postgres (default: newest
#                 /usr/lib/postgresql/*/bin)
#   SWI_PG_STAT_STATEMENTS=1  start with pg_stat_statements preloaded (the
#                 benchmarks' --profile asks for it; off by default: it costs a
#                 little on every statement). Takes effect when the server starts.
#
# THIS IS A DEV/TEST CLUSTER: authentication is "trust" for the unix socket and
# 127.0.0.1 (nothing else is accepted). Do not use it for real data.
#
# Durability settings are PostgreSQL's defaults (fsync=on, synchronous_commit=on,
# full_page_writes=on): the pipeline's exactly-once guarantee relies on a
# committed batch surviving a crash. Only memory and WAL sizing are tuned.
#
# PostgreSQL refuses to run as root; when this script runs as root, the server
# runs as the unprivileged system user "postgres" (or "swi", created if neither
# exists) via runuser, and the run directories are owned by that user.
set -euo pipefail

readonly DB_NAME=swi
readonly DB_SUPERUSER=postgres

die() {
        echo "pg.sh: error: $*" >&2
        exit 1
}

note() {
        echo "pg.sh: $*" >&2
}

usage() {
        cat >&2 <<'EOF'
usage: deploy/pg.sh start|stop [fast|immediate]|status|env|psql [psql args]
EOF
        exit 2
}

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${SWI_RUN_DIR:-$REPO_DIR/.run}
PORT=${SWI_PG_PORT:-54329}

case "$RUN_DIR" in
/*) ;;
*) RUN_DIR=$PWD/$RUN_DIR ;;
esac
# The socket path ends up inside a conninfo string and a shell export line.
case "$RUN_DIR" in
*[[:space:]\'\"\\]*) die "SWI_RUN_DIR must not contain spaces, quotes or backslashes: $RUN_DIR" ;;
esac
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
        die "SWI_PG_PORT must be a port number (1-65535), got '$PORT'"
fi

readonly PGDATA_DIR=$RUN_DIR/pgdata
readonly SOCK_DIR=$RUN_DIR/pgsock
readonly LOG_FILE=$RUN_DIR/pg.log
# A unix socket path is limited to 107 bytes (sun_path).
((${#SOCK_DIR} + 20 < 108)) || die "socket directory path too long for a unix socket: $SOCK_DIR"

find_bin_dir() {
        local d best=""
        if [[ -n "${SWI_PG_BIN:-}" ]]; then
                [[ -x "$SWI_PG_BIN/pg_ctl" ]] || die "SWI_PG_BIN=$SWI_PG_BIN has no pg_ctl"
                echo "$SWI_PG_BIN"
                return
        fi
        # The glob sorts lexically: pick the highest major version numerically.
        best=$(for d in /usr/lib/postgresql/*/bin; do
                [[ -x "$d/pg_ctl" ]] && echo "$d"
        done | sort -t/ -k5,5n | tail -n 1)
        if [[ -z "$best" ]] && command -v pg_config >/dev/null 2>&1; then
                d=$(pg_config --bindir)
                [[ -x "$d/pg_ctl" ]] && best=$d
        fi
        [[ -n "$best" ]] || die "no PostgreSQL server found (apt-get install postgresql, or set SWI_PG_BIN)"
        echo "$best"
}

PG_BIN=$(find_bin_dir)
readonly PG_BIN

# --- running as root: pick the unprivileged user that owns and runs the cluster ---
RUN_AS=""
if [[ $(id -u) -eq 0 ]]; then
        if id -u postgres >/dev/null 2>&1; then
                RUN_AS=postgres
        else
                if ! id -u swi >/dev/null 2>&1; then
                        note "creating system user 'swi' to run PostgreSQL (it refuses to run as root)"
                        useradd --system --no-create-home --home-dir /nonexistent \
                                --shell /usr/sbin/nologin swi ||
                                die "could not create system user 'swi'"
                fi
                RUN_AS=swi
        fi
fi
readonly RUN_AS

# Runs a command as the cluster owner, from a directory that user can read
# (the caller's cwd may be /root).
as_owner() {
        if [[ -n "$RUN_AS" ]]; then
                (cd / && runuser -u "$RUN_AS" -- "$@")
        else
                "$@"
        fi
}

# Every ancestor of the run directory must be searchable by the cluster owner,
# or the server cannot reach its data directory and socket.
ensure_traversable() {
        local d=$RUN_DIR
        [[ -n "$RUN_AS" ]] || return 0
        while [[ "$d" != "/" && -n "$d" ]]; do
                d=$(dirname "$d")
                if ! as_owner test -x "$d"; then
                        note "making $d traversable (o+x) for user $RUN_AS"
                        chmod o+x "$d" || die "cannot make $d traversable for user $RUN_AS"
                fi
        done
}

prepare_dirs() {
        mkdir -p "$RUN_DIR" "$SOCK_DIR" || die "cannot create $RUN_DIR"
        if [[ -n "$RUN_AS" ]]; then
                ensure_traversable
                chown "$RUN_AS:" "$RUN_DIR" "$SOCK_DIR" || die "cannot chown run dirs to $RUN_AS"
                if [[ -d "$PGDATA_DIR" ]]; then
                        chown -R "$RUN_AS:" "$PGDATA_DIR" || die "cannot chown $PGDATA_DIR"
                fi
                touch "$LOG_FILE" || die "cannot create $LOG_FILE"
                chown "$RUN_AS:" "$LOG_FILE" || die "cannot chown $LOG_FILE to $RUN_AS"
        fi
        chmod 0755 "$RUN_DIR" "$SOCK_DIR"
}

init_cluster() {
        [[ -f "$PGDATA_DIR/PG_VERSION" ]] && return 0
        if [[ -d "$PGDATA_DIR" ]] && [[ -n "$(ls -A "$PGDATA_DIR")" ]]; then
                die "$PGDATA_DIR exists, is not empty and is not a cluster; remove it or set SWI_RUN_DIR"
        fi
        note "initialising dev/test cluster in $PGDATA_DIR (auth=trust, local + 127.0.0.1 only)"
        as_owner "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$DB_SUPERUSER" --auth=trust \
                -E UTF8 --locale=C.UTF-8 >"$RUN_DIR/initdb.log" 2>&1 ||
                die "initdb failed, see $RUN_DIR/initdb.log"

        # Trust only the socket and IPv4 loopback (initdb's default also lists ::1).
        as_owner tee "$PGDATA_DIR/pg_hba.conf" >/dev/null <<'EOF'
# swi-stream dev/test cluster (deploy/pg.sh): trust, local socket + 127.0.0.1 only.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   trust
local   replication  all                  trust
host    replication  all   127.0.0.1/32   trust
EOF
        as_owner tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<'EOF'

# ---- swi-stream (deploy/pg.sh) --------------------------------------------
# Dev/test cluster tuned for a COPY-heavy ingest workload. Durability stays at
# the defaults (fsync, synchronous_commit, full_page_writes all on): exactly-once
# relies on committed batches surviving a crash.
# listen_addresses, port and unix_socket_directories are given by pg.sh at start.
max_connections = 100
shared_buffers = 256MB
max_wal_size = 2GB
wal_compression = on
EOF
}

pid_file_field() {
        # postmaster.pid: line 1 pid, 4 port, 5 socket dir.
        sed -n "${1}p" "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true
}

is_running() {
        [[ -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
        as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

running_port() {
        local p
        p=$(pid_file_field 4)
        echo "${p:-$PORT}"
}

wait_ready() {
        local port=$1 i
        for ((i = 0; i < 60; i++)); do
                if "$PG_BIN/pg_isready" -q -h "$SOCK_DIR" -p "$port" -d postgres; then
                        return 0
                fi
                sleep 0.5
        done
        die "server did not become ready within 30 s on $SOCK_DIR port $port; see $LOG_FILE"
}

ensure_database() {
        local port=$1 have
        have=$("$PG_BIN/psql" -X -q -h "$SOCK_DIR" -p "$port" -U "$DB_SUPERUSER" -d postgres \
                -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'") ||
                die "cannot query the server on $SOCK_DIR port $port"
        if [[ "$have" != "1" ]]; then
                "$PG_BIN/psql" -X -q -h "$SOCK_DIR" -p "$port" -U "$DB_SUPERUSER" -d postgres \
                        -c "CREATE DATABASE $DB_NAME" ||
                        die "cannot create database $DB_NAME"
                note "created database $DB_NAME"
        fi
}

cmd_start() {
        local port
        prepare_dirs
        init_cluster
        if is_running; then
                port=$(running_port)
                if [[ "$port" != "$PORT" ]]; then
                        note "warning: already running on port $port, not SWI_PG_PORT=$PORT"
                fi
                note "already running (pid $(pid_file_field 1), port $port)"
        else
                port=$PORT
                local extra=""
                if [[ "${SWI_PG_STAT_STATEMENTS:-0}" == 1 ]]; then
                        extra="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
                fi
                if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; then
                        die "port $port on 127.0.0.1 is taken by another server; set SWI_PG_PORT"
                fi
                as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 \
                        -o "-c listen_addresses=127.0.0.1 -p $port -k $SOCK_DIR -c max_locks_per_transaction=256 $extra" start >/dev/null ||
                        die "pg_ctl start failed; last lines of $LOG_FILE:
$(tail -n 20 "$LOG_FILE" 2>/dev/null)"
                note "started (port $port, socket dir $SOCK_DIR, log $LOG_FILE)"
        fi
        wait_ready "$port"
        ensure_database "$port"
}

cmd_stop() {
        local mode=${1:-fast}
        case "$mode" in
        fast | immediate) ;;
        *) die "unknown stop mode '$mode' (fast|immediate)" ;;
        esac
        if ! is_running; then
                note "not running"
                return 0
        fi
        as_owner "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m "$mode" -w -t 60 stop >/dev/null ||
                die "pg_ctl stop failed; see $LOG_FILE"
        note "stopped ($mode)"
}

cmd_status() {
        if is_running; then
                echo "running: pid $(pid_file_field 1), port $(running_port), socket dir $SOCK_DIR, data $PGDATA_DIR"
                return 0
        fi
        echo "not running (data $PGDATA_DIR)"
        return 3
}

cmd_env() {
        local port=$PORT
        if is_running; then
                port=$(running_port)
        fi
        echo "export SWI_PG_CONNINFO='host=$SOCK_DIR port=$port dbname=$DB_NAME user=$DB_SUPERUSER'"
}

cmd_psql() {
        is_running || die "not running (deploy/pg.sh start)"
        exec "$PG_BIN/psql" -h "$SOCK_DIR" -p "$(running_port)" -U "$DB_SUPERUSER" -d "$DB_NAME" "$@"
}

[[ $# -ge 1 ]] || usage
cmd=$1
shift
case "$cmd" in
start) cmd_start ;;
stop) cmd_stop "$@" ;;
status) cmd_status ;;
env) cmd_env ;;
psql) cmd_psql "$@" ;;
-h | --help | help) usage ;;
*) die "unknown command '$cmd' (start|stop|status|env|psql)" ;;
esac
