#!/usr/bin/env bash
# bench/run.sh - swi-stream benchmarks: ratios against a baseline measured in the
# same run, medians of several runs (see bench/README.md).
#
#   bench/run.sh [--full] [--persons N] [--runs R] [--batch B] [--traj-batch B]
#                [--skip-ingest] [--skip-traj-ingest] [--skip-publish] [--skip-trajectory]
#                [--skip-freshness] [--skip-e1] [--live-rate R]
#                [--keep-base NAME] [--base NAME]
#
#   a. ingest:      swi-etl (trajectories off) vs a bare COPY of the same rows
#   b. ingest+traj: swi-etl (trajectories on, batch.size --traj-batch, default
#                   5000: at 20000 the trajectory step's advisory locks overflow
#                   PostgreSQL's lock table, see README) vs the same bare COPY
#   c. publish:     swi-publish over the database of (b)
#   d. trajectory:  bench/bench_trajectory (swi_cluster_versions in-process)
#   e. freshness:   swi-etl with the live publisher on (trajectories on): p50/p99/max
#                   of batch commit -> 'actueel' committed, vs one from-scratch
#                   recomputation of the same figures (swi-publish) at the end;
#                   e1 backfill: the whole stream as fast as it goes; e2 live: the
#                   first 90% as a backfill, then the last 10% as a live feed of
#                   --live-rate messages/s (default 500), measured over the live part;
#                   --keep-base NAME keeps e2's backfilled database as NAME, and
#                   --base NAME starts e2 from such a database (same --persons and
#                   --seed, checked) instead of backfilling again
#
# Default size: 20,000 persons (~300k messages); --full: 150,000 persons (~2.3M
# messages; takes long, see README). Builds into build-bench/ (Release), uses the
# project-local PostgreSQL (deploy/pg.sh) with scratch databases bench_*_<pid>
# that are dropped at exit; never writes the database "swi".
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build-bench
PERSONS=20000
RUNS=3
BATCH=20000
TRAJ_BATCH=5000
LIVE_RATE=500
SEED=1
KEEP_BASE="" REUSE_BASE=""
do_ingest=1 do_traj=1 do_pub=1 do_tb=1 do_fresh=1 do_e1=1

usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --full) PERSONS=150000 ;;
    --persons) PERSONS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --traj-batch) TRAJ_BATCH=$2; shift ;;
    --live-rate) LIVE_RATE=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --keep-base) KEEP_BASE=$2; shift ;;
    --base) REUSE_BASE=$2; shift ;;
    --skip-ingest) do_ingest=0 ;;
    --skip-traj-ingest) do_traj=0 ;;
    --skip-publish) do_pub=0 ;;
    --skip-trajectory) do_tb=0 ;;
    --skip-freshness) do_fresh=0 ;;
    --skip-e1) do_e1=0 ;;
    -h|--help) usage 0 ;;
    *) echo "bench: unknown option $1" >&2; usage ;;
  esac
  shift
done
[ "$do_traj" = 1 ] || do_pub=0 # publication runs over the database of (b)

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- build -------------------------------------------------------------------
cd "$SRC"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  log "configuring $BUILD (Release)"
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
log "building $BUILD"
cmake --build "$BUILD" -j"$(nproc)" --target swi-etl swi-gen swi-broker swi-publish swi-replay >/dev/null \
  || die "build failed (cmake --build $BUILD)"
if [ "$do_tb" = 1 ]; then
  cmake --build "$BUILD" -j"$(nproc)" --target bench_trajectory >/dev/null \
    || die "bench_trajectory did not build (cmake --build $BUILD --target bench_trajectory)"
fi

