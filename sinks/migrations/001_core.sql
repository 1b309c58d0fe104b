-- 001_core.sql - core tables: the pseudonymised event store and the operations
-- tables that make the PostgreSQL sink exactly-once.
--
-- Applied by swi_pg_sink_migrate() inside one transaction (do not add
-- BEGIN/COMMIT here); recorded in swi_ops.schema_migrations as version 1.
-- The sink bootstraps swi_ops.schema_migrations before running any migration,
-- hence the IF NOT EXISTS on that schema and table only.
-- Roles and grants come in a later migration.

CREATE SCHEMA swi;
COMMENT ON SCHEMA swi IS
  'Microdata: source events, pseudonymised only (no raw BSN or V-nummer ever reaches PostgreSQL).';

CREATE SCHEMA IF NOT EXISTS swi_ops;
COMMENT ON SCHEMA swi_ops IS
  'Operations: consumer offsets, dead letters, absorbed duplicates, schema migrations.';

-- ---- swi_ops.schema_migrations ---------------------------------------------
CREATE TABLE IF NOT EXISTS swi_ops.schema_migrations (
  version    int PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE swi_ops.schema_migrations IS
  'Embedded migrations (sinks/migrations/NNN_name.sql) applied to this database, one row each.';
COMMENT ON COLUMN swi_ops.schema_migrations.version IS
  'Leading number of the migration file name (001_core.sql -> 1).';
COMMENT ON COLUMN swi_ops.schema_migrations.name IS 'Migration file name, e.g. 001_core.sql.';
COMMENT ON COLUMN swi_ops.schema_migrations.applied_at IS 'When the migration was committed.';

-- ---- swi.events ------------------------------------------------------------
CREATE TABLE swi.events (
  source          text        NOT NULL CHECK (source IN ('ind', 'coa', 'duo', 'gemeente')),
  event_id        uuid        NOT NULL,
  event_type      text        NOT NULL,
  bsn_ps          bytea       CHECK (octet_length(bsn_ps) = 32),
  vnr_ps          bytea       CHECK (octet_length(vnr_ps) = 32),
  event_date      date        NOT NULL,
  registered_at   timestamptz NOT NULL,
  corrects        uuid,
  retracts        uuid,
  payload         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  schema_id       int         NOT NULL,
  kafka_topic     text        NOT NULL,
  kafka_partition int         NOT NULL,
  kafka_offset    bigint      NOT NULL,
  ingested_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id)
);
COMMENT ON TABLE swi.events IS
  'Every accepted source event exactly once (idempotent on (source, event_id)), as received: '
  'corrections and retractions are events too and are applied downstream. Pseudonymised only.';
COMMENT ON COLUMN swi.events.source IS 'Registry that published the event: ind, coa, duo or gemeente.';
COMMENT ON COLUMN swi.events.event_id IS 'Event id, unique per source; a re-delivered event has the same id.';
COMMENT ON COLUMN swi.events.event_type IS 'Event type name as in events.md, e.g. PipVastgesteld.';
COMMENT ON COLUMN swi.events.bsn_ps IS
  'Keyed pseudonym (HMAC-SHA-256, 32 bytes) of the BSN; NULL when the event carries no BSN.';
COMMENT ON COLUMN swi.events.vnr_ps IS
  'Keyed pseudonym (HMAC-SHA-256, 32 bytes) of the V-nummer; NULL when the event carries none.';
COMMENT ON COLUMN swi.events.event_date IS 'Business time: the day the fact holds from.';
COMMENT ON COLUMN swi.events.registered_at IS 'Knowledge time: when the source registered the event.';
COMMENT ON COLUMN swi.events.corrects IS
  'event_id of the earlier event (same source and type) that this event replaces; NULL if none.';
COMMENT ON COLUMN swi.events.retracts IS
  'For Intrekking events: event_id of the withdrawn event; NULL otherwise.';
COMMENT ON COLUMN swi.events.payload IS
  'Event-type specific fields by name: strings, integers, booleans, dates as ''YYYY-MM-DD''; '
  'absent optional fields are omitted.';
COMMENT ON COLUMN swi.events.schema_id IS 'Schema registry id of the Avro schema the message was written with.';
COMMENT ON COLUMN swi.events.kafka_topic IS 'Kafka topic the event was read from.';
COMMENT ON COLUMN swi.events.kafka_partition IS 'Kafka partition the event was read from.';
COMMENT ON COLUMN swi.events.kafka_offset IS 'Kafka offset of the message (the first one, if re-delivered).';
COMMENT ON COLUMN swi.events.ingested_at IS 'Start time of the transaction (batch) that stored the event.';

-- Per-person lookups: an event belongs to a person by either pseudonym.
CREATE INDEX events_bsn_ps_idx ON swi.events (bsn_ps) WHERE bsn_ps IS NOT NULL;
CREATE INDEX events_vnr_ps_idx ON swi.events (vnr_ps) WHERE vnr_ps IS NOT NULL;
-- Knowledge-time scans (as-of recomputation, freshness).
CREATE INDEX events_registered_at_idx ON swi.events (registered_at);

