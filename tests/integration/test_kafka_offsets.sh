#!/usr/bin/env bash
# Issue 13 item 1 and 2: offsets in Kafka for monitoring, PostgreSQL's the
# ones that count; stored offsets beyond a partition's end are refused.
#  1. swi-etl is killed (SIGKILL, by a test hook) after its 3rd PostgreSQL
#     commit and before that batch's Kafka commit: Kafka's view of the group
#     is behind PostgreSQL's;
#  2. a second run completes: the stored events, dead letters and duplicates
#     equal the generator's manifest (the crash changed nothing), and
#     kafkajs' view of the group's committed offsets equals PostgreSQL's;
#  3. Kafka's offsets are rewound to 0 behind swi-etl's back: a third run
#     re-reads nothing (it seeks to PostgreSQL's offsets) and puts Kafka's
#     view right again;
#  4. the broker comes back empty and gets a smaller population (every stored
#     offset is now beyond its partition's end): --until-caught-up fails with
#     a clear error, nothing is re-read or stored, the offsets stay.
source "$(dirname "$0")/lib.sh"

topics=(ind.events coa.events duo.events gemeente.events)
start_broker 4
write_conf "$work/etl.conf" "batch.size = 200" "kafka.session.timeout.ms = 6000" \
  "kafka.heartbeat.interval.ms = 500" "trajectories.enable = false" "progress.interval.s = 1"
"$SWI_BIN/swi-gen" --persons 300 --seed 5 --bad 0.01 -b "$bootstrap" \
  --schema-dir "$SWI_SRC/schemas" --manifest "$work/manifest.json" 2>"$work/gen.log"
m=$work/manifest.json

snapshot() {
  q "SELECT count(*) FROM swi.events"
  q "SELECT count(*) FROM swi_ops.dead_letters"
  q "SELECT count(*) FROM swi_ops.duplicate_events"
  q "SELECT topic || ':' || partition || '=' || next_offset FROM swi_ops.kafka_offsets ORDER BY 1"
}
sum_offsets() { awk -F= '$2 > 0 {s += $2} END {printf "%d\n", s}'; }

it_log "run 1: killed between the PostgreSQL and the Kafka commit of batch 3"
rc=0
SWI_FAULT_KILL_BEFORE_KAFKA_COMMIT=3 "$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up \
  2>"$work/etl1.log" || rc=$?
check_eq "run 1 was killed" 137 "$rc"
check_eq "run 1 killed by the hook" 1 "$(grep -c 'test hook: killed' "$work/etl1.log")"
pg_sum=$(pg_offsets swi-etl "${topics[@]}" | sum_offsets)
kafka_sum=$(kafkajs_probe get "$bootstrap" swi-etl "${topics[@]}" | sum_offsets)
it_log "after the kill: PostgreSQL holds $pg_sum messages' offsets, Kafka $kafka_sum"
check_eq "Kafka behind PostgreSQL after the kill" 1 "$([ "$kafka_sum" -lt "$pg_sum" ] && echo 1 || echo 0)"
check_eq "PostgreSQL committed 3 batches" 1 "$([ "$pg_sum" -gt 0 ] && echo 1 || echo 0)"

it_log "run 2: to the end"
sleep 7 # the killed member's session expires (kafka.session.timeout.ms)
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl2.log" || {
  tail -20 "$work/etl2.log" >&2; exit 1; }
check_eq "events = manifest" "$(jq -r '.good_event_ids' "$m")" "$(q 'SELECT count(*) FROM swi.events')"
check_eq "dead letters = manifest" "$(jq -r '[.bad_messages[]] | add' "$m")" \
  "$(q 'SELECT count(*) FROM swi_ops.dead_letters')"
check_eq "duplicates = manifest (nothing re-read)" "$(jq -r '.duplicate_messages' "$m")" \
  "$(q 'SELECT count(*) FROM swi_ops.duplicate_events')"
total=0
for t in "${topics[@]}"; do total=$((total + $(end_offsets_sum "$t"))); done
check_eq "PostgreSQL offsets = end offsets" "$total" "$(pg_offsets swi-etl "${topics[@]}" | sum_offsets)"
check_eq "kafkajs' view = PostgreSQL's" "$(pg_offsets swi-etl "${topics[@]}")" \
  "$(kafkajs_probe get "$bootstrap" swi-etl "${topics[@]}")"
check_eq "progress lines with rate, lag and ETA" 1 \
  "$(grep -c 'msg="catching up" rate_msg_s=[0-9]* committed=[0-9]* lag_messages=[0-9]* lag_seconds=[0-9.]* eta_s=' "$work/etl2.log" | awk '{print ($1 > 0)}')"
check_eq "a caught-up line" 1 "$(grep -c 'msg="caught up"' "$work/etl2.log")"

it_log "run 3: Kafka's offsets rewound to 0 behind swi-etl's back"
before=$(snapshot)
kafkajs_probe set "$bootstrap" swi-etl 0 "${topics[@]}"
check_eq "kafkajs sees the rewind" 0 "$(kafkajs_probe get "$bootstrap" swi-etl "${topics[@]}" | sum_offsets)"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl3.log" || {
  tail -20 "$work/etl3.log" >&2; exit 1; }
check_eq "run 3 re-read nothing" "$before" "$(snapshot)"
check_eq "run 3 consumed nothing" 1 \
  "$(grep -c 'msg="stopped" consumed=0 committed=0' "$work/etl3.log")"
check_eq "run 3 put kafkajs' view right (committed on assignment)" \
  "$(pg_offsets swi-etl "${topics[@]}")" "$(kafkajs_probe get "$bootstrap" swi-etl "${topics[@]}")"

it_log "run 4: the broker comes back empty, with fewer messages than were read"
restart_broker 4
"$SWI_BIN/swi-gen" --persons 20 --seed 6 -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" \
  2>>"$work/gen.log"
sed -i "s|^kafka.bootstrap.servers = .*|kafka.bootstrap.servers = $bootstrap|" "$work/etl.conf"
rc=0
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up -X health.check.interval.ms=200 \
  2>"$work/etl4.log" || rc=$?
check_eq "run 4 fails" 1 "$rc"
check_eq "run 4 says why" 1 \
  "$([ "$(grep -c 'stored offset is beyond the end of the partition' "$work/etl4.log")" -gt 0 ] && echo 1 || echo 0)"
check_eq "run 4 re-read and stored nothing" "$before" "$(snapshot)"

it_finish
