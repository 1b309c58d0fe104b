#!/usr/bin/env bash
# Guarantee 1 (architecture.md): kill -9 of swi-etl at arbitrary moments, mid-batch,
# loses nothing and counts nothing twice. swi-etl is killed three times while
# it loads a generated stream, then restarted until caught up; stored events,
# duplicates, dead letters and trajectories must equal a run without crashes.
source "$(dirname "$0")/lib.sh"

"$SWI_BIN/swi-gen" --persons 1500 --seed 53 --duplicates 0.03 --corrections 0.03 \
  --retractions 0.01 --bad 0.01 --schema-dir "$SWI_SRC/schemas" \
  --out "$work/stream.bin" --manifest "$work/m.json" -q
m=$work/m.json

# reference: one uninterrupted run
ref=$(new_db ref)
restart_broker 8
"$SWI_BIN/swi-replay" --in "$work/stream.bin" -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" 2>>"$work/replay.log"
etl_catch_up "$ref" "$work/etl_ref.log"
dump_trajectories "$ref" > "$work/ref.txt"

# crashing runs: small batches, killed with SIGKILL after a random delay
restart_broker 8
"$SWI_BIN/swi-replay" --in "$work/stream.bin" -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" 2>>"$work/replay.log"
write_conf "$work/etl.conf" "batch.size = 300" "kafka.session.timeout.ms = 6000"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --migrate-only 2>>"$work/etl_crash.log"
kills=0
for extra in 1000 2500 4000; do
  # kill once this run has committed `extra` more events, i.e. mid-stream
  before=$(q 'SELECT count(*) FROM swi.events')
  "$SWI_BIN/swi-etl" -c "$work/etl.conf" 2>>"$work/etl_crash.log" &
  pid=$!
  for _ in $(seq 600); do
    [ "$(q 'SELECT count(*) FROM swi.events')" -ge $((before + extra)) ] && break
    sleep 0.1
  done
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null || true
  it_log "after kill $kills: $(q 'SELECT count(*) FROM swi.events') events stored"
done
check_eq "killed while running" "3" "$kills"
partial=$(q 'SELECT count(*) FROM swi.events')
[ "$partial" -gt 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); it_log "FAIL: nothing loaded before the kills"; }
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$work/etl_crash.log" || { tail "$work/etl_crash.log" >&2; exit 1; }

check_eq "events" "$(jq -r '.good_event_ids' "$m")" "$(q 'SELECT count(*) FROM swi.events')"
check_eq "duplicates" "$(jq -r '.duplicate_messages' "$m")" "$(q 'SELECT count(*) FROM swi_ops.duplicate_events')"
check_eq "dead letters" "$(jq -r '.bad_messages_total' "$m")" "$(q 'SELECT count(*) FROM swi_ops.dead_letters')"
dump_trajectories "$conninfo" > "$work/crash.txt"
if cmp -s "$work/ref.txt" "$work/crash.txt"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); it_log "FAIL: trajectories differ from the uninterrupted run"
  diff "$work/ref.txt" "$work/crash.txt" | head -5 >&2
fi
it_finish
