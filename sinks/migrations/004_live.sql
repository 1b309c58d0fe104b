-- 004_live.sql - the live current figures ('actueel'), kept up to date per batch.
--
-- Every batch transaction that runs the trajectory step adds one row to
-- swi_ops.publish_queue with the identity keys of the clusters it changed, and
-- notifies channel swi_publish; both take effect when the batch commits. The
-- live publisher (one per database, elected by an advisory lock) drains the
-- queue in its own REPEATABLE READ transaction, re-derives only those clusters,
-- recomputes the figures from the persons it holds in memory and writes the
-- values that changed. See docs/indicators-impl.md, "Live figures".

CREATE TABLE swi_ops.publish_queue (
  id           bigserial   PRIMARY KEY,
  keys         bytea       NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE swi_ops.publish_queue IS
  'Clusters changed by committed batches and not yet in the live figures (''actueel''). One row per batch; '
  'the live publisher deletes the rows it has taken in. Internal to the pipeline.';
COMMENT ON COLUMN swi_ops.publish_queue.id IS 'Queue order (not used for correctness: a round drains every row it sees).';
COMMENT ON COLUMN swi_ops.publish_queue.keys IS
  'The identity keys of the changed clusters, 33 bytes each: kind (1 = BSN, 2 = V-nummer) and the pseudonym.';
COMMENT ON COLUMN swi_ops.publish_queue.committed_at IS
  'When the batch wrote this row, just before its commit (the start of the freshness measurement).';

CREATE TABLE swi_ops.publish_lag (
  committed_at timestamptz NOT NULL,
  published_at timestamptz NOT NULL,
  round_kind   text        NOT NULL CHECK (round_kind IN ('rebuild', 'delta'))
);
CREATE INDEX publish_lag_published_idx ON swi_ops.publish_lag (published_at);
COMMENT ON TABLE swi_ops.publish_lag IS
  'Freshness of the live figures: one row per committed batch, with when it committed and when the figures '
  'reflecting it were committed. Kept for 7 days.';
COMMENT ON COLUMN swi_ops.publish_lag.committed_at IS 'When the batch finished its trajectory step (just before its commit).';
COMMENT ON COLUMN swi_ops.publish_lag.published_at IS
  'When the live publisher had committed figures that include the batch (server clock, after its COMMIT returned).';
COMMENT ON COLUMN swi_ops.publish_lag.round_kind IS
  'delta: only the changed clusters were re-derived; rebuild: every person was (start-up, new peildatum).';

CREATE VIEW swi_pub.publish_freshness AS
SELECT count(*)                                                              AS batches,
       min(published_at)                                                     AS since,
       percentile_cont(0.5)  WITHIN GROUP (ORDER BY extract(epoch FROM published_at - committed_at)) AS p50_s,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM published_at - committed_at)) AS p99_s,
       max(extract(epoch FROM published_at - committed_at))                  AS max_s
  FROM swi_ops.publish_lag
 WHERE published_at > now() - interval '1 hour';
COMMENT ON VIEW swi_pub.publish_freshness IS
  'How long committed batches took to show in the current figures (''actueel''), over the last hour: '
  'median, 99th percentile and maximum, in seconds. Aggregates only.';
COMMENT ON COLUMN swi_pub.publish_freshness.batches IS 'Batches published in the last hour.';
COMMENT ON COLUMN swi_pub.publish_freshness.since IS 'Earliest of their publication times.';
COMMENT ON COLUMN swi_pub.publish_freshness.p50_s IS 'Median seconds from batch commit to figures committed.';
COMMENT ON COLUMN swi_pub.publish_freshness.p99_s IS '99th percentile of the same.';
COMMENT ON COLUMN swi_pub.publish_freshness.max_s IS 'Maximum of the same.';

-- The live figures carry known_at = 'infinity' (everything stored when the value was last
-- written); the moment they were last brought up to date is swi_pub.publications.known_at.
-- A frozen copy takes that moment as its knowledge time, row by row.
CREATE OR REPLACE FUNCTION swi_pub.freeze_actueel(pub_name text, pub_description text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  IF pub_name = 'actueel' OR pub_name LIKE 'herberekening:%' THEN
    RAISE EXCEPTION 'publication name "%" is reserved', pub_name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO swi_pub.publications (name, peildatum, known_at, rounding_base, threshold, description)
  SELECT pub_name, peildatum, known_at, rounding_base, threshold, pub_description
    FROM swi_pub.publications WHERE name = 'actueel';
  INSERT INTO swi_pub.indicator_values (publication, peildatum, known_at, family, breakdown, cohort,
         doelgroep, dim1_name, dim1_value, dim2_name, dim2_value, dim3_name, dim3_value, measure, unit,
         value, onderdrukt, reden, noemer)
  SELECT pub_name, v.peildatum, least(v.known_at, p.known_at), v.family, v.breakdown, v.cohort, v.doelgroep,
         v.dim1_name, v.dim1_value, v.dim2_name, v.dim2_value, v.dim3_name, v.dim3_value, v.measure, v.unit,
         v.value, v.onderdrukt, v.reden, v.noemer
    FROM swi_pub.indicator_values v
    JOIN swi_pub.publications p ON p.name = v.publication
   WHERE v.publication = 'actueel';
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE swi_pub.publications SET frozen = true WHERE name = pub_name;
  RETURN n;
END $$;
COMMENT ON FUNCTION swi_pub.freeze_actueel(text, text) IS
  'Copies the current publication ''actueel'' (its peildatum, known_at, parameters and all values) to a new '
  'publication pub_name and freezes it; returns the number of values. For the writer only.';

-- The live publisher updates a few thousand values in place per round: leave room in
-- every page so that those updates are HOT (no index entries to add), which makes them
-- several times cheaper. Bulk COPYs of whole publications fill pages to 70% as well.
ALTER TABLE swi_pub.indicator_values SET (fillfactor = 70);

-- the pipeline's writer owns what it writes (as for every relation of 001-003)
ALTER TABLE swi_ops.publish_queue OWNER TO swi_writer;
ALTER TABLE swi_ops.publish_lag OWNER TO swi_writer;
ALTER VIEW swi_pub.publish_freshness OWNER TO swi_writer;
ALTER FUNCTION swi_pub.freeze_actueel(text, text) OWNER TO swi_writer;
