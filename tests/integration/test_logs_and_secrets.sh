#!/usr/bin/env bash
# Issue 13 items 3 and 4: secrets never printed, every log line parseable.
# Secrets are planted in every secret-bearing property (the pg.conninfo
# password, registry credentials in the URL and in
# schema.registry.basic.auth.user.info through ${file:}, kafka.sasl.password,
# kafka.ssl.key.password). swi-etl then runs through faults - bad messages,
# PostgreSQL refusing connections at start-up, its connections killed
# mid-batch (libpq's multi-line errors), the schema registry down and back,
# the broker gone - in logfmt and in JSON. No planted value may appear in
# --print-config, the logs, /metrics or /readyz; every line of stderr must
# parse (tests/integration/logcheck.py).
source "$(dirname "$0")/lib.sh"

start_broker 4
reg_port=$(free_port)
"$SWI_BIN/swi-registry-standin" -p "$reg_port" -l "$SWI_SRC/schemas" -d "$work/registry.json" \
  -u "swi:PLANTED-registry-pw" >/dev/null 2>"$work/registry.log" &
reg_pid=$!
pids+=($reg_pid)
wait_for 10 'curl -sf -u swi:PLANTED-registry-pw "http://127.0.0.1:$reg_port/subjects"' || {
  it_log "registry did not start"; exit 1; }
printf 'swi:PLANTED-registry-pw\n' >"$work/sr_auth"
chmod 644 "$work/sr_auth" # too open: swi-etl must warn

port=$(free_port)
write_conf "$work/etl.conf" "metrics.port = $port" "health.check.interval.ms = 300" \
  "shutdown.timeout.ms = 2000" "trajectories.enable = false" "schema.registry.retry.max.ms = 500" \
  "pg.retry.backoff.max.ms = 500" "kafka.sasl.password = PLANTED-sasl-pw" \
  "kafka.ssl.key.password = PLANTED-ssl-key-pw" "batch.size = 500" "log.level = debug"
sed -i "s|^pg.conninfo = .*|pg.conninfo = $conninfo password=PLANTED-pg-pw|" "$work/etl.conf"
cp "$work/etl.conf" "$work/etl-json.conf"
echo "schema.registry.url = http://swi:PLANTED-registry-pw@127.0.0.1:$reg_port" >>"$work/etl.conf"
{ echo "schema.registry.url = http://127.0.0.1:$reg_port"
  echo "schema.registry.basic.auth.user.info = \${file:$work/sr_auth}"
  echo "log.format = json"; } >>"$work/etl-json.conf"

no_secrets() { # what file...
  local what=$1; shift
  check_eq "no planted secret in $what" 0 "$(cat "$@" | grep -c PLANTED || true)"
}

"$SWI_BIN/swi-etl" -c "$work/etl.conf" --print-config >"$work/print.txt" 2>"$work/print.log"
"$SWI_BIN/swi-etl" -c "$work/etl-json.conf" --print-config >>"$work/print.txt" 2>>"$work/print.log"
no_secrets "--print-config" "$work/print.txt" "$work/print.log"
check_eq "print-config shows the masked password" 2 "$(grep -c 'password=\[redacted\]' "$work/print.txt")"
check_eq "print-config shows the file reference" 1 "$(grep -c "user.info = \${file:$work/sr_auth}" "$work/print.txt")"
check_eq "a warning for the readable secret file" 1 "$(grep -c 'sr_auth is readable by group or others' "$work/print.log")"

"$SWI_BIN/swi-gen" --persons 150 --seed 31 --bad 0.03 -b "$bootstrap" \
  --schema-dir "$SWI_SRC/schemas" --manifest "$work/m1.json" 2>"$work/gen.log"

it_log "JSON run: PostgreSQL refuses connections at start-up, bad messages"
psql "$SWI_TEST_PG" -X -q -c "ALTER DATABASE $db ALLOW_CONNECTIONS false" >/dev/null
"$SWI_BIN/swi-etl" -c "$work/etl-json.conf" --until-caught-up -X metrics.port=0 \
  2>"$work/json.log" &
