# Shared helpers of the integration tests (sourced). Each test gets its own
# embedded broker and its own fresh database, so tests may run in parallel.
set -euo pipefail
: "${SWI_BIN:?SWI_BIN (build dir) is not set: run through ctest}"
: "${SWI_SRC:?SWI_SRC (source dir) is not set: run through ctest}"
: "${SWI_TEST_PG:?SWI_TEST_PG is not set: run tools/test.sh (it starts PostgreSQL)}"

it_name=$(basename "$0" .sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/swi-${it_name}.XXXXXX")
db="it_${it_name#test_}_$$"
pids=()
passed=0 failed=0

it_log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$it_name" "$*" >&2; }

it_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$SWI_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if [ -n "${SWI_TEST_KEEP:-}" ]; then it_log "kept $work (SWI_TEST_KEEP)"; else rm -rf "$work"; fi
}
trap it_cleanup EXIT

# Conninfo of this test's database (the maintenance conninfo with dbname replaced).
conninfo=$(printf '%s' "$SWI_TEST_PG" | sed -E "s/dbname=[^ ]*//") 
conninfo="$conninfo dbname=$db"
psql "$SWI_TEST_PG" -X -q -c "CREATE DATABASE $db" >/dev/null

q() { psql "$conninfo" -X -q -A -t -c "$1"; }

check_eq() { # name expected actual
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); it_log "FAIL $1: expected [$2], got [$3]"; fi
}

start_broker() { # [partitions]
  "$SWI_BIN/swi-broker" --partitions "${1:-8}" --bootstrap-file "$work/bootstrap" \
    >/dev/null 2>"$work/broker.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
  [ -s "$work/bootstrap" ] || { it_log "broker did not start"; cat "$work/broker.log" >&2; exit 1; }
  bootstrap=$(cat "$work/bootstrap")
}

write_conf() { # file [extra lines...]
  local f=$1; shift
  {
    echo "pg.conninfo = $conninfo"
    echo "kafka.bootstrap.servers = $bootstrap"
    echo "schema.dir = $SWI_SRC/schemas"
    echo "pseudonym.key.file = $work/key"
    echo "batch.latency.ms = 50"
    echo "publish.interval.s = 0"
    for l in "$@"; do echo "$l"; done
  } > "$f"
  [ -s "$work/key" ] || { printf 'integration-test-key-0123456789abcdef' > "$work/key"
                          chmod 600 "$work/key"; }
}

# End offset (high watermark) of every partition of a topic, summed, via kcat.
end_offsets_sum() { # topic
  local t=$1 n sum=0 p off
  n=$(kcat -b "$bootstrap" -L -t "$t" -J 2>/dev/null | jq '.topics[0].partitions | length')
  for p in $(seq 0 $((n - 1))); do
    off=$(kcat -b "$bootstrap" -Q -t "$t:$p:-1" 2>/dev/null | awk '{print $NF}')
    sum=$((sum + off))
  done
  echo "$sum"
}

it_finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}

# Starts a fresh broker (stopping the one before, if any) - for tests that need
# clean topics for each variant.
restart_broker() { # [partitions]
  if [ -n "${broker_pid:-}" ]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  rm -f "$work/bootstrap"
  "$SWI_BIN/swi-broker" --partitions "${1:-8}" --bootstrap-file "$work/bootstrap" \
    >/dev/null 2>>"$work/broker.log" &
  broker_pid=$!
  pids+=($broker_pid)
  for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
  [ -s "$work/bootstrap" ] || { it_log "broker did not start"; cat "$work/broker.log" >&2; exit 1; }
  bootstrap=$(cat "$work/bootstrap")
}

