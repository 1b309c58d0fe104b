# Shared helpers of the integration tests (sourced). Each test gets its own
# embedded broker and its own fresh database, so tests may run in parallel.
set -euo pipefail
: "${SWI_BIN:?SWI_BIN (build dir) is not set: run through ctest}"
: "${SWI_SRC:?SWI_SRC (source dir) is not set: run through ctest}"
: "${SWI_TEST_PG:?SWI_TEST_PG is not set: run tools/test.sh (it starts PostgreSQL)}"

it_name=$(basename "$0" .sh)
work=$(mktemp -d "/tmp/swi-${it_name}.XXXXXX")
db="it_${it_name#test_}_$$"
pids=()
passed=0 failed=0

it_log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$it_name" "$*" >&2; }

it_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$SWI_TEST_PG" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
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
    for l in "$@"; do echo "$l"; done
  } > "$f"
  [ -s "$work/key" ] || printf 'integration-test-key-0123456789abcdef' > "$work/key"
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
