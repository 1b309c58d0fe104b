#!/usr/bin/env bash
# Issue 4: the current figures ('actueel') follow the stream batch by batch.
# The live publisher re-derives only the clusters each batch changed and
# writes only the values that changed; after many such delta rounds, with
# corrections, retractions and late events, and with two instances of which
# only one publishes at a time, 'actueel' must equal a publication computed
# from scratch over the same events - value by value. Every batch that
# changed a cluster gets a freshness record.
source "$(dirname "$0")/lib.sh"

"$SWI_BIN/swi-gen" --persons 400 --seed 73 --duplicates 0.02 --corrections 0.08 \
  --retractions 0.03 --late 0.05 --bad 0 --schema-dir "$SWI_SRC/schemas" \
  --out "$work/stream.bin" --manifest "$work/m.json" -q
total=$(jq -r '.messages_total' "$work/m.json")
replay() { "$SWI_BIN/swi-replay" --in "$work/stream.bin" --schema-dir "$SWI_SRC/schemas" \
  --order registered -b "$bootstrap" "$@" 2>>"$work/replay.log"; }

# the figures a from-scratch computation gives, against 'actueel'
compare_with_scratch() { # label
  "$SWI_BIN/swi-publish" -c "$work/etl.conf" --name "scratch" 2>>"$work/pub.log" || {
    tail "$work/pub.log" >&2; exit 1; }
  check_eq "$1: same cells" \
    "$(q "SELECT count(*) FROM swi_pub.indicator_values WHERE publication = 'scratch'")" \
    "$(q "SELECT count(*) FROM swi_pub.indicator_values WHERE publication = 'actueel'")"
  check_eq "$1: same values" "0" "$(q "
    SELECT count(*) FROM (SELECT * FROM swi_pub.indicator_values WHERE publication = 'actueel') a
    FULL JOIN (SELECT * FROM swi_pub.indicator_values WHERE publication = 'scratch') s USING (cell)
    WHERE a.cell IS NULL OR s.cell IS NULL OR a.peildatum <> s.peildatum
       OR a.value IS DISTINCT FROM s.value OR a.onderdrukt <> s.onderdrukt
       OR a.reden IS DISTINCT FROM s.reden OR a.unit <> s.unit OR a.noemer IS DISTINCT FROM s.noemer")"
  # the researchers' unrounded values (swi.indicator_raw) are kept in step by the
  # live publisher too: one per published cell, equal to the from-scratch ones
  check_eq "$1: a raw value per cell" "0" "$(q "
    SELECT count(*) FROM swi_pub.indicator_values v FULL JOIN swi.indicator_raw r
        ON r.publication = v.publication AND r.peildatum = v.peildatum AND r.cell = v.cell
     WHERE v.cell IS NULL OR r.cell IS NULL")"
  check_eq "$1: same raw values" "0" "$(q "
    SELECT count(*) FROM (SELECT * FROM swi.indicator_raw WHERE publication = 'actueel') a
    FULL JOIN (SELECT * FROM swi.indicator_raw WHERE publication = 'scratch') s USING (cell)
    WHERE a.cell IS NULL OR s.cell IS NULL OR a.raw_num <> s.raw_num OR a.raw_den <> s.raw_den")"
}

# 1. one instance, small batches: the first round is a rebuild of an empty
#    database, every later one a delta
restart_broker 8
replay --to $((total * 6 / 10))
#    (every batch runs the trajectory step: with the default, trajectories.defer
#    = auto, the batches of this backlog would defer it and their clusters reach
#    the figures in a few drain chunks; scenario 1b checks that)
write_conf "$work/etl.conf" "publish.interval.s = 1" "batch.size = 250" "log.level = debug" \
  "kafka.session.timeout.ms = 6000" "trajectories.defer = off"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl1.log" || {
  tail "$work/etl1.log" >&2; exit 1; }
batches=$(grep 'msg="batch committed" events=' "$work/etl1.log" | grep -vc ' events=0 ' || true)
check_eq "queue drained" "0" "$(q "SELECT count(*) FROM swi_ops.publish_queue")"
check_eq "a freshness record per batch with events" "$batches" "$(q "SELECT count(*) FROM swi_ops.publish_lag")"
check_eq "delta rounds ran" "t" "$(q "SELECT count(*) >= 5 FROM swi_ops.publish_lag WHERE round_kind = 'delta'")"
check_eq "values changed in place" "t" \
  "$(grep 'msg="current figures updated"' "$work/etl1.log" | grep -qv 'rows_changed=0 ' && echo t)"
check_eq "delta rounds derived the queued clusters from their events (the queue holds keys only)" "t" \
  "$(grep 'msg="current figures updated"' "$work/etl1.log" | grep -v ' batches=0 ' | grep -qv ' rederived_clusters=0 ' && echo t)"
compare_with_scratch "one instance"

# 2. two instances in one group on the rest of the stream: one publishes;
#    every batch deferring its step (trajectories.defer = always: whether auto
#    defers depends on how full the batches get, i.e. on timing), so that both
#    instances work the deferred clusters off while one publishes
write_conf "$work/etl2.conf" "publish.interval.s = 1" "batch.size = 250" "log.level = debug" \
  "kafka.session.timeout.ms = 6000" "trajectories.defer = always" "trajectories.drain.keys = 40"
lag_before=$(q "SELECT count(*) FROM swi_ops.publish_lag")
replay --from $((total * 6 / 10))
"$SWI_BIN/swi-etl" -c "$work/etl2.conf" --until-caught-up 2>"$work/etl_a.log" &
a=$!
"$SWI_BIN/swi-etl" -c "$work/etl2.conf" --until-caught-up 2>"$work/etl_b.log" &
b=$!
wait "$a" || { failed=$((failed + 1)); it_log "FAIL: instance a"; tail -5 "$work/etl_a.log" >&2; }
wait "$b" || { failed=$((failed + 1)); it_log "FAIL: instance b"; tail -5 "$work/etl_b.log" >&2; }
# partitions a leaver left unread: one more run
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$work/etl1.log"
leaders=$(cat "$work/etl_a.log" "$work/etl_b.log" | grep -c 'msg="publisher role changed" leader=true' || true)
check_eq "a publisher was elected" "t" "$([ "$leaders" -ge 1 ] && echo t)"
check_eq "events all stored" "$(jq -r '.good_event_ids' "$work/m.json")" "$(q 'SELECT count(*) FROM swi.events')"
check_eq "queue drained (two instances)" "0" "$(q "SELECT count(*) FROM swi_ops.publish_queue")"
check_eq "the backlog's trajectory steps were deferred and worked off" "t" \
  "$(cat "$work/etl_a.log" "$work/etl_b.log" | grep -q 'msg="deferred trajectories derived"' && echo t)"
check_eq "nothing left pending" "0" "$(q "SELECT count(*) FROM swi_ops.trajectory_pending")"
# the deferred work reached the figures with freshness records of its own
check_eq "freshness recorded for the deferred work" "t" \
  "$(q "SELECT count(*) > $lag_before FROM swi_ops.publish_lag")"
compare_with_scratch "two instances"

# 3. operators see the freshness
check_eq "freshness view" "t" "$(q "SELECT batches > 0 AND p99_s >= p50_s AND max_s >= p99_s FROM swi_pub.publish_freshness")"
it_finish
