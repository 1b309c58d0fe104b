-- 020_trajectory_pending.sql - the trajectory step deferred while the pipeline
-- works off a backlog (issue 12: work proportional to what changes).
--
-- A batch read from a backlog (it filled up and more messages were waiting) stores its
-- events, identity edges and reference edges as always, but instead of re-deriving the
-- clusters it touches it records their identity keys here, with the oldest knowledge time
-- it added to each (from_k). A cluster touched by many such batches - the common case
-- when a year of history is replayed - is then derived once, not once per batch: the
-- pipeline works the table off in chunks when it has caught up (or when the backlog goes
-- on for longer than trajectories.defer.max.s). Every trajectory step, deferred or not,
-- takes the rows of the keys of the clusters it derives (under the clusters' locks, in
-- its own transaction), so a row is gone exactly when a step from its from_k on has
-- committed. Versions are a function of the stored event set alone, so the result is
-- the same as without deferral (tests: test_trajectory_permutations, test_chaos).

CREATE TABLE swi_ops.trajectory_pending (
  kind        text        NOT NULL CHECK (kind IN ('BSN', 'VNR')),
  ps          bytea       NOT NULL CHECK (octet_length(ps) = 32),
  from_k      bigint      NOT NULL,
  deferred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (kind, ps)
);
COMMENT ON TABLE swi_ops.trajectory_pending IS
  'Identity keys whose clusters have stored events not yet in swi.trajectories / trajectory_versions '
  '(the trajectory step was deferred during a backlog). Empty when the trajectories are current. '
  'Internal to the pipeline; operators read swi_ops.trajectory_backlog.';
COMMENT ON COLUMN swi_ops.trajectory_pending.kind IS 'BSN or VNR: which identifier the pseudonym is of.';
COMMENT ON COLUMN swi_ops.trajectory_pending.ps IS 'The pseudonym (HMAC-SHA-256) of the key.';
COMMENT ON COLUMN swi_ops.trajectory_pending.from_k IS
  'Oldest knowledge time (registered_at, ms since 1970 UTC) among the deferred events of the key: '
  'the versions from there on are to be derived again.';
COMMENT ON COLUMN swi_ops.trajectory_pending.deferred_at IS
  'When the first deferred batch of this key wrote the row (kept on later deferrals): the start '
  'of its freshness measurement.';
ALTER TABLE swi_ops.trajectory_pending OWNER TO swi_writer;

-- For operators (swi_monitor): how much trajectory work is deferred, no identifiers.
CREATE VIEW swi_ops.trajectory_backlog AS
  SELECT count(*) AS keys, min(deferred_at) AS oldest_deferred_at,
         clock_timestamp() - min(deferred_at) AS oldest_age
    FROM swi_ops.trajectory_pending;
COMMENT ON VIEW swi_ops.trajectory_backlog IS
  'Deferred trajectory work: identity keys waiting (0 when the trajectories are current) and the age '
  'of the oldest. Also exported as swi_trajectory_pending_keys.';
ALTER VIEW swi_ops.trajectory_backlog OWNER TO swi_writer;
GRANT SELECT ON swi_ops.trajectory_backlog TO swi_monitor;
