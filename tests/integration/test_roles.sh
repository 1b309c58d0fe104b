#!/usr/bin/env bash
# Roles, privileges and the published schema of 003_published.sql, against the
# real PostgreSQL: analysts read swi_pub only; researchers read the
# pseudonymised microdata and swi_pub and write nothing; a frozen publication
# cannot change, not even for the owner; swi_pub.revisions shows the difference
# between a frozen publication and its recomputation; gemeente users see only
# their own gemeente; freshness and UNKNOWN_TARGET views; every object commented.
# The test creates login roles (unique per run) and drops them at the end; the
# group roles analyst, researcher, swi_writer, gemeente_user are cluster-global
# and stay.
source "$(dirname "$0")/lib.sh"

an="it_roles_an_$$" rs="it_roles_rs_$$" gm="it_roles_gm_$$" nobody="it_roles_no_$$" mon="it_roles_mon_$$"
maint() { psql "$SWI_TEST_PG" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
roles_cleanup() {
  for r in "$an" "$rs" "$gm" "$nobody" "$mon"; do maint "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
}
trap 'it_cleanup; roles_cleanup' EXIT

# ---- migrations: through the program; psql only for what it did not embed ----
printf 'integration-test-key-0123456789abcdef' > "$work/key"
if ! "$SWI_BIN/swi-etl" -X pg.conninfo="$conninfo" -X pseudonym.key.file="$work/key" \
     -X schema.dir="$SWI_SRC/schemas" -X log.level=warn --migrate-only 2>"$work/migrate.log"; then
  it_log "swi-etl --migrate-only failed:"; tail -5 "$work/migrate.log" >&2
fi
for f in "$SWI_SRC"/sinks/migrations/[0-9][0-9][0-9]_*.sql; do
  name=$(basename "$f") v=$((10#${name%%_*}))
  if [ "$(q "SELECT count(*) FROM swi_ops.schema_migrations WHERE version = $v" 2>/dev/null)" != 1 ]; then
    it_log "FALLBACK: $name not applied by swi-etl (binary older than the file?); applying it with psql"
    psql "$conninfo" -X -q -1 -v ON_ERROR_STOP=1 -f "$f" \
      -c "CREATE TABLE IF NOT EXISTS swi_ops.schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())" \
      -c "INSERT INTO swi_ops.schema_migrations (version, name) VALUES ($v, '$name')" >/dev/null
  fi
done
check_eq "migrations applied" "1,2,3" \
  "$(q "SELECT string_agg(version::text, ',' ORDER BY version) FROM swi_ops.schema_migrations WHERE version <= 3")"

# ---- login roles of this run ---------------------------------------------------------
maint "CREATE ROLE $an LOGIN IN ROLE analyst; CREATE ROLE $rs LOGIN IN ROLE researcher;
       CREATE ROLE $gm LOGIN IN ROLE gemeente_user; CREATE ROLE $nobody LOGIN"
if [ "$(q "SELECT count(*) FROM pg_roles WHERE rolname = 'swi_monitor'")" = 1 ]; then
  maint "CREATE ROLE $mon LOGIN IN ROLE swi_monitor"
fi
q "INSERT INTO swi_pub.gemeente_users VALUES ('$gm', 'GM0363')"

# as_role ROLE SQL: runs SQL connected as ROLE; output (and error) on stdout, psql's status
as_role() { psql "$conninfo user=$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2" 2>&1; }
# denied NAME ROLE SQL: SQL must fail with "permission denied"
denied() {
  local out
  if out=$(as_role "$2" "$3"); then check_eq "$1" "permission denied" "allowed: $out"
  else case "$out" in *"permission denied"*) check_eq "$1" x x ;;
                      *) check_eq "$1" "permission denied" "$out" ;; esac; fi
}
# refused NAME SQL PATTERN: SQL (as the connecting superuser) must fail with PATTERN in the error
refused() {
  local out
  if out=$(psql "$conninfo" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2" 2>&1); then
    check_eq "$1" "error: $3" "succeeded: $out"
  else case "$out" in *"$3"*) check_eq "$1" x x ;; *) check_eq "$1" "error: $3" "$out" ;; esac; fi
}

