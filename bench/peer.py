#!/usr/bin/python3
"""bench/peer.py - the peer baseline of bench/run.sh (issue 12 item 4).

The Kafka -> PostgreSQL pipeline a data engineer would write in Python for the
events-only part of swi-etl's job, with Debian's packages only
(python3-confluent-kafka, python3-avro, python3-psycopg2; Debian has no
fastavro):

  - consumes the four source topics in a consumer group, seeking on assignment
    to the offsets stored in PostgreSQL (as swi-etl does: exactly once);
  - decodes the Confluent wire format (magic byte 0, 4-byte schema id, Avro
    binary) with the project's schemas (schemas/registry.json: the writer
    schema by id, resolved to the record's current reader schema);
  - pseudonymises the BSN and V-nummer with the same HMAC-SHA-256 as swi-etl
    (no raw identifier may reach PostgreSQL);
  - per batch of --batch messages, ONE transaction: COPY into a temporary
    staging table, INSERT INTO swi.events ... SELECT ... ON CONFLICT DO
    NOTHING (duplicates absorbed), the messages it cannot decode into
    swi_ops.dead_letters, and the offsets into swi_ops.kafka_offsets; then the
    same offsets to Kafka, asynchronously (monitoring), as swi-etl does.

It does less than swi-etl, which favours it: no validation of the events
contract beyond what decoding and the table's types need, no record of the
absorbed duplicates, no dead-letter topic, no trajectories.

It stops when every assigned partition is caught up (the data is produced
before it starts) and prints one JSON line: messages, events inserted, dead
letters, batches, and two rates of inserted events - "steady" (batches 2..n,
from the first commit to the last: as bench/run.sh measures swi-etl) and "all"
(from the assignment to the last commit).

  /usr/bin/python3 bench/peer.py --bootstrap HOST:PORT --conninfo CONNINFO
      --schema-dir schemas --key-file KEY [--group G] [--batch 20000]
"""

import argparse
import datetime
import hashlib
import hmac
import io
import json
import os
import struct
import sys
import time
import uuid

import avro.io
import avro.schema
import psycopg2
from confluent_kafka import Consumer, KafkaError, TopicPartition

TOPICS = {"ind.events": "ind", "coa.events": "coa", "duo.events": "duo",
          "gemeente.events": "gemeente"}
ENVELOPE = ("event_id", "bsn", "v_nummer", "event_date", "registered_at", "corrects", "retracts")
COLS = ("source, event_id, event_type, bsn_ps, vnr_ps, event_date, registered_at, corrects, "
        "retracts, payload, schema_id, kafka_topic, kafka_partition, kafka_offset")
EPOCH = datetime.date(1970, 1, 1)
# COPY text format: a backslash starts an escape; JSON text has no raw tab or newline
COPY_ESC = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def log(msg):
    print(f"peer: {msg}", file=sys.stderr, flush=True)


def load_readers(schema_dir):
    """schema id -> (source, record name, DatumReader(writer, current reader))."""
    with open(os.path.join(schema_dir, "registry.json"), encoding="utf-8") as f:
        reg = json.load(f)["schemas"]
    parsed, current = {}, {}
    for e in reg:
        with open(os.path.join(schema_dir, e["file"]), encoding="utf-8") as f:
            parsed[e["id"]] = avro.schema.parse(f.read())
        if e.get("current"):
            current[(e["source"], e["name"])] = parsed[e["id"]]
    readers = {}
    for e in reg:
        w = parsed[e["id"]]
        r = current.get((e["source"], e["name"]), w)
        readers[e["id"]] = (e["source"], e["name"], avro.io.DatumReader(w, r))
    return readers


def as_date(v):
    if isinstance(v, datetime.date):
        return v.isoformat()
    return (EPOCH + datetime.timedelta(days=int(v))).isoformat()


