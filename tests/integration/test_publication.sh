#!/usr/bin/env bash
# Issue 4: the current figures follow the stream; a named publication taken
# mid-stream is frozen and stays byte-identical after more events, corrections
# and retractions arrive (the database refuses to change it), and its
# revision (herberekening at the same peildatum with everything known now)
# shows the difference in swi_pub.revisions.
source "$(dirname "$0")/lib.sh"

"$SWI_BIN/swi-gen" --persons 300 --seed 41 --duplicates 0.02 --corrections 0.08 \
  --retractions 0.03 --late 0.03 --bad 0 --schema-dir "$SWI_SRC/schemas" \
  --out "$work/stream.bin" --manifest "$work/m.json" -q
total=$(jq -r '.messages_total' "$work/m.json")
replay() { "$SWI_BIN/swi-replay" --in "$work/stream.bin" --schema-dir "$SWI_SRC/schemas" \
  --order registered -b "$bootstrap" "$@" 2>>"$work/replay.log"; }
restart_broker 8
replay --to $((total * 6 / 10))
write_conf "$work/etl.conf" "publish.interval.s = 1"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$work/etl.log" || { tail "$work/etl.log" >&2; exit 1; }

# the current figures were published when the run caught up
check_eq "actueel published" "t" "$(q "SELECT count(*) > 100 FROM swi_pub.indicator_values WHERE publication = 'actueel'")"
check_eq "actueel cohort total = U(P)" \
  "$(q "SELECT (round(count(*) / 5.0) * 5)::int FROM swi.trajectories WHERE wet = 'WI2021' AND plicht_start <= current_date")" \
  "$(q "SELECT value::int FROM swi_pub.indicator_values WHERE publication = 'actueel' AND breakdown = 'populatie_geslacht' AND cohort = '*' AND doelgroep = '*' AND dim1_value = '*' AND measure = 'cohortgrootte'")"

"$SWI_BIN/swi-publish" -c "$work/etl.conf" --name "SWI test" --peildatum 2024-12-31 --freeze 2>>"$work/pub.log" || {
  tail "$work/pub.log" >&2; exit 1; }
dump() { q "COPY (SELECT * FROM swi_pub.indicator_values WHERE publication = 'SWI test'
               ORDER BY breakdown, cohort, doelgroep, dim1_value, dim2_value, dim3_value, measure) TO STDOUT" | md5sum; }
before=$(dump)
check_eq "frozen publication has rows" "t" "$(q "SELECT count(*) > 100 FROM swi_pub.indicator_values WHERE publication = 'SWI test'")"

# the rest of the stream: more events, corrections, retractions
replay --from $((total * 6 / 10))
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$work/etl.log"
"$SWI_BIN/swi-publish" -c "$work/etl.conf" --name "SWI test" --peildatum 2024-12-31 --revise 2>>"$work/pub.log"

check_eq "frozen publication unchanged" "$before" "$(dump)"