# ---- seed: microdata, ops rows, publications ----------------------------------------
ps1="decode(repeat('a1', 32), 'hex')" ps2="decode(repeat('b2', 32), 'hex')"
q "INSERT INTO swi.events (source, event_id, event_type, bsn_ps, event_date, registered_at, corrects,
                           retracts, schema_id, kafka_topic, kafka_partition, kafka_offset) VALUES
   ('duo', '00000000-0000-4000-8000-000000000001', 'InburgeringsplichtOntstaan', $ps1, '2023-01-10',
    now() - interval '30 days', NULL, NULL, 1, 'duo.events', 0, 0),
   ('duo', '00000000-0000-4000-8000-000000000002', 'InburgeringsplichtOntstaan', $ps1, '2023-01-11',
    now() - interval '10 days', '00000000-0000-4000-8000-000000000001', NULL, 1, 'duo.events', 0, 1),
   ('duo', '00000000-0000-4000-8000-000000000003', 'InburgeringsplichtOntstaan', $ps2, '2023-01-12',
    now() - interval '8 days', '00000000-0000-4000-8000-0000000000ff', NULL, 1, 'duo.events', 0, 2),
   ('gemeente', '00000000-0000-4000-8000-000000000004', 'Intrekking', $ps2, '2023-01-13',
    now() - interval '1 day', NULL, '00000000-0000-4000-8000-0000000000fe', 1, 'gemeente.events', 0, 0)"
q "INSERT INTO swi.trajectory_versions (person_kind, person_ps, valid_from, wet, doelgroep, cohort, plicht_start)
   VALUES ('BSN', $ps1, now() - interval '30 days', 'WI2021', 'ASIEL', 2023, '2023-01-10')"
q "INSERT INTO swi.trajectories (person_kind, person_ps, valid_from, wet, doelgroep, cohort, plicht_start)
   VALUES ('BSN', $ps1, now() - interval '30 days', 'WI2021', 'ASIEL', 2023, '2023-01-10')"
q "INSERT INTO swi_ops.dead_letters (reason, detail, source, kafka_topic, kafka_partition, kafka_offset)
   VALUES ('UNDECODABLE', 'test', 'ind', 'ind.events', 0, 7)"
q "INSERT INTO swi_ops.kafka_offsets (group_id, topic, partition, next_offset) VALUES
   ('swi-etl', 'duo.events', 0, 3), ('swi-etl', 'gemeente.events', 0, 1), ('swi-etl', 'ind.events', 0, 8)"

cols="publication, peildatum, known_at, family, breakdown, cohort, doelgroep, dim1_name, dim1_value,
      measure, unit, value, onderdrukt, reden, noemer"
q "UPDATE swi_pub.publications SET peildatum = '2023-05-01', known_at = now() WHERE name = 'actueel'"
q "INSERT INTO swi_pub.indicator_values ($cols) VALUES
   ('actueel', '2023-05-01', now(), 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'plichtigen', 'personen', 25700, false, NULL, NULL),
   ('actueel', '2023-05-01', now(), 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'pip_vastgesteld', 'personen', 9700, false, NULL, NULL),
   ('actueel', '2023-05-01', now(), 1, 'populatie_gemeente', '2023', '*', 'gemeente', 'GM0363', 'cohortgrootte', 'personen', 100, false, NULL, NULL),
   ('actueel', '2023-05-01', now(), 1, 'populatie_gemeente', '2023', '*', 'gemeente', 'GM0599', 'cohortgrootte', 'personen', 50, false, NULL, NULL),
   ('actueel', '2023-05-01', now(), 1, 'populatie_gemeente', '2023', '*', 'gemeente', 'ONBEKEND', 'cohortgrootte', 'personen', NULL, true, 'primary', NULL),
   ('actueel', '2023-05-01', now(), 1, 'populatie_gemeente', '2023', '*', 'gemeente', '*', 'cohortgrootte', 'personen', 155, false, NULL, NULL)"
