#!/usr/bin/env bash
# Issue 13 item 2 (and the live /metrics of the "Must show"): honest health.
# One swi-etl in registry mode serves /livez, /readyz, /healthz and /metrics
# while each part it depends on goes down and comes back:
#  - PostgreSQL down at start-up (the database refuses connections): it waits
#    and retries with back-off, /livez 200 and /readyz 503 meanwhile;
#  - caught up: /readyz 200, `promtool check metrics` clean on the live
#    /metrics, lag 0, committed messages = the topics' end offsets;
#  - the schema registry killed: /readyz 503 naming it, /livez still 200;
#    messages with a schema id not cached yet wait (re-seeks, no dead
#    letters) and the partition gauge stays the partition count (it used to
#    add the partitions up on every re-seek); the registry back: all in;
#  - PostgreSQL down mid-run while idle: /readyz 503 naming it;
#  - HTTP: GET and HEAD only (405 otherwise), 404 for unknown paths;
#  - the broker killed: /readyz 503 naming Kafka; SIGTERM then ends swi-etl
#    within shutdown.timeout.ms (it used to wait 30 s on the dead-letter
#    flush and longer to leave the group).
source "$(dirname "$0")/lib.sh"

start_broker 4
reg_port=$(free_port)
"$SWI_BIN/swi-registry-standin" -p "$reg_port" -l "$SWI_SRC/schemas" -d "$work/registry.json" \
  >/dev/null 2>"$work/registry.log" &
reg_pid=$!
pids+=($reg_pid)
wait_for 10 'curl -sf "http://127.0.0.1:$reg_port/subjects"' || { it_log "registry did not start"; exit 1; }

port=$(free_port)
write_conf "$work/etl.conf" "schema.registry.url = http://127.0.0.1:$reg_port" \
  "metrics.port = $port" "health.check.interval.ms = 300" "shutdown.timeout.ms = 2000" \
  "trajectories.enable = false" "schema.registry.retry.max.ms = 500" \
  "pg.retry.backoff.max.ms = 500" "metrics.idle.timeout.s = 1"
# phase 1 has no message with schema id 100: it is not cached when phase 2 needs it
"$SWI_BIN/swi-gen" --persons 150 --seed 21 --old-schema 0 --bad 0.01 -b "$bootstrap" \
  --schema-dir "$SWI_SRC/schemas" --manifest "$work/m1.json" 2>"$work/gen.log"

readyz_check() { curl -s "http://127.0.0.1:$port/readyz" | jq -r ".checks.$1.status"; }

it_log "PostgreSQL refuses connections at start-up"
q "SELECT 1" >/dev/null
psql "$SWI_TEST_PG" -X -q -c "ALTER DATABASE $db ALLOW_CONNECTIONS false" >/dev/null
"$SWI_BIN/swi-etl" -c "$work/etl.conf" 2>"$work/etl.log" &
etl_pid=$!
pids+=($etl_pid)
rc=0
wait_for 15 'grep -q '\''PostgreSQL not usable at start-up; retrying'\'' "$work/etl.log"' || rc=$?
check_eq "start-up retries" 0 "$rc"
check_eq "livez while waiting" 200 "$(http_status "$port" /livez)"
check_eq "readyz while waiting" 503 "$(http_status "$port" /readyz)"
check_eq "readyz says starting" starting "$(curl -s "http://127.0.0.1:$port/readyz" | jq -r .phase)"
check_eq "readyz names PostgreSQL" down "$(readyz_check postgres)"
psql "$SWI_TEST_PG" -X -q -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null

it_log "catching up"
wait_for 90 'test "$(metric "$port" swi_caught_up)" = 1' || { it_log "not caught up"; tail -20 "$work/etl.log" >&2; exit 1; }
wait_for 10 'test "$(http_status "$port" /readyz)" = 200' || true
check_eq "readyz when caught up" 200 "$(http_status "$port" /readyz)"
check_eq "healthz = readyz" 200 "$(http_status "$port" /healthz)"
check_eq "registry up" up "$(readyz_check schema_registry)"
# the lag snapshot is taken once a second, from the watermarks the fetches bring
wait_for 10 'test "$(curl -s "http://127.0.0.1:$port/metrics" | grep -c "^swi_consumer_lag_messages{")" = 16' || true
curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
lint=$(promtool check metrics <"$work/metrics.txt" 2>&1)
check_eq "promtool check metrics" "" "$lint"
[ -z "$lint" ] || echo "$lint" >&2
total=0
for t in ind.events coa.events duo.events gemeente.events; do total=$((total + $(end_offsets_sum "$t"))); done
wait_for 5 'test "$(metric_sum "$port" swi_messages_committed_total)" = "$total"' || true
check_eq "committed messages = end offsets" "$total" "$(metric_sum "$port" swi_messages_committed_total)"
check_eq "assigned partitions" 16 "$(metric "$port" swi_assigned_partitions)"
wait_for 5 'test "$(metric_sum "$port" swi_consumer_lag_messages)" = 0' || true
check_eq "lag when caught up" 0 "$(metric_sum "$port" swi_consumer_lag_messages)"
check_eq "lag gauges per partition" 16 "$(grep -c '^swi_consumer_lag_messages{' "$work/metrics.txt")"
check_eq "dead letters (committed) = manifest" "$(jq -r '[.bad_messages[]] | add' "$work/m1.json")" \
  "$(metric_sum "$port" swi_dead_letters_total)"

