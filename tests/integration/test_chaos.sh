#!/usr/bin/env bash
# Chaos test (issue 10 item 8; guarantees 1, 2, 3 and 7 of architecture.md):
# under a generated load - bad input, duplicates, corrections, retractions,
# late events; the trajectory step and the live publisher on; the schema
# registry over HTTP - faults are injected at random moments and every
# table's content is compared, by digest, with a clean run of the same input.
#
# Scenarios (each on its own fresh broker and database, the same stream):
#   kill         swi-etl SIGKILLed (restarted each time by a supervisor loop)
#   pg           PostgreSQL stopped (fast or immediate, i.e. crash) and started
#   broker       every broker taken down and up again (swi-broker SIGUSR1/2):
#                an outage of a broker that keeps its log
#   broker-loss  the broker process SIGKILLed, all its data lost; a new broker
#                is fed the whole stream again (same partitions and offsets)
#                and the instances are pointed at it
#   registry     the schema registry (swi-registry-standin) SIGKILLed and
#                restarted; an instance is killed during the outage, so that
#                it restarts with an empty schema cache
#   instances    instances joining and leaving (1..3 in one group; leaving by
#                SIGTERM or by SIGKILL)
#   mixed        all of the above, drawn at random, with 1..3 instances
#   outages      pg, broker and registry faults in an order drawn from the
#                seed, two instances (the counts of those three)
#   fleet        instances joining and leaving, with broker losses among them
#   ci           every kind in one fill, in an order drawn from the seed:
#                the kills, PostgreSQL stops, broker outages and losses,
#                registry outages and membership changes (1-2-3-2-1) of the
#                counts below, starting with one instance
# The suite runs ci (every kind of fault, each checked by the digest
# comparison, in one fill of the database, to stay lean under ASan); a long
# run runs the single kinds and mixed ("all").
# The clean run is one instance, no faults. Every scenario must give its
# digest exactly, no sanitizer report may appear in any log, and each kind of
# fault injected must show in swi-etl's logs (else it proved nothing). A fault
# is injected only after the pipeline has committed more of the stream since
# the last one, so each hits a working pipeline; one that finds everything
# consumed is counted "at idle" in the summary.
#
# The fault schedule (which fault, after how many consumed messages, delays,
# durations, modes) is drawn from --seed and printed; the same seed gives the
# same schedule. The moment within the pipeline's work that a fault hits is
# timing, so not reproducible - the verdict must not depend on it.
#
# Compared (sorted text dumps, one SHA-256 per table):
#   swi.events                  all but ingested_at (wall clock of the insert)
#   swi_ops.duplicate_events    all but seen_at (wall clock)
#   swi_ops.dead_letters        all but id (a sequence: rolled-back batches use
#                               up values), received_at (wall clock) and
#                               kafka_timestamp (the producer's clock; each
#                               scenario's broker is fed anew)
#   swi_ops.kafka_offsets       all but updated_at (wall clock)
#   swi.identity_edges          all
#   swi.trajectories            all
#   swi.trajectory_versions     all (valid_from/valid_to are knowledge times)
#   swi_ops.findings            all but detected_at (wall clock)
#   current figures             swi_pub.indicator_values of 'actueel', every
#                               column (known_at is 'infinity' there, not a
#                               clock), and its swi_pub.publications row but
#                               created_at (wall clock)
# Not compared: swi_ops.publish_lag (commit and publish times; freshness
# records), swi_ops.publish_queue (transient; checked empty instead),
# swi_ops.schema_migrations.applied_at, and the dead-letter *topic*.
#
#   test_chaos.sh [options]          (under ctest: SWI_BIN and SWI_SRC are set)
#     --seed N              fault schedule seed (default: random, printed)
#     --persons N           population (default 150)
#     --gen-seed N          swi-gen seed (default 67)
#     --scenarios LIST      comma-separated (default ci; "all":
#                           kill,pg,broker,broker-loss,registry,instances,mixed)
#     --kills N             SIGKILLs in 'kill' and 'ci' (default 2)
#     --pg-restarts N       in 'pg', 'outages' and 'ci' (default 1)
#     --broker-outages N    in 'broker' (default 1)
#     --broker-losses N     in 'broker-loss' (default 1)
#     --registry-outages N  in 'registry' (default 1)
#     --changes N           membership changes in 'instances' (default 4: the
#                           first four visit 1, 2, 3, 2, 1 instances)
#     --mixed N             faults in 'mixed' (default 12)
#     --partitions N        partitions per topic (default 8)
#     --batch-size N        swi-etl batch.size (default 500)
#     --rate N              messages/s of the live part of the feed (default:
#                           the live part lasts about 45 s, so that the faults
#                           come while messages still arrive)
#     --bad-references N    swi-gen --bad-references (default 0)
#     --bin DIR             build directory with the programs (default $SWI_BIN,
#                           else build/)
#     --keep                keep the work directory (also: SWI_TEST_KEEP=1)
#   Long run: see docs/reliability.md "Reproduce" (--persons 2000 --kills 50 ...)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
SWI_SRC=${SWI_SRC:-$here}
SWI_BIN=${SWI_BIN:-$here/build}

