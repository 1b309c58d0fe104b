-- 013_monitor.sql - swi_monitor: the role operators and monitoring read the
-- pipeline's state with (issue 13): offsets, dead letters, duplicates,
-- migrations, freshness and data-quality findings, and nothing that is
-- microdata. Before it, operators' SQL on swi_ops failed for everyone but the
-- writer.
--
-- What swi_monitor reads:
--   swi_ops.kafka_offsets, dead_letters (reason, detail and Kafka coordinates;
--   no identifiers), duplicate_events (source, event_id, Kafka coordinates),
--   schema_migrations, publish_lag;
--   swi_ops.findings without person_ps (column privileges: SELECT kind,
--   event_id, ... works, SELECT * does not), and swi_ops.finding_counts;
--   swi_ops.unknown_targets(_after) (event ids, types and dates);
--   swi_pub.freshness and swi_pub.publish_freshness.
-- What it does not: swi (the events and trajectories), swi_ops.publish_queue
-- (pseudonymised keys and persons), swi_pub's figures (grant analyst too if an
-- operator needs them), and any ops table added later (no default privileges:
-- a new swi_ops table is granted explicitly when it holds no microdata).
--
-- Applied by swi_pg_sink_migrate() inside one transaction. The role is
-- cluster-global: created when missing, as 003 does (that needs CREATEROLE, or
-- a DBA creates it beforehand; see docs/operations.md, "A managed
-- PostgreSQL").

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'swi_monitor') THEN
    BEGIN
      CREATE ROLE swi_monitor NOLOGIN;
      COMMENT ON ROLE swi_monitor IS
        'swi-stream: operators and monitoring: read the pipeline''s offsets, dead letters, duplicates, '
        'findings (without pseudonyms) and freshness; no microdata.';
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created meanwhile by this migration in another database
    END;
  END IF;
END $$;

GRANT USAGE ON SCHEMA swi_ops, swi_pub TO swi_monitor;
GRANT SELECT ON swi_ops.kafka_offsets, swi_ops.dead_letters, swi_ops.duplicate_events,
                swi_ops.schema_migrations, swi_ops.publish_lag TO swi_monitor;
GRANT SELECT (person_kind, kind, event_id, event_date, detected_at) ON swi_ops.findings TO swi_monitor;
GRANT SELECT ON swi_pub.freshness, swi_pub.publish_freshness TO swi_monitor;

-- Findings by kind, for dashboards (aggregates only).
CREATE VIEW swi_ops.finding_counts AS
SELECT kind, person_kind, count(*) AS findings, max(detected_at) AS newest_detected_at
  FROM swi_ops.findings
 GROUP BY kind, person_kind;
COMMENT ON VIEW swi_ops.finding_counts IS
  'Data-quality findings per kind and person kind (aggregates of swi_ops.findings, no pseudonyms); runs with '
  'the owner''s rights, so swi_monitor reads it without reading swi_ops.findings whole.';
COMMENT ON COLUMN swi_ops.finding_counts.kind IS 'Finding kind (see swi_ops.findings.kind).';
COMMENT ON COLUMN swi_ops.finding_counts.person_kind IS 'BSN or VNR person.';
COMMENT ON COLUMN swi_ops.finding_counts.findings IS 'Number of findings of this kind.';
COMMENT ON COLUMN swi_ops.finding_counts.newest_detected_at IS 'When the newest of them was detected.';
ALTER VIEW swi_ops.finding_counts OWNER TO swi_writer;
GRANT ALL ON swi_ops.finding_counts TO swi_writer;
GRANT SELECT ON swi_ops.finding_counts TO swi_monitor;

-- UNKNOWN_TARGET findings read swi.events, which swi_monitor may not read:
-- the function runs with its owner's rights (it returns event ids, types and
-- dates only), with a fixed search_path as SECURITY DEFINER requires.
ALTER FUNCTION swi_ops.unknown_targets_after(interval) SECURITY DEFINER;
ALTER FUNCTION swi_ops.unknown_targets_after(interval) SET search_path = pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION swi_ops.unknown_targets_after(interval) TO swi_monitor;
GRANT SELECT ON swi_ops.unknown_targets TO swi_monitor;
