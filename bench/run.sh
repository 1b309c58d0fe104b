#!/usr/bin/env bash
# bench/run.sh - swi-stream benchmarks: ratios against a baseline measured in the
# same run, medians of several paired runs (see bench/README.md and
# docs/benchmarks.md).
#
#   bench/run.sh [--quick | --targets] [--sizes N,N,...] [--full] [--persons N] [--runs R]
#                [--batch B] [--traj-batch B] [--live-rates R,R,...] [--live-seconds S]
#                [--skip-ingest] [--skip-peer] [--skip-traj-ingest] [--skip-publish]
#                [--skip-trajectory] [--skip-full] [--skip-freshness]
#                [--skip-scratch] [--keep-base NAME] [--base NAME] [--profile]
#                [--callgrind] [--wait-load L] [--results FILE]
#   bench/run.sh --report FILE...   the target table of earlier runs' results files
#
#   a. ingest:      swi-etl (trajectories off) vs a bare COPY of the same rows
#   p. peer:        the Python pipeline a data engineer would write (bench/peer.py:
#                   confluent-kafka, avro, psycopg2; COPY into staging, ON CONFLICT
#                   DO NOTHING, offsets in the transaction) on the same topics; the
#                   ratio is swi-etl's (a) rate / the peer's, paired per run
#   b. ingest+traj: swi-etl (trajectories on, live publisher off) vs the same COPY
#   c. publish:     swi-publish over the database of (b)
#   d. trajectory:  bench/bench_trajectory (swi_cluster_versions in-process)
#   f. full job:    swi-etl on its defaults (trajectories and the live publisher
#                   on) --until-caught-up, which ends once the current figures
#                   include everything it committed: wall time, us per event,
#                   ratio to the same COPY (paired), peak RSS (VmHWM) and RSS per
#                   tracked person, where the time goes (batch logs, CPU), and the
#                   backfill's freshness (was e1) against one from-scratch
#                   recomputation of the same figures
#   e. freshness:   e2 live feed: the first 90% as a backfill, then the rest at
#                   each of --live-rates messages/s (default 500; at most
#                   --live-seconds of it, default 120), measured over the live part:
#                   p50/p99/max of batch commit -> 'actueel' committed;
#                   --keep-base NAME keeps e2's backfilled database as NAME, and
#                   --base NAME starts e2 from such a database (same --persons and
#                   --seed, checked) instead of backfilling again
#
#   --quick        issue 12's targets at small sizes, in minutes (for a change's
#                  before/after): --sizes 2000,6000 --runs 1 (unless --runs is
#                  given), (a), (p), (f) at each size, (e) at 1000,5000,20000
#                  messages/s for at most 20 s each at the largest, --skip-scratch
#   --targets      issue 12's target set: --sizes 20000,60000,150000 with (a), (p)
#                  and (f) at each size, (e) at 1000,5000,20000 messages/s at the
#                  largest; prints every target as a ratio with met / missed by
#                  (the full run: hours on a quiet 2-core machine; see
#                  docs/benchmarks.md)
#   --sizes LIST   run the chosen benchmarks once per size (each with its own
#                  population and broker), then the scaling check and the memory
#                  slope across sizes; (e) only at the largest size
#   --profile      pg_stat_statements (restarts the local server with it, via
#                  deploy/pg.sh, and back without at the end) over (f)'s first run
#   --callgrind    (f) once more under valgrind --tool=callgrind (use a small
#                  --persons): swi-etl's own CPU by function
#   --skip-scratch no from-scratch recomputation of the figures after (f) and
#                  each (e) run (minutes at 150k persons; only a context ratio)
#   --results FILE also write the key-value results to FILE (--report reads them)
#   --partitions N partitions per topic of the embedded broker (default: 8, and one
#                  more per 6,000 persons above 48,000: the broker keeps only 5 MiB
#                  per partition, docs/architecture.md; a run that lost messages
#                  stops with an error)
#   --wait-load L  before each size, wait (up to 30 min) for a 1-minute load
#                  average under L
#
# Default size: 20,000 persons (~300k messages); --full: 150,000 persons (~2.3M
# messages; takes long, see README). Builds into build-bench/ (Release), uses the
# project-local PostgreSQL (deploy/pg.sh) with scratch databases bench_*_<pid>
# that are dropped at exit; never writes the database "swi".
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build-bench
PY=/usr/bin/python3 # Debian's: the peer's packages are Debian's (not a pyenv on PATH)
PERSONS=20000
RUNS=3
BATCH=20000
TRAJ_BATCH="" # (b) and (f): the pipeline's default batch.size unless given
LIVE_RATES=500
LIVE_SECONDS=120
SEED=1
PARTITIONS="" KEEP_BASE="" REUSE_BASE="" SIZES="" RESULTS="" WAIT_LOAD="" REPORT="" runs_given=0 quick=0
do_scratch=1 do_ingest=1 do_peer=1 do_traj=1 do_pub=1 do_tb=1 do_full=1 do_fresh=1 do_profile=0 do_cg=0
pass=() # options passed on to each size's run (--sizes)

usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --targets) SIZES=20000,60000,150000 LIVE_RATES=1000,5000,20000
               do_traj=0 do_pub=0 do_tb=0 do_scratch=0; pass+=(--skip-scratch) ;;
    --quick) SIZES=2000,6000 LIVE_RATES=1000,5000,20000 LIVE_SECONDS=20 quick=1
             do_traj=0 do_pub=0 do_tb=0 do_scratch=0; pass+=(--skip-scratch --live-seconds 20) ;;
    --report) shift; REPORT="$*"; break ;;
    --skip-scratch) do_scratch=0 ;;
    --partitions) PARTITIONS=$2; pass+=(--partitions "$2"); shift ;;
    --sizes) SIZES=$2; shift ;;
    --full) PERSONS=150000 ;;
    --persons) PERSONS=$2; shift ;;
    --runs) RUNS=$2; runs_given=1; pass+=(--runs "$2"); shift ;;
    --batch) BATCH=$2; pass+=(--batch "$2"); shift ;;
    --traj-batch) TRAJ_BATCH=$2; pass+=(--traj-batch "$2"); shift ;;
    --live-rate|--live-rates) LIVE_RATES=$2; shift ;;
    --live-seconds) LIVE_SECONDS=$2; pass+=(--live-seconds "$2"); shift ;;
    --seed) SEED=$2; pass+=(--seed "$2"); shift ;;
    --keep-base) KEEP_BASE=$2; shift ;;
    --base) REUSE_BASE=$2; shift ;;
    --results) RESULTS=$2; shift ;;
    --wait-load) WAIT_LOAD=$2; pass+=(--wait-load "$2"); shift ;;
    --profile) do_profile=1; pass+=(--profile) ;;
    --callgrind) do_cg=1; pass+=(--callgrind) ;;
    --skip-ingest) do_ingest=0 ;;
    --skip-peer) do_peer=0 ;;
    --skip-traj-ingest) do_traj=0 ;;
    --skip-publish) do_pub=0 ;;
    --skip-trajectory) do_tb=0 ;;
    --skip-full|--skip-e1) do_full=0 ;;
    --skip-freshness) do_fresh=0 ;;
    -h|--help) usage 0 ;;
    *) echo "bench: unknown option $1" >&2; usage ;;
  esac
  shift
done
[ "$do_traj" = 1 ] || do_pub=0 # publication runs over the database of (b)
if [ "$quick" = 1 ] && [ "$runs_given" = 0 ]; then RUNS=1; pass+=(--runs 1); fi

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit}
  if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