seed=$(((RANDOM << 15 | RANDOM) % 1000000000))
persons=150 gen_seed=67 bad_refs=0 partitions=8 batch_size=500 rate='' keep=${SWI_TEST_KEEP:+1}
scenarios=ci
declare -A count=([kill]=2 [pg]=1 [broker]=1 [broker-loss]=1 [registry]=1 [instances]=4 [mixed]=12
                  [outages]=- [fleet]=- [ci]=-)
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift ;;
    --persons) persons=$2; shift ;;
    --gen-seed) gen_seed=$2; shift ;;
    --bad-references) bad_refs=$2; shift ;;
    --scenarios) scenarios=$2; shift ;;
    --kills) count[kill]=$2; shift ;;
    --pg-restarts) count[pg]=$2; shift ;;
    --broker-outages) count[broker]=$2; shift ;;
    --broker-losses) count[broker-loss]=$2; shift ;;
    --registry-outages) count[registry]=$2; shift ;;
    --changes) count[instances]=$2; shift ;;
    --mixed) count[mixed]=$2; shift ;;
    --partitions) partitions=$2; shift ;;
    --batch-size) batch_size=$2; shift ;;
    --rate) rate=$2; shift ;;
    --bin) SWI_BIN=$(cd "$2" && pwd); shift ;;
    --keep) keep=1 ;;
    -h|--help) usage ;;
    *) echo "test_chaos: unknown option $1" >&2; usage ;;
  esac
  shift