def as_ts(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        return v.isoformat()
    return datetime.datetime.fromtimestamp(int(v) / 1000, datetime.timezone.utc).isoformat()


def json_default(v):
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    raise TypeError(type(v).__name__)


class Peer:
    def __init__(self, a):
        self.a = a
        with open(a.key_file, "rb") as f:
            self.key = f.read().rstrip(b"\r\n")
        self.readers = load_readers(a.schema_dir)
        self.pg = psycopg2.connect(a.conninfo, application_name="bench-peer")
        cur = self.pg.cursor()
        cur.execute("CREATE TEMP TABLE peer_stage (LIKE swi.events INCLUDING DEFAULTS) "
                    "ON COMMIT DELETE ROWS")
        self.pg.commit()
        self.high = {}
        self.t_assign = None
        self.consumer = Consumer({
            "bootstrap.servers": a.bootstrap, "group.id": a.group,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "enable.partition.eof": False, "session.timeout.ms": 6000,
        })

    def pseudonym(self, prefix, value):
        if value is None:
            return "\\N"
        return "\\\\x" + hmac.new(self.key, prefix + value.encode(), hashlib.sha256).hexdigest()

    def on_assign(self, consumer, parts):
        """Seek to the offsets stored in PostgreSQL (the exactly-once boundary)."""
        cur = self.pg.cursor()
        cur.execute("SELECT topic, partition, next_offset FROM swi_ops.kafka_offsets "
                    "WHERE group_id = %s", (self.a.group,))
        stored = {(t, p): o for t, p, o in cur.fetchall()}
        self.pg.commit()
        for tp in parts:
            tp.offset = stored.get((tp.topic, tp.partition), -2)  # -2: the beginning
            _, hi = consumer.get_watermark_offsets(tp, timeout=10)
            self.high[(tp.topic, tp.partition)] = hi
        consumer.assign(parts)
        self.t_assign = time.monotonic()
        log(f"assigned {len(parts)} partitions")

    def decode(self, m):
        """One message -> (row text, None) or (None, (reason, detail, schema id))."""
        v = m.value()
        if v is None or len(v) < 5 or v[0] != 0:
            return None, ("BAD_FRAMING", "not the Confluent wire format", None)
        sid = struct.unpack_from(">I", v, 1)[0]
        r = self.readers.get(sid)
        if r is None:
            return None, ("UNKNOWN_SCHEMA", f"schema id {sid}", sid)
        source, name, reader = r
        if source != TOPICS[m.topic()]:
            return None, ("WRONG_SOURCE", f"a {source} schema on {m.topic()}", sid)
        try:
            rec = reader.read(avro.io.BinaryDecoder(io.BytesIO(v[5:])))
            eid = str(uuid.UUID(str(rec["event_id"])))
            cor = rec.get("corrects")
            ret = rec.get("retracts")
            payload = {k: x for k, x in rec.items() if k not in ENVELOPE and x is not None}
            pj = json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                            default=json_default)
            if "\\u0000" in pj:  # jsonb refuses NUL; the batch would fail
                return None, ("INVALID_VALUE", "NUL in a string", sid)
            row = "\t".join((
                source, eid, name,
                self.pseudonym(b"BSN:", rec.get("bsn")),
                self.pseudonym(b"VNR:", rec.get("v_nummer")),
                as_date(rec["event_date"]), as_ts(rec["registered_at"]),
                str(uuid.UUID(str(cor))) if cor is not None else "\\N",
                str(uuid.UUID(str(ret))) if ret is not None else "\\N",
                pj.translate(COPY_ESC), str(sid), m.topic(), str(m.partition()),
                str(m.offset())))
            return row + "\n", None
        except Exception as e:  # a data engineer's catch-all: the message is dead-lettered
            return None, ("UNDECODABLE", f"{type(e).__name__}", sid)

    def commit(self, rows, dead, offsets):
        cur = self.pg.cursor()
        cur.copy_expert(f"COPY peer_stage ({COLS}) FROM STDIN", io.StringIO("".join(rows)))
        cur.execute(f"INSERT INTO swi.events ({COLS}) SELECT {COLS} FROM peer_stage "
                    "ON CONFLICT (source, event_id) DO NOTHING")
        inserted = cur.rowcount
        if dead:
            cur.executemany(
                "INSERT INTO swi_ops.dead_letters (reason, detail, source, schema_id, kafka_topic, "
                "kafka_partition, kafka_offset) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING", dead)
        cur.executemany(
            "INSERT INTO swi_ops.kafka_offsets (group_id, topic, partition, next_offset) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (group_id, topic, partition) DO UPDATE "
            "SET next_offset = EXCLUDED.next_offset, updated_at = now()",
            [(self.a.group, t, p, o) for (t, p), o in offsets.items()])
        self.pg.commit()
        self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                             asynchronous=True)
        return inserted

    def caught_up(self, pos):
        return self.high and all(pos.get(k, 0) >= hi for k, hi in self.high.items()
                                 if hi > 0) and self.t_assign is not None

    def run(self):
        a = self.a
        self.consumer.subscribe(list(TOPICS), on_assign=self.on_assign)
        pos = {}                 # (topic, partition) -> next offset consumed
        messages = inserted = ndead = batches = steady = 0
        t_first = t_last = None
        rows, dead, offsets = [], [], {}
        n = 0
        started = time.monotonic()
        while True:
            msgs = self.consumer.consume(num_messages=min(a.batch - n, 10000), timeout=0.1)
            for m in msgs:
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        log(f"consume error: {m.error()}")
                    continue
                row, bad = self.decode(m)
                if row is not None:
                    rows.append(row)
                else:
                    reason, detail, sid = bad
                    dead.append((reason, detail, TOPICS[m.topic()], sid, m.topic(),
                                 m.partition(), m.offset()))
                k = (m.topic(), m.partition())
                offsets[k] = pos[k] = m.offset() + 1
                n += 1
            done = self.caught_up(pos)
            if n >= a.batch or (n > 0 and (done or not msgs)):
                ins = self.commit(rows, dead, offsets)
                t = time.monotonic()
                if batches == 0:
                    t_first = t
                else:
                    steady += ins
                t_last = t
                batches += 1
                messages += n
                inserted += ins
                ndead += len(dead)
                log(f"batch {batches}: messages={n} inserted={ins} dead_letters={len(dead)}")
                rows, dead, offsets, n = [], [], {}, 0
            if done and n == 0:
                break
            if time.monotonic() - started > a.timeout:
                log("timed out before catching up")
                return 1
        self.consumer.close()
        self.pg.close()
        print(json.dumps({
            "messages": messages, "events": inserted, "dead_letters": ndead, "batches": batches,
            "steady_rate": steady / (t_last - t_first) if batches > 1 and t_last > t_first else 0,
            "all_rate": inserted / (t_last - self.t_assign) if t_last and t_last > self.t_assign
            else 0,
            "seconds": t_last - self.t_assign if t_last else 0}))
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    ap.add_argument("--conninfo", required=True,
                    help="libpq conninfo of a database migrated by swi-etl --migrate-only")
    ap.add_argument("--schema-dir", default="schemas")
    ap.add_argument("--key-file", required=True, help="the pseudonym key (as swi-etl's)")
    ap.add_argument("--group", default="bench-peer", help="consumer group id")
    ap.add_argument("--batch", type=int, default=20000, help="messages per transaction")
    ap.add_argument("--timeout", type=float, default=7200, help="give up after this many s")
    return Peer(ap.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