med() { printf '%s\n' "$@" | median; }
kfmt() { awk -v r="$1" 'BEGIN { if (r >= 1000) printf "%.1fk", r/1000; else printf "%.0f", r }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
wait_load() {
  [ -n "$WAIT_LOAD" ] || return 0
  local i
  for i in $(seq 30); do
    awk -v l="$(load1)" -v m="$WAIT_LOAD" 'BEGIN { exit !(l < m) }' && return 0
    [ "$i" = 1 ] && log "waiting for a 1-minute load average under $WAIT_LOAD (now $(load1))"
    sleep 60
  done
  log "the load average stayed at $(load1) (>= $WAIT_LOAD) for 30 min: measuring anyway"
}

# A verdict against a target: value target ge|lt -> "ratio R: met" or "ratio R: missed by F x"
# (ge: value must be >= target; lt: value must be < target; R = value / target)
verdict() {
  awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN {
    if (v == "" || v == "nan" || v + 0 != v) { print "not measured"; exit }
    r = (t > 0 ? v / t : 0)
    if (d == "ge") { if (v >= t) printf "ratio %.2f: met\n", r
                     else printf "ratio %.2f: missed by %.2fx\n", r, (v > 0 ? t / v : 0) }
    else           { if (v < t) printf "ratio %.2f: met\n", r
                     else printf "ratio %.2f: missed by %.2fx\n", r, r } }'
}

# The summary of issue 12's targets from one or more results files (key value
# lines, one file per size): "target | value | verdict" lines.
target_table() { # results files...
  awk '
    FNR == 1 { f++ }
    { v[f, $1] = $2; if ($1 == "persons") { p[f] = $2 + 0 } }
    END {
      lo = 0; hi = 0
      for (i = 1; i <= f; i++) { if (!lo || p[i] < p[lo]) lo = i; if (!hi || p[i] > p[hi]) hi = i }
      for (i = 1; i <= f; i++) {
        if (v[i, "f_ratio"] != "") printf "full job >= 0.5 x bare COPY (%d persons)|%s|%s|ge|0.5\n", p[i], v[i, "f_ratio"], v[i, "f_ratio"]
        if (v[i, "a_ratio"] != "") printf "trajectories off >= 0.8 x bare COPY (%d persons)|%s|%s|ge|0.8\n", p[i], v[i, "a_ratio"], v[i, "a_ratio"]
        if (v[i, "peer_ratio"] != "") printf "events-only >= 3 x the Python peer (%d persons)|%s|%s|ge|3\n", p[i], v[i, "peer_ratio"], v[i, "peer_ratio"]
        if (v[i, "f_us"] != "") printf "us per event, full job (%d persons; no target alone)|%s us|-|-|-\n", p[i], v[i, "f_us"]
      }
      if (f > 1 && v[lo, "f_us"] != "" && v[hi, "f_us"] != "") {
        s = v[hi, "f_us"] / v[lo, "f_us"]
        printf "us per event at %d within 1.3 x that at %d|%.3f (%s vs %s us)|%.3f|lt|1.3\n", p[hi], p[lo], s, v[hi, "f_us"], v[lo, "f_us"], s
        if (v[lo, "copy_us"] != "" && v[hi, "copy_us"] != "") {
          c = (v[hi, "f_us"] / v[hi, "copy_us"]) / (v[lo, "f_us"] / v[lo, "copy_us"])
          printf "  the same, each size against its own bare COPY (load drift removed)|%.3f|%.3f|lt|1.3\n", c, c
        }
      }
      if (v[hi, "f_wall"] != "" && p[hi] >= 150000)
        printf "national replay of %d persons, current figures included, < 120 s|%s s|%s|lt|120\n", p[hi], v[hi, "f_wall"], v[hi, "f_wall"]
      if (f > 1 && v[lo, "f_rss_kb"] != "" && v[hi, "f_rss_kb"] != "" && v[hi, "tracked"] > v[lo, "tracked"]) {
        b = (v[hi, "f_rss_kb"] - v[lo, "f_rss_kb"]) * 1024 / (v[hi, "tracked"] - v[lo, "tracked"])
        printf "memory per tracked person < 1 KiB (VmHWM slope %d -> %d persons)|%.0f B|%.1f|lt|1024\n", p[lo], p[hi], b, b
      }
      for (i = 1; i <= f; i++) if (v[i, "f_rss_kb"] != "" && v[i, "tracked"] > 0)
        printf "  VmHWM / tracked persons at %d persons (upper bound: fixed costs included)|%.0f B (%s MiB)|%.1f|lt|1024\n", p[i], v[i, "f_rss_kb"] * 1024 / v[i, "tracked"], sprintf("%.0f", v[i, "f_rss_kb"] / 1024), v[i, "f_rss_kb"] * 1024 / v[i, "tracked"]
      nr = 0
      for (k in v) { split(k, kk, SUBSEP); if (kk[2] ~ /^e2_[0-9]+_p99$/) { r = kk[2]; sub(/^e2_/, "", r); sub(/_p99$/, "", r)
        rf[++nr] = kk[1]; rr[nr] = r + 0 } }
      for (i = 2; i <= nr; i++) for (j = i; j > 1 && rr[j - 1] > rr[j]; j--) {
        x = rr[j]; rr[j] = rr[j - 1]; rr[j - 1] = x; x = rf[j]; rf[j] = rf[j - 1]; rf[j - 1] = x }
      for (i = 1; i <= nr; i++) { r = rr[i]; g = rf[i]; k = "e2_" r "_p99"
        t = (r <= 1000 ? 0.25 : (r <= 5000 ? 1 : 0))
        n = sprintf("freshness p99 at %d msg/s, %d persons%s", r, p[g], (t ? sprintf(" < %g s", t) : " (no target)"))
        printf "%s|%s s (p50 %s s, max %s s)|%s|%s|%s\n", n, v[g, k], v[g, "e2_" r "_p50"], v[g, "e2_" r "_max"], v[g, k], (t ? "lt" : "-"), t }
    }' "$@"
}
print_targets() { # results files...
  local name value x dir t
  echo
  echo "== issue 12 targets (medians of paired runs; ratio = value / target) =="
  awk 'FNR == 1 && NR > 1 { out() } { v[$1] = $2 } END { out() }
    function out() { printf "  %s persons: commit %s, 1-minute load %s before, %s after\n", v["persons"], v["commit"], v["load_before"], v["load_after"]; delete v }' "$@"
  while IFS='|' read -r name value x dir t; do
    if [ "$dir" = "-" ]; then printf '%-78s %s\n' "$name" "$value"
    else printf '%-78s %-34s %s\n' "$name" "$value" "$(verdict "$x" "$t" "$dir")"; fi
  done < <(target_table "$@")
}

# ---- --report: the target table of earlier runs ------------------------------------
if [ -n "$REPORT" ]; then
  # shellcheck disable=SC2086 # a list of files
  print_targets $REPORT
  exit 0
fi

# ---- --sizes: one run per size, then the cross-size summary ----------------------
if [ -n "$SIZES" ] && [ -z "$RESULTS" ]; then
  IFS=, read -r -a sizes <<< "$SIZES"
  resdir=$(mktemp -d /tmp/swi-bench-sizes.XXXXXX)
  last=${sizes[$((${#sizes[@]} - 1))]}
  for s in "${sizes[@]}"; do
    args=(--persons "$s" --results "$resdir/res_$s" "${pass[@]}")
    [ "$do_ingest" = 1 ] || args+=(--skip-ingest)
    [ "$do_peer" = 1 ] || args+=(--skip-peer)
    [ "$do_traj" = 1 ] || args+=(--skip-traj-ingest)
    [ "$do_pub" = 1 ] || args+=(--skip-publish)
    [ "$do_tb" = 1 ] || args+=(--skip-trajectory)
    [ "$do_full" = 1 ] || args+=(--skip-full)
    if [ "$s" = "$last" ] && [ "$do_fresh" = 1 ]; then
      args+=(--live-rates "$LIVE_RATES")
      [ -n "$KEEP_BASE" ] && args+=(--keep-base "$KEEP_BASE")
      [ -n "$REUSE_BASE" ] && args+=(--base "$REUSE_BASE")
    else
      args+=(--skip-freshness)
    fi
    log "== size $s: bench/run.sh ${args[*]}"
    "$0" "${args[@]}" | tee "$resdir/out_$s"
  done
  echo
  echo "== summary of every size ($SIZES) =="
  for s in "${sizes[@]}"; do sed -n '/^== summary/,$p' "$resdir/out_$s" | sed '/^== issue 12/,$d'; done
  print_targets "$resdir"/res_*
  log "results kept in $resdir"
  exit 0
fi

# ---- build -------------------------------------------------------------------
cd "$SRC"
bench_pkgs=(time)
[ "$do_peer" = 1 ] && bench_pkgs+=(python3 python3-confluent-kafka python3-avro python3-psycopg2)
[ "$do_cg" = 1 ] && bench_pkgs+=(valgrind)
missing=()
for p in "${bench_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or apt-get install ${missing[*]})"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi
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
pgss_started=0
if [ "$do_profile" = 1 ] && [ "$do_full" = 1 ]; then
  deploy/pg.sh start >/dev/null 2>&1 || die "deploy/pg.sh start failed"
  eval "$(deploy/pg.sh env)"
  if [[ "$(psql "$SWI_PG_CONNINFO" -XAt -c 'SHOW shared_preload_libraries')" != *pg_stat_statements* ]]; then
    log "restarting the local PostgreSQL with pg_stat_statements (deploy/pg.sh, SWI_PG_STAT_STATEMENTS=1)"
    deploy/pg.sh stop >/dev/null 2>&1
    SWI_PG_STAT_STATEMENTS=1 deploy/pg.sh start >/dev/null 2>&1 || die "deploy/pg.sh start with pg_stat_statements failed"
    pgss_started=1
  fi
fi
deploy/pg.sh start >/dev/null 2>&1 || die "deploy/pg.sh start failed"
eval "$(deploy/pg.sh env)"
maint=$SWI_PG_CONNINFO                       # maintenance connection (database swi: read only)
base_ci=$(printf '%s' "$maint" | sed -E 's/dbname=[^ ]*//')
work=$(mktemp -d /tmp/swi-bench.XXXXXX)
[ -n "$RESULTS" ] || RESULTS=$work/results
: > "$RESULTS"
broker_pid=""
cleanup() {
  if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  # by name: new_db runs in a command substitution, so dbs+=() there is lost
  for d in $(psql "$maint" -XAt -c "SELECT datname FROM pg_database WHERE datname LIKE 'bench\_%\_$$'" 2>/dev/null); do
    psql "$maint" -X -q -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [ "$pgss_started" = 1 ]; then
    log "restarting the local PostgreSQL without pg_stat_statements"
    (cd "$SRC" && deploy/pg.sh stop && deploy/pg.sh start) >/dev/null 2>&1 || true
  fi
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
result() { echo "$1 $2" >> "$RESULTS"; } # key value, for the target table

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

# Where a swi-etl run's time goes, from its debug log: the consume phase (first
# assignment to last batch commit), the batches' commit time (swi-etl's
# "batch committed" ms), the sum of every *_s field of the trajectory step's
# debug lines, the live publisher's rounds, and the tail (last commit to
# "stopped": the final figures). Tolerant of added or renamed *_s fields.
breakdown() { # log -> one line
  awk "$AWK_TS"'
    /msg="partitions assigned" count=/ { if (!nb) t_assign = ts($0) }
    /msg="batch committed" events=/ { match($0, / ms=[0-9]+/); cm += substr($0, RSTART + 4, RLENGTH - 4) / 1000
      t_last = ts($0); nb++ }
    /sub=trajectory msg="step"/ { ns++
      for (i = 1; i <= NF; i++) if ($i ~ /^[a-z_]+_s=[0-9.]+$/) { split($i, kv, "="); if (!(kv[1] in st)) ord[++no] = kv[1]; st[kv[1]] += kv[2] } }
    /msg="current figures (updated|rebuilt)"/ { match($0, / seconds=[0-9.]+/); rs += substr($0, RSTART + 9, RLENGTH - 9); nr++ }
    /msg="stopped"/ { t_stop = ts($0) }
    END {
      if (t_last < t_assign) t_last += 86400; if (t_stop && t_stop < t_last) t_stop += 86400
      c = t_last - t_assign
      printf "consume phase %.1f s over %d batches: commit %.1f s (%.0f%%)", c, nb, cm, (c > 0 ? 100 * cm / c : 0)
      if (ns) { printf ", of which the trajectory step"; for (i = 1; i <= no; i++) printf " %s %.1f", ord[i], st[ord[i]]; printf " s" }
      printf "; outside commits (consume, decode, validate, build) %.1f s", c - cm
      if (nr) printf "; live rounds %d, %.1f s in all", nr, rs
      if (t_stop) printf "; last commit to stop (final figures) %.1f s", t_stop - t_last
      printf "\n" }' "$1"
}

cat_sysinfo() {
  local cpu
  cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo "?")
  log "machine: $(nproc) cores, $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; PostgreSQL $(psql "$maint" -X -A -t -c 'SHOW server_version' 2>/dev/null)"
}
wait_load
cat_sysinfo
commit=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$SRC" diff --quiet HEAD -- . ':!bench' ':!docs' 2>/dev/null || commit="$commit+uncommitted"
log "code measured: commit $commit (bench/ and docs/ changes aside)"
log "persons=$PERSONS runs=$RUNS partitions=${PARTITIONS:-auto} batch.size=$BATCH (trajectories: ${TRAJ_BATCH:-default}) seed=$SEED work=$work"
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews absolute rates; ratios are paired per run)"
result persons "$PERSONS"
result commit "$commit"
result load_before "$(load1)"

# ---- data: one generation into a fresh broker and a replay file ----------------
# The embedded broker keeps at most 5 MiB of (compressed) record batches per
# partition and silently drops the oldest beyond it (docs/architecture.md): at
# 150,000 persons and 8 partitions it lost 18 % of the messages. ~6,000 persons
# per partition leaves a margin of 2x; check_consumed below catches a loss.
[ -n "$PARTITIONS" ] || PARTITIONS=$(( PERSONS > 48000 ? (PERSONS + 5999) / 6000 : 8 ))
result partitions "$PARTITIONS"
printf 'bench-pseudonym-key-0123456789abcdef' > "$work/key"
"$BUILD/swi-broker" --partitions "$PARTITIONS" --bootstrap-file "$work/bootstrap" >/dev/null 2>"$work/broker.log" &
broker_pid=$!
for _ in $(seq 300); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
[ -s "$work/bootstrap" ] || die "broker did not start: $(cat "$work/broker.log")"
bootstrap=$(cat "$work/bootstrap")
need_stream=$((do_ingest || do_peer || do_traj || do_full || do_fresh))
if [ "$need_stream" = 1 ] || [ "$do_tb" = 1 ]; then
  log "generating $PERSONS persons into $bootstrap (and $work/replay.bin)"
  gen_args=(--persons "$PERSONS" --seed "$SEED" --schema-dir "$SRC/schemas" -q
            --out "$work/replay.bin" --manifest "$work/manifest.json")
  [ "$need_stream" = 1 ] && gen_args+=(-b "$bootstrap")
  "$BUILD/swi-gen" "${gen_args[@]}" 2>"$work/gen.log" || die "swi-gen failed: $(tail -5 "$work/gen.log")"
  log "generated $(jq -r .messages_total "$work/manifest.json") messages, $(jq -r .good_event_ids "$work/manifest.json") distinct events"
  result messages "$(jq -r .messages_total "$work/manifest.json")"
fi

# swi-etl's arguments into ETL_ARGS: conninfo group trajectories(true|false|"")
# batch_size("": default) publish.interval.s("": default) [more swi-etl arguments...]
etl_args() {
  ETL_ARGS=(-X pg.conninfo="$1" -X kafka.bootstrap.servers="$bootstrap"
            -X schema.dir="$SRC/schemas" -X pseudonym.key.file="$work/key"
            -X group.id="$2" -X log.level=debug)
  [ -n "$3" ] && ETL_ARGS+=(-X trajectories.enable="$3")
  [ -n "$4" ] && ETL_ARGS+=(-X batch.size="$4")
  [ -n "$5" ] && ETL_ARGS+=(-X publish.interval.s="$5")
  ETL_ARGS+=("${@:6}")
}
check_consumed() { # log: every generated message consumed (none dropped by the broker)
  local c want
  c=$(grep -o 'msg="stopped" consumed=[0-9]*' "$1" | tail -1 | grep -o '[0-9]*$' || true)
  want=$(jq -r .messages_total "$work/manifest.json")
  [ "${c:-0}" -ge "$want" ] \
    || die "$(basename "$1"): consumed ${c:-?} of the $want messages generated: the embedded broker dropped some (5 MiB per partition); use more --partitions"
}
run_etl() { # conninfo log trajectories(true|false) batch_size [publish.interval.s]
  # A group id of its own per run: the broker would otherwise hold the next
  # run's join until the previous member's session times out.
  etl_args "$1" "swi-bench-$$-$(basename "$2" .log)" "$3" "$4" "${5-0}"
  "$BUILD/swi-etl" "${ETL_ARGS[@]}" --until-caught-up 2>"$2" || die "swi-etl failed: $(tail -5 "$2")"
  check_consumed "$2"
}

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
migrate() { # conninfo
  "$BUILD/swi-etl" -X pg.conninfo="$1" -X schema.dir="$SRC/schemas" --migrate-only 2>/dev/null \
    || die "swi-etl --migrate-only failed"
}
run_copy() { # name -> "steady_rate all_rate"
  local ci
  ci=$(new_db "$1")
  migrate "$ci"
  psql "$ci" -X -q -v ON_ERROR_STOP=1 -f "$work/copy.sql" > "$work/copy.out" || die "bare COPY failed"
  local rows_first rows_all
  rows_first=$(wc -l < "$work/chunks/c_0000")
  rows_all=$(cat "$work"/chunks/c_* | wc -l)
  awk -v rf="$rows_first" -v ra="$rows_all" '/^Time:/ { ms = $2 + 0; n++; all += ms; if (n > 1) rest += ms }
    END { printf "%.1f %.1f\n", (rest > 0 ? (ra - rf) / (rest / 1000) : 0), ra / (all / 1000) }' "$work/copy.out"
  drop_db "$1"
}
run_peer() { # run -> "steady_rate all_rate events dead_letters batches"
  local ci out
  ci=$(new_db "peer$1")
  migrate "$ci"
  out=$("$PY" "$SRC/bench/peer.py" --bootstrap "$bootstrap" --conninfo "$ci" --schema-dir "$SRC/schemas" \
    --key-file "$work/key" --group "swi-bench-$$-peer$1" --batch "$BATCH" 2>"$work/peer$1.log") \
    || die "the peer failed: $(tail -5 "$work/peer$1.log")"
  drop_db "peer$1"
  jq -r '"\(.steady_rate * 10 | round / 10) \(.all_rate * 10 | round / 10) \(.events) \(.dead_letters) \(.batches)"' <<< "$out"
}

results=()
say() { echo "$*"; results+=("$*"); }

# ---- (a) ingest, trajectories off; (p) the peer; the bare COPY they share --------
copy_rates=()
if [ "$do_ingest" = 1 ] || [ "$do_peer" = 1 ] || [ "$do_traj" = 1 ] || [ "$do_full" = 1 ]; then
  ing_steady=() ing_all=() ing_ratio=() peer_steady=() peer_ratio=() loads=()
  for r in $(seq "$RUNS"); do
    if [ "$do_ingest" = 1 ] || [ "$r" = 1 ]; then
      ci=$(new_db "ingest$r")
      l0=$(load1)
      run_etl "$ci" "$work/etl_ingest$r.log" false "$BATCH"
      read -r st al ev nb fl < <(parse_etl_log "$work/etl_ingest$r.log")
      log "ingest run $r: ${st} rows/s steady (first->last commit), ${al} rows/s incl. first batch; events=$ev batches=$nb commit_failures=$fl; load $l0 -> $(load1)"
      ing_steady+=("$st"); ing_all+=("$al")
      [ "$r" = 1 ] && prepare_copy "$ci"
      drop_db "ingest$r"
    fi
    l0=$(load1)
    read -r cst cal < <(run_copy "copy$r")
    log "bare COPY run $r: ${cst} rows/s steady (batches 2..n), ${cal} rows/s all batches; load $l0 -> $(load1)"
    copy_rates+=("$cst"); loads+=("$l0")
    [ "$do_ingest" = 1 ] && ing_ratio+=("$(ratio "$st" "$cst")")
    if [ "$do_peer" = 1 ]; then
      l0=$(load1)
      read -r pst pal pev pdl pnb < <(run_peer "$r")
      log "peer run $r: ${pst} rows/s steady, ${pal} rows/s incl. first batch; events=$pev dead_letters=$pdl batches=$pnb; load $l0 -> $(load1)"
      peer_steady+=("$pst")
      [ "$do_ingest" = 1 ] && peer_ratio+=("$(ratio "$st" "$pst")")
    fi
  done
  copy_med=$(med "${copy_rates[@]}")
  result copy_rate "$copy_med"
  result copy_us "$(awk -v r="$copy_med" 'BEGIN { printf "%.2f", 1e6 / r }')"
  if [ "$do_ingest" = 1 ]; then
    ing_med=$(med "${ing_steady[@]}")
    ing_rmed=$(med "${ing_ratio[@]}")
    result a_rate "$ing_med"; result a_ratio "$ing_rmed"
    say "ingest: pipeline $(kfmt "$ing_med") rows/s, bare COPY $(kfmt "$copy_med") rows/s, ratio $(printf '%.2f' "$ing_rmed") (median of $RUNS paired runs, each: ${ing_ratio[*]}; target >= 0.80; batch.size $BATCH; pipeline incl. first batch: $(kfmt "$(med "${ing_all[@]}")") rows/s; load at the runs: ${loads[*]})"
  fi
  if [ "$do_peer" = 1 ]; then
    peer_med=$(med "${peer_steady[@]}")
    result peer_rate "$peer_med"
    if [ "$do_ingest" = 1 ]; then
      peer_rmed=$(med "${peer_ratio[@]}")
      result peer_ratio "$peer_rmed"
      say "peer (Python: confluent-kafka + avro + psycopg2, events only): $(kfmt "$peer_med") rows/s; swi-etl (trajectories off) $(kfmt "$ing_med") rows/s: ratio $(printf '%.2f' "$peer_rmed") (median of $RUNS paired runs, each: ${peer_ratio[*]}; target >= 3; batch $BATCH both)"
    else
      say "peer (Python, events only): $(kfmt "$peer_med") rows/s (median of $RUNS; no swi-etl ratio: --skip-ingest)"
    fi
  fi
fi

# ---- (b) ingest, trajectories on, live publisher off -------------------------------
if [ "$do_traj" = 1 ]; then
  tr_steady=() tr_all=() tr_fail=() tr_ratio=()
  for r in $(seq "$RUNS"); do
    [ "$r" -gt 1 ] && drop_db "traj$((r - 1))"
    ci=$(new_db "traj$r")
    run_etl "$ci" "$work/etl_traj$r.log" true "$TRAJ_BATCH" 0
    read -r st al ev nb fl < <(parse_etl_log "$work/etl_traj$r.log")
    log "ingest+trajectories run $r: ${st} rows/s steady, ${al} rows/s incl. first batch; events=$ev batches=$nb commit_failures=$fl"
    [ "$fl" -gt 0 ] && log "  first commit failure: $(grep -m1 'batch commit failed' "$work/etl_traj$r.log" | sed 's/.*error=//')"
    tr_steady+=("$st"); tr_all+=("$al"); tr_fail+=("$fl")
    tr_ratio+=("$(ratio "$st" "${copy_rates[$(( (r - 1) % ${#copy_rates[@]} ))]}")")
  done
  pub_ci=$ci
  tr_med=$(med "${tr_steady[@]}")
  tr_rmed=$(med "${tr_ratio[@]}")
  result b_rate "$tr_med"; result b_ratio "$tr_rmed"
  say "ingest+trajectories: pipeline $(kfmt "$tr_med") rows/s, bare COPY $(kfmt "$copy_med") rows/s, ratio $(printf '%.2f' "$tr_rmed") (median of $RUNS; batch.size ${TRAJ_BATCH:-default} vs COPY batches of $BATCH; incl. first batch: $(kfmt "$(med "${tr_all[@]}")") rows/s; commit failures per run: ${tr_fail[*]})"
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
  pr_med=$(med "${pub_rate[@]}")
  say "publish: $(printf '%.2f' "$(med "${pub_s[@]}")") s for $persons persons, $(kfmt "$pr_med") persons/s (median of $RUNS; national scale 150k persons extrapolates to $(awk -v r="$pr_med" 'BEGIN{printf "%.0f", 150000/r}') s)"
  drop_db "traj$RUNS"
fi

# ---- (d) trajectory updates in-process ------------------------------------------
if [ "$do_tb" = 1 ]; then
  log "bench_trajectory over $work/replay.bin"
  "$BUILD/bench_trajectory" --in "$work/replay.bin" --schema-dir "$SRC/schemas" --runs "$RUNS" \
    > "$work/tb.out" || die "bench_trajectory failed"
  while IFS= read -r l; do say "$l"; done < "$work/tb.out"
fi

# ---- freshness helpers -------------------------------------------------------------
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
tracked_persons() { # conninfo -> persons with a current trajectory
  psql "$1" -XAt -c "SELECT count(*) FROM swi.trajectories" 2>/dev/null || echo 0
}
pgss_top() { # conninfo -> the database's top statements by total time
  psql "$1" -XA -F' | ' -P footer=off -c "
    WITH s AS (SELECT * FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()))
    SELECT round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1) AS pct,
           round((total_exec_time / 1000)::numeric, 1) AS total_s, calls,
           round((total_exec_time / greatest(calls, 1))::numeric, 2) AS mean_ms, rows,
           left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
      FROM s ORDER BY total_exec_time DESC LIMIT 15"
}

# ---- (f) the full job -----------------------------------------------------------
if [ "$do_full" = 1 ]; then
  scratch="" f_load=()
  f_rate=() f_us=() f_ratio=() f_wall=() f_rss=() f_cpu=() f_p50=() f_p99=() f_max=() f_last=() f_tracked=()
  for r in $(seq "$RUNS"); do
    ci=$(new_db "full$r")
    if [ "$do_profile" = 1 ] && [ "$r" = 1 ]; then
      migrate "$ci"
      psql "$ci" -Xq -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null \
        || die "pg_stat_statements is not available"
    fi
    l0=$(load1)
    # the defaults: trajectories and the live publisher on, batch.size as shipped
    etl_args "$ci" "swi-bench-$$-full$r" "" "$TRAJ_BATCH" ""
    /usr/bin/time -f '%e %M %U %S' -o "$work/time_full$r" \
      "$BUILD/swi-etl" "${ETL_ARGS[@]}" --until-caught-up 2>"$work/etl_full$r.log" \
      || die "swi-etl (full job) failed: $(tail -5 "$work/etl_full$r.log")"
    check_consumed "$work/etl_full$r.log"
    l1=$(load1)
    read -r wall rss_kb ucpu scpu < <(tail -1 "$work/time_full$r")
    read -r st al ev nb fl < <(parse_etl_log "$work/etl_full$r.log")
    us=$(awk -v r="$st" 'BEGIN { printf "%.1f", (r > 0 ? 1e6 / r : 0) }')
    tracked=$(tracked_persons "$ci")
    read -r n p50 p99 mx < <(lag_stats "$ci")
    last=$(delta_round_s "$work/etl_full$r.log")
    cr=${copy_rates[$(( (r - 1) % ${#copy_rates[@]} ))]}
    log "full job run $r: ${wall} s wall, ${st} events/s steady = ${us} us/event (${al} incl. start), ratio to bare COPY $(ratio "$st" "$cr"); events=$ev batches=$nb commit_failures=$fl; VmHWM $((rss_kb / 1024)) MiB for $tracked tracked persons; swi-etl CPU ${ucpu}+${scpu} s; freshness during the backfill p50=${p50}s p99=${p99}s max=${mx}s over $n batches, a live round at full size ${last}s; load $l0 -> $l1"
    log "  where the time goes: $(breakdown "$work/etl_full$r.log")"
    f_rate+=("$st"); f_us+=("$us"); f_ratio+=("$(ratio "$st" "$cr")"); f_wall+=("$wall"); f_rss+=("$rss_kb")
    f_cpu+=("$(awk -v u="$ucpu" -v s="$scpu" 'BEGIN { printf "%.1f", u + s }')")
    f_p50+=("$p50"); f_p99+=("$p99"); f_max+=("$mx"); f_last+=("$last"); f_tracked+=("$tracked")
    if [ "$do_profile" = 1 ] && [ "$r" = 1 ]; then
      pgss_top "$ci" > "$work/pgss.txt"
      say "pg_stat_statements over full job run 1 ($PERSONS persons; % of the database's statement time):"
      while IFS= read -r l; do say "  $l"; done < "$work/pgss.txt"
    fi
    if [ "$r" = "$RUNS" ] && [ "$do_scratch" = 1 ]; then
      scratch=$(scratch_s "$ci" "full")
    fi
    f_load+=("$l0-$l1")
    drop_db "full$r"
  done
  us_med=$(med "${f_us[@]}"); wall_med=$(med "${f_wall[@]}"); rss_med=$(med "${f_rss[@]}")
  tracked_med=$(med "${f_tracked[@]}"); f_rmed=$(med "${f_ratio[@]}")
  result f_rate "$(med "${f_rate[@]}")"; result f_us "$us_med"; result f_ratio "$f_rmed"
  result f_wall "$wall_med"; result f_rss_kb "$rss_med"; result tracked "$tracked_med"
  result f_cpu_s "$(med "${f_cpu[@]}")"
  say "full job (swi-etl defaults: trajectories + live publisher, until caught up and the current figures committed): $(printf '%.1f' "$wall_med") s wall, $(kfmt "$(med "${f_rate[@]}")") events/s = $us_med us/event, ratio to bare COPY $(printf '%.3f' "$f_rmed") (median of $RUNS paired runs, each: ${f_ratio[*]}; target >= 0.5); walls: ${f_wall[*]} s; load at the runs: ${f_load[*]}"
  say "full job memory: VmHWM $(awk -v k="$rss_med" 'BEGIN { printf "%.0f", k / 1024 }') MiB for $tracked_med tracked persons = $(awk -v k="$rss_med" -v p="$tracked_med" 'BEGIN { printf "%.0f", (p > 0 ? k * 1024 / p : 0) }') B/person incl. fixed costs (median of $RUNS; --sizes gives the slope); swi-etl CPU $(med "${f_cpu[@]}") s of $(printf '%.1f' "$wall_med") s wall"
  say "freshness during the full job's backfill (e1): p99 $(med "${f_p99[@]}") s, p50 $(med "${f_p50[@]}") s, max $(med "${f_max[@]}") s from batch commit to 'actueel' committed; a live round at full size $(med "${f_last[@]}") s$([ -n "$scratch" ] && echo "; one from-scratch recomputation $scratch s: ratio p99 / from-scratch $(ratio "$(med "${f_p99[@]}")" "$scratch")")"
  if [ "$do_cg" = 1 ]; then
    # swi-etl's own CPU by function; the database's share is the wall time it
    # waits, which callgrind does not see (compare swi-etl CPU with the wall above)
    ci=$(new_db "cg")
    etl_args "$ci" "swi-bench-$$-cg" "" "$TRAJ_BATCH" ""
    log "full job under callgrind (slow)"
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
      "$BUILD/swi-etl" "${ETL_ARGS[@]}" --until-caught-up 2>"$work/etl_cg.log" >/dev/null \
      || die "swi-etl under callgrind failed: $(tail -5 "$work/etl_cg.log")"
    callgrind_annotate --inclusive=no "$work/callgrind.out" 2>/dev/null | awk '/^-+$/ {d++; next} d >= 3 && NF' \
      | head -25 > "$work/cg_self.txt"
    callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null | awk '/^-+$/ {d++; next} d >= 3 && NF' \
      | head -25 > "$work/cg_incl.txt"
    say "callgrind, swi-etl's own instructions by function (self; $PERSONS persons):"
    while IFS= read -r l; do say "  $l"; done < "$work/cg_self.txt"
    say "callgrind, inclusive:"
    while IFS= read -r l; do say "  $l"; done < "$work/cg_incl.txt"
    drop_db "cg"
  fi
fi

# ---- (e) freshness of the live figures: e2 live feed at each rate -------------------
if [ "$do_fresh" = 1 ]; then
  IFS=, read -r -a rates <<< "$LIVE_RATES"
  total=$(jq -r .messages_total "$work/manifest.json")
  cut90=$((total * 9 / 10))
  livebase=""
  for rate in "${rates[@]}"; do
    e2_load=() e2_p50=() e2_p99=() e2_max=() e2_n=() e2_full=()
    to=$(awk -v c="$cut90" -v r="$rate" -v s="$LIVE_SECONDS" -v t="$total" 'BEGIN { e = c + r * s; printf "%d", (e < t ? e : t) }')
    for r in $(seq "$RUNS"); do
      # The first 90% as a backfill (once, into a template database), then per
      # run a copy of it, a fresh broker with the same 90% (the same
      # partitions and offsets, which the copy has stored), and the rest as a
      # live feed
      "$BUILD/swi-broker" --partitions "$PARTITIONS" --bootstrap-file "$work/bootstrap_live" >/dev/null 2>>"$work/broker.log" &
      live_broker=$!
      for _ in $(seq 300); do [ -s "$work/bootstrap_live" ] && break; sleep 0.1; done
      lb=$(cat "$work/bootstrap_live")
      "$BUILD/swi-replay" --in "$work/replay.bin" -b "$lb" --schema-dir "$SRC/schemas" --to "$cut90" 2>>"$work/replay.log"
      bootstrap_saved=$bootstrap; bootstrap=$lb
      base_tag="e2 backfill persons=$PERSONS seed=$SEED cut=$cut90"
      if [ -z "$livebase" ] && [ -n "$REUSE_BASE" ]; then
        tag=$(psql "$maint" -XAt -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$REUSE_BASE'")
        [ "$tag" = "$base_tag" ] \
          || die "--base $REUSE_BASE: not the $base_tag (its comment: ${tag:-none})"
        log "freshness e2: starting from the kept backfill $REUSE_BASE"
        livebase=$REUSE_BASE
      elif [ -z "$livebase" ]; then
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
      lg="$work/etl_live_${rate}_$r.log"
      "$BUILD/swi-etl" "${ETL_ARGS[@]}" 2>"$lg" &
      etl_pid=$!
      # wait for the start-up rebuild of the live figures, then feed the rest
      for _ in $(seq 1800); do grep -q 'current figures rebuilt' "$lg" && break; sleep 0.5; done
      l0=$(load1)
      t_live=$(psql "$ci" -XAt -c "SELECT now()")
      "$BUILD/swi-replay" --in "$work/replay.bin" -b "$lb" --schema-dir "$SRC/schemas" --from "$cut90" --to "$to" \
        --rate "$rate" 2>>"$work/replay.log"
      # wait until everything fed is committed and published (a rate above what
      # the pipeline sustains leaves a backlog: stopping at once would measure
      # only the batches that made it)
      for _ in $(seq 1800); do
        read -r off q < <(psql "$ci" -XAt -F' ' -c "SELECT (SELECT coalesce(sum(next_offset), 0) FROM swi_ops.kafka_offsets WHERE group_id = 'swi-bench-live'), (SELECT count(*) FROM swi_ops.publish_queue)" 2>/dev/null || echo "-1 -1")
        [ "$off" -ge "$to" ] && [ "$q" = 0 ] && break
        sleep 0.5
      done
      [ "$off" -ge "$to" ] || log "freshness e2 run $r: stopped before catching up (committed $off of $to messages)"
      sleep 2
      l1=$(load1)
      kill -TERM "$etl_pid"; wait "$etl_pid" || true
      kill "$live_broker" 2>/dev/null || true; wait "$live_broker" 2>/dev/null || true
      rm -f "$work/bootstrap_live"; bootstrap=$bootstrap_saved
      # a live part that re-read stored messages measured nothing: the copy's
      # stored offsets must match the fresh broker's (swi-replay partitions
      # deterministically)
      read -r msgs dups < <(grep 'msg="stopped"' "$lg" | tail -1 \
        | sed -E 's/.* consumed=([0-9]+) .* duplicates=([0-9]+) .*/\1 \2/')
      [ -n "${msgs:-}" ] && [ "$msgs" -gt 0 ] && [ $((dups * 10)) -lt "$msgs" ] \
        || die "freshness e2 run $r: the live part read ${dups:-?} duplicates in ${msgs:-?} messages (expected a few percent)"
      read -r n p50 p99 mx < <(lag_stats "$ci" "WHERE committed_at >= '$t_live'")
      full2=nan
      [ "$do_scratch" = 1 ] && full2=$(scratch_s "$ci" "live$r")
      log "freshness e2 (live feed, $rate msg/s, $((to - cut90)) messages) run $r: batches=$n p50=${p50}s p99=${p99}s max=${mx}s; from-scratch recomputation ${full2}s; load $l0 -> $l1"
      e2_p50+=("$p50"); e2_p99+=("$p99"); e2_max+=("$mx"); e2_n+=("$n"); e2_full+=("$full2"); e2_load+=("$l0-$l1")
      psql "$maint" -X -q -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
    done
    p99m=$(med "${e2_p99[@]}"); fullm=$(med "${e2_full[@]}")
    result "e2_${rate}_p50" "$(med "${e2_p50[@]}")"; result "e2_${rate}_p99" "$p99m"; result "e2_${rate}_max" "$(med "${e2_max[@]}")"
    say "freshness e2 live feed at $rate msg/s ($((to - cut90)) messages after a 90% backfill): p99 $p99m s, p50 $(med "${e2_p50[@]}") s, max $(med "${e2_max[@]}") s over $(med "${e2_n[@]}") batches (p99 per run: ${e2_p99[*]}; load at the runs: ${e2_load[*]})$([ "$do_scratch" = 1 ] && echo "; one from-scratch recomputation $fullm s: ratio p99 / from-scratch $(ratio "$p99m" "$fullm")") (median of $RUNS)"
  done
fi

result load_after "$(load1)"
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== summary (persons=$PERSONS, batch.size=$BATCH, medians of $RUNS; commit $commit; load before $(awk '$1 == "load_before" {print $2}' "$RESULTS"), after $(load1)) =="
printf '%s\n' "${results[@]}"
print_targets "$RESULTS"