# the unrounded values behind them, as the writers keep them (swi.indicator_raw)
raw_of() { # publication: one raw value per cell, the count itself unless set here
  q "INSERT INTO swi.indicator_raw (publication, peildatum, cell, raw_num, raw_den)
     SELECT publication, peildatum, cell,
            CASE WHEN dim1_value = 'GM0363' THEN 103 WHEN dim1_value = 'ONBEKEND' THEN 4
                 WHEN measure = 'aandeel_pip_vastgesteld' THEN 9700 ELSE coalesce(value, 7)::bigint END,
            CASE WHEN measure = 'aandeel_pip_vastgesteld' THEN 25700 ELSE 1 END
       FROM swi_pub.indicator_values WHERE publication = '$1'"; }
raw_of actueel
q "INSERT INTO swi_pub.publications (name, peildatum, known_at, description)
   VALUES ('SWI 2024', '2023-05-01', '2023-05-02 00:00+00', 'test publication')"
q "INSERT INTO swi_pub.indicator_values ($cols) VALUES
   ('SWI 2024', '2023-05-01', '2023-05-02 00:00+00', 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'plichtigen', 'personen', 25700, false, NULL, NULL),
   ('SWI 2024', '2023-05-01', '2023-05-02 00:00+00', 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'pip_vastgesteld', 'personen', 9700, false, NULL, NULL),
   ('SWI 2024', '2023-05-01', '2023-05-02 00:00+00', 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'aandeel_pip_vastgesteld', 'procent', 37.7, false, NULL, 'plichtigen op P'),
   ('SWI 2024', '2023-05-01', '2023-05-02 00:00+00', 3, 'pip_termijn', '2022', 'OVERIG', 'pip_termijn', 'voor_termijn', 'personen', 'personen', NULL, true, 'primary', NULL),
   ('SWI 2024', '2023-05-01', '2023-05-02 00:00+00', 1, 'populatie_geslacht', '2022', 'OVERIG', 'geslacht', 'X', 'cohortgrootte', 'personen', 10, false, NULL, NULL)"
raw_of "SWI 2024"
q "UPDATE swi_pub.publications SET frozen = true WHERE name = 'SWI 2024'"
q "INSERT INTO swi_pub.publications (name, peildatum, known_at) VALUES ('herberekening:SWI 2024', '2023-05-01', now())"
q "INSERT INTO swi_pub.indicator_values ($cols) VALUES
   ('herberekening:SWI 2024', '2023-05-01', now(), 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'plichtigen', 'personen', 25700, false, NULL, NULL),
   ('herberekening:SWI 2024', '2023-05-01', now(), 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'pip_vastgesteld', 'personen', 9800, false, NULL, NULL),
   ('herberekening:SWI 2024', '2023-05-01', now(), 2, 'fase_plichtigen', '*', 'ASIEL', NULL, NULL, 'aandeel_pip_vastgesteld', 'procent', 38.1, false, NULL, 'plichtigen op P'),
   ('herberekening:SWI 2024', '2023-05-01', now(), 3, 'pip_termijn', '2022', 'OVERIG', 'pip_termijn', 'voor_termijn', 'personen', 'personen', 15, false, NULL, NULL)"
# the pipeline's path: COPY of transform/indicators.h rows (18 columns), publication from swi.publication
printf '2023-05-01\tinfinity\t2\tfase_plichtigen\t*\tGEZIN\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tplichtigen\tpersonen\t10500\tf\t\\N\t\\N\n' |
  psql "$conninfo" -X -q -v ON_ERROR_STOP=1 \
    -c "BEGIN" -c "SET LOCAL swi.publication = 'herberekening:SWI 2024'" \
    -c "COPY swi_pub.indicator_values (peildatum, known_at, family, breakdown, cohort, doelgroep, dim1_name,
          dim1_value, dim2_name, dim2_value, dim3_name, dim3_value, measure, unit, value, onderdrukt, reden,
          noemer) FROM STDIN" -c "COMMIT" >/dev/null
check_eq "COPY lands in the publication of swi.publication" "1" \
  "$(q "SELECT count(*) FROM swi_pub.indicator_values WHERE publication = 'herberekening:SWI 2024' AND doelgroep = 'GEZIN'")"

