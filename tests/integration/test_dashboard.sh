#!/usr/bin/env bash
# Issue 11: what analysts and dashboard users see, on a small population (600 persons)
# loaded through the real pipeline (tests/integration/population.sh):
#  - the code tables and typed views of migrations 010/011: the gemeenten equal
#    the reference CSV, every published category, breakdown and measure has a
#    label, each typed view holds exactly its breakdown's published values, no
#    count 1..T-1, '.' for suppressed, readable by analysts, row-level security
#    for gemeente users through them;
#  - every SQL block of README.md and docs/analyst-guide.md runs as its role
#    and gives the results it promises (tests/dashboard/docsql.test.mjs);
#  - swi-dashboard refuses a role that can see microdata or write, and serves
#    as an analyst: the API (tests/dashboard/api.test.mjs: shapes, every value
#    equal to the published tables, hostile requests) and the pages in headless
#    Chromium (tests/dashboard/e2e.test.mjs: no console errors, numbers, filters,
#    CSV = table; screenshots in <build>/test-artifacts/dashboard/).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/population.sh"

for tool in node psql; do
  command -v "$tool" >/dev/null || { it_log "missing $tool (tools/setup.sh installs it)"; exit 1; }
done
[ -x /usr/bin/chromium ] || { it_log "missing /usr/bin/chromium (tools/test.sh installs it: SWI_SETUP_TESTS=1 tools/setup.sh)"; exit 1; }
[ -f "$SWI_BIN/dashboard-web/index.html" ] || { it_log "front end not built ($SWI_BIN/dashboard-web): cmake --build $SWI_BIN --target dashboard-web"; exit 1; }
[ -d "$SWI_SRC/dashboard/web/node_modules/playwright-core" ] || { it_log "playwright-core missing: dashboard/web/build.sh installs it"; exit 1; }

