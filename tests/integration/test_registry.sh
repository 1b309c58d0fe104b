#!/usr/bin/env bash
# Issue 13 item 5 ("Must show"): swi-schemas against a stand-in that speaks
# the Confluent REST API on loopback (tools/registry-standin), with basic auth:
#  - check on an empty registry: everything compatible, to register;
#  - register keeps the local map's ids (IMPORT mode) under TopicRecordName
#    subjects; list agrees; a second register changes nothing;
#  - without credentials: refused (401), exit 1;
#  - an incompatible new version (a field without default) fails check and is
#    not registered; a compatible one (a field with a default) passes and is
#    registered with its id; a subject whose level does not check BACKWARD
#    fails check;
#  - a registry that already gave a schema another id: register (import)
#    refuses and says why; --no-import --map writes the mapping;
#  - swi-etl in registry mode against schemas swi-schemas registered, one
#    missing: its messages are UNKNOWN_SCHEMA dead letters; after
#    swi-schemas register and swi-redrive --reason UNKNOWN_SCHEMA they are
#    events, and the totals equal the manifest (the registry going down
#    mid-run: test_health.sh).
source "$(dirname "$0")/lib.sh"

standin() { # port data-file [extra args]
  local p=$1 d=$2; shift 2
  "$SWI_BIN/swi-registry-standin" -p "$p" -d "$d" -u "ops:s3cret-reg" "$@" >/dev/null 2>>"$work/registry.log" &
  pids+=($!)
  wait_for 10 'curl -sf -u ops:s3cret-reg "http://127.0.0.1:'"$p"'/subjects"' || { it_log "registry did not start"; exit 1; }
}
port=$(free_port)
standin "$port" "$work/reg.json"
printf 'ops:s3cret-reg\n' >"$work/auth"; chmod 600 "$work/auth"
cat >"$work/schemas.conf" <<EOF
schema.registry.url = http://127.0.0.1:$port
schema.registry.basic.auth.user.info = \${file:$work/auth}
schema.dir = $SWI_SRC/schemas
EOF
n=$(jq '.schemas | length' "$SWI_SRC/schemas/registry.json")
sch() { "$SWI_BIN/swi-schemas" -c "$work/schemas.conf" "$@"; }
api() { curl -s -u ops:s3cret-reg "http://127.0.0.1:$port$1" "${@:2}"; }

rc=0; sch check >"$work/check0.txt" 2>&1 || rc=$?
check_eq "check on an empty registry" 0 "$rc"
check_eq "check counts what to register" 1 "$(grep -c "^$n schemas, $n to register, 0 problems" "$work/check0.txt")"

rc=0; sch register >"$work/reg1.txt" 2>&1 || rc=$?
check_eq "register" 0 "$rc"
check_eq "registered all" 1 "$(grep -c "^$n schemas: $n registered, 0 already there, 0 problems" "$work/reg1.txt")"
check_eq "subjects" "$(jq -r '[.schemas[].subject] | unique | length' "$SWI_SRC/schemas/registry.json")" \
  "$(api /subjects | jq length)"
check_eq "TopicRecordNameStrategy subject and id kept" 3 \
  "$(api /subjects/ind.events-nl.swi.ind.BsnToegekend/versions/1 | jq .id)"
check_eq "two versions, ids kept" "100 26" \
  "$(echo $(api /subjects/gemeente.events-nl.swi.gemeente.BredeIntakeAfgerond/versions/1 | jq .id) \
          $(api /subjects/gemeente.events-nl.swi.gemeente.BredeIntakeAfgerond/versions/2 | jq .id))"
check_eq "every id as the local map says" "$(jq -r '.schemas[] | "\(.id)"' "$SWI_SRC/schemas/registry.json" | sort -n | tr '\n' ' ')" \
  "$(for id in $(jq -r '.schemas[].id' "$SWI_SRC/schemas/registry.json"); do
       api "/schemas/ids/$id" | jq -e .schema >/dev/null && echo "$id"; done | sort -n | tr '\n' ' ')"
