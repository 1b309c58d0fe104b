-- 022_queue_keys_only.sql - the publish queue carries keys, not persons (issue 12).
--
-- A batch no longer derives its clusters' persons at today for the live publisher nor
-- stores them with its queue row (migration 005): the row holds only the identity keys of
-- the clusters it changed, and the publisher derives those clusters again from their
-- stored events, all queued clusters of a round in one load (publish/live.h). The column
-- stays, so that a build from before this change that is still running during a rolling
-- upgrade can go on inserting into it; its content is ignored.

COMMENT ON COLUMN swi_ops.publish_queue.persons IS
  'Not written since migration 022 and ignored when present (rows of older builds): the live publisher '
  'derives the persons of the queued clusters from their stored events.';
COMMENT ON COLUMN swi_ops.publish_queue.id IS
  'Queue order (not used for correctness: a round drains every row it sees and derives the clusters of all '
  'their keys from one snapshot of the events).';