# ---- analyst: swi_pub only ---------------------------------------------------------------
for rel in $(q "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'swi_pub' AND c.relkind IN ('r', 'v') ORDER BY 1"); do
  out=$(as_role "$an" "SELECT count(*) >= 0 FROM swi_pub.$rel") || true
  check_eq "analyst reads swi_pub.$rel" "t" "$out"
done
check_eq "analyst reads indicator_values" "16" "$(as_role "$an" "SELECT count(*) FROM swi_pub.indicator_values")"
check_eq "analyst reads the fase view" "25700,9700" \
  "$(as_role "$an" "SELECT string_agg(value::text, ',' ORDER BY measure DESC) FROM swi_pub.fase WHERE breakdown = 'fase_plichtigen'")"
check_eq "analyst reads freshness (aggregates)" "coa=0/0,duo=3/0,gemeente=1/0,ind=0/1" \
  "$(as_role "$an" "SELECT string_agg(source || '=' || events || '/' || dead_letters, ',' ORDER BY source) FROM swi_pub.freshness")"
check_eq "analyst sees no gemeente_users mapping" "0" "$(as_role "$an" "SELECT count(*) FROM swi_pub.gemeente_users")"
denied "analyst: swi.events" "$an" "SELECT count(*) FROM swi.events"
denied "analyst: swi.trajectories" "$an" "SELECT count(*) FROM swi.trajectories"
denied "analyst: swi.trajectory_versions" "$an" "SELECT count(*) FROM swi.trajectory_versions"
denied "analyst: swi.trajectories_as_of" "$an" "SELECT count(*) FROM swi.trajectories_as_of(now())"
denied "analyst: swi_ops.dead_letters" "$an" "SELECT count(*) FROM swi_ops.dead_letters"
denied "analyst: swi_ops.kafka_offsets" "$an" "SELECT count(*) FROM swi_ops.kafka_offsets"
denied "analyst: swi_ops.unknown_targets" "$an" "SELECT count(*) FROM swi_ops.unknown_targets"
denied "analyst: insert indicator_values" "$an" \
  "INSERT INTO swi_pub.indicator_values (peildatum, known_at, family, breakdown, cohort, doelgroep, measure, unit, value, onderdrukt)
   VALUES ('2023-05-01', now(), 1, 'x', '*', '*', 'x', 'personen', 0, false)"
denied "analyst: update publications" "$an" "UPDATE swi_pub.publications SET description = 'x'"
denied "analyst: swi.indicator_raw" "$an" "SELECT count(*) FROM swi.indicator_raw"
denied "analyst: swi.indicator_values_raw" "$an" "SELECT count(*) FROM swi.indicator_values_raw"
denied "analyst: create in public" "$an" "CREATE TABLE public.it_roles_x (x int)"

# ---- researcher: microdata and swi_pub, read-only -----------------------------------------
check_eq "researcher reads swi.events" "4" "$(as_role "$rs" "SELECT count(*) FROM swi.events")"
check_eq "researcher reads swi.trajectories" "1" "$(as_role "$rs" "SELECT count(*) FROM swi.trajectories")"
check_eq "researcher reads trajectories_as_of" "1" \
  "$(as_role "$rs" "SELECT count(*) FROM swi.trajectories_as_of(now())")"
check_eq "researcher reads swi_pub" "16" "$(as_role "$rs" "SELECT count(*) FROM swi_pub.indicator_values")"
check_eq "researcher reads the unrounded value of a published cell" "GM0363|100|103|103" \
  "$(as_role "$rs" "SELECT dim1_value || '|' || value || '|' || raw_num || '|' || raw_value FROM swi.indicator_values_raw
                     WHERE publication = 'actueel' AND dim1_value = 'GM0363'")"
check_eq "researcher reads the value behind a suppressed cell" "true|4" \
  "$(as_role "$rs" "SELECT onderdrukt || '|' || raw_num FROM swi.indicator_values_raw
                     WHERE publication = 'actueel' AND dim1_value = 'ONBEKEND'")"
check_eq "researcher: a share's raw value in percent" "37.74319066147860" \
  "$(as_role "$rs" "SELECT round(raw_value, 14) FROM swi.indicator_values_raw
                     WHERE publication = 'SWI 2024' AND measure = 'aandeel_pip_vastgesteld'")"
