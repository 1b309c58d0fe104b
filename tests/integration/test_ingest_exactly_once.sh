#!/usr/bin/env bash
# Issue 2's acceptance test: a generated population with duplicates and bad
# messages of every reason goes through the embedded broker and swi-etl into a
# real PostgreSQL; stored events, dead letters and offsets must equal the
# generator's manifest and the partitions' end offsets exactly; a second run
# changes nothing; no raw identifier is anywhere in the database.
source "$(dirname "$0")/lib.sh"

start_broker 8
write_conf "$work/etl.conf"
it_log "generating into $bootstrap"
"$SWI_BIN/swi-gen" --persons 400 --seed 11 --duplicates 0.05 --bad 0.03 --corrections 0.03 \
  --retractions 0.01 -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" \
  --manifest "$work/manifest.json" 2>"$work/gen.log"
m=$work/manifest.json

it_log "first run"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl1.log" || {
  tail -20 "$work/etl1.log" >&2; exit 1; }

snapshot() {
  q "SELECT count(*) FROM swi.events"
  q "SELECT reason || '=' || count(*) FROM swi_ops.dead_letters GROUP BY reason ORDER BY reason"
  q "SELECT count(*) FROM swi_ops.duplicate_events"
  q "SELECT topic || ':' || partition || '=' || next_offset FROM swi_ops.kafka_offsets ORDER BY 1"
}

# stored events = the manifest's distinct good events, per type and in total
check_eq "events total" "$(jq -r '.good_event_ids' "$m")" "$(q 'SELECT count(*) FROM swi.events')"
for key in $(jq -r '.good_events_per_type | keys[]' "$m"); do
  src=${key%%.*} typ=${key#*.}
  check_eq "events $key" "$(jq -r --arg k "$key" '.good_events_per_type[$k]' "$m")" \
    "$(q "SELECT count(*) FROM swi.events WHERE source = '$src' AND event_type = '$typ'")"
done
# every event type of events.md is present
check_eq "event types seen" "$(jq "[.good_events_per_type[] | select(. > 0)] | length" "$m")" "$(q 'SELECT count(DISTINCT (source, event_type)) FROM swi.events')"

# dead letters per reason = the manifest, and every reason occurs
for reason in BAD_FRAMING UNKNOWN_SCHEMA UNDECODABLE WRONG_SOURCE NO_IDENTITY INVALID_BSN \
              INVALID_VNUMMER INVALID_VALUE IMPLAUSIBLE_DATE; do
  want=$(jq -r --arg r "$reason" '.bad_messages[$r] // 0' "$m")
  check_eq "dead letters $reason" "$want" \
    "$(q "SELECT count(*) FROM swi_ops.dead_letters WHERE reason = '$reason'")"
  [ "$want" -gt 0 ] || { failed=$((failed + 1)); it_log "FAIL: generator made no $reason"; }
done
# absorbed duplicates = duplicate messages sent
check_eq "duplicates" "$(jq -r '.duplicate_messages' "$m")" \
  "$(q 'SELECT count(*) FROM swi_ops.duplicate_events')"

# stored offsets = partition end offsets, for every partition of every source topic
for t in ind.events coa.events duo.events gemeente.events; do
  n=$(kcat -b "$bootstrap" -L -t "$t" -J 2>/dev/null | jq '.topics[0].partitions | length')
  for p in $(seq 0 $((n - 1))); do
    end=$(kcat -b "$bootstrap" -Q -t "$t:$p:-1" 2>/dev/null | awk '{print $NF}')
    stored=$(q "SELECT coalesce((SELECT next_offset FROM swi_ops.kafka_offsets
                 WHERE topic = '$t' AND partition = $p), 0)")
    check_eq "offset $t[$p]" "$end" "$stored"
  done
done
# every message is accounted for exactly once: events + duplicates + dead letters = messages
total_msgs=0
for t in ind.events coa.events duo.events gemeente.events; do
  total_msgs=$((total_msgs + $(end_offsets_sum "$t")))
done
check_eq "messages accounted" "$total_msgs" "$(q 'SELECT (SELECT count(*) FROM swi.events)
  + (SELECT count(*) FROM swi_ops.duplicate_events) + (SELECT count(*) FROM swi_ops.dead_letters)')"
# the raw messages of the dead letters are in the dead-letter topic
check_eq "dead-letter topic" "$(q 'SELECT count(*) FROM swi_ops.dead_letters')" \
  "$(end_offsets_sum swi.dead-letters)"

before=$(snapshot)
it_log "second run over the same topics"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl2.log"
check_eq "second run changes nothing" "$before" "$(snapshot)"

# no raw BSN or V-nummer anywhere in PostgreSQL
scan=$(psql "$conninfo" -X -q -f "$SWI_SRC/tests/integration/scan_raw_ids.sql" 2>&1)
check_eq "raw identifiers" "raw_identifiers=0" "$(echo "$scan" | grep -o 'raw_identifiers=[0-9]*')"
echo "$scan" | grep 'raw identifiers in' >&2 || true

it_finish