# ---- PostgreSQL, scratch space, cleanup -----------------------------------------
deploy/pg.sh start >/dev/null 2>&1 || die "deploy/pg.sh start failed"
eval "$(deploy/pg.sh env)"
maint=$SWI_PG_CONNINFO                       # maintenance connection (database swi: read only)
base_ci=$(printf '%s' "$maint" | sed -E 's/dbname=[^ ]*//')
work=$(mktemp -d /tmp/swi-bench.XXXXXX)
broker_pid=""
cleanup() {
  if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  # by name: new_db runs in a command substitution, so dbs+=() there is lost
  for d in $(psql "$maint" -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_%\_$$'" 2>/dev/null); do
    psql "$maint" -X -q -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
  [ -n "${BENCH_KEEP:-}" ] && log "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

new_db() { # name -> prints conninfo
  local d="bench_$1_$$"
  psql "$maint" -X -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" \
    -c "CREATE DATABASE $d" >/dev/null
  printf '%s dbname=%s' "$base_ci" "$d"
}
drop_db() { # name
  psql "$maint" -X -q -c "DROP DATABASE IF EXISTS bench_$1_$$ WITH (FORCE)" >/dev/null 2>&1 || true
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit}
  if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
kfmt() { awk -v r="$1" 'BEGIN { if (r >= 1000) printf "%.1fk", r/1000; else printf "%.0f", r }'; }

# Seconds since midnight UTC of every "ts=" in a log line, as awk code.
AWK_TS='function ts(line,   t, a) { match(line, /ts=[0-9-]+T[0-9:.]+Z/); t = substr(line, RSTART + 14, 12);
  split(t, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }'

# From a swi-etl debug log: steady-state rate (events committed after the first
# commit / time from the first to the last commit), whole-consume rate (all
# events / time from the last partition assignment before the first commit to
# the last commit), events, batches, commit failures.
parse_etl_log() { # log
  awk "$AWK_TS"'
    /msg="partitions assigned" count=/ { if (!nb) t_assign = ts($0) }
    /msg="batch committed" events=/ {
      match($0, / events=[0-9]+/); e = substr($0, RSTART + 8, RLENGTH - 8) + 0
      t = ts($0); if (nb == 0) { t0 = t; t_prev = t } ; if (t < t_prev) t += 86400
      if (nb > 0) { steady += e } ; total += e; t1 = t; t_prev = t; nb++ }
    /msg="batch commit failed/ { fails++ }
    END {
      if (t_assign > t0) t_assign -= 86400
      printf "%.1f %.1f %d %d %d\n", (t1 > t0 ? steady / (t1 - t0) : 0),
        (t1 > t_assign ? total / (t1 - t_assign) : 0), total, nb, fails + 0 }' "$1"
}

cat_sysinfo() {
  local cpu
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo "?")
  log "machine: $(nproc) cores, $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; PostgreSQL $(psql "$maint" -X -A -t -c 'SHOW server_version' 2>/dev/null)"
}
cat_sysinfo
log "persons=$PERSONS runs=$RUNS batch.size=$BATCH (trajectories: $TRAJ_BATCH) seed=$SEED work=$work"
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews absolute rates; ratios are paired per run)"

# ---- data: one generation into a fresh broker and a replay file ----------------
printf 'bench-pseudonym-key-0123456789abcdef' > "$work/key"
"$BUILD/swi-broker" --partitions 8 --bootstrap-file "$work/bootstrap" >/dev/null 2>"$work/broker.log" &
broker_pid=$!
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
[ -s "$work/bootstrap" ] || die "broker did not start: $(cat "$work/broker.log")"
bootstrap=$(cat "$work/bootstrap")
if [ "$do_ingest" = 1 ] || [ "$do_traj" = 1 ] || [ "$do_tb" = 1 ] || [ "$do_fresh" = 1 ]; then
  log "generating $PERSONS persons into $bootstrap (and $work/replay.bin)"
  gen_args=(--persons "$PERSONS" --seed "$SEED" --schema-dir "$SRC/schemas" -q
            --out "$work/replay.bin" --manifest "$work/manifest.json")
  [ "$do_ingest" = 1 ] || [ "$do_traj" = 1 ] || [ "$do_fresh" = 1 ] && gen_args+=(-b "$bootstrap")
  "$BUILD/swi-gen" "${gen_args[@]}" 2>"$work/gen.log" || die "swi-gen failed: $(tail -5 "$work/gen.log")"
  log "generated $(jq -r .messages_total "$work/manifest.json") messages, $(jq -r .good_event_ids "$work/manifest.json") distinct events"
fi