denied "researcher: write swi.indicator_raw" "$rs" "UPDATE swi.indicator_raw SET raw_num = 0"
denied "researcher: insert swi.events" "$rs" \
  "INSERT INTO swi.events (source, event_id, event_type, event_date, registered_at, schema_id, kafka_topic,
   kafka_partition, kafka_offset) VALUES ('duo', gen_random_uuid(), 'X', '2023-01-01', now(), 1, 't', 0, 99)"
denied "researcher: update swi.events" "$rs" "UPDATE swi.events SET event_date = event_date"
denied "researcher: delete swi.events" "$rs" "DELETE FROM swi.events"
denied "researcher: update swi.trajectories" "$rs" "UPDATE swi.trajectories SET cohort = 2024"
denied "researcher: delete swi.trajectory_versions" "$rs" "DELETE FROM swi.trajectory_versions"
denied "researcher: insert indicator_values" "$rs" \
  "INSERT INTO swi_pub.indicator_values (peildatum, known_at, family, breakdown, cohort, doelgroep, measure, unit, value, onderdrukt)
   VALUES ('2023-05-01', now(), 1, 'x', '*', '*', 'x', 'personen', 0, false)"
denied "researcher: update indicator_values" "$rs" "UPDATE swi_pub.indicator_values SET value = 0"
denied "researcher: delete indicator_values" "$rs" "DELETE FROM swi_pub.indicator_values"
denied "researcher: swi_ops.dead_letters" "$rs" "SELECT count(*) FROM swi_ops.dead_letters"
denied "researcher: create in swi" "$rs" "CREATE TABLE swi.it_roles_x (x int)"
denied "researcher: create in public" "$rs" "CREATE TABLE public.it_roles_x (x int)"

# ---- a role in no group sees nothing ------------------------------------------------------
denied "no role: swi_pub" "$nobody" "SELECT count(*) FROM swi_pub.indicator_values"
denied "no role: swi.events" "$nobody" "SELECT count(*) FROM swi.events"
denied "no role: freshness" "$nobody" "SELECT count(*) FROM swi_pub.freshness"

# ---- gemeente user: own gemeente in gemeente breakdowns, everything else as analysts ------
check_eq "analyst: all gemeenten" "*,GM0363,GM0599,ONBEKEND" \
  "$(as_role "$an" "SELECT string_agg(dim1_value, ',' ORDER BY dim1_value COLLATE \"C\") FROM swi_pub.populatie WHERE breakdown = 'populatie_gemeente'")"
check_eq "gemeente user: own gemeente and margin" "*,GM0363" \
  "$(as_role "$gm" "SELECT string_agg(dim1_value, ',' ORDER BY dim1_value COLLATE \"C\") FROM swi_pub.populatie WHERE breakdown = 'populatie_gemeente'")"
check_eq "gemeente user: national rows" "2" \
  "$(as_role "$gm" "SELECT count(*) FROM swi_pub.fase WHERE breakdown = 'fase_plichtigen'")"
check_eq "gemeente user: own mapping only" "GM0363" "$(as_role "$gm" "SELECT string_agg(gemeente, ',') FROM swi_pub.gemeente_users")"
denied "gemeente user: swi.events" "$gm" "SELECT count(*) FROM swi.events"
denied "gemeente user: swi.indicator_values_raw" "$gm" "SELECT count(*) FROM swi.indicator_values_raw"

# ---- code tables and typed views (010, 011): analysts read them, write nothing ----------
check_eq "migrations 010, 011 applied" "10,11" \
  "$(q "SELECT string_agg(version::text, ',' ORDER BY version) FROM swi_ops.schema_migrations WHERE version IN (10, 11)")"
check_eq "analyst: typed view with labels" "Asielmigranten|PIP vastgesteld|9700|true|false" \
  "$(as_role "$an" "SELECT doelgroep_label || '|' || measure_label || '|' || aantal || '|' || cohort_totaal::int::bool || '|' || onderdrukt
                     FROM swi_pub.tabel_fase_plichtigen WHERE publication = 'actueel' AND measure = 'pip_vastgesteld'")"