done
[ "$scenarios" = all ] && scenarios=kill,pg,broker,broker-loss,registry,instances,mixed
for b in swi-etl swi-gen swi-replay swi-broker swi-registry-standin; do
  [ -x "$SWI_BIN/$b" ] || { echo "test_chaos: $SWI_BIN/$b missing (build first; SWI_BIN)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/swi-chaos.XXXXXX)
t_start=$(date +%s)
log() { printf '%s chaos: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# ---- reproducible random numbers: a 31-bit LCG in shell arithmetic, the same
# on every machine (bash's own $RANDOM sequence is not specified). rnd N sets R
# to 0..N-1; call it in this shell, never in $(...), or the state is lost.
rng=$seed
rnd() { rng=$(((rng * 1103515245 + 12345) & 0x7fffffff)); R=$(((rng >> 4) % $1)); }

# ---- processes of this test, ended at exit --------------------------------
broker_pid='' registry_pid='' replay_pid=''
declare -A slot_loop=()
cleanup() {
  local s p
  for s in "${!slot_loop[@]}"; do
    touch "$work/stop.$s"
    p=$(cat "$work/pid.$s" 2>/dev/null || true)
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
    kill "${slot_loop[$s]}" 2>/dev/null || true
  done
  for p in $replay_pid $registry_pid $broker_pid; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${pg_port:-}" ] && pgctl stop immediate >/dev/null 2>&1 || true
  if [ -n "$keep" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- PostgreSQL of its own (restarting it must not break parallel tests) ---
pgctl() { SWI_RUN_DIR=$work/pg SWI_PG_PORT=$pg_port "$SWI_SRC/deploy/pg.sh" "$@"; }
for try in 1 2 3 4 5; do
  pg_port=$((56000 + (RANDOM % 4000)))
  pgctl start >"$work/pg-start.log" 2>&1 && break
  pg_port=''
done
[ -n "$pg_port" ] || { cat "$work/pg-start.log" >&2; die "could not start a PostgreSQL of our own"; }
pg_base="host=$work/pg/pgsock port=$pg_port user=postgres"
qdb() { psql "$pg_base dbname=$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2"; }
new_db() {
  PGOPTIONS='-c client_min_messages=warning' qdb swi "DROP DATABASE IF EXISTS $1"
  qdb swi "CREATE DATABASE $1"
}

# ---- the input -----------------------------------------------------------
"$SWI_BIN/swi-gen" --persons "$persons" --seed "$gen_seed" --duplicates 0.03 --corrections 0.03 \
  --retractions 0.01 --late 0.03 --bad 0.01 --bad-references "$bad_refs" --schema-dir "$SWI_SRC/schemas" \
  --out "$work/stream.bin" --manifest "$work/m.json" -q
total=$(jq -r '.messages_total' "$work/m.json")
upfront=$((total * 6 / 10))
[ -n "$rate" ] || rate=$(((total - upfront) / 45 > 10 ? (total - upfront) / 45 : 10))
printf 'chaos-test-pseudonym-key-0123456789abcdef' > "$work/key"
log "seed=$seed persons=$persons gen_seed=$gen_seed messages=$total partitions=$partitions" \
    "batch_size=$batch_size live_rate=$rate/s scenarios=$scenarios (reproduce: --seed $seed --persons $persons)"

# ---- broker, registry ------------------------------------------------------
start_broker() {
  rm -f "$work/bootstrap"
  "$SWI_BIN/swi-broker" --partitions "$partitions" --bootstrap-file "$work/bootstrap" \
    >/dev/null 2>>"$sdir/broker.log" &
  broker_pid=$!
  for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
  [ -s "$work/bootstrap" ] || die "broker did not start"
  bootstrap=$(cat "$work/bootstrap")
}
stop_broker() { # signal
  [ -n "$broker_pid" ] || return 0
  kill "-$1" "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=''
}
replay() { # replay args...
  "$SWI_BIN/swi-replay" --in "$work/stream.bin" -b "$bootstrap" --schema-dir "$SWI_SRC/schemas" \
    "$@" 2>>"$sdir/replay.log"
}
registry_port=0
start_registry() { # the stand-in, on the same port after a kill (SO_REUSEADDR)
  rm -f "$work/registry.port"
  "$SWI_BIN/swi-registry-standin" --load "$SWI_SRC/schemas" --port "$registry_port" \
    --port-file "$work/registry.port" >/dev/null 2>>"$sdir/registry.log" &
  registry_pid=$!
  for _ in $(seq 100); do [ -s "$work/registry.port" ] && break; sleep 0.1; done
  [ -s "$work/registry.port" ] || die "registry stand-in did not start (port $registry_port)"
  registry_port=$(cat "$work/registry.port")
  registry_url=http://127.0.0.1:$registry_port
}
kill_registry() {
  kill -9 "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; registry_pid=''
}

write_conf() { # database
  cat > "$sdir/etl.conf.tmp" <<EOF
pg.conninfo = $pg_base dbname=$1
kafka.bootstrap.servers = $bootstrap
schema.dir = $SWI_SRC/schemas
schema.registry.url = $registry_url
schema.registry.retry.max.ms = 1000
pseudonym.key.file = $work/key
batch.size = $batch_size
batch.latency.ms = 50
publish.interval.s = 1
kafka.session.timeout.ms = 3000
kafka.heartbeat.interval.ms = 500
kafka.reconnect.backoff.max.ms = 1000
EOF
  mv "$sdir/etl.conf.tmp" "$sdir/etl.conf"
}

# ---- instances: each slot is a supervisor loop that restarts swi-etl when it
# exits, until the slot is told to stop (like systemd's Restart=always) -----
slot_run() { # slot
  local s=$1 n=0 rc
  while [ ! -e "$work/stop.$s" ]; do
    n=$((n + 1))
    "$SWI_BIN/swi-etl" -c "$sdir/etl.conf" 2>>"$sdir/etl.$s.log" &
    echo $! > "$work/pid.$s"
    rc=0; { wait $!; } 2>/dev/null || rc=$?  # (no "Killed" line from bash)
    echo "slot=$s run=$n rc=$rc at=$(date -u +%T.%N)" >> "$sdir/exits.log"
    [ -e "$work/stop.$s" ] && break
    sleep 0.3
  done
}
slot_start() { # slot
  rm -f "$work/stop.$1" "$work/pid.$1"
  slot_run "$1" &
  slot_loop[$1]=$!
  for _ in $(seq 100); do [ -s "$work/pid.$1" ] && break; sleep 0.05; done
}
slot_pid() { cat "$work/pid.$1" 2>/dev/null || true; }
slot_kill() { # slot: SIGKILL the running swi-etl (the loop restarts it); 0 if one was killed
  local p
  for _ in $(seq 50); do
    p=$(slot_pid "$1")
    if [ -n "$p" ] && kill -9 "$p" 2>/dev/null; then
      echo "slot=$1 pid=$p SIGKILL at=$(date -u +%T.%N)" >> "$sdir/exits.log"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
slot_stop() { # slot signal: stop the slot; TERM is a graceful leave, KILL a crash
  local s=$1 p
  touch "$work/stop.$s"
  p=$(slot_pid "$s")
  if [ -n "$p" ]; then kill "-$2" "$p" 2>/dev/null || true; fi
  for _ in $(seq 600); do kill -0 "${slot_loop[$s]}" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "${slot_loop[$s]}" 2>/dev/null; then
    log "instance $s did not stop within 60 s of SIG$2; killing it"
    kill -9 "$(slot_pid "$s")" 2>/dev/null || true
    echo "slot=$s stop timeout" >> "$sdir/exits.log"
  fi
  wait "${slot_loop[$s]}" 2>/dev/null || true
  unset "slot_loop[$s]"
}
active_slots() { echo "${!slot_loop[@]}" | tr ' ' '\n' | sort -n | tr '\n' ' '; }

# ---- progress and completion -------------------------------------------
consumed() { # messages whose offsets are committed in database $1 (empty while unreachable)
  qdb "$1" "SELECT coalesce(sum(next_offset), 0) FROM swi_ops.kafka_offsets" 2>/dev/null || true
}
# Waits until database $1 has committed at least $2 messages, or all of them
# (then the next fault hits an idle pipeline: counted); fails after 180 s
# without progress (a stuck pipeline is a failure too).
wait_consumed() { # db target
  local last=-1 c since
  since=$(date +%s)
  while :; do
    c=$(consumed "$1")
    [ -n "$c" ] && [ "$c" -ge "$2" ] && return 0
    if [ -n "$c" ] && [ "$c" -ge "$total" ]; then idle_faults=$((idle_faults + 1)); return 0; fi
    if [ -n "$c" ] && [ "$c" != "$last" ]; then last=$c; since=$(date +%s); fi
    [ $(($(date +%s) - since)) -lt 180 ] || die "$scen: no progress for 180 s at $last of $total messages"
    sleep 0.1
  done
}
# Everything consumed (per topic, the manifest's count) and the current
# figures caught up (the publish queue drained: a round deletes the rows it
# read in the transaction that writes their figures).
wait_settled() { # db
  local want got queue state last='' since
  want=$(jq -r '.messages_per_topic | to_entries | sort_by(.key) | map("\(.key)|\(.value)") | .[]' "$work/m.json")
  since=$(date +%s)
  while :; do
    got=$(qdb "$1" "SELECT topic || '|' || sum(next_offset) FROM swi_ops.kafka_offsets GROUP BY topic ORDER BY topic" 2>/dev/null || true)
    queue=$(qdb "$1" "SELECT count(*) FROM swi_ops.publish_queue" 2>/dev/null || true)
    [ "$got" = "$want" ] && [ "$queue" = 0 ] && return 0
    state="$got $queue"
    if [ "$state" != "$last" ]; then last=$state; since=$(date +%s); fi
    [ $(($(date +%s) - since)) -lt 300 ] || {
      log "consumed per topic: $(echo $got) (want $(echo $want)); queue: $queue"
      die "$scen: no progress for 300 s before everything was consumed and published"; }
    sleep 0.2
  done
}

# ---- the digest ------------------------------------------------------------
tables=(events duplicate_events dead_letters kafka_offsets identity_edges trajectories
        trajectory_versions findings figures)
declare -A sql=(
  [events]="SELECT source, event_id, event_type, bsn_ps, vnr_ps, event_date, registered_at, corrects, retracts, payload, schema_id, kafka_topic, kafka_partition, kafka_offset FROM swi.events"
  [duplicate_events]="SELECT source, event_id, kafka_topic, kafka_partition, kafka_offset FROM swi_ops.duplicate_events"
  [dead_letters]="SELECT reason, detail, source, event_type, schema_id, kafka_topic, kafka_partition, kafka_offset FROM swi_ops.dead_letters"
  [kafka_offsets]="SELECT group_id, topic, partition, next_offset FROM swi_ops.kafka_offsets"
  [identity_edges]="SELECT vnr_ps, bsn_ps FROM swi.identity_edges"
  [trajectories]="SELECT * FROM swi.trajectories"
  [trajectory_versions]="SELECT * FROM swi.trajectory_versions"
  [findings]="SELECT person_kind, person_ps, kind, event_id, event_date FROM swi_ops.findings"
  [figures]="SELECT 'publication', name, peildatum, rounding_base, threshold, frozen, frozen_at, description FROM swi_pub.publications WHERE name = 'actueel'|||SELECT 'value', * FROM swi_pub.indicator_values WHERE publication = 'actueel'"
)
digest() { # db dir: one sorted dump and one SHA-256 per table (a table's queries split at |||)
  local t q
  mkdir -p "$2"
  for t in "${tables[@]}"; do
    local args=()
    while IFS= read -r q; do args+=(-c "COPY ($q) TO STDOUT"); done < <(printf '%s\n' "${sql[$t]}" | sed 's/|||/\n/g')
    PGOPTIONS='-c TimeZone=UTC -c DateStyle=ISO' psql "$pg_base dbname=$1" -X -q -v ON_ERROR_STOP=1 \
      "${args[@]}" | LC_ALL=C sort > "$2/$t.tsv"
    sha256sum < "$2/$t.tsv" | cut -c1-64 > "$2/$t.sha"
  done
}
# The UTC day the current figures are for (their peildatum).
figures_day() { awk -F'\t' '$1 == "publication" {print $3}' "$1/figures.tsv"; }

# ---- the clean run ---------------------------------------------------------
sdir=$work/ref
mkdir -p "$sdir"
t0=$(date +%s)
start_broker
start_registry
replay
new_db ref
write_conf ref
timeout 600 "$SWI_BIN/swi-etl" -c "$sdir/etl.conf" --until-caught-up 2>"$sdir/etl.1.log" || {
  tail -20 "$sdir/etl.1.log" >&2; die "the clean run failed or did not finish within 600 s"; }
scen=ref
wait_settled ref
digest ref "$work/digest/ref"
kill_registry; stop_broker TERM
ref_s=$(($(date +%s) - t0))
summary=()
ref_counts=""
for t in "${tables[@]}"; do ref_counts+="$t=$(wc -l < "$work/digest/ref/$t.tsv") "; done
log "clean run: ${ref_s} s; rows: $ref_counts"
[ "$(wc -l < "$work/digest/ref/events.tsv")" = "$(jq -r '.good_event_ids' "$work/m.json")" ] ||
  die "the clean run stored $(wc -l < "$work/digest/ref/events.tsv") events, the manifest says $(jq -r '.good_event_ids' "$work/m.json")"
# (bad references are stored and reported as findings by the amended spec,
# dead letters before issue 10 item 1: the manifest counts them the new way)
[ "$bad_refs" != 0 ] || [ "$(wc -l < "$work/digest/ref/dead_letters.tsv")" = "$(jq -r '.bad_messages_total' "$work/m.json")" ] ||
  die "the clean run has $(wc -l < "$work/digest/ref/dead_letters.tsv") dead letters, the manifest says $(jq -r '.bad_messages_total' "$work/m.json")"

# ---- the faults --------------------------------------------------------------
declare -A injected=()
note_fault() { injected[$1]=$((${injected[$1]:-0} + 1)); echo "fault $1 $2 at=$(date -u +%T.%N)" >> "$sdir/exits.log"; }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
random_slot() { local a=($(active_slots)); rnd ${#a[@]}; S=${a[$R]}; }

fault_kill() {
  random_slot
  if slot_kill "$S"; then note_fault kill "instance=$S"; else log "$scen: instance $S was not running"; fi
}
fault_pg() {
  local mode=fast
  rnd 2; [ "$R" = 1 ] && mode=immediate
  rnd 2500; local down=$((500 + R))
  pgctl stop "$mode" >>"$sdir/pg.log" 2>&1 || die "pg.sh stop $mode failed"
  note_fault "pg-$mode" "down_ms=$down"
  sleep_ms "$down"
  pgctl start >>"$sdir/pg.log" 2>&1 || die "pg.sh start failed"
}
fault_broker() {
  rnd 4000; local down=$((1000 + R))
  kill -USR1 "$broker_pid"
  note_fault broker-outage "down_ms=$down"
  sleep_ms "$down"
  kill -USR2 "$broker_pid"
}
fault_broker_loss() {
  local s p upto=$total
  rnd 2000; local down=$((1000 + R))
  if [ -n "$replay_pid" ]; then
    # what the lost broker held is at most what the rate-limited feed can have
    # produced by now (plus a second's margin); the rest stays live
    upto=$((feed_from + ($(date +%s%3N) - feed_t0) * rate / 1000 + rate))
    [ "$upto" -le "$total" ] || upto=$total
    kill -9 "$replay_pid" 2>/dev/null || true; wait "$replay_pid" 2>/dev/null || true; replay_pid=''
  fi
  stop_broker KILL
  note_fault broker-loss "down_ms=$down"
  sleep_ms "$down"
  start_broker
  replay --to "$upto"    # the stream again: the same partitions and offsets
  if [ "$upto" -lt "$total" ]; then
    replay --from "$upto" --rate "$rate" &
    replay_pid=$! feed_from=$upto feed_t0=$(date +%s%3N)
  fi
  write_conf "$db"
  # the instances are pointed at the new broker: restarted with the new file.
  # SIGTERM first; one whose stop waits for the lost broker (a dead-letter
  # flush can wait 30 s, the producer's close 2 x 10 s) is SIGKILLed after 5 s
  for s in $(active_slots); do
    p=$(slot_pid "$s")
    [ -n "$p" ] || continue
    kill -TERM "$p" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -9 "$p" 2>/dev/null; then echo "slot=$s pid=$p SIGKILL (stop too slow)" >> "$sdir/exits.log"; fi
  done
}
fault_registry() {
  rnd 3000; local down=$((4000 + R))
  kill_registry
  note_fault registry-outage "down_ms=$down"
  # an instance restarted now starts with an empty schema cache and must wait
  # (it joins its group within about 3 s, the outage lasts longer)
  sleep 0.5
  random_slot
  if slot_kill "$S"; then note_fault kill "instance=$S"; fi
  sleep_ms "$down"
  start_registry
}
next_slot=1
membership_changes=0
fault_membership() {
  local n join
  n=$(active_slots | wc -w)
  membership_changes=$((membership_changes + 1))
  rnd 2; join=$R
  # the first four changes visit 1, 2, 3, 2 and 1 instances; then at random
  case "$membership_changes" in 1|2) join=0 ;; 3|4) join=1 ;; esac
  [ "$n" -le 1 ] && join=0
  [ "$n" -ge 3 ] && join=1
  if [ "$join" = 0 ]; then
    slot_start $next_slot
    note_fault join "instance=$next_slot now=$((n + 1))"
    next_slot=$((next_slot + 1))
  else
    random_slot
    rnd 2
    if [ "$R" = 0 ]; then slot_stop "$S" TERM; note_fault leave "instance=$S now=$((n - 1))"
    else slot_stop "$S" KILL; note_fault crash-leave "instance=$S now=$((n - 1))"; fi
  fi
}

run_scenario() { # name
  local name=$1 n i j s gap kinds k target last t0 r ok=1 diffs="" plan=()
  scen=$name db=chaos_${name//-/_} sdir=$work/$name
  mkdir -p "$sdir"
  injected=() idle_faults=0 membership_changes=0
  t0=$(date +%s)
  new_db "$db"
  start_broker
  start_registry
  replay --to "$upfront"
  replay --from "$upfront" --rate "$rate" &
  replay_pid=$! feed_from=$upfront feed_t0=$(date +%s%3N)
  write_conf "$db"
  next_slot=1
  slot_start $next_slot; next_slot=$((next_slot + 1))
  case "$name" in
    pg|broker|outages) slot_start $next_slot; next_slot=$((next_slot + 1)) ;;
    mixed) rnd 3; for ((i = 0; i < R; i++)); do slot_start $next_slot; next_slot=$((next_slot + 1)); done ;;
  esac
  kinds=(kill pg broker broker_loss registry membership)
  # the plan: one kind of fault n times, or (outages, fleet) several kinds in
  # an order drawn from the seed; mixed draws each fault's kind as it goes
  add_faults() { for ((j = 0; j < $2; j++)); do plan+=("$1"); done; }
  case "$name" in
    kill) add_faults kill "${count[kill]}" ;; pg) add_faults pg "${count[pg]}" ;;
    broker) add_faults broker "${count[broker]}" ;;
    broker-loss) add_faults broker_loss "${count[broker-loss]}" ;;
    registry) add_faults registry "${count[registry]}" ;;
    instances) add_faults membership "${count[instances]}" ;;
    outages) add_faults pg "${count[pg]}"; add_faults broker "${count[broker]}"
             add_faults registry "${count[registry]}" ;;
    fleet) add_faults membership "${count[instances]}"; add_faults broker_loss "${count[broker-loss]}" ;;
    ci) add_faults kill "${count[kill]}"; add_faults pg "${count[pg]}"
        add_faults broker "${count[broker]}"; add_faults broker_loss "${count[broker-loss]}"
        add_faults registry "${count[registry]}"; add_faults membership "${count[instances]}" ;;
  esac
  if [ "$name" = outages ] || [ "$name" = fleet ] || [ "$name" = ci ]; then
    for ((i = ${#plan[@]} - 1; i > 0; i--)); do # Fisher-Yates
      rnd $((i + 1)); k=${plan[$i]}; plan[$i]=${plan[$R]}; plan[$R]=$k
    done
  fi
  n=${#plan[@]}
  [ "$name" = mixed ] && n=${count[mixed]}
  target=0
  for ((i = 1; i <= n; i++)); do
    # the next fault after a random share of an even split of the stream,
    # then a random delay: faults land while messages are being consumed
    # (and at least one more batch committed since the last fault, so that
    # a restarted pipeline is hit while it works again)
    rnd 71; gap=$((total * (30 + R) / 100 / (n + 1)))
    target=$((target + gap))
    last=$(consumed "$db")
    wait_consumed "$db" "$((target > ${last:-0} ? target : ${last:-0} + 1))"
    rnd 500; sleep_ms "$R"
    if [ "$name" = mixed ]; then rnd ${#kinds[@]}; k=${kinds[$R]}; else k=${plan[$((i - 1))]}; fi
    "fault_$k"
  done
  if [ -n "$replay_pid" ]; then wait "$replay_pid" || die "$name: the live feed failed"; replay_pid=''; fi
  wait_settled "$db"
  digest "$db" "$work/digest/$name"
  for s in $(active_slots); do slot_stop "$s" TERM; done
  kill_registry; stop_broker TERM

  # the figures are for today: a clean run on another UTC day differs there
  if [ "$(figures_day "$work/digest/ref")" != "$(figures_day "$work/digest/$name")" ]; then
    log "the UTC day changed since the clean run: refreshing its current figures"
    sdir=$work/ref; start_broker; start_registry; replay; write_conf ref
    timeout 600 "$SWI_BIN/swi-etl" -c "$sdir/etl.conf" --until-caught-up 2>>"$sdir/etl.1.log" || die "refreshing the clean run failed"
    wait_settled ref; digest ref "$work/digest/ref"; kill_registry; stop_broker TERM; sdir=$work/$name
  fi
  for t in "${tables[@]}"; do
    if ! cmp -s "$work/digest/ref/$t.sha" "$work/digest/$name/$t.sha"; then
      ok=0; diffs+="$t "
      log "FAIL $name: $t differs from the clean run ($(wc -l < "$work/digest/ref/$t.tsv") rows there," \
          "$(wc -l < "$work/digest/$name/$t.tsv") here); first differing rows (< clean, > $name):"
      diff "$work/digest/ref/$t.tsv" "$work/digest/$name/$t.tsv" | grep '^[<>]' | head -10 | cut -c1-400 >&2 || true
    fi
  done
  # a sanitizer report anywhere is a failure, whatever the digests say
  if grep -l -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$sdir"/etl.*.log >/dev/null 2>&1; then
    ok=0; diffs+="sanitizer "
    log "FAIL $name: sanitizer report in $(grep -l -E 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$sdir"/etl.*.log | xargs -n1 basename | tr '\n' ' ')"
    grep -h -E -A5 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$sdir"/etl.*.log | head -30 >&2
  fi
  # each kind of fault must have been seen by swi-etl, or the run proved
  # nothing about it (the evidence: its own log lines, or the exits)
  local kind pat seen obs=""
  declare -A evidence=(
    [kill]="SIGKILL"
    [pg]="sub=pg .*(reconnecting|connection lost|commit failed|cannot load)|sub=publish .*not updated|start-up failed"
    [broker]="_ALL_BROKERS_DOWN|_TRANSPORT"
    # a lookup that found it down, or (when the outage fell where nothing was
    # left to decode: the stream read to its end) the health probe
    [registry]="schema registry unreachable|schema registry health check failed"
    [membership]="partitions revoked"
  )
  for kind in kill pg broker registry membership; do
    case "$kind" in
      kill) [ -n "${injected[kill]:-}" ] || continue; seen=$(grep -c SIGKILL "$sdir/exits.log" || true) ;;
      pg) [ -n "${injected[pg-fast]:-}${injected[pg-immediate]:-}" ] || continue ;;
      broker) [ -n "${injected[broker-outage]:-}${injected[broker-loss]:-}" ] || continue ;;
      registry) [ -n "${injected[registry-outage]:-}" ] || continue ;;
      membership) [ -n "${injected[join]:-}${injected[leave]:-}${injected[crash-leave]:-}" ] || continue ;;
    esac
    [ "$kind" = kill ] || seen=$(cat "$sdir"/etl.*.log | grep -c -E "${evidence[$kind]}" || true)
    obs+="$kind:$seen "
    if [ "$seen" = 0 ] && [ "$idle_faults" = 0 ]; then
      ok=0; diffs+="unobserved-$kind "
      log "FAIL $name: no swi-etl log shows the $kind faults (/${evidence[$kind]}/): nothing was proven about them"
    fi
  done
  local f="" kk
  for kk in $(echo "${!injected[@]}" | tr ' ' '\n' | sort); do f+="$kk=${injected[$kk]} "; done
  local runs unexpected
  runs=$(grep -c ' rc=' "$sdir/exits.log" || true)
  unexpected=$(grep ' rc=' "$sdir/exits.log" | { grep -v -E ' rc=(0|137) ' || true; } | sed -E 's/.* rc=([0-9]+).*/\1/' | sort | uniq -c | awk '{printf "rc%s x%s ", $2, $1}')
  [ "$idle_faults" = 0 ] || f+="(at idle: $idle_faults) "
  r="$(printf '%-12s %4ss  faults: %s| seen in logs: %s| swi-etl runs: %s%s| ' "$name" "$(($(date +%s) - t0))" "$f" "$obs" "$runs" "${unexpected:+ (exits: $unexpected)}")"
  if [ "$ok" = 1 ]; then r+="digests equal (${#tables[@]} tables)"; else r+="DIFFERENT: $diffs"; fi
  summary+=("$r")
  log "$r"
  if [ "$ok" = 1 ]; then qdb swi "DROP DATABASE $db" || true; else failed=1; fi
}

failed=0
IFS=, read -r -a scen_list <<< "$scenarios"
for s in "${scen_list[@]}"; do
  [ -n "${count[$s]:-}" ] || die "unknown scenario '$s'"
  run_scenario "$s"
done

echo "chaos summary: seed=$seed persons=$persons messages=$total clean run ${ref_s} s, total $(($(date +%s) - t_start)) s"
for r in "${summary[@]}"; do echo "  $r"; done
if [ "$failed" = 0 ]; then echo "chaos: all digests equal the clean run"; else
  echo "chaos: DIFFERENCES FOUND (reproduce with --seed $seed --persons $persons --scenarios $scenarios)"; keep=1; fi
exit "$failed"