# An extra fresh database; prints its conninfo. Dropped at exit with the test's own.
new_db() { # suffix
  local name="${db}_$1"
  psql "$SWI_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null 2>&1
  printf '%s dbname=%s' "$(printf '%s' "$SWI_TEST_PG" | sed -E 's/dbname=[^ ]*//')" "$name"
}
drop_extra_dbs() { # by name prefix: new_db runs in $(...), a subshell, so it cannot record them
  local d
  for d in $(psql "$SWI_TEST_PG" -X -q -A -t -c "SELECT datname FROM pg_database WHERE datname LIKE '${db}\_%'" 2>/dev/null); do
    psql "$SWI_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
trap 'drop_extra_dbs; it_cleanup' EXIT

# Runs swi-etl until caught up against conninfo $1 and the current broker.
# Extra configuration lines: the array etl_extra, if set.
etl_catch_up() { # conninfo logfile
  write_conf "$work/etl.conf" "${etl_extra[@]}"
  sed -i "s|^pg.conninfo = .*|pg.conninfo = $1|" "$work/etl.conf"
  "$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$2" || {
    it_log "swi-etl failed; see below"; tail -20 "$2" >&2; exit 1; }
}

# Canonical text dump of the trajectory tables (current, versions, findings,
# and the identity and reference edges that define the clusters).
dump_trajectories() { # conninfo
  psql "$1" -X -q -A -t \
    -c "COPY (SELECT * FROM swi.trajectories ORDER BY person_kind, person_ps) TO STDOUT" \
    -c "COPY (SELECT * FROM swi.trajectory_versions ORDER BY person_kind, person_ps, valid_from) TO STDOUT" \
    -c "COPY (SELECT person_kind, person_ps, kind, event_id, event_date, target_event_id
              FROM swi_ops.findings ORDER BY 1, 2, 3, 4, 5, 6) TO STDOUT" \
    -c "COPY (SELECT * FROM swi.identity_edges ORDER BY 1, 2) TO STDOUT" \
    -c "COPY (SELECT * FROM swi.reference_edges ORDER BY 1, 2) TO STDOUT"
}

# ---- operations helpers (issue 13) ------------------------------------------

# A free TCP port on 127.0.0.1 (the kernel's choice; released again at once).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Evaluates the shell text $2 every 0.2 s until it succeeds or $1 seconds
# passed; returns its status. Quote it, so that $(...) in it runs each time.
wait_for() { # seconds 'condition'
  local t=$1; shift
  local end=$((SECONDS + t))
  until eval "$*" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

# HTTP status of a GET (or METHOD) to the metrics port: http_status PORT PATH [METHOD]
http_status() {
  curl -s -o /dev/null -w '%{http_code}' -X "${3:-GET}" "http://127.0.0.1:$1$2" 2>/dev/null || true
}

# Value of one sample in a /metrics scrape: metric PORT 'name{labels}' (empty if absent).
metric() {
  curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k {print $2; exit}'
}

# Sum of every sample of a family: metric_sum PORT name
metric_sum() {
  curl -s "http://127.0.0.1:$1/metrics" |
    awk -v k="$2" 'index($1, k "{") == 1 || $1 == k {s += $2} END {printf "%d\n", s}'
}

# kafkajs (npm), an independent client: group-offsets.js, installed once into
# the build directory from the lock file (npm ci), under a lock.
kafkajs_probe() { # get|set BROKERS GROUP ...
  local dir="$SWI_BIN/kafkajs-probe"
  (
    flock 9
    if [ ! -d "$dir/node_modules/kafkajs" ]; then
      mkdir -p "$dir"
      cp "$SWI_SRC/tests/integration/kafkajs/package.json" \
         "$SWI_SRC/tests/integration/kafkajs/package-lock.json" "$dir/"
      (cd "$dir" && npm ci --no-audit --no-fund --silent) >&2
    fi
    cp "$SWI_SRC/tests/integration/kafkajs/group-offsets.js" "$dir/"
  ) 9>"$SWI_BIN/kafkajs-probe.lock"
  node "$dir/group-offsets.js" "$@"
}

# The offsets stored in PostgreSQL for a group, as kafkajs_probe get prints them
# (every partition of the topics; -1 where none is stored).
pg_offsets() { # group topic...
  local g=$1; shift
  local t n p
  for t in "$@"; do
    n=$(kcat -b "$bootstrap" -L -t "$t" -J 2>/dev/null | jq '.topics[0].partitions | length')
    for p in $(seq 0 $((n - 1))); do
      echo "$t:$p=$(q "SELECT coalesce((SELECT next_offset FROM swi_ops.kafka_offsets
               WHERE group_id = '$g' AND topic = '$t' AND partition = $p), -1)")"
    done
  done | sort
}
