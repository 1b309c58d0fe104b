-- 005_live_persons.sql - the batch hands the persons it derived to the live publisher.
--
-- The trajectory step has just resolved the batch's clusters from their stored events
-- inside the batch transaction. It also derives their persons at the batch's UTC day and
-- stores them with the queue row, so that the live publisher does not read the same events
-- back: a round applies them instead of re-deriving, when they were derived at its
-- peildatum by a build with the same person layout (else it re-derives those clusters from
-- their events, as before). See sinks/pg_live.h and docs/indicators-impl.md.

ALTER TABLE swi_ops.publish_queue ADD COLUMN persons bytea NULL;
COMMENT ON COLUMN swi_ops.publish_queue.persons IS
  'The persons of those clusters, derived in the batch transaction at the batch''s UTC day with everything '
  'stored, in the pipeline''s in-memory layout (a header names the layout and the day). NULL: not derived. '
  'Internal to the pipeline; a publisher that cannot use them re-derives the clusters from their events.';
COMMENT ON COLUMN swi_ops.publish_queue.id IS
  'Queue order. A round takes, for each identity key, the persons of the latest row naming it: a batch holds '
  'the locks of its clusters'' keys until it commits, so a later row for a key saw the earlier rows'' events.';