an="it_dash_an_$$" rs="it_dash_rs_$$" gm="it_dash_gm_$$"
maint() { psql "$SWI_TEST_PG" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
dash_pid=""
dash_cleanup() {
  [ -n "$dash_pid" ] && kill "$dash_pid" 2>/dev/null || true
  [ -n "${dash2_pid:-}" ] && kill "$dash2_pid" 2>/dev/null || true
  for r in "$an" "$rs" "$gm"; do maint "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
}
trap 'dash_cleanup; drop_extra_dbs; it_cleanup' EXIT

it_log "loading a population (600 persons) and its publications"
load_population 600 5
maint "CREATE ROLE $an LOGIN IN ROLE analyst; CREATE ROLE $rs LOGIN IN ROLE researcher;
       CREATE ROLE $gm LOGIN IN ROLE gemeente_user"
q "INSERT INTO swi_pub.gemeente_users VALUES ('$gm', 'GM0363')"
as_role() { psql "$conninfo user=$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2" 2>&1; }

# ---- code tables ----------------------------------------------------------------------
it_log "code tables and typed views"
psql "$conninfo" -X -q -v ON_ERROR_STOP=1 \
  -c "CREATE TABLE it_csv (code text, naam text, regio text, regio_naam text)" \
  -c "\\copy it_csv FROM '$SWI_SRC/transform/data/gemeenten_2024.csv' WITH (FORMAT csv, HEADER true)"
check_eq "gemeenten = the reference CSV" "0|342" \
  "$(q "SELECT (SELECT count(*) FROM ((SELECT code, naam, regio FROM it_csv EXCEPT SELECT code, naam, arbeidsmarktregio FROM swi_pub.gemeenten WHERE laatste_dag IS NULL)
                UNION ALL (SELECT code, naam, arbeidsmarktregio FROM swi_pub.gemeenten WHERE laatste_dag IS NULL EXCEPT SELECT code, naam, regio FROM it_csv)) x)
           || '|' || (SELECT count(*) FROM swi_pub.gemeenten WHERE laatste_dag IS NULL)")"
check_eq "regions = the reference CSV" "0" \
  "$(q "SELECT count(*) FROM ((SELECT DISTINCT regio, regio_naam FROM it_csv EXCEPT SELECT code, naam FROM swi_pub.arbeidsmarktregios)
                              UNION ALL (SELECT code, naam FROM swi_pub.arbeidsmarktregios EXCEPT SELECT DISTINCT regio, regio_naam FROM it_csv)) x")"
check_eq "gemeenten per province (CBS, 1 January 2024)" "PV20:10 PV21:18 PV22:12 PV23:25 PV24:6 PV25:51 PV26:26 PV27:44 PV28:50 PV29:13 PV30:56 PV31:31" \
  "$(q "SELECT string_agg(provincie || ':' || n, ' ' ORDER BY provincie) FROM (SELECT provincie, count(*) n FROM swi_pub.gemeenten WHERE laatste_dag IS NULL GROUP BY 1) x")"
check_eq "dissolved gemeenten with their successor" "GM0457>GM0363 GM0501>GM1992 GM0530>GM1992 GM0614>GM1992" \
  "$(q "SELECT string_agg(code || '>' || opvolger, ' ' ORDER BY code) FROM swi_pub.gemeenten WHERE laatste_dag IS NOT NULL")"
check_eq "every published category has a label" "" \
  "$(q "SELECT string_agg(DISTINCT d.n || '=' || d.v, ' ') FROM (
          SELECT DISTINCT x.n, x.v FROM swi_pub.indicator_values,
                 LATERAL (VALUES (dim1_name, dim1_value), (dim2_name, dim2_value), ('doelgroep', doelgroep)) x(n, v)
           WHERE x.n IS NOT NULL) d
         WHERE NOT EXISTS (SELECT 1 FROM swi_pub.categorieen c WHERE c.dimensie = d.n AND c.code = d.v)
           AND NOT (d.n = 'nationaliteit' AND d.v ~ '^[A-Z]{3}\$')")"
check_eq "every published breakdown is in tabellen with its dimensions" "" \
  "$(q "SELECT string_agg(DISTINCT breakdown, ' ') FROM swi_pub.indicator_values v WHERE NOT EXISTS (
          SELECT 1 FROM swi_pub.tabellen t WHERE t.breakdown = v.breakdown AND t.family = v.family
             AND t.dim1 IS NOT DISTINCT FROM v.dim1_name AND t.dim2 IS NOT DISTINCT FROM v.dim2_name)")"
check_eq "every published measure is in maten with its unit" "" \
  "$(q "SELECT string_agg(DISTINCT measure, ' ') FROM swi_pub.indicator_values v
         WHERE NOT EXISTS (SELECT 1 FROM swi_pub.maten m WHERE m.measure = v.measure AND m.unit = v.unit)")"
check_eq "category order is the published order (one sample: leeftijdsklasse)" "<18,18-24,25-34,35-44,45-54,55+,ONBEKEND,*" \
  "$(q "SELECT string_agg(code, ',' ORDER BY volgorde) FROM swi_pub.categorieen WHERE dimensie = 'leeftijdsklasse'")"

# ---- typed views ------------------------------------------------------------------------
check_eq "one typed view per breakdown" "$(q "SELECT count(*) FROM swi_pub.tabellen")" \
  "$(q "SELECT count(*) FROM pg_views WHERE schemaname = 'swi_pub' AND viewname LIKE 'tabel\\_%'")"
check_eq "typed views read the published schema only" "" \
  "$(q "SELECT string_agg(DISTINCT table_schema || '.' || table_name, ' ') FROM information_schema.view_table_usage
         WHERE view_schema = 'swi_pub' AND view_name LIKE 'tabel\\_%'
           AND (table_schema <> 'swi_pub' OR table_name NOT IN ('indicator_values', 'categorieen', 'maten'))")"
# cell by cell for one publication (indexed), row counts for all of them; one
# statement per view, all in one psql run: "view|differing cells|counts equal"
checks=""
for v in $(q "SELECT view_name || ':' || breakdown || ':' || coalesce(dim1, '') || ':' || coalesce(dim2, '') FROM swi_pub.tabellen ORDER BY volgorde"); do
  IFS=: read -r view bd d1 d2 <<<"$v"
  c1=${d1:+"coalesce($d1, '*')"}; c1=${c1:-"NULL::text"}
  c2=${d2:+"coalesce($d2, '*')"}; c2=${c2:-"NULL::text"}
  tv="SELECT coalesce(cohort::text, '*'), coalesce(doelgroep, '*'), $c1, $c2, measure, value, onderdrukt FROM swi_pub.$view WHERE publication = 'SWI 2024'"
  iv="SELECT cohort, doelgroep, dim1_value, dim2_value, measure, value, onderdrukt FROM swi_pub.indicator_values WHERE publication = 'SWI 2024' AND breakdown = '$bd'"
  checks+="SELECT '$view' || '|' || (SELECT count(*) FROM (($tv EXCEPT ALL $iv) UNION ALL ($iv EXCEPT ALL $tv)) x)
     || '|' || ((SELECT count(*) FROM swi_pub.$view) = (SELECT count(*) FROM swi_pub.indicator_values WHERE breakdown = '$bd'));
"
done
nviews=0
while IFS='|' read -r view diff same; do
  nviews=$((nviews + 1))
  check_eq "$view = its breakdown's published values (SWI 2024, cell by cell)" "0" "$diff"
  check_eq "$view: as many rows as its breakdown (every publication)" "true" "$same"
done < <(psql "$conninfo" -X -q -A -t -v ON_ERROR_STOP=1 <<<"$checks")
check_eq "every typed view compared" "$(q "SELECT count(*) FROM swi_pub.tabellen")" "$nviews"
props() { # view -> the rows breaking a typed-view rule
  q "SELECT count(*) FROM swi_pub.$1 t JOIN swi_pub.publications p ON p.name = t.publication
      WHERE (t.cohort IS NULL) <> t.cohort_totaal OR (t.doelgroep IS NULL) <> t.doelgroep_totaal
         OR (t.weergave = '.') <> t.onderdrukt OR (t.weergave = '') <> (t.value IS NULL AND NOT t.onderdrukt)
         OR (t.percentage IS NOT NULL AND t.unit <> 'procent') OR (t.dagen IS NOT NULL AND t.unit <> 'dagen')
         OR (t.aantal IS NOT NULL AND t.unit NOT IN ('personen', 'gebeurtenissen'))
         OR coalesce(t.aantal, t.percentage, t.dagen) IS DISTINCT FROM t.value
         OR t.aantal BETWEEN 1 AND p.threshold - 1 OR t.aantal % p.rounding_base <> 0
         OR t.doelgroep_label IS NULL OR t.measure_label IS NULL"
}
for view in tabel_populatie_gemeente tabel_leerroute_geslacht tabel_fase tabel_doorlooptijd_status_pip tabel_voortgang_examens tabel_werk_arbeidsmarktregio; do
  check_eq "$view: cohort/totals, weergave, typed values, no count 1..T-1" "0" "$(props "$view")"
done
check_eq "typed view labels" "Totaal|Vrouw|B1-route|Verdeling over de leerroutes (%)" \
  "$(q "SELECT doelgroep_label || '|' || geslacht_label || '|' || leerroute_label || '|' || measure_label FROM swi_pub.tabel_leerroute_geslacht
         WHERE publication = 'actueel' AND cohort_totaal AND doelgroep_totaal AND geslacht = 'V' AND leerroute = 'B1' AND measure = 'aandeel_leerroute'")"
check_eq "suppressed cells are in the fixture" "t" "$(q "SELECT count(*) > 100 FROM swi_pub.tabel_populatie_gemeente WHERE weergave = '.'")"
check_eq "analyst reads a typed view and the code tables" "true|342" \
  "$(as_role "$an" "SELECT (SELECT count(*) > 0 FROM swi_pub.tabel_fase) || '|' || (SELECT count(*) FROM swi_pub.gemeenten WHERE laatste_dag IS NULL)")"
check_eq "analyst reads source_status" "4" "$(as_role "$an" "SELECT count(*) FROM swi_pub.source_status")"
check_eq "gemeente user: own gemeente and the total through the typed view" "*,GM0363" \
  "$(as_role "$gm" "SELECT string_agg(DISTINCT coalesce(gemeente, '*'), ',' ORDER BY coalesce(gemeente, '*')) FROM swi_pub.tabel_populatie_gemeente WHERE publication = 'actueel'")"

# ---- the SQL of the README and the analyst guide ----------------------------------------
it_log "SQL of the documents"
rc=0
node "$SWI_SRC/tests/dashboard/docsql.test.mjs" "$conninfo" "$conninfo user=$an" "$conninfo user=$rs" \
  "$SWI_SRC/README.md" "$SWI_SRC/docs/analyst-guide.md" >"$work/docsql.log" 2>&1 || rc=$?
check_eq "SQL of README.md and docs/analyst-guide.md (tests/dashboard/docsql.test.mjs)" "0" "$rc"
grep -E "FAIL|passed" "$work/docsql.log" >&2 || true

# ---- swi-dashboard: refuses roles that are not read-only analysts ---------------------------
dash() { "$SWI_BIN/swi-dashboard" -X http.port=0 -X log.level=warn "$@"; }
rc=0; out=$(dash -X pg.conninfo="$conninfo" 2>&1) || rc=$?
check_eq "refuses a superuser" "2 superuser" "$rc $(printf '%s' "$out" | grep -o superuser | head -1)"
rc=0; out=$(dash -X pg.conninfo="$conninfo user=$rs" 2>&1) || rc=$?
check_eq "refuses a researcher (microdata)" "2 microdata" "$rc $(printf '%s' "$out" | grep -o microdata | head -1)"
check_eq "--print-config" "http.bind = 127.0.0.1" "$("$SWI_BIN/swi-dashboard" --print-config | grep '^http.bind')"

# ---- serve as an analyst -----------------------------------------------------------------
# (a long statement timeout: the suite may run on a busy machine; no timing is tested here)
"$SWI_BIN/swi-dashboard" -X http.port=0 -X log.level=warn -X pg.conninfo="$conninfo user=$an" \
  -X db.statement.timeout.ms=60000 --url-file "$work/url" 2>"$work/dashboard.log" &
dash_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url" 2>/dev/null || true)
check_eq "listening on 127.0.0.1" "yes" "$([[ $url =~ ^http://127\.0\.0\.1:[0-9]+/$ ]] && echo yes || echo "no: $url")"
[ -n "$url" ] || { tail "$work/dashboard.log" >&2; it_finish; exit 1; }

# the API tests on a second server with a short idle timeout (they wait for it to close idle clients)
"$SWI_BIN/swi-dashboard" -X http.port=0 -X log.level=warn -X pg.conninfo="$conninfo user=$an" \
  -X db.statement.timeout.ms=60000 -X http.timeout.s=2 --url-file "$work/url2" 2>"$work/dashboard2.log" &
dash2_pid=$!
for _ in $(seq 100); do [ -s "$work/url2" ] && break; sleep 0.1; done
it_log "API tests"
rc=0
node "$SWI_SRC/tests/dashboard/api.test.mjs" "$(cat "$work/url2")" "$conninfo" >"$work/api.log" 2>&1 || rc=$?
check_eq "API tests (tests/dashboard/api.test.mjs)" "0" "$rc"
kill "$dash2_pid"; wait "$dash2_pid" || true
grep -E "FAIL|passed|compared" "$work/api.log" | head -40 >&2 || true

it_log "browser tests"
art="$SWI_BIN/test-artifacts/dashboard"
rm -rf "$art"
rc=0
node "$SWI_SRC/tests/dashboard/e2e.test.mjs" "$url" "$conninfo" "$art" >"$work/e2e.log" 2>&1 || rc=$?
check_eq "browser tests (tests/dashboard/e2e.test.mjs)" "0" "$rc"
grep -E "FAIL|passed" "$work/e2e.log" | head -40 >&2 || true
check_eq "screenshots of every page at 1280 px and 390 px" "16" "$(ls "$art"/*.png 2>/dev/null | wc -l)"

check_eq "still serving at the end" "200" "$(curl -s -o /dev/null -w '%{http_code}' "${url}api/v1/health")"
kill -TERM "$dash_pid"
rc=0; wait "$dash_pid" || rc=$?
dash_pid=""
check_eq "stops cleanly on SIGTERM" "0" "$rc"
check_eq "no errors in the server log" "" "$(grep -E 'level=error' "$work/dashboard.log" | head -3)"
it_finish
