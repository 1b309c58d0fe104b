#!/usr/bin/env bash
# Guarantee 7 (architecture.md): two swi-etl instances in one consumer group
# share the partitions and give exactly the events, dead letters and
# trajectories of a single instance (one person's IND/COA events, keyed by
# V-nummer, and DUO/gemeente events, keyed by BSN, are read by different
# instances; they meet in PostgreSQL under per-identity locks).
source "$(dirname "$0")/lib.sh"

"$SWI_BIN/swi-gen" --persons 600 --seed 61 --duplicates 0.03 --corrections 0.04 \
  --retractions 0.01 --bad 0.01 --late 0.03 --schema-dir "$SWI_SRC/schemas" \
  --out "$work/stream.bin" --manifest "$work/m.json" -q

one=$(new_db one)
restart_broker 8
"$SWI_BIN/swi-replay" --in "$work/stream.bin" -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" 2>>"$work/replay.log"
etl_catch_up "$one" "$work/etl_one.log"
dump_trajectories "$one" > "$work/one.txt"

restart_broker 8
"$SWI_BIN/swi-replay" --in "$work/stream.bin" -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" 2>>"$work/replay.log"
write_conf "$work/etl.conf" "batch.size = 200" "kafka.session.timeout.ms = 6000"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --migrate-only 2>>"$work/etl_two.log"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl_a.log" &
a=$!
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl_b.log" &
b=$!
wait "$a" || { failed=$((failed + 1)); it_log "FAIL: instance a"; tail -5 "$work/etl_a.log" >&2; }
wait "$b" || { failed=$((failed + 1)); it_log "FAIL: instance b"; tail -5 "$work/etl_b.log" >&2; }
# both instances really consumed (each was assigned partitions at some point)
for x in a b; do
  n=$(grep -c 'msg="partitions assigned" count=' "$work/etl_$x.log" || true)
  [ "$n" -gt 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); it_log "FAIL: instance $x never got partitions"; }
done
# a late joiner or an early leaver may leave partitions unread: finish with one more run
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$work/etl_two.log"

m=$work/m.json
check_eq "events" "$(jq -r '.good_event_ids' "$m")" "$(q 'SELECT count(*) FROM swi.events')"
check_eq "duplicates" "$(jq -r '.duplicate_messages' "$m")" "$(q 'SELECT count(*) FROM swi_ops.duplicate_events')"
check_eq "dead letters" "$(jq -r '.bad_messages_total' "$m")" "$(q 'SELECT count(*) FROM swi_ops.dead_letters')"
dump_trajectories "$conninfo" > "$work/two.txt"
if cmp -s "$work/one.txt" "$work/two.txt"; then passed=$((passed + 1)); else
  failed=$((failed + 1)); it_log "FAIL: two instances differ from one"
  diff "$work/one.txt" "$work/two.txt" | head -5 >&2
fi
it_finish
