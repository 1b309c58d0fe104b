#!/usr/bin/env bash
# bench/dashboard.sh - the dashboard's latency at national scale (see
# bench/README.md, "f. Dashboard"): every API call of every page, median of
# several runs, against the 300 ms target, and the page loads.
#
#   bench/dashboard.sh [--persons N] [--runs R] [--db NAME] [--rebuild]
#                      [--partitions P] [--no-trajectories]
#
# The database (default bench_dash_<N>, N = 150000) is built once - swi-gen,
# swi-etl --until-caught-up with the live publisher ('actueel'), swi-publish
# 'SWI 2024' frozen as known on 2025-01-15 (so the revisions page has changes) -
# and kept for later runs (its comment records persons and seed; --rebuild
# makes it again). --partitions: per topic (default one per 6,000 persons, at
# least 8: the embedded broker keeps 5 MiB per partition, and a fuller one drops
# history - the load is then refused). --no-trajectories loads the events with
# trajectories.enable=false and writes 'actueel' with swi-publish: the same
# published figures (swi-publish computes them from swi.events), built in
# minutes where the trajectory step takes hours at 150k today
# (docs/benchmarks.md). Uses the
# project-local PostgreSQL (deploy/pg.sh) and builds into build-bench/ (Release).
# Note the load average: the machine is shared.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build-bench
PERSONS=150000 RUNS=7 DB="" REBUILD=0 SEED=1 PARTS="" TRAJ=1
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --persons) PERSONS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --db) DB=$2; shift ;;
    --rebuild) REBUILD=1 ;;
    --partitions) PARTS=$2; shift ;;
    --no-trajectories) TRAJ=0 ;;
    -h|--help) usage 0 ;;
    *) echo "dashboard.sh: unknown option $1" >&2; usage ;;
  esac
  shift
done
DB=${DB:-bench_dash_$PERSONS}
[ -n "$PARTS" ] || { PARTS=$(( (PERSONS + 5999) / 6000 )); [ "$PARTS" -ge 8 ] || PARTS=8; }
log() { printf '%s bench-dashboard: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

"$SRC/tools/setup.sh" "$BUILD" -DCMAKE_BUILD_TYPE=Release
"$SRC/deploy/pg.sh" start
eval "$("$SRC/deploy/pg.sh" env)"
base=$(printf '%s' "$SWI_PG_CONNINFO" | sed -E 's/dbname=[^ ]*//')
conninfo="$base dbname=$DB"
work=$(mktemp -d /tmp/swi-bench-dash.XXXXXX)
pids=()
role="bench_dash_analyst"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

tag="swi-bench-dashboard persons=$PERSONS seed=$SEED trajectories=$TRAJ"
have=$(psql "$SWI_PG_CONNINFO" -X -q -A -t -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'")
if [ "$REBUILD" = 1 ] || [ "$have" != "$tag" ]; then
  [ -n "$have" ] && [ "$have" != "$tag" ] && [ "$REBUILD" = 0 ] && { log "database $DB exists but is not '$tag'; use --rebuild or --db"; exit 2; }
  log "building $DB: $PERSONS persons (takes a while at national scale)"
  psql "$SWI_PG_CONNINFO" -X -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  "$BUILD/swi-broker" --partitions "$PARTS" --bootstrap-file "$work/bootstrap" >/dev/null 2>"$work/broker.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
  printf 'bench-dashboard-key-0123456789abcdef' >"$work/key"; chmod 600 "$work/key"
  cat >"$work/etl.conf" <<CONF
pg.conninfo = $conninfo
kafka.bootstrap.servers = $(cat "$work/bootstrap")
schema.dir = $SRC/schemas
pseudonym.key.file = $work/key
batch.size = 5000
publish.interval.s = 60
log.level = warn
trajectories.enable = $([ "$TRAJ" = 1 ] && echo true || echo false)
CONF
  "$BUILD/swi-gen" --persons "$PERSONS" --seed "$SEED" -b "$(cat "$work/bootstrap")" --schema-dir "$SRC/schemas" -q \
    --manifest "$work/manifest.json"
  t0=$(date +%s)
  "$BUILD/swi-etl" -c "$work/etl.conf" --until-caught-up
  log "loaded in $(( $(date +%s) - t0 )) s"
  want=$(jq -r .good_event_ids "$work/manifest.json")
  got=$(psql "$conninfo" -X -q -A -t -c "SELECT count(*) FROM swi.events")
  [ "$want" = "$got" ] || { log "stored $got events, the generator made $want: the embedded broker dropped history?"; exit 1; }
  [ "$TRAJ" = 1 ] || "$BUILD/swi-publish" -c "$work/etl.conf" --name actueel
  "$BUILD/swi-publish" -c "$work/etl.conf" --name "SWI 2024" --peildatum 2024-12-31 --known-at "2025-01-15 00:00:00" --freeze
  psql "$conninfo" -X -q -c "VACUUM ANALYZE swi_pub.indicator_values" -c "COMMENT ON DATABASE $DB IS '$tag'"
  kill "${pids[0]}" 2>/dev/null || true
fi
psql "$conninfo" -X -q -A -t -c "SELECT 'database ' || current_database() || ' (' || (SELECT shobj_description(oid, 'pg_database') FROM pg_database
  WHERE datname = current_database()) || '): '
  || (SELECT count(*) FROM swi.events) || ' events, '
  || (SELECT count(*) FROM swi_pub.indicator_values) || ' published values in '
  || (SELECT count(*) FROM swi_pub.publications) || ' publications'" >&2
psql "$SWI_PG_CONNINFO" -X -q -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role')
  THEN CREATE ROLE $role LOGIN IN ROLE analyst; END IF; END \$\$"

"$BUILD/swi-dashboard" -X pg.conninfo="$conninfo user=$role" -X http.port=0 -X log.level=warn \
  --url-file "$work/url" 2>"$work/dashboard.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
log "serving $(cat "$work/url"); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
node "$SRC/bench/dashboard.mjs" "$(cat "$work/url")" "$RUNS"
log "done; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
