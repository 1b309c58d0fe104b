-- 021_trajectory_backlog_comments.sql - the columns of swi_ops.trajectory_backlog
-- (020) described, as every column of swi and swi_ops is.
COMMENT ON COLUMN swi_ops.trajectory_backlog.keys IS
  'Identity keys with deferred trajectory work (0: the trajectories are current).';
COMMENT ON COLUMN swi_ops.trajectory_backlog.oldest_deferred_at IS
  'When the oldest deferred work was recorded (NULL: none).';
COMMENT ON COLUMN swi_ops.trajectory_backlog.oldest_age IS
  'How long the oldest deferred work has waited (NULL: none).';