-- ---- swi_ops.kafka_offsets -------------------------------------------------
CREATE TABLE swi_ops.kafka_offsets (
  group_id    text        NOT NULL,
  topic       text        NOT NULL,
  partition   int         NOT NULL CHECK (partition >= 0),
  next_offset bigint      NOT NULL CHECK (next_offset >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);
COMMENT ON TABLE swi_ops.kafka_offsets IS
  'Consumer positions, written in the same transaction as the rows they produced '
  '(the exactly-once boundary); the consumer seeks to these on start and on assignment.';
COMMENT ON COLUMN swi_ops.kafka_offsets.group_id IS 'Kafka consumer group id of the pipeline.';
COMMENT ON COLUMN swi_ops.kafka_offsets.topic IS 'Kafka topic.';
COMMENT ON COLUMN swi_ops.kafka_offsets.partition IS 'Kafka partition.';
COMMENT ON COLUMN swi_ops.kafka_offsets.next_offset IS
  'Offset of the next message to consume: everything below it is committed.';
COMMENT ON COLUMN swi_ops.kafka_offsets.updated_at IS 'Start time of the transaction (batch) that last moved it.';

-- ---- swi_ops.dead_letters --------------------------------------------------
CREATE TABLE swi_ops.dead_letters (
  id              bigserial   PRIMARY KEY,
  reason          text        NOT NULL CHECK (reason IN (
                    'BAD_FRAMING', 'UNKNOWN_SCHEMA', 'UNDECODABLE', 'WRONG_SOURCE',
                    'NO_IDENTITY', 'INVALID_BSN', 'INVALID_VNUMMER', 'INVALID_VALUE',
                    'IMPLAUSIBLE_DATE')),
  detail          text        NOT NULL,
  source          text        NOT NULL CHECK (source IN ('ind', 'coa', 'duo', 'gemeente')),
  event_type      text,
  schema_id       int,
  kafka_topic     text        NOT NULL,
  kafka_partition int         NOT NULL,
  kafka_offset    bigint      NOT NULL,
  kafka_timestamp timestamptz,
  received_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kafka_topic, kafka_partition, kafka_offset)
);
COMMENT ON TABLE swi_ops.dead_letters IS
  'Rejected messages (events.md "What counts as bad input"), one row per Kafka message. '
  'No identifier values and no raw bytes here: the whole message is kept in the dead-letter topic.';
COMMENT ON COLUMN swi_ops.dead_letters.id IS 'Surrogate key, in arrival order.';
COMMENT ON COLUMN swi_ops.dead_letters.reason IS 'Machine-readable reason, one of the events.md list.';
COMMENT ON COLUMN swi_ops.dead_letters.detail IS 'Human-readable detail; never contains a BSN or V-nummer.';
COMMENT ON COLUMN swi_ops.dead_letters.source IS 'Source of the topic the message was read from.';
COMMENT ON COLUMN swi_ops.dead_letters.event_type IS 'Event type, when decoding got that far; NULL otherwise.';
COMMENT ON COLUMN swi_ops.dead_letters.schema_id IS 'Schema id from the wire format, when readable; NULL otherwise.';
COMMENT ON COLUMN swi_ops.dead_letters.kafka_topic IS 'Kafka topic of the message.';
COMMENT ON COLUMN swi_ops.dead_letters.kafka_partition IS 'Kafka partition of the message.';
COMMENT ON COLUMN swi_ops.dead_letters.kafka_offset IS 'Kafka offset of the message.';
COMMENT ON COLUMN swi_ops.dead_letters.kafka_timestamp IS 'Kafka message timestamp; NULL if the message had none.';
COMMENT ON COLUMN swi_ops.dead_letters.received_at IS 'Start time of the transaction (batch) that stored the dead letter.';

CREATE INDEX dead_letters_received_at_idx ON swi_ops.dead_letters (received_at);

-- ---- swi_ops.duplicate_events ----------------------------------------------
CREATE TABLE swi_ops.duplicate_events (
  source          text        NOT NULL,
  event_id        uuid        NOT NULL,
  kafka_topic     text        NOT NULL,
  kafka_partition int         NOT NULL,
  kafka_offset    bigint      NOT NULL,
  seen_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset)
);
COMMENT ON TABLE swi_ops.duplicate_events IS
  'Messages absorbed as duplicates (idempotence): their (source, event_id) was already stored, '
  'or came earlier (lower offset) in the same batch. One row per absorbed message.';
COMMENT ON COLUMN swi_ops.duplicate_events.source IS 'Source of the duplicate event.';
COMMENT ON COLUMN swi_ops.duplicate_events.event_id IS 'event_id of the duplicate; the kept copy is in swi.events.';
COMMENT ON COLUMN swi_ops.duplicate_events.kafka_topic IS 'Kafka topic of the absorbed message.';
COMMENT ON COLUMN swi_ops.duplicate_events.kafka_partition IS 'Kafka partition of the absorbed message.';
COMMENT ON COLUMN swi_ops.duplicate_events.kafka_offset IS 'Kafka offset of the absorbed message.';
COMMENT ON COLUMN swi_ops.duplicate_events.seen_at IS 'Start time of the transaction (batch) that absorbed it.';

CREATE INDEX duplicate_events_event_idx ON swi_ops.duplicate_events (source, event_id);
