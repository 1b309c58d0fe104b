#!/usr/bin/env bash
# References are judged where the target is (events.md, indicators.md §1). A
# generated population with --bad-references N carries N corrections of another
# event type, N corrections with another BSN (keyed by that BSN, so mostly on
# another partition than their targets) and N Intrekkingen of an Intrekking.
# Through the embedded broker and swi-etl into a real PostgreSQL:
#  - each of them is stored like any event, none is a dead letter, and each is
#    an INVALID_REFERENCE finding carrying its target's event id;
#  - they take no part in any figure: the trajectories (but for their findings)
#    and the published figures equal those of the same population without them
#    (--bad-references 0 leaves the rest of the stream as it is);
#  - the references consumed before their targets (a first run over the
#    corrections and retractions alone, then the rest) and two instances in one
#    group give the same tables as the stream in its own order;
#  - a re-read of the topics with a new consumer group gives no new dead letter
#    and none for a stored event: every message is absorbed.
source "$(dirname "$0")/lib.sh"

gen() {
  "$SWI_BIN/swi-gen" --persons 200 --seed 23 --duplicates 0.03 --bad 0.02 --corrections 0.04 \
    --retractions 0.02 --schema-dir "$SWI_SRC/schemas" -q "$@" 2>>"$work/gen.log"
}
gen --bad-references 4 --out "$work/stream.bin" --manifest "$work/manifest.json"
gen --bad-references 0 --out "$work/clean.bin" --manifest "$work/clean.json"
m=$work/manifest.json
check_eq "generator made every kind" "4 4 4 12" \
  "$(jq -r '.bad_references | "\(.correction_other_type) \(.correction_other_bsn) \(.intrekking_of_intrekking) \(.total)"' "$m")"
replay() { "$SWI_BIN/swi-replay" --schema-dir "$SWI_SRC/schemas" -b "$bootstrap" "$@" 2>>"$work/replay.log"; }
# Everything but Kafka positions and times of the run: events, dead letters,
# duplicates (counted), trajectories, versions, findings, edges.
content() { # conninfo
  psql "$1" -X -q -A -t \
    -c "COPY (SELECT source, event_id, event_type, bsn_ps, vnr_ps, event_date, registered_at,
                     corrects, retracts, payload FROM swi.events ORDER BY 1, 2) TO STDOUT" \
    -c "COPY (SELECT reason, detail, source, event_type, count(*) FROM swi_ops.dead_letters
              GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) TO STDOUT" \
    -c "SELECT 'duplicates ' || count(*) FROM swi_ops.duplicate_events"
  dump_trajectories "$1"
}

# ---- A: the stream in its own order (every reference after its target) ------
it_log "A: the stream in its own order"
restart_broker 8
replay --in "$work/stream.bin"
etl_catch_up "$conninfo" "$work/etl_a.log"

# every bad reference stored, none dead-lettered
check_eq "events total" "$(jq -r '.good_event_ids' "$m")" "$(q 'SELECT count(*) FROM swi.events')"
check_eq "events per type" \
  "$(jq -r '.good_events_per_type | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"' "$m" | sort)" \
  "$(q "SELECT source || '.' || event_type || '=' || count(*) FROM swi.events GROUP BY source, event_type" | sort)"
check_eq "dead letters per reason" \
  "$(jq -r '.bad_messages | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"' "$m" | sort)" \
  "$(q "SELECT reason || '=' || count(*) FROM swi_ops.dead_letters GROUP BY reason" | sort)"
check_eq "no reference judged at ingest" "0" "$(q "SELECT count(*) FROM swi_ops.dead_letters
  WHERE detail LIKE 'correction %'
     OR detail IN ('an Intrekking cannot be retracted', 'an Intrekking cannot be corrected')")"
check_eq "duplicates" "$(jq -r '.duplicate_messages' "$m")" \
  "$(q 'SELECT count(*) FROM swi_ops.duplicate_events')"
check_eq "messages accounted" "$(jq -r '.messages_total' "$m")" "$(q 'SELECT (SELECT count(*) FROM swi.events)
  + (SELECT count(*) FROM swi_ops.duplicate_events) + (SELECT count(*) FROM swi_ops.dead_letters)')"
check_eq "dead-letter topic" "$(q 'SELECT count(*) FROM swi_ops.dead_letters')" \
  "$(end_offsets_sum swi.dead-letters)"

# each an INVALID_REFERENCE finding with its target's event id, on its own person
invalid="SELECT e.*, t.event_type AS t_type, t.bsn_ps AS t_bsn, f.person_kind, f.person_ps
  FROM swi_ops.findings f JOIN swi.events e ON e.event_id = f.event_id
  JOIN swi.events t ON t.source = e.source AND t.event_id = f.target_event_id
  WHERE f.kind = 'INVALID_REFERENCE'
    AND f.target_event_id = CASE WHEN e.event_type = 'Intrekking' THEN e.retracts ELSE e.corrects END"