check_eq "analyst: a suppressed cell in a typed view is '.'" ".|" \
  "$(as_role "$an" "SELECT weergave || '|' || coalesce(aantal::text, '') FROM swi_pub.tabel_populatie_gemeente
                     WHERE publication = 'actueel' AND gemeente IS NOT DISTINCT FROM 'ONBEKEND'")"
check_eq "analyst: gemeente names in the typed view" "Amsterdam" \
  "$(as_role "$an" "SELECT gemeente_label FROM swi_pub.tabel_populatie_gemeente WHERE publication = 'actueel' AND gemeente = 'GM0363'")"
check_eq "gemeente user: own gemeente and the total through the typed view" "GM0363,TOTAAL" \
  "$(as_role "$gm" "SELECT string_agg(coalesce(gemeente, 'TOTAAL'), ',' ORDER BY coalesce(gemeente, 'TOTAAL')) FROM swi_pub.tabel_populatie_gemeente WHERE publication = 'actueel'")"
for rel in categorieen gemeenten tabellen maten dimensies provincies arbeidsmarktregios; do
  denied "analyst: no write on swi_pub.$rel" "$an" "DELETE FROM swi_pub.$rel"
done
check_eq "analyst, researcher, gemeente user: SELECT only on the typed views and source_status" "" \
  "$(q "SELECT string_agg(r || ':' || c.relname || ':' || p, ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          CROSS JOIN unnest(ARRAY['analyst', 'researcher', 'gemeente_user']) r
          CROSS JOIN (VALUES ('SELECT', true), ('INSERT', false), ('UPDATE', false), ('DELETE', false)) v(p, want)
         WHERE n.nspname = 'swi_pub' AND (c.relname LIKE 'tabel\\_%' OR c.relname = 'source_status') AND c.relkind = 'v'
           AND has_table_privilege(r, c.oid, p) <> want")"
denied "researcher: no write on the code tables" "$rs" "UPDATE swi_pub.gemeenten SET naam = 'x'"
denied "no role: code tables" "$nobody" "SELECT count(*) FROM swi_pub.gemeenten"
check_eq "typed views run with the reader's rights (row-level security applies)" "0" \
  "$(q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'swi_pub' AND c.relname LIKE 'tabel\\_%' AND c.relkind = 'v'
           AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)")"

# ---- frozen publications ----------------------------------------------------------------
frozen_msg='publication "SWI 2024" is frozen'
for who in "" "SET ROLE swi_writer;"; do
  tag=${who:+ (owner)}; tag=${tag:- (superuser)}
  refused "frozen: update$tag" "$who UPDATE swi_pub.indicator_values SET value = value + 5 WHERE publication = 'SWI 2024'" "$frozen_msg"
  refused "frozen: delete$tag" "$who DELETE FROM swi_pub.indicator_values WHERE publication = 'SWI 2024' AND measure = 'plichtigen'" "$frozen_msg"
  refused "frozen: insert$tag" "$who INSERT INTO swi_pub.indicator_values ($cols) VALUES
    ('SWI 2024', '2023-05-01', now(), 2, 'fase_plichtigen', '2023', 'ASIEL', NULL, NULL, 'plichtigen', 'personen', 5, false, NULL, NULL)" "$frozen_msg"
  refused "frozen: move rows into it$tag" "$who UPDATE swi_pub.indicator_values SET publication = 'SWI 2024', measure = 'x' WHERE publication = 'actueel' AND measure = 'plichtigen'" "$frozen_msg"
  refused "frozen: truncate$tag" "$who TRUNCATE swi_pub.indicator_values" "$frozen_msg"
  refused "frozen: update raw values$tag" "$who UPDATE swi.indicator_raw SET raw_num = raw_num + 1 WHERE publication = 'SWI 2024'" "$frozen_msg"
  refused "frozen: delete raw values$tag" "$who DELETE FROM swi.indicator_raw WHERE publication = 'SWI 2024'" "$frozen_msg"
  refused "frozen: truncate raw values$tag" "$who TRUNCATE swi.indicator_raw" "$frozen_msg"
  refused "frozen: unfreeze$tag" "$who UPDATE swi_pub.publications SET frozen = false WHERE name = 'SWI 2024'" "cannot be unfrozen"
  refused "frozen: change peildatum$tag" "$who UPDATE swi_pub.publications SET peildatum = '2024-01-01' WHERE name = 'SWI 2024'" "only its description can change"
  refused "frozen: delete publication$tag" "$who DELETE FROM swi_pub.publications WHERE name = 'SWI 2024'" "cannot be deleted"