# indicators.md §6: in no group of any breakdown (the categories of one dimension,
# the others fixed; voortgang_examens also along geslaagd, published as measures)
# is exactly one value suppressed while another category is published non-zero or
# the group's total is published. Lead times form no groups.
recoverable() { q "
  WITH v AS (SELECT * FROM swi_pub.indicator_values WHERE publication = '$1' AND unit <> 'dagen'),
  m AS (
    SELECT d::text AS d, breakdown, measure, onderdrukt, value,
           (CASE d WHEN 0 THEN cohort WHEN 1 THEN doelgroep WHEN 2 THEN dim1_value
                   WHEN 3 THEN dim2_value ELSE dim3_value END) = '*' AS total,
           concat_ws(E'\x1f', CASE WHEN d <> 0 THEN cohort END, CASE WHEN d <> 1 THEN doelgroep END,
                     CASE WHEN d <> 2 THEN dim1_value END, CASE WHEN d <> 3 THEN dim2_value END,
                     CASE WHEN d <> 4 THEN dim3_value END) AS cell
      FROM v CROSS JOIN generate_series(0, 4) d
     WHERE d <= 1 OR (d = 2 AND dim1_name IS NOT NULL) OR (d = 3 AND dim2_name IS NOT NULL)
        OR (d = 4 AND dim3_name IS NOT NULL)
    UNION ALL
    SELECT 'geslaagd', breakdown, '', onderdrukt, value, measure = 'examens',
           concat_ws(E'\x1f', cohort, doelgroep, dim1_value, dim2_value)
      FROM v WHERE breakdown = 'voortgang_examens'),
  g AS (
    SELECT count(*) FILTER (WHERE NOT total AND onderdrukt) AS nsup,
           count(*) FILTER (WHERE NOT total AND NOT onderdrukt AND value > 0) AS npub,
           bool_or(total AND NOT onderdrukt) AS total_published
      FROM m GROUP BY d, breakdown, measure, cell)
  SELECT count(*) || ' of ' || (SELECT count(*) FROM g) FROM g
   WHERE nsup = 1 AND (npub > 0 OR total_published)"; }
for pub in "SWI test" actueel; do
  r=$(recoverable "$pub")
  it_log "disclosure: $r groups of '$pub' recoverable"
  check_eq "no recoverable group in '$pub' ($r groups)" "0" "${r%% *}"
  check_eq "groups checked in '$pub'" "t" "$(test "${r##* }" -gt 1000 && echo t)"
done
# researchers read the unrounded value of every published cell (swi.indicator_values_raw);
# published counts are those values rounded to the base (5), suppressed ones NULL
check_eq "a raw value per published cell" "0" "$(q "
  SELECT count(*) FROM swi_pub.indicator_values v FULL JOIN swi.indicator_raw r
      ON r.publication = v.publication AND r.peildatum = v.peildatum AND r.cell = v.cell
   WHERE v.cell IS NULL OR r.cell IS NULL")"
check_eq "published counts are the raw ones rounded" "0" "$(q "
  SELECT count(*) FROM swi.indicator_values_raw WHERE unit IN ('personen', 'gebeurtenissen')
     AND (raw_den <> 1 OR (NOT onderdrukt AND value <> trunc(raw_num / 5.0 + 0.5) * 5))")"
check_eq "raw values behind suppressed cells" "t" "$(q "
  SELECT count(*) > 0 FROM swi.indicator_values_raw WHERE onderdrukt AND raw_value > 0 AND publication = 'SWI test'")"
check_eq "published shares are the raw ones rounded" "0" "$(q "
  SELECT count(*) FROM swi.indicator_values_raw WHERE unit = 'procent' AND NOT onderdrukt
     AND value IS DISTINCT FROM round(raw_value, 1)")"
check_eq "some values suppressed" "t" "$(q "SELECT count(*) > 100 FROM swi_pub.indicator_values WHERE publication = 'SWI test' AND onderdrukt")"
# the database refuses changes to it, with a clear message
err=$(psql "$conninfo" -X -q -c "UPDATE swi_pub.indicator_values SET reden = reden WHERE publication = 'SWI test'" 2>&1 || true)
check_eq "update refused" "1" "$(printf '%s' "$err" | grep -c 'is frozen')"
err=$("$SWI_BIN/swi-publish" -c "$work/etl.conf" --name "SWI test" --peildatum 2024-12-31 2>&1 || true)
check_eq "republish refused" "t" "$(printf '%s' "$err" | grep -q 'is frozen' && echo t)"
# its revision shows what changed since, for the same peildatum
check_eq "revisions show changes" "t" "$(q "SELECT count(*) > 0 FROM swi_pub.revisions WHERE publication = 'SWI test' AND status <> 'unchanged'")"
check_eq "revision has same P" "2024-12-31" "$(q "SELECT DISTINCT peildatum FROM swi_pub.indicator_values WHERE publication = 'herberekening:SWI test'")"
it_finish
