#!/usr/bin/env bash
# Issue 3: one generated event set, delivered in several orders (as generated,
# shuffled, every BsnToegekend first, every BsnToegekend last, and split over
# three restarts of swi-etl), with duplicates, corrections, retractions and
# late events, must give byte-identical current trajectories, versions and
# findings.
source "$(dirname "$0")/lib.sh"

"$SWI_BIN/swi-gen" --persons 200 --seed 23 --duplicates 0.05 --corrections 0.06 \
  --retractions 0.02 --late 0.05 --bad 0.01 --schema-dir "$SWI_SRC/schemas" \
  --out "$work/stream.bin" --manifest "$work/m.json" -q
total=$(jq -r '.messages_total' "$work/m.json")
replay() { "$SWI_BIN/swi-replay" --in "$work/stream.bin" -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" "$@" 2>>"$work/replay.log"; }

variant() { # name replay-args...
  local name=$1; shift
  local c; c=$(new_db "$name")
  restart_broker 8
  replay "$@"
  etl_catch_up "$c" "$work/etl_$name.log"
  dump_trajectories "$c" > "$work/dump_$name.txt"
  pending_left=$(psql "$c" -X -q -A -t -c "SELECT count(*) FROM swi_ops.trajectory_pending")
  [ "$pending_left" = 0 ] || { failed=$((failed + 1)); it_log "FAIL: $name: $pending_left keys left pending"; }
  it_log "$name: $(wc -l < "$work/dump_$name.txt") rows, md5 $(md5sum < "$work/dump_$name.txt" | cut -c1-12)"
}

variant file --order file
variant shuffle1 --order shuffle --seed 1
variant shuffle2 --order shuffle --seed 2
variant bsnfirst --order shuffle --seed 3 --bsn-first
variant bsnlast --order shuffle --seed 4 --bsn-last

# Issue 12: the trajectory step deferred (migration 020) and worked off in
# chunks of a few keys, so that clusters span chunks and live batches take
# pending keys: every batch deferred, and deferred only while a backlog lasts
# (batch.size 100: most batches are full; the last of a run is not).
etl_extra=("trajectories.defer = always" "trajectories.drain.keys = 7" "batch.size = 100")
variant deferred --order shuffle --seed 6
etl_extra=("trajectories.defer = auto" "trajectories.drain.keys = 5" "batch.size = 100")
variant deferred_auto --order shuffle --seed 7 --bsn-last
etl_extra=()
for v in deferred deferred_auto; do
  if grep -q 'msg="deferred trajectories derived"' "$work/etl_$v.log" &&
     grep -q 'msg="deferred trajectories worked off"' "$work/etl_$v.log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); it_log "FAIL: $v: no deferred trajectory work was derived"
  fi
done

# split over restarts: three slices, swi-etl stopping after each
c=$(new_db split)
restart_broker 8
third=$((total / 3))
replay --order shuffle --seed 5 --to "$third"
etl_catch_up "$c" "$work/etl_split.log"
replay --order shuffle --seed 5 --from "$third" --to $((2 * third))
etl_catch_up "$c" "$work/etl_split.log"
replay --order shuffle --seed 5 --from $((2 * third))
etl_catch_up "$c" "$work/etl_split.log"
dump_trajectories "$c" > "$work/dump_split.txt"

# The dumps must be non-trivial, and identical.
rows=$(wc -l < "$work/dump_file.txt")
[ "$rows" -gt 500 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); it_log "FAIL: only $rows rows"; }
versions=$(psql "$c" -X -q -A -t -c "SELECT count(*) FROM swi.trajectory_versions")
persons=$(psql "$c" -X -q -A -t -c "SELECT count(*) FROM swi.trajectories")
[ "$versions" -gt "$persons" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); it_log "FAIL: no history"; }
for v in shuffle1 shuffle2 bsnfirst bsnlast split deferred deferred_auto; do
  if cmp -s "$work/dump_file.txt" "$work/dump_$v.txt"; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    it_log "FAIL: $v differs from file order:"
    diff "$work/dump_file.txt" "$work/dump_$v.txt" | head -5 >&2
  fi
done
it_finish