check_eq "INVALID_REFERENCE findings" "$(jq -r '.bad_references.total' "$m")" \
  "$(q "SELECT count(*) FROM swi_ops.findings WHERE kind = 'INVALID_REFERENCE'")"
check_eq "findings name their targets" "$(jq -r '.bad_references.total' "$m")" \
  "$(q "SELECT count(*) FROM ($invalid) x")"
check_eq "corrections of another type" "$(jq -r '.bad_references.correction_other_type' "$m")" \
  "$(q "SELECT count(*) FROM ($invalid) x WHERE corrects IS NOT NULL AND event_type <> t_type")"
check_eq "corrections with another bsn" "$(jq -r '.bad_references.correction_other_bsn' "$m")" \
  "$(q "SELECT count(*) FROM ($invalid) x WHERE corrects IS NOT NULL AND event_type = t_type
        AND bsn_ps <> t_bsn AND person_kind = 'BSN' AND person_ps = bsn_ps")"
check_eq "Intrekkingen of an Intrekking" "$(jq -r '.bad_references.intrekking_of_intrekking' "$m")" \
  "$(q "SELECT count(*) FROM ($invalid) x WHERE event_type = 'Intrekking' AND t_type = 'Intrekking'")"
check_eq "no bad reference pending" "0" "$(q "SELECT count(*) FROM swi_ops.findings p
  JOIN swi_ops.findings f ON f.event_id = p.event_id AND f.kind = 'INVALID_REFERENCE'
  WHERE p.kind LIKE 'PENDING%'")"
other_partition=$(q "SELECT count(*) FROM ($invalid) x JOIN swi.events t ON t.event_id = x.corrects
  WHERE x.bsn_ps <> x.t_bsn AND x.event_type = x.t_type AND t.kafka_partition <> x.kafka_partition")
[ "$other_partition" -gt 0 ] && passed=$((passed + 1)) || {
  failed=$((failed + 1)); it_log "FAIL: no correction with another bsn on another partition"; }

content "$conninfo" > "$work/a.txt"
# a copy of A for the figures (E adds duplicates to A's own tables)
psql "$SWI_TEST_PG" -X -q -c "CREATE DATABASE ${db}_a TEMPLATE $db" >/dev/null
a_db="$(printf '%s' "$SWI_TEST_PG" | sed -E 's/dbname=[^ ]*//') dbname=${db}_a"
# ---- E: A's topics re-read by a new consumer group ---------------------------
it_log "E: re-read by a new group"
dl_before=$(q "SELECT count(*) FROM swi_ops.dead_letters")
write_conf "$work/reread.conf" "group.id = reread"
"$SWI_BIN/swi-etl" -c "$work/reread.conf" --until-caught-up 2>"$work/etl_e.log" || {
  tail -20 "$work/etl_e.log" >&2; exit 1; }
check_eq "re-read: no new dead letter" "$dl_before" "$(q 'SELECT count(*) FROM swi_ops.dead_letters')"
check_eq "re-read: no dead letter for a stored event" "0" "$(q "SELECT count(*) FROM swi_ops.dead_letters d
  JOIN swi.events e ON e.kafka_topic = d.kafka_topic AND e.kafka_partition = d.kafka_partition
   AND e.kafka_offset = d.kafka_offset")"
check_eq "re-read: every event absorbed" "$(q 'SELECT count(*) FROM swi.events')" \
  "$(q "SELECT count(*) FROM swi.events e WHERE EXISTS (SELECT 1 FROM swi_ops.duplicate_events d
        WHERE d.kafka_topic = e.kafka_topic AND d.kafka_partition = e.kafka_partition
          AND d.kafka_offset = e.kafka_offset)")"
check_eq "re-read: nothing else changed" "$(grep -v '^duplicates ' "$work/a.txt" | md5sum)" \
  "$(content "$conninfo" | grep -v '^duplicates ' | md5sum)"

# ---- C: the same population without them: no effect on any figure ---------
it_log "C: the same population without them"
clean=$(new_db clean)
restart_broker 8
replay --in "$work/clean.bin"
etl_catch_up "$clean" "$work/etl_c.log"
no_findings() { # conninfo: trajectories and versions without their findings column
  psql "$1" -X -q -A -t \
    -c "COPY (SELECT to_jsonb(t) - 'findings' - 'valid_from' FROM swi.trajectories t
              ORDER BY person_kind, person_ps) TO STDOUT" \
    -c "COPY (SELECT DISTINCT ON (person_kind, person_ps, v - 'findings' - 'valid_from' - 'valid_to')
                     v - 'findings' - 'valid_to' FROM (SELECT person_kind, person_ps, valid_from,
                     to_jsonb(x) AS v FROM swi.trajectory_versions x) y
              ORDER BY person_kind, person_ps, v - 'findings' - 'valid_from' - 'valid_to', valid_from) TO STDOUT"
}
check_eq "trajectories as without them" "$(no_findings "$clean" | md5sum)" "$(no_findings "$conninfo" | md5sum)"
check_eq "other findings as without them" \
  "$(psql "$clean" -X -q -A -t -c "SELECT person_kind, person_ps, kind, event_id, event_date
     FROM swi_ops.findings ORDER BY 1, 2, 3, 4, 5" | md5sum)" \
  "$(q "SELECT person_kind, person_ps, kind, event_id, event_date FROM swi_ops.findings
        WHERE kind <> 'INVALID_REFERENCE' ORDER BY 1, 2, 3, 4, 5" | md5sum)"