it_log "HTTP methods and paths"
check_eq "HEAD /metrics" 200 "$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$port/metrics")"
check_eq "POST /metrics" 405 "$(http_status "$port" /metrics POST)"
check_eq "DELETE /readyz" 405 "$(http_status "$port" /readyz DELETE)"
check_eq "405 says Allow" 1 "$(curl -s -D - -o /dev/null -X PUT "http://127.0.0.1:$port/livez" | grep -ci '^allow: GET, HEAD')"
check_eq "unknown path" 404 "$(http_status "$port" /nope)"
# an idle connection is closed after metrics.idle.timeout.s (1 s): reading it ends
idle=$(timeout 10 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t = time.time(); data = s.recv(1)
print("closed" if data == b"" else "data")' "$port" 2>&1 || echo "still open")
check_eq "idle connection closed" closed "$idle"

it_log "schema registry killed; messages with an uncached schema id arrive"
kill "$reg_pid"; wait "$reg_pid" 2>/dev/null || true
wait_for 10 'test "$(http_status "$port" /readyz)" = 503' || true
check_eq "readyz without the registry" 503 "$(http_status "$port" /readyz)"
check_eq "readyz names the registry" down "$(readyz_check schema_registry)"
check_eq "livez without the registry" 200 "$(http_status "$port" /livez)"
check_eq "swi_registry_up" 0 "$(metric "$port" swi_registry_up)"
"$SWI_BIN/swi-gen" --persons 30 --seed 22 --old-schema 1 --bad 0 -b "$bootstrap" \
  --schema-dir "$SWI_SRC/schemas" --manifest "$work/m2.json" 2>>"$work/gen.log"
wait_for 20 'test "$(metric "$port" swi_registry_outages_total)" -ge 3' || true
check_eq "outages counted" 1 "$([ "$(metric "$port" swi_registry_outages_total)" -ge 3 ] && echo 1 || echo 0)"
check_eq "partition gauge after re-seeks" 16 "$(metric "$port" swi_assigned_partitions)"
check_eq "no dead letter for an outage" "$(jq -r '.bad_messages.UNKNOWN_SCHEMA // 0' "$work/m1.json")" \
  "$(q "SELECT count(*) FROM swi_ops.dead_letters WHERE reason = 'UNKNOWN_SCHEMA'")"
"$SWI_BIN/swi-registry-standin" -p "$reg_port" -d "$work/registry.json" >/dev/null 2>>"$work/registry.log" &
reg_pid=$!
pids+=($reg_pid)
total=0
for t in ind.events coa.events duo.events gemeente.events; do total=$((total + $(end_offsets_sum "$t"))); done
wait_for 60 'test "$(metric_sum "$port" swi_messages_committed_total)" = "$total"' || true
check_eq "all in after the registry came back" "$total" "$(metric_sum "$port" swi_messages_committed_total)"
check_eq "events = both manifests" \
  "$(( $(jq -r .good_event_ids "$work/m1.json") + $(jq -r .good_event_ids "$work/m2.json") ))" \
  "$(q 'SELECT count(*) FROM swi.events')"
wait_for 10 'test "$(http_status "$port" /readyz)" = 200' || true
check_eq "readyz with the registry back" 200 "$(http_status "$port" /readyz)"

it_log "PostgreSQL down mid-run, while idle"
psql "$SWI_TEST_PG" -X -q -c "ALTER DATABASE $db ALLOW_CONNECTIONS false" \
  -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null
wait_for 10 'test "$(http_status "$port" /readyz)" = 503' || true
check_eq "readyz without PostgreSQL" 503 "$(http_status "$port" /readyz)"
check_eq "readyz names PostgreSQL" down "$(readyz_check postgres)"
check_eq "swi_postgres_up" 0 "$(metric "$port" swi_postgres_up)"
check_eq "livez without PostgreSQL" 200 "$(http_status "$port" /livez)"
psql "$SWI_TEST_PG" -X -q -c "ALTER DATABASE $db ALLOW_CONNECTIONS true" >/dev/null
wait_for 10 'test "$(http_status "$port" /readyz)" = 200' || true
check_eq "readyz with PostgreSQL back" 200 "$(http_status "$port" /readyz)"

it_log "broker killed, then SIGTERM"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
wait_for 15 'test "$(readyz_check kafka)" = down' || true
check_eq "readyz names Kafka" down "$(readyz_check kafka)"
check_eq "readyz without Kafka" 503 "$(http_status "$port" /readyz)"
check_eq "swi_kafka_up" 0 "$(metric "$port" swi_kafka_up)"
kill -TERM "$etl_pid"
start=$SECONDS
# shutdown.timeout.ms = 2000: well within 20 s (the old dead-letter flush alone took 30)
for _ in $(seq 100); do kill -0 "$etl_pid" 2>/dev/null || break; sleep 0.2; done
stopped=1
kill -0 "$etl_pid" 2>/dev/null && stopped=0
check_eq "SIGTERM with the broker down ends swi-etl" 1 "$stopped"
rc=0
wait "$etl_pid" || rc=$?
check_eq "exit status after SIGTERM" 0 "$rc"
it_log "stopped $((SECONDS - start)) s after SIGTERM"

it_finish
