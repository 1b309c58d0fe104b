#!/usr/bin/env bash
# The stateful INVALID_VALUE checks (events.md "What counts as bad input",
# indicators.md §1): a generated population with --bad-references N carries N
# corrections of another event type, N corrections with another bsn and N
# Intrekkingen of an Intrekking, each delivered after its target. Through the
# embedded broker and swi-etl into a real PostgreSQL, exactly those 3N messages
# become INVALID_VALUE dead letters with the right details (and no identifier
# value); everything else equals the manifest as in test_ingest_exactly_once;
# a second run changes nothing.
source "$(dirname "$0")/lib.sh"

start_broker 8
write_conf "$work/etl.conf"
it_log "generating into $bootstrap"
"$SWI_BIN/swi-gen" --persons 300 --seed 23 --duplicates 0.03 --bad 0.02 --corrections 0.04 \
  --retractions 0.02 --bad-references 4 -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" \
  --manifest "$work/manifest.json" 2>"$work/gen.log"
m=$work/manifest.json
check_eq "generator made every kind" "4 4 4 12" \
  "$(jq -r '.bad_references | "\(.correction_other_type) \(.correction_other_bsn) \(.intrekking_of_intrekking) \(.total)"' "$m")"

it_log "first run"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl1.log" || {
  tail -20 "$work/etl1.log" >&2; exit 1; }

# the bad references, by detail
dl_detail() { q "SELECT count(*) FROM swi_ops.dead_letters WHERE reason = 'INVALID_VALUE' AND $1"; }
check_eq "corrections of another type" "$(jq -r '.bad_references.correction_other_type' "$m")" \
  "$(dl_detail "detail ~ '^correction of an event of another type \([A-Za-z]+ corrects [A-Za-z]+\)$'
                AND substring(detail from '\(([A-Za-z]+) corrects') = event_type
                AND substring(detail from 'corrects ([A-Za-z]+)\)') <> event_type")"
check_eq "corrections with another bsn" "$(jq -r '.bad_references.correction_other_bsn' "$m")" \
  "$(dl_detail "detail = 'correction whose bsn differs from its target''s'")"
check_eq "Intrekkingen of an Intrekking" "$(jq -r '.bad_references.intrekking_of_intrekking' "$m")" \
  "$(dl_detail "detail = 'an Intrekking cannot be retracted' AND event_type = 'Intrekking'")"
# (the stateless "an Intrekking cannot be a correction" is a bad message of its own)
check_eq "no other stateful rejections" "$(jq -r '.bad_references.total' "$m")" \
  "$(dl_detail "(detail LIKE 'correction %'
                 OR detail IN ('an Intrekking cannot be retracted', 'an Intrekking cannot be corrected'))")"

# stored events = the manifest's distinct good events, per type and in total
check_eq "events total" "$(jq -r '.good_event_ids' "$m")" "$(q 'SELECT count(*) FROM swi.events')"
for key in $(jq -r '.good_events_per_type | keys[]' "$m"); do
  src=${key%%.*} typ=${key#*.}
  check_eq "events $key" "$(jq -r --arg k "$key" '.good_events_per_type[$k]' "$m")" \
    "$(q "SELECT count(*) FROM swi.events WHERE source = '$src' AND event_type = '$typ'")"
done
check_eq "good corrections stored" "$(jq -r '.corrections' "$m")" \
  "$(q 'SELECT count(*) FROM swi.events WHERE corrects IS NOT NULL')"
check_eq "good retractions stored" "$(jq -r '.retractions' "$m")" \
  "$(q 'SELECT count(*) FROM swi.events WHERE retracts IS NOT NULL')"
# no stored correction contradicts a stored target; no Intrekking of an Intrekking
check_eq "stored corrections match their targets" "0" "$(q "SELECT count(*) FROM swi.events c
  JOIN swi.events t ON t.source = c.source AND t.event_id = c.corrects
  WHERE c.event_type <> t.event_type OR c.bsn_ps IS DISTINCT FROM t.bsn_ps
     OR c.vnr_ps IS DISTINCT FROM t.vnr_ps OR t.event_type = 'Intrekking'")"
check_eq "no stored Intrekking of an Intrekking" "0" "$(q "SELECT count(*) FROM swi.events x
  JOIN swi.events t ON t.source = x.source AND t.event_id = x.retracts
  WHERE t.event_type = 'Intrekking'")"

# dead letters per reason = the manifest, the bad references under INVALID_VALUE
for reason in BAD_FRAMING UNKNOWN_SCHEMA UNDECODABLE WRONG_SOURCE NO_IDENTITY INVALID_BSN \
              INVALID_VNUMMER INVALID_VALUE IMPLAUSIBLE_DATE; do
  want=$(jq -r --arg r "$reason" \
    '(.bad_messages[$r] // 0) + (if $r == "INVALID_VALUE" then .bad_references.total else 0 end)' "$m")
  check_eq "dead letters $reason" "$want" \
    "$(q "SELECT count(*) FROM swi_ops.dead_letters WHERE reason = '$reason'")"
done
check_eq "duplicates" "$(jq -r '.duplicate_messages' "$m")" \
  "$(q 'SELECT count(*) FROM swi_ops.duplicate_events')"

# stored offsets = partition end offsets; every message accounted for exactly once
total_msgs=0
for t in ind.events coa.events duo.events gemeente.events; do
  n=$(kcat -b "$bootstrap" -L -t "$t" -J 2>/dev/null | jq '.topics[0].partitions | length')
  for p in $(seq 0 $((n - 1))); do
    end=$(kcat -b "$bootstrap" -Q -t "$t:$p:-1" 2>/dev/null | awk '{print $NF}')
    stored=$(q "SELECT coalesce((SELECT next_offset FROM swi_ops.kafka_offsets
                 WHERE topic = '$t' AND partition = $p), 0)")
    check_eq "offset $t[$p]" "$end" "$stored"
    total_msgs=$((total_msgs + end))
  done
done
check_eq "messages in the manifest" "$(jq -r '.messages_total' "$m")" "$total_msgs"
check_eq "messages accounted" "$total_msgs" "$(q 'SELECT (SELECT count(*) FROM swi.events)
  + (SELECT count(*) FROM swi_ops.duplicate_events) + (SELECT count(*) FROM swi_ops.dead_letters)')"
check_eq "dead-letter topic" "$(q 'SELECT count(*) FROM swi_ops.dead_letters')" \
  "$(end_offsets_sum swi.dead-letters)"

snapshot() {
  q "SELECT count(*) FROM swi.events"
  q "SELECT reason || ':' || detail || '=' || count(*) FROM swi_ops.dead_letters
     GROUP BY reason, detail ORDER BY 1"
  q "SELECT count(*) FROM swi_ops.duplicate_events"
  q "SELECT topic || ':' || partition || '=' || next_offset FROM swi_ops.kafka_offsets ORDER BY 1"
}
before=$(snapshot)
it_log "second run over the same topics"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl2.log"
check_eq "second run changes nothing" "$before" "$(snapshot)"

# no raw BSN or V-nummer anywhere in PostgreSQL (details included)
scan=$(psql "$conninfo" -X -q -f "$SWI_SRC/tests/integration/scan_raw_ids.sql" 2>&1)
check_eq "raw identifiers" "raw_identifiers=0" "$(echo "$scan" | grep -o 'raw_identifiers=[0-9]*')"
echo "$scan" | grep 'raw identifiers in' >&2 || true

it_finish