figures() { # conninfo
  "$SWI_BIN/swi-publish" -X pg.conninfo="$1" --name fig --peildatum 2024-12-31 >/dev/null 2>>"$work/publish.log"
  psql "$1" -X -q -A -t -c "SELECT cell, value, onderdrukt FROM swi_pub.indicator_values
                            WHERE publication = 'fig' ORDER BY cell" | md5sum
}
check_eq "figures as without them" "$(figures "$clean")" "$(figures "$a_db")"

# ---- B: references first (another broker, another database) ----------------
it_log "B: references first"
refs_first=$(new_db refs)
restart_broker 8
replay --in "$work/stream.bin" --refs-only
# the second run continues the group (the mock broker holds a rejoining
# member for a whole session timeout: a short one)
write_conf "$work/b.conf" "kafka.session.timeout.ms = 6000"
sed -i "s|^pg.conninfo = .*|pg.conninfo = $refs_first|" "$work/b.conf"
etl_b() { "$SWI_BIN/swi-etl" -c "$work/b.conf" --until-caught-up 2>>"$work/etl_b.log" || {
  tail -20 "$work/etl_b.log" >&2; exit 1; }; }
etl_b
# judged only where the target is a reference too (an Intrekking of an Intrekking)
check_eq "references alone: judged only with their targets" \
  "$(q "SELECT count(*) FROM ($invalid) x WHERE t_type = 'Intrekking'
        OR EXISTS (SELECT 1 FROM swi.events r WHERE r.event_id = x.corrects
                   AND (r.corrects IS NOT NULL OR r.retracts IS NOT NULL))")" \
  "$(psql "$refs_first" -X -q -A -t -c \
  "SELECT count(*) FROM swi_ops.findings WHERE kind = 'INVALID_REFERENCE'")"
check_eq "references alone: stored" "$(q "SELECT count(*) FROM swi.events WHERE corrects IS NOT NULL OR retracts IS NOT NULL")" \
  "$(psql "$refs_first" -X -q -A -t -c "SELECT count(*) FROM swi.events
     WHERE corrects IS NOT NULL OR retracts IS NOT NULL")"
replay --in "$work/stream.bin" --no-refs
etl_b
content "$refs_first" > "$work/b.txt"
if cmp -s "$work/a.txt" "$work/b.txt"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); it_log "FAIL: references first differs from the stream's order:"
  diff "$work/a.txt" "$work/b.txt" | head -5 >&2
fi

# ---- D: two instances in one group, shuffled -------------------------------
it_log "D: two instances"
two=$(new_db two)
restart_broker 8
replay --in "$work/stream.bin" --order shuffle --seed 4
write_conf "$work/two.conf" "batch.size = 500" "kafka.session.timeout.ms = 6000"
sed -i "s|^pg.conninfo = .*|pg.conninfo = $two|" "$work/two.conf"
"$SWI_BIN/swi-etl" -c "$work/two.conf" --migrate-only 2>>"$work/etl_d.log"
"$SWI_BIN/swi-etl" -c "$work/two.conf" --until-caught-up 2>>"$work/etl_d1.log" &
d1=$!
"$SWI_BIN/swi-etl" -c "$work/two.conf" --until-caught-up 2>>"$work/etl_d2.log" &
d2=$!
wait "$d1" || { failed=$((failed + 1)); it_log "FAIL: instance 1"; tail -5 "$work/etl_d1.log" >&2; }
wait "$d2" || { failed=$((failed + 1)); it_log "FAIL: instance 2"; tail -5 "$work/etl_d2.log" >&2; }
"$SWI_BIN/swi-etl" -c "$work/two.conf" --until-caught-up 2>>"$work/etl_d.log"
content "$two" > "$work/d.txt"
if cmp -s "$work/a.txt" "$work/d.txt"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); it_log "FAIL: two instances differ from one:"
  diff "$work/a.txt" "$work/d.txt" | head -5 >&2
fi

# no raw BSN or V-nummer anywhere in PostgreSQL (details included)
scan=$(psql "$conninfo" -X -q -f "$SWI_SRC/tests/integration/scan_raw_ids.sql" 2>&1)
check_eq "raw identifiers" "raw_identifiers=0" "$(echo "$scan" | grep -o 'raw_identifiers=[0-9]*')"
echo "$scan" | grep 'raw identifiers in' >&2 || true

it_finish
