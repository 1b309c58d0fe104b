#!/usr/bin/env bash
# The main job on the embedded defaults: installs and builds what is missing,
# starts PostgreSQL (project-local), the embedded Kafka broker and swi-etl,
# feeds a generated population through the registries' topics, and serves the
# dashboard (swi-dashboard, as the read-only analyst login swi_dashboard).
#
#   tools/run.sh [--persons N] [--seed S] [--rate EVENTS_PER_S] [--once]
#
# Without --once it keeps running (Ctrl-C stops everything) and prints the
# dashboard's URL (SWI_DASHBOARD_PORT, default 8080; another free port when that
# one is taken); once the load has caught up it also publishes 'SWI 2024'
# (frozen) so that the revisions page has something to show. With --once it
# exits after the population is loaded.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
persons=20000 seed=42 rate=0 once=0
while [ $# -gt 0 ]; do
  case "$1" in
    --persons) persons=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --once) once=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

export SWI_RUN_DIR=${SWI_RUN_DIR:-$here/.run}
mkdir -p "$SWI_RUN_DIR"
log() { printf '%s run: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

log "setting up and building (Release)"
"$here/tools/setup.sh" "$here/build" -DCMAKE_BUILD_TYPE=Release
bin=$here/build

log "starting PostgreSQL"
"$here/deploy/pg.sh" start
eval "$("$here/deploy/pg.sh" env)"

key=$SWI_RUN_DIR/pseudonym.key
if [ ! -s "$key" ]; then
  (umask 077; openssl rand -hex 32 > "$key")
  log "created a pseudonym key in $key (keep it secret; it never goes into PostgreSQL)"
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting the embedded Kafka broker"
rm -f "$SWI_RUN_DIR/bootstrap"
"$bin/swi-broker" --bootstrap-file "$SWI_RUN_DIR/bootstrap" >/dev/null 2>"$SWI_RUN_DIR/broker.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$SWI_RUN_DIR/bootstrap" ] && break; sleep 0.1; done
[ -s "$SWI_RUN_DIR/bootstrap" ] || { log "broker did not start; see $SWI_RUN_DIR/broker.log"; exit 1; }
bootstrap=$(cat "$SWI_RUN_DIR/bootstrap")
log "broker at $bootstrap"

conf=$SWI_RUN_DIR/swi-etl.conf
cat > "$conf" <<CONF
# written by tools/run.sh
pg.conninfo = $SWI_PG_CONNINFO
kafka.bootstrap.servers = $bootstrap
schema.dir = $here/schemas
pseudonym.key.file = $key
metrics.port = ${SWI_METRICS_PORT:-9464}
CONF

log "generating $persons persons (seed $seed) into the registries' topics"
"$bin/swi-gen" --persons "$persons" --seed "$seed" --rate "$rate" -b "$bootstrap" \
  --schema-dir "$here/schemas" --manifest "$SWI_RUN_DIR/manifest.json"

if [ "$once" = 1 ]; then
  log "loading into PostgreSQL (until caught up)"
  "$bin/swi-etl" -c "$conf" --until-caught-up
else
  log "swi-etl running; metrics on http://127.0.0.1:${SWI_METRICS_PORT:-9464}/metrics (Ctrl-C stops)"
  "$bin/swi-etl" -c "$conf" &
  pids+=($!)
  etl_pid=$!
  sleep 5
fi
psql "$SWI_PG_CONNINFO" -X -q -c "SELECT source, count(*) AS events FROM swi.events GROUP BY 1 ORDER BY 1" \
  -c "SELECT reason, count(*) AS dead_letters FROM swi_ops.dead_letters GROUP BY 1 ORDER BY 1"
log "connect with: psql \"$SWI_PG_CONNINFO\""
if [ "$once" = 0 ]; then
  # The dashboard reads the published figures only, as a login role in group analyst.
  psql "$SWI_PG_CONNINFO" -X -q -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'swi_dashboard') THEN
        CREATE ROLE swi_dashboard LOGIN IN ROLE analyst;
      END IF; END \$\$" >/dev/null
  dconf=$SWI_RUN_DIR/swi-dashboard.conf
  cat > "$dconf" <<DCONF
# written by tools/run.sh
pg.conninfo = $(printf '%s' "$SWI_PG_CONNINFO" | sed -E 's/user=[^ ]*/user=swi_dashboard/')
http.port = ${SWI_DASHBOARD_PORT:-8080}
DCONF
  rm -f "$SWI_RUN_DIR/dashboard.url"
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  port_free "${SWI_DASHBOARD_PORT:-8080}" || sed -i 's/^http.port = .*/http.port = 0/' "$dconf"
  "$bin/swi-dashboard" -c "$dconf" --url-file "$SWI_RUN_DIR/dashboard.url" 2>"$SWI_RUN_DIR/dashboard.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$SWI_RUN_DIR/dashboard.url" ] && break; sleep 0.2; done
  if [ -s "$SWI_RUN_DIR/dashboard.url" ]; then
    log "dashboard: $(cat "$SWI_RUN_DIR/dashboard.url")   <- open this; the figures fill in as the load goes on"
  else
    log "the dashboard did not start; see $SWI_RUN_DIR/dashboard.log"
  fi
  # Once caught up: a frozen publication, so that the revisions page has one.
  (
    for _ in $(seq 600); do
      curl -sf "http://127.0.0.1:${SWI_METRICS_PORT:-9464}/metrics" 2>/dev/null | grep -q '^swi_caught_up 1' && break
      sleep 2
    done
    have=$(psql "$SWI_PG_CONNINFO" -X -q -A -t -c "SELECT count(*) FROM swi_pub.publications WHERE name = 'SWI 2024'")
    if [ "$have" = 0 ]; then
      log "caught up; publishing 'SWI 2024' (peildatum 2024-12-31, as known on 2025-01-15, frozen)"
      nice "$bin/swi-publish" -c "$conf" --name "SWI 2024" --peildatum 2024-12-31 \
        --known-at "2025-01-15 00:00:00" --freeze 2>>"$SWI_RUN_DIR/publish.log" &&
        log "'SWI 2024' published: see the tab Publicaties en revisies"
    fi
  ) &
  pids+=($!)
  wait "$etl_pid"
fi