done
refused "frozen: also with triggers off for replication" \
  "SET session_replication_role = replica; DELETE FROM swi_pub.indicator_values WHERE publication = 'SWI 2024'" "$frozen_msg"
check_eq "frozen: values intact" "5|35447.7" \
  "$(q "SELECT count(*) || '|' || sum(value) FROM swi_pub.indicator_values WHERE publication = 'SWI 2024'")"
check_eq "frozen: description may change" "SWI 2024, definitief" \
  "$(q "UPDATE swi_pub.publications SET description = 'SWI 2024, definitief' WHERE name = 'SWI 2024' RETURNING description")"
check_eq "not frozen: actueel can change" "25705" \
  "$(q "UPDATE swi_pub.indicator_values SET value = 25705 WHERE publication = 'actueel' AND measure = 'plichtigen' RETURNING value")"
check_eq "freeze_actueel copies" "6" "$(q "SELECT swi_pub.freeze_actueel('Test 2023-05', 'test')")"
check_eq "freeze_actueel freezes" "true|6" \
  "$(q "SELECT frozen || '|' || (SELECT count(*) FROM swi_pub.indicator_values WHERE publication = name)
         FROM swi_pub.publications WHERE name = 'Test 2023-05'")"
refused "actueel can never be frozen" "UPDATE swi_pub.publications SET frozen = true WHERE name = 'actueel'" "publications_never_frozen"

# ---- revisions ------------------------------------------------------------------------
check_eq "revisions of SWI 2024" \
  "fase_plichtigen|ASIEL|aandeel_pip_vastgesteld|37.7|38.1|0.4|f|f|changed
fase_plichtigen|ASIEL|pip_vastgesteld|9700|9800|100|f|f|changed
fase_plichtigen|ASIEL|plichtigen|25700|25700|0|f|f|unchanged
fase_plichtigen|GEZIN|plichtigen||10500|||f|new
pip_termijn|OVERIG|personen||15||t|f|changed
populatie_geslacht|OVERIG|cohortgrootte|10|||f||dropped" \
  "$(as_role "$an" "SELECT breakdown, doelgroep, measure, published_value, current_value, difference,
                      published_onderdrukt, current_onderdrukt, status
                 FROM swi_pub.revisions WHERE publication = 'SWI 2024' ORDER BY breakdown COLLATE \"C\", doelgroep COLLATE \"C\", measure COLLATE \"C\"")"
check_eq "no revisions without a recomputation" "0" \
  "$(q "SELECT count(*) FROM swi_pub.revisions WHERE publication = 'Test 2023-05'")"

# ---- UNKNOWN_TARGET findings --------------------------------------------------------------
check_eq "unknown targets older than 7 days" "UNKNOWN_TARGET|duo|correction|00000000-0000-4000-8000-0000000000ff" \
  "$(q "SELECT finding || '|' || source || '|' || kind || '|' || target_event_id FROM swi_ops.unknown_targets")"
check_eq "unknown targets older than 0 days" "2" "$(q "SELECT count(*) FROM swi_ops.unknown_targets_after(interval '0')")"

# ---- swi_monitor (013): the pipeline's state, no microdata ----------------------------------
q "INSERT INTO swi_ops.findings (person_kind, person_ps, kind, event_id, event_date)
   VALUES ('BSN', $ps1, 'NO_PLICHT', NULL, '2023-01-10')"
