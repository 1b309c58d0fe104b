#!/usr/bin/env bash
# Issue 10 item 10: hostile Kafka input - empty, one byte, wrong magic, unknown
# schema id, truncated, trailing bytes, absurd lengths and counts, control
# characters, invalid UTF-8, NUL bytes, SQL-looking text, 4 MiB strings, absurd
# dates (hostile_gen.c writes them and says what must become of each). Every
# message is stored exactly (its text byte for byte) or dead-lettered with its
# reason and detail - in the table and, raw, in the dead-letter topic - and
# the pipeline goes on: the messages after them are stored, and a second run
# finds nothing left to do.
source "$(dirname "$0")/lib.sh"

"$SWI_BIN/hostile_gen" "$work/hostile.bin" "$work/manifest.tsv"
restart_broker 4
"$SWI_BIN/swi-replay" --in "$work/hostile.bin" --schema-dir "$SWI_SRC/schemas" -b "$bootstrap" \
  2>>"$work/replay.log" || { it_log "swi-replay failed"; tail -5 "$work/replay.log" >&2; exit 1; }
write_conf "$work/etl.conf" "kafka.session.timeout.ms = 6000"
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>"$work/etl.log" || {
  failed=$((failed + 1)); it_log "FAIL: swi-etl did not finish"; tail -20 "$work/etl.log" >&2; }

# where each message landed: key -> topic, partition, offset
big="-X fetch.max.bytes=16777216 -X receive.message.max.bytes=33554432"
for t in coa.events gemeente.events ind.events; do
  kcat -C -b "$bootstrap" -t "$t" -o beginning -e -q $big -f "%k\t%t\t%p\t%o\n" 2>/dev/null
done > "$work/where.tsv"
check_eq "every message is on its topic" "$(wc -l < "$work/manifest.tsv")" "$(wc -l < "$work/where.tsv")"

# one query over the manifest: what each message became
psql "$conninfo" -X -q -v ON_ERROR_STOP=1 \
  -c "CREATE TABLE hostile_manifest (key text, topic text, expect text, detail text, event_id text, value_hex text)" \
  -c "CREATE TABLE hostile_where (key text, topic text, part int, off bigint)" \
  -c "\\copy hostile_manifest FROM '$work/manifest.tsv'" -c "\\copy hostile_where FROM '$work/where.tsv'" >/dev/null
q "SELECT m.key, m.expect,
          CASE WHEN m.expect = 'stored' THEN
                 CASE WHEN e.event_id IS NULL THEN 'not stored'
                      WHEN d.id IS NOT NULL THEN 'also a dead letter'
                      WHEN m.value_hex <> '-' AND m.value_hex
                           IS DISTINCT FROM encode(convert_to(e.payload->>'locatie', 'UTF8'), 'hex')
                        THEN 'text differs: ' || encode(convert_to(e.payload->>'locatie', 'UTF8'), 'hex')
                      ELSE 'ok' END
               WHEN d.id IS NULL THEN 'no dead letter'
               WHEN d.reason <> m.expect THEN 'reason ' || d.reason || ': ' || d.detail
               WHEN m.detail <> '-' AND strpos(d.detail, m.detail) = 0 THEN 'detail ' || d.detail
               ELSE 'ok' END
     FROM hostile_manifest m
     LEFT JOIN hostile_where w USING (key)
     LEFT JOIN swi.events e ON m.expect = 'stored' AND e.event_id::text = m.event_id
          AND e.kafka_topic = w.topic AND e.kafka_offset = w.off
     LEFT JOIN swi_ops.dead_letters d ON d.kafka_topic = w.topic AND d.kafka_partition = w.part
          AND d.kafka_offset = w.off
    ORDER BY m.key" > "$work/outcome.txt"
while IFS='|' read -r key expect outcome; do
  check_eq "$key ($expect)" "ok" "$outcome"
done < "$work/outcome.txt"
check_eq "every case checked" "$(wc -l < "$work/manifest.tsv")" "$(wc -l < "$work/outcome.txt")"
nstored=$(q "SELECT count(*) FROM hostile_manifest WHERE expect = 'stored'")
nrejected=$(q "SELECT count(*) FROM hostile_manifest WHERE expect <> 'stored'")
check_eq "events stored" "$nstored" "$(q "SELECT count(*) FROM swi.events")"
check_eq "dead letters" "$nrejected" "$(q "SELECT count(*) FROM swi_ops.dead_letters")"
check_eq "no identifier in any detail" "0" \
  "$(q "SELECT count(*) FROM swi_ops.dead_letters WHERE detail ~ '123456782|1234567890'")"
check_eq "tables intact" "t" "$(q "SELECT to_regclass('swi.events') IS NOT NULL")"

# the dead-letter topic has every rejected message raw, the 4 MiB ones included
kcat -C -b "$bootstrap" -t swi.dead-letters -o beginning -e -q $big -f "%k\t%S\t%h\n" \
  2>/dev/null > "$work/dlq.tsv"
check_eq "dead-letter topic: one message per dead letter" "$nrejected" "$(wc -l < "$work/dlq.tsv")"
check_eq "dead-letter topic: the 4 MiB messages, whole" "2" \
  "$(awk -F'\t' '$1 ~ /^4mib-/ && $2 > 4194304 && $3 ~ /swi.reason=INVALID_/' "$work/dlq.tsv" | wc -l)"
check_eq "dead-letter topic: the empty message" "t" \
  "$(awk -F'\t' '$1 == "empty" && $3 ~ /swi.reason=BAD_FRAMING/ {f = 1} END {print f ? "t" : "f"}' "$work/dlq.tsv")"
check_eq "no dead-letter copy failed" "0" "$(grep -c 'produce failed\|delivery failed' "$work/etl.log" || true)"

# the pipeline goes on: a second run has nothing to do and stores nothing twice
"$SWI_BIN/swi-etl" -c "$work/etl.conf" --until-caught-up 2>>"$work/etl.log" || {
  failed=$((failed + 1)); it_log "FAIL: second swi-etl run"; }
check_eq "second run: same events" "$nstored" "$(q "SELECT count(*) FROM swi.events")"
check_eq "second run: same dead letters" "$nrejected" "$(q "SELECT count(*) FROM swi_ops.dead_letters")"

# swi-replay refuses a message the embedded broker cannot keep (over 5 MiB: its
# batch would drop the partition's whole history there), with a clear error
head -c 6000000 /dev/zero | tr '\0' 'x' > "$work/big.val"
{ printf 'coa.events\0'; printf '\0\0\0\0'; printf '\x00\x5b\x8d\x80'; cat "$work/big.val"; } > "$work/big.bin"
before=$(end_offsets_sum coa.events)
if "$SWI_BIN/swi-replay" --in "$work/big.bin" --schema-dir "$SWI_SRC/schemas" -b "$bootstrap" 2>"$work/big.log"; then
  check_eq "swi-replay refuses a 6 MB message" "refused" "produced"
else
  check_eq "swi-replay says why" "1" "$(grep -c '5 MiB' "$work/big.log")"
fi
check_eq "nothing produced" "$before" "$(end_offsets_sum coa.events)"
it_finish