sch list >"$work/list.txt" 2>&1
check_eq "list: same ids" "$n" "$(grep -c ' same id$' "$work/list.txt")"
check_eq "list: nothing missing" 1 "$(grep -c "^$n local schemas, 0 not in the registry" "$work/list.txt")"
rc=0; sch register >"$work/reg2.txt" 2>&1 || rc=$?
check_eq "second register" 0 "$rc"
check_eq "second register changes nothing" 1 "$(grep -c "^$n schemas: 0 registered, $n already there" "$work/reg2.txt")"
check_eq "subjects back in READWRITE" READWRITE "$(api /mode/ind.events-nl.swi.ind.BsnToegekend | jq -r .mode)"

rc=0; "$SWI_BIN/swi-schemas" -u "http://127.0.0.1:$port" -d "$SWI_SRC/schemas" check >"$work/noauth.txt" 2>&1 || rc=$?
check_eq "without credentials" 1 "$rc"
check_eq "says 401" 1 "$([ "$(grep -c 'HTTP 401' "$work/noauth.txt")" -gt 0 ] && echo 1 || echo 0)"
check_eq "the password is never printed" 0 "$(cat "$work"/*.txt | grep -c s3cret || true)"

it_log "a deploy with new schema versions"
cp -r "$SWI_SRC/schemas" "$work/schemas2"
f=gemeente/PipVastgesteld.v1.avsc
jq '.fields += [{"name": "toelichting", "type": "string"}]' "$work/schemas2/$f" >"$work/schemas2/gemeente/PipVastgesteld.v2.avsc"
jq '(.schemas) += [{"id": 200, "source": "gemeente", "name": "PipVastgesteld", "version": 2,
     "file": "gemeente/PipVastgesteld.v2.avsc", "current": true,
     "subject": "gemeente.events-nl.swi.gemeente.PipVastgesteld"}]' \
  "$work/schemas2/registry.json" >"$work/r.json" && mv "$work/r.json" "$work/schemas2/registry.json"
rc=0; sch -d "$work/schemas2" check >"$work/check1.txt" 2>&1 || rc=$?
check_eq "check: incompatible version fails" 1 "$rc"
check_eq "check names the field" 1 "$(grep -c 'toelichting: the reader.s field has no default' "$work/check1.txt")"
rc=0; sch -d "$work/schemas2" register >"$work/reg3.txt" 2>&1 || rc=$?
check_eq "register refuses the incompatible version" 1 "$rc"
check_eq "id 200 not registered" 404 "$(curl -s -o /dev/null -w '%{http_code}' -u ops:s3cret-reg "http://127.0.0.1:$port/schemas/ids/200")"
jq '.fields += [{"name": "toelichting", "type": ["null", "string"], "default": null}]' "$work/schemas2/$f" \
  >"$work/schemas2/gemeente/PipVastgesteld.v2.avsc"
rc=0; sch -d "$work/schemas2" check >"$work/check2.txt" 2>&1 || rc=$?
check_eq "check: compatible version passes" 0 "$rc"
check_eq "check: one to register" 1 "$(grep -c "schemas, 1 to register, 0 problems" "$work/check2.txt")"
rc=0; sch -d "$work/schemas2" register >"$work/reg4.txt" 2>&1 || rc=$?
check_eq "register the compatible version" 0 "$rc"
check_eq "registered with its id and version" "200 2" \
  "$(api /subjects/gemeente.events-nl.swi.gemeente.PipVastgesteld/versions/latest | jq -r '"\(.id) \(.version)"')"
api /config/ind.events-nl.swi.ind.BsnToegekend -X PUT -d '{"compatibility": "NONE"}' >/dev/null
rc=0; sch check >"$work/check3.txt" 2>&1 || rc=$?
check_eq "check: a subject that does not check BACKWARD fails" 1 "$rc"
check_eq "check names the subject's level" 1 "$(grep -c 'BsnToegekend: compatibility level NONE' "$work/check3.txt")"

it_log "a registry that numbered a schema itself"
port2=$(free_port)
standin "$port2" "$work/reg2.json"
jq -n --arg s "$(jq -c . "$SWI_SRC/schemas/ind/BsnToegekend.v1.avsc")" '{schema: $s}' |
  curl -s -u ops:s3cret-reg -X POST -d @- "http://127.0.0.1:$port2/subjects/ind.events-nl.swi.ind.BsnToegekend/versions" >/dev/null