check_eq "monitor reads kafka_offsets" "12" "$(as_role "$mon" "SELECT sum(next_offset) FROM swi_ops.kafka_offsets")"
check_eq "monitor reads dead_letters" "UNDECODABLE|test" "$(as_role "$mon" "SELECT reason || '|' || detail FROM swi_ops.dead_letters")"
check_eq "monitor reads duplicate_events" "0" "$(as_role "$mon" "SELECT count(*) FROM swi_ops.duplicate_events")"
check_eq "monitor reads schema_migrations" "1" "$(as_role "$mon" "SELECT count(*) FROM swi_ops.schema_migrations WHERE version = 13")"
check_eq "monitor reads publish_lag" "0" "$(as_role "$mon" "SELECT count(*) FROM swi_ops.publish_lag")"
check_eq "monitor reads freshness" "4" "$(as_role "$mon" "SELECT count(*) FROM swi_pub.freshness")"
check_eq "monitor reads publish_freshness" "1" "$(as_role "$mon" "SELECT count(*) FROM swi_pub.publish_freshness")"
check_eq "monitor reads unknown_targets" "1" "$(as_role "$mon" "SELECT count(*) FROM swi_ops.unknown_targets")"
check_eq "monitor reads unknown_targets_after" "2" "$(as_role "$mon" "SELECT count(*) FROM swi_ops.unknown_targets_after(interval '0')")"
check_eq "monitor reads findings without pseudonyms" "NO_PLICHT|BSN" \
  "$(as_role "$mon" "SELECT kind || '|' || person_kind FROM swi_ops.findings")"
check_eq "monitor reads finding_counts" "NO_PLICHT|1" "$(as_role "$mon" "SELECT kind || '|' || findings FROM swi_ops.finding_counts")"
denied "monitor: findings.person_ps" "$mon" "SELECT person_ps FROM swi_ops.findings"
denied "monitor: SELECT * FROM findings" "$mon" "SELECT * FROM swi_ops.findings"
denied "monitor: swi.events" "$mon" "SELECT count(*) FROM swi.events"
denied "monitor: swi.trajectories" "$mon" "SELECT count(*) FROM swi.trajectories"
denied "monitor: publish_queue" "$mon" "SELECT count(*) FROM swi_ops.publish_queue"
denied "monitor: indicator_values" "$mon" "SELECT count(*) FROM swi_pub.indicator_values"
denied "monitor: write dead_letters" "$mon" "DELETE FROM swi_ops.dead_letters"
denied "monitor: write kafka_offsets" "$mon" "UPDATE swi_ops.kafka_offsets SET next_offset = 0"
q "DELETE FROM swi_ops.findings"

# ---- default privileges: new swi_pub tables are readable by analysts ------------------------
q "SET ROLE swi_writer; CREATE TABLE swi_pub.it_roles_new_w (x int); RESET ROLE;
   CREATE TABLE swi_pub.it_roles_new_s (x int)"
check_eq "default privileges (table by swi_writer)" "0" "$(as_role "$an" "SELECT count(*) FROM swi_pub.it_roles_new_w")"
check_eq "default privileges (table by migrating superuser)" "0" "$(as_role "$an" "SELECT count(*) FROM swi_pub.it_roles_new_s")"
denied "default privileges: no write" "$an" "INSERT INTO swi_pub.it_roles_new_w VALUES (1)"
q "DROP TABLE swi_pub.it_roles_new_w, swi_pub.it_roles_new_s"

# ---- ownership and comments -----------------------------------------------------------
check_eq "swi_writer owns every relation" "0" \
  "$(q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('swi', 'swi_ops', 'swi_pub') AND c.relkind IN ('r', 'v')
           AND pg_get_userbyid(c.relowner) <> 'swi_writer'")"
check_eq "every relation commented" "" \
  "$(q "SELECT string_agg(n.nspname || '.' || c.relname, ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('swi', 'swi_ops', 'swi_pub') AND c.relkind IN ('r', 'v')
           AND obj_description(c.oid, 'pg_class') IS NULL")"
check_eq "every column commented" "" \
  "$(q "SELECT string_agg(c.relname || '.' || a.attname, ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname IN ('swi', 'swi_ops', 'swi_pub') AND c.relkind IN ('r', 'v')
           AND col_description(c.oid, a.attnum) IS NULL")"

it_finish