# swi-etl's arguments into ETL_ARGS: conninfo group trajectories(true|false)
# batch_size publish.interval.s [more swi-etl arguments...]
etl_args() {
  ETL_ARGS=(-X pg.conninfo="$1" -X kafka.bootstrap.servers="$bootstrap"
            -X schema.dir="$SRC/schemas" -X pseudonym.key.file="$work/key"
            -X group.id="$2" -X trajectories.enable="$3" -X batch.size="$4"
            -X publish.interval.s="$5" -X log.level=debug "${@:6}")
}
run_etl() { # conninfo log trajectories(true|false) batch_size [publish.interval.s]
  # A group id of its own per run: the broker would otherwise hold the next
  # run's join until the previous member's session times out.
  etl_args "$1" "swi-bench-$$-$(basename "$2" .log)" "$3" "$4" "${5:-0}"
  "$BUILD/swi-etl" "${ETL_ARGS[@]}" --until-caught-up 2>"$2" || die "swi-etl failed: $(tail -5 "$2")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

COLS="source, event_id, event_type, bsn_ps, vnr_ps, event_date, registered_at, corrects, retracts, payload, schema_id, kafka_topic, kafka_partition, kafka_offset"
# Bare COPY baseline: the same rows, into the same (migrated, empty) tables, one
# \copy per batch of $BATCH rows in one psql session; rate over batches 2..n
# (as the pipeline's: first batch excluded), and over all batches.
prepare_copy() { # source conninfo
  psql "$1" -X -q -c "\\copy (SELECT $COLS FROM swi.events ORDER BY ingested_at, kafka_topic, kafka_partition, kafka_offset) TO '$work/events.copy'"
  mkdir -p "$work/chunks"
  split -l "$BATCH" -d -a 4 "$work/events.copy" "$work/chunks/c_"
  { echo '\timing on'; for f in "$work"/chunks/c_*; do echo "\\copy swi.events ($COLS) FROM '$f'"; done; } > "$work/copy.sql"
  rm -f "$work/events.copy"
}
run_copy() { # name -> "steady_rate all_rate"
  local ci
  ci=$(new_db "$1")
  "$BUILD/swi-etl" -X pg.conninfo="$ci" -X schema.dir="$SRC/schemas" --migrate-only 2>/dev/null \
    || die "swi-etl --migrate-only failed"
  psql "$ci" -X -q -v ON_ERROR_STOP=1 -f "$work/copy.sql" > "$work/copy.out" || die "bare COPY failed"
  local rows_first rows_all
  rows_first=$(wc -l < "$work/chunks/c_0000")
  rows_all=$(cat "$work"/chunks/c_* | wc -l)
  awk -v rf="$rows_first" -v ra="$rows_all" '/^Time:/ { ms = $2 + 0; n++; all += ms; if (n > 1) rest += ms }
    END { printf "%.1f %.1f\n", (rest > 0 ? (ra - rf) / (rest / 1000) : 0), ra / (all / 1000) }' "$work/copy.out"
  drop_db "$1"
}

results=()
say() { echo "$*"; results+=("$*"); }

# ---- (a) ingest, trajectories off -------------------------------------------------
copy_rates=()
if [ "$do_ingest" = 1 ] || [ "$do_traj" = 1 ]; then
  ing_steady=() ing_all=() ing_ratio=()
  for r in $(seq "$RUNS"); do
    if [ "$do_ingest" = 1 ] || [ "$r" = 1 ]; then
      ci=$(new_db "ingest$r")
      run_etl "$ci" "$work/etl_ingest$r.log" false "$BATCH"
      read -r st al ev nb fl < <(parse_etl_log "$work/etl_ingest$r.log")
      log "ingest run $r: ${st} rows/s steady (first->last commit), ${al} rows/s incl. first batch; events=$ev batches=$nb commit_failures=$fl"
      ing_steady+=("$st"); ing_all+=("$al")
      [ "$r" = 1 ] && prepare_copy "$ci"
      drop_db "ingest$r"
    fi
    read -r cst cal < <(run_copy "copy$r")
    log "bare COPY run $r: ${cst} rows/s steady (batches 2..n), ${cal} rows/s all batches"
    copy_rates+=("$cst")
    [ "$do_ingest" = 1 ] && ing_ratio+=("$(ratio "$st" "$cst")")
  done
  copy_med=$(printf '%s\n' "${copy_rates[@]}" | median)
  if [ "$do_ingest" = 1 ]; then
    ing_med=$(printf '%s\n' "${ing_steady[@]}" | median)
    ing_all_med=$(printf '%s\n' "${ing_all[@]}" | median)
    ing_rmed=$(printf '%s\n' "${ing_ratio[@]}" | median)
    say "ingest: pipeline $(kfmt "$ing_med") rows/s, bare COPY $(kfmt "$copy_med") rows/s, ratio $(printf '%.2f' "$ing_rmed") (median of $RUNS paired runs, each: ${ing_ratio[*]}; target >= 0.80; batch.size $BATCH; pipeline incl. first batch: $(kfmt "$ing_all_med") rows/s)"
  fi
fi

# ---- (b) ingest, trajectories on --------------------------------------------------
if [ "$do_traj" = 1 ]; then
  tr_steady=() tr_all=() tr_fail=() tr_ratio=()
  for r in $(seq "$RUNS"); do
    [ "$r" -gt 1 ] && drop_db "traj$((r - 1))"
    ci=$(new_db "traj$r")
    run_etl "$ci" "$work/etl_traj$r.log" true "$TRAJ_BATCH"
    read -r st al ev nb fl < <(parse_etl_log "$work/etl_traj$r.log")
    log "ingest+trajectories run $r: ${st} rows/s steady, ${al} rows/s incl. first batch; events=$ev batches=$nb commit_failures=$fl"
    [ "$fl" -gt 0 ] && log "  first commit failure: $(grep -m1 'batch commit failed' "$work/etl_traj$r.log" | sed 's/.*error=//')"
    tr_steady+=("$st"); tr_all+=("$al"); tr_fail+=("$fl")
    tr_ratio+=("$(ratio "$st" "${copy_rates[$(( (r - 1) % ${#copy_rates[@]} ))]}")")
  done
  pub_ci=$ci
  tr_med=$(printf '%s\n' "${tr_steady[@]}" | median)
  tr_all_med=$(printf '%s\n' "${tr_all[@]}" | median)
  fail_med=$(printf '%s\n' "${tr_fail[@]}" | median)
  tr_rmed=$(printf '%s\n' "${tr_ratio[@]}" | median)
  say "ingest+trajectories: pipeline $(kfmt "$tr_med") rows/s, bare COPY $(kfmt "$copy_med") rows/s, ratio $(printf '%.2f' "$tr_rmed") (median of $RUNS; batch.size $TRAJ_BATCH vs COPY batches of $BATCH; incl. first batch: $(kfmt "$tr_all_med") rows/s; commit failures per run: ${tr_fail[*]})"
fi

# ---- (c) publication ---------------------------------------------------------------
if [ "$do_pub" = 1 ]; then
  pub_s=() pub_rate=()
  for r in $(seq "$RUNS"); do
    t0=$(date +%s.%N)
    "$BUILD/swi-publish" -X pg.conninfo="$pub_ci" 2>"$work/publish$r.log" \
      || die "swi-publish failed: $(tail -3 "$work/publish$r.log")"
    t1=$(date +%s.%N)
    persons=$(grep -o 'persons=[0-9]*' "$work/publish$r.log" | head -1 | cut -d= -f2)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
    log "publish run $r: ${s} s wall, persons=$persons ($(grep -o 'seconds=[0-9.]*' "$work/publish$r.log" | head -1) internal)"
    pub_s+=("$s"); pub_rate+=("$(awk -v p="$persons" -v s="$s" 'BEGIN{printf "%.1f", p/s}')")
  done
  ps_med=$(printf '%s\n' "${pub_s[@]}" | median)
  pr_med=$(printf '%s\n' "${pub_rate[@]}" | median)
  say "publish: $(printf '%.2f' "$ps_med") s for $persons persons, $(kfmt "$pr_med") persons/s (median of $RUNS; national scale 150k persons extrapolates to $(awk -v r="$pr_med" 'BEGIN{printf "%.0f", 150000/r}') s)"
  drop_db "traj$RUNS"
fi

# ---- (d) trajectory updates in-process ------------------------------------------
if [ "$do_tb" = 1 ]; then
  log "bench_trajectory over $work/replay.bin"
  "$BUILD/bench_trajectory" --in "$work/replay.bin" --schema-dir "$SRC/schemas" --runs "$RUNS" \
    > "$work/tb.out" || die "bench_trajectory failed"
  while IFS= read -r l; do say "$l"; done < "$work/tb.out"
fi

# ---- (e) freshness of the live figures ---------------------------------------------
lag_stats() { # conninfo [where] -> "n p50 p99 max"
  psql "$1" -XAt -F' ' -c "
    SELECT count(*),
           coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - committed_at))::numeric, 3), 0),
           coalesce(round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - committed_at))::numeric, 3), 0),
           coalesce(round(max(extract(epoch FROM published_at - committed_at))::numeric, 3), 0)
      FROM swi_ops.publish_lag ${2:-}"
}
scratch_s() { # conninfo run -> seconds of one from-scratch recomputation
  local t0 t1
  t0=$(date +%s.%N)
  "$BUILD/swi-publish" -X pg.conninfo="$1" -n bench-scratch 2>"$work/scratch$2.log" \
    || die "swi-publish failed: $(tail -3 "$work/scratch$2.log")"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}'
}
delta_round_s() { # log -> median seconds of the last tenth of the delta rounds
  (grep 'msg="current figures updated"' "$1" || true) | grep -o ' seconds=[0-9.]*' | cut -d= -f2 \
    | awk '{a[NR]=$1} END {s=int(NR*0.9)+1; for (i=s;i<=NR;i++) print a[i]}' | median
}
if [ "$do_fresh" = 1 ]; then
  e1_p50=() e1_p99=() e1_max=() e1_full=() e2_p50=() e2_p99=() e2_max=() e2_n=() e2_full=()
  total=$(jq -r .messages_total "$work/manifest.json")
  cut90=$((total * 9 / 10))
  for r in $(seq "$RUNS"); do
    # e1: the stream already in the broker, as fast as it goes
    if [ "$do_e1" = 1 ]; then
    ci=$(new_db "fresh$r")
    run_etl "$ci" "$work/etl_fresh$r.log" true "$TRAJ_BATCH" 1
    read -r n p50 p99 mx < <(lag_stats "$ci")
    last=$(delta_round_s "$work/etl_fresh$r.log")
    full=$(scratch_s "$ci" "$r")
    log "freshness e1 (backfill) run $r: batches=$n p50=${p50}s p99=${p99}s max=${mx}s; delta round at full size ${last}s; from-scratch recomputation ${full}s"
    e1_p50+=("$p50"); e1_p99+=("$p99"); e1_max+=("$mx"); e1_full+=("$full")
    drop_db "fresh$r"
    fi

    # e2: the first 90% as a backfill (once, into a template database), then
    # per run a copy of it, a fresh broker with the same 90% (the same
    # partitions and offsets, which the copy has stored), and the rest as a
    # live feed
    "$BUILD/swi-broker" --partitions 8 --bootstrap-file "$work/bootstrap_live" >/dev/null 2>>"$work/broker.log" &
    live_broker=$!
    for _ in $(seq 100); do [ -s "$work/bootstrap_live" ] && break; sleep 0.1; done
    lb=$(cat "$work/bootstrap_live")
    "$BUILD/swi-replay" --in "$work/replay.bin" -b "$lb" --schema-dir "$SRC/schemas" --to "$cut90" 2>>"$work/replay.log"
    bootstrap_saved=$bootstrap; bootstrap=$lb
    base_tag="e2 backfill persons=$PERSONS seed=$SEED cut=$cut90"
    if [ "$r" = 1 ] && [ -n "$REUSE_BASE" ]; then
      tag=$(psql "$maint" -XAt -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$REUSE_BASE'")
      [ "$tag" = "$base_tag" ] \
        || die "--base $REUSE_BASE: not the $base_tag (its comment: ${tag:-none})"
      log "freshness e2: starting from the kept backfill $REUSE_BASE"
      livebase=$REUSE_BASE
    elif [ "$r" = 1 ]; then
      base=$(new_db livebase)
      livebase=bench_livebase_$$
      etl_args "$base" "swi-bench-live" true "$TRAJ_BATCH" 0 -X kafka.session.timeout.ms=6000
      log "freshness e2: backfilling the first 90% once"
      "$BUILD/swi-etl" "${ETL_ARGS[@]}" --until-caught-up 2>"$work/etl_livebase.log" \
        || die "swi-etl failed: $(tail -5 "$work/etl_livebase.log")"
      psql "$base" -XAq -c "TRUNCATE swi_ops.publish_queue, swi_ops.publish_lag" -c "VACUUM ANALYZE"
      if [ -n "$KEEP_BASE" ]; then
        psql "$maint" -Xq -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $KEEP_BASE WITH (FORCE)" \
          -c "CREATE DATABASE $KEEP_BASE TEMPLATE $livebase" \
          -c "COMMENT ON DATABASE $KEEP_BASE IS '$base_tag'" >/dev/null \
          || die "keeping the backfill as $KEEP_BASE failed"
        log "freshness e2: kept the backfill as database $KEEP_BASE (--base $KEEP_BASE reuses it)"
      fi
    fi
    d="bench_live${r}_$$"
    psql "$maint" -Xq -c "CREATE DATABASE $d TEMPLATE $livebase" >/dev/null || die "copying the backfilled database failed"
    ci="$base_ci dbname=$d"
    # the live instance must continue the backfill's consumer group: the
    # offsets are stored in PostgreSQL per group
    etl_args "$ci" "swi-bench-live" true "$TRAJ_BATCH" 1 -X kafka.session.timeout.ms=6000
    "$BUILD/swi-etl" "${ETL_ARGS[@]}" 2>"$work/etl_live${r}b.log" &
    etl_pid=$!
    # wait for the start-up rebuild of the live figures, then feed the rest
    for _ in $(seq 1200); do grep -q 'current figures rebuilt' "$work/etl_live${r}b.log" && break; sleep 0.5; done
    t_live=$(psql "$ci" -XAt -c "SELECT now()")
    "$BUILD/swi-replay" --in "$work/replay.bin" -b "$lb" --schema-dir "$SRC/schemas" --from "$cut90" \
      --rate "$LIVE_RATE" 2>>"$work/replay.log"
    sleep 5
    kill -TERM "$etl_pid"; wait "$etl_pid" || true
    kill "$live_broker" 2>/dev/null || true; wait "$live_broker" 2>/dev/null || true
    rm -f "$work/bootstrap_live"; bootstrap=$bootstrap_saved
    # a live part that re-read stored messages measured nothing: the copy's
    # stored offsets must match the fresh broker's (swi-replay partitions
    # deterministically)
    read -r msgs dups < <(grep 'msg="stopped"' "$work/etl_live${r}b.log" | tail -1 \
      | sed -E 's/.* consumed=([0-9]+) .* duplicates=([0-9]+) .*/\1 \2/')
    [ -n "${msgs:-}" ] && [ "$msgs" -gt 0 ] && [ $((dups * 10)) -lt "$msgs" ] \
      || die "freshness e2 run $r: the live part read ${dups:-?} duplicates in ${msgs:-?} messages (expected a few percent)"
    read -r n p50 p99 mx < <(lag_stats "$ci" "WHERE committed_at >= '$t_live'")
    full2=$(scratch_s "$ci" "live$r")
    log "freshness e2 (live feed, $LIVE_RATE msg/s) run $r: batches=$n p50=${p50}s p99=${p99}s max=${mx}s; from-scratch recomputation ${full2}s"
    e2_p50+=("$p50"); e2_p99+=("$p99"); e2_max+=("$mx"); e2_n+=("$n"); e2_full+=("$full2")
    drop_db "live$r"
  done
  e1_full_med=$(printf '%s\n' "${e1_full[@]:-}" | median)
  [ "$do_e1" = 1 ] && say "freshness e1 backfill: p99 $(printf '%s\n' "${e1_p99[@]}" | median) s, p50 $(printf '%s\n' "${e1_p50[@]}" | median) s, max $(printf '%s\n' "${e1_max[@]}" | median) s from batch commit to 'actueel' committed; one from-scratch recomputation ${e1_full_med} s: ratio p99 / from-scratch $(ratio "$(printf '%s\n' "${e1_p99[@]}" | median)" "$e1_full_med") (median of $RUNS; batch.size $TRAJ_BATCH)"
  say "freshness e2 live feed at $LIVE_RATE msg/s: p99 $(printf '%s\n' "${e2_p99[@]}" | median) s, p50 $(printf '%s\n' "${e2_p50[@]}" | median) s, max $(printf '%s\n' "${e2_max[@]}" | median) s over $(printf '%s\n' "${e2_n[@]}" | median) batches (target p99 <= 1 s); one from-scratch recomputation $(printf '%s\n' "${e2_full[@]}" | median) s: ratio p99 / from-scratch $(ratio "$(printf '%s\n' "${e2_p99[@]}" | median)" "$(printf '%s\n' "${e2_full[@]}" | median)") (median of $RUNS)"
fi

log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== summary (persons=$PERSONS, batch.size=$BATCH, medians of $RUNS) =="
printf '%s\n' "${results[@]}"