json_pid=$!
wait_for 15 'grep -q "PostgreSQL not usable at start-up" "$work/json.log"' || true
psql "$SWI_TEST_PG" -X -q -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null
rc=0
wait "$json_pid" || rc=$?
check_eq "JSON run ends" 0 "$rc"
check_eq "JSON log lines parse" 0 "$(python3 "$SWI_SRC/tests/integration/logcheck.py" json "$work/json.log" >&2; echo $?)"
check_eq "JSON run saw the start-up fault" 1 "$([ "$(grep -c 'not currently accepting connections' "$work/json.log")" -gt 0 ] && echo 1 || echo 0)"
no_secrets "the JSON log" "$work/json.log"
# the next run reads again from the start (a fresh group), in logfmt
sed -i 's|^group.id = .*||' "$work/etl.conf"; echo "group.id = logfmt-run" >>"$work/etl.conf"

it_log "logfmt run: killed connections, the registry down, the broker gone"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" 2>"$work/etl.log" &
etl_pid=$!
pids+=($etl_pid)
wait_for 60 'test "$(metric "$port" swi_caught_up)" = 1' || true
# PostgreSQL: the sink's connection dies under the next batch
psql "$SWI_TEST_PG" -X -q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null
"$SWI_BIN/swi-gen" --persons 40 --seed 32 --bad 0.05 -b "$bootstrap" \
  --schema-dir "$SWI_SRC/schemas" 2>>"$work/gen.log"
wait_for 20 'grep -q "batch commit failed\|target lookup failed\|health check failed" "$work/etl.log"' || true
wait_for 60 'test "$(metric "$port" swi_caught_up)" = 1' || true
# the registry goes and comes back
kill "$reg_pid"; wait "$reg_pid" 2>/dev/null || true
wait_for 10 'test "$(http_status "$port" /readyz)" = 503' || true
"$SWI_BIN/swi-registry-standin" -p "$reg_port" -d "$work/registry.json" -u "swi:PLANTED-registry-pw" \
  >/dev/null 2>>"$work/registry.log" &
reg_pid=$!
pids+=($reg_pid)
wait_for 10 'test "$(http_status "$port" /readyz)" = 200' || true
total=0
for t in ind.events coa.events duo.events gemeente.events; do total=$((total + $(end_offsets_sum "$t"))); done
curl -s "http://127.0.0.1:$port/metrics" >"$work/scrape.txt"
curl -s "http://127.0.0.1:$port/readyz" >>"$work/scrape.txt"
# the broker goes; then stop
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
wait_for 15 'test "$(curl -s "http://127.0.0.1:$port/readyz" | jq -r .checks.kafka.status)" = down' || true
curl -s "http://127.0.0.1:$port/readyz" >>"$work/scrape.txt"
kill -TERM "$etl_pid"
wait "$etl_pid" || true

check_eq "the connection was killed under a batch" 1 \
  "$([ "$(grep -c 'server closed the connection\|terminating connection' "$work/etl.log")" -gt 0 ] && echo 1 || echo 0)"
check_eq "logfmt run saw the broker go" 1 "$([ "$(grep -c 'sub=kafka' "$work/etl.log")" -gt 0 ] && echo 1 || echo 0)"
check_eq "logfmt lines parse" 0 "$(python3 "$SWI_SRC/tests/integration/logcheck.py" logfmt "$work/etl.log" >&2; echo $?)"
no_secrets "the logfmt log" "$work/etl.log"
no_secrets "/metrics and /readyz" "$work/scrape.txt"
check_eq "the logfmt run committed every message" "$total" \
  "$(q "SELECT sum(next_offset) FROM swi_ops.kafka_offsets WHERE group_id = 'logfmt-run'")"

it_finish