rc=0; sch -u "http://127.0.0.1:$port2" register >"$work/reg5.txt" 2>&1 || rc=$?
check_eq "import refuses a schema numbered otherwise" 1 "$rc"
check_eq "and says what to do" 1 "$(grep -c 'registered with id 1, the local map says 3.*--no-import --map' "$work/reg5.txt")"
rc=0; sch -u "http://127.0.0.1:$port2" --no-import --map "$work/map.json" register >"$work/reg6.txt" 2>&1 || rc=$?
check_eq "--no-import registers" 0 "$rc"
check_eq "the mapping has every schema" "$n" "$(jq length "$work/map.json")"
check_eq "the mapping keeps what the registry chose" 1 "$(jq '."3"' "$work/map.json")"

it_log "a schema missing from the registry, then registered; the dead letters fed back"
port3=$(free_port)
standin "$port3" "$work/reg3.json"
cp -r "$SWI_SRC/schemas" "$work/schemas3"
jq 'del(.schemas[] | select(.id == 100))' "$SWI_SRC/schemas/registry.json" >"$work/schemas3/registry.json"
sch -u "http://127.0.0.1:$port3" -d "$work/schemas3" register >"$work/reg7.txt" 2>&1
db2=$(new_db missing)
start_broker 4
"$SWI_BIN/swi-gen" --persons 30 --seed 42 --old-schema 0.5 --bad 0.02 -b "$bootstrap" \
  --schema-dir "$SWI_SRC/schemas" --manifest "$work/m3.json" 2>>"$work/gen.log"
write_conf "$work/etl3.conf" "schema.registry.url = http://127.0.0.1:$port3" \
  "schema.registry.basic.auth.user.info = \${file:$work/auth}" "trajectories.enable = false"
sed -i "s|^pg.conninfo = .*|pg.conninfo = $db2|" "$work/etl3.conf"
q2() { psql "$db2" -X -q -A -t -c "$1"; }
"$SWI_BIN/swi-etl" -c "$work/etl3.conf" --until-caught-up 2>"$work/etl3.log" || { tail -20 "$work/etl3.log" >&2; exit 1; }
bad_unknown=$(jq -r '.bad_messages.UNKNOWN_SCHEMA // 0' "$work/m3.json")
id100=$(q2 "SELECT count(*) FROM swi_ops.dead_letters WHERE reason = 'UNKNOWN_SCHEMA' AND schema_id = 100")
check_eq "schema id 100 missing: its messages are dead letters" 1 "$([ "$id100" -gt 0 ] && echo 1 || echo 0)"
check_eq "events short by those" "$(( $(jq -r .good_event_ids "$work/m3.json") - id100 ))" "$(q2 'SELECT count(*) FROM swi.events')"
sch -u "http://127.0.0.1:$port3" register >"$work/reg8.txt" 2>&1
check_eq "id 100 registered" 1 "$(grep -c 'BredeIntakeAfgerond v1: registered as id 100' "$work/reg8.txt")"
"$SWI_BIN/swi-redrive" -b "$bootstrap" --reason UNKNOWN_SCHEMA --dry-run >"$work/redrive0.txt"
check_eq "dry run counts" 1 "$(grep -c "would feed back $((id100 + bad_unknown)), " "$work/redrive0.txt")"
"$SWI_BIN/swi-redrive" -b "$bootstrap" --reason UNKNOWN_SCHEMA >"$work/redrive.txt"
check_eq "fed back" 1 "$(grep -c "fed back $((id100 + bad_unknown)), " "$work/redrive.txt")"
"$SWI_BIN/swi-etl" -c "$work/etl3.conf" --until-caught-up 2>>"$work/etl3.log" || { tail -20 "$work/etl3.log" >&2; exit 1; }
check_eq "after the redrive: events = manifest" "$(jq -r .good_event_ids "$work/m3.json")" "$(q2 'SELECT count(*) FROM swi.events')"
check_eq "the really unknown ones are dead letters again" "$((2 * bad_unknown + id100))" \
  "$(q2 "SELECT count(*) FROM swi_ops.dead_letters WHERE reason = 'UNKNOWN_SCHEMA'")"

it_finish
