# A small published database for the tests of what analysts and the dashboard
# see (sourced after lib.sh): a generated population loaded through the real
# pipeline, the current figures ('actueel', computed once by swi-publish: the
# live publisher's rounds would only cost time here); 'SWI 2024' (P 2024-12-31) frozen
# as known on 2025-01-15, so that its recomputation with everything known now
# differs (swi_pub.revisions has changes); and the two Kamerbrief publications
# of docs/analyst-guide.md §5 (2023-05-01 frozen with its recomputation).
#
#   load_population PERSONS SEED     (uses $work, $conninfo and the helpers of lib.sh)
load_population() {
  local persons=$1 seed=$2
  "$SWI_BIN/swi-gen" --persons "$persons" --seed "$seed" --corrections 0.05 --retractions 0.02 \
    --late 0.05 --schema-dir "$SWI_SRC/schemas" --out "$work/stream.bin" --manifest "$work/m.json" -q
  restart_broker 4
  "$SWI_BIN/swi-replay" --in "$work/stream.bin" --schema-dir "$SWI_SRC/schemas" --order registered \
    -b "$bootstrap" 2>>"$work/replay.log"
  write_conf "$work/etl.conf" "publish.interval.s = 0" "log.level = warn"
  "$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$work/etl.log" || {
    it_log "swi-etl failed"; tail -20 "$work/etl.log" >&2; exit 1; }
  pop_publish --name actueel
  pop_publish --name "SWI 2024" --peildatum 2024-12-31 --known-at "2025-01-15 00:00:00" --freeze
  pop_publish --name "Kamerbrief 2022-12-01" --peildatum 2022-12-01 --known-at "2022-12-15 00:00:00"
  pop_publish --name "Kamerbrief 2023-05-01" --peildatum 2023-05-01 --known-at "2023-05-15 00:00:00" --freeze
}
pop_publish() {
  "$SWI_BIN/swi-publish" -c "$work/etl.conf" "$@" 2>>"$work/publish.log" || {
    it_log "swi-publish $* failed"; tail -20 "$work/publish.log" >&2; exit 1; }
}
