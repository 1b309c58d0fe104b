-- 007_share_over_zero.sql - a share over 0 persons is NULL but not onderdrukt.
--
-- indicators.md §6 "Settled points": a share with denominator 0 is not defined; it is
-- published as NULL with onderdrukt false (CBS: "cannot occur on logical grounds"), and it
-- is no suppressed member of any group. Until now every NULL value was a suppressed one
-- ((value IS NULL) = onderdrukt). Now: a suppressed value is NULL, and a NULL value is
-- suppressed or a share (unit procent) over 0 persons. Values written before this
-- migration already satisfy both constraints.

ALTER TABLE swi_pub.indicator_values
  DROP CONSTRAINT indicator_values_suppressed_is_null,
  ADD CONSTRAINT indicator_values_suppressed_is_null CHECK (NOT onderdrukt OR value IS NULL),
  ADD CONSTRAINT indicator_values_null_is_suppressed_or_undefined
    CHECK (value IS NOT NULL OR onderdrukt OR unit = 'procent');

COMMENT ON COLUMN swi_pub.indicator_values.value IS
  'Published value; NULL when onderdrukt, and NULL (with onderdrukt false) for a share over 0 '
  'persons, which is not defined (indicators.md §6). Shares are computed from unrounded counts, '
  'so they need not equal the ratio of the rounded counts.';
COMMENT ON COLUMN swi_pub.indicator_values.onderdrukt IS
  'true: the value is suppressed by disclosure control (value is NULL). false with value NULL: '
  'a share over 0 persons (not defined, nothing to suppress).';
COMMENT ON COLUMN swi_pub.indicator_values.reden IS
  'Why suppressed, comma-separated: primary (count 1..T-1), denominator (share over 1..T-1), '
  'complement (a share with denominator - numerator in 1..T-1, and that share''s numerator count), '
  'numerator (its numerator is suppressed), secondary (suppressed so that another suppressed value '
  'cannot be recovered by subtraction; this includes a total whose only suppressed category has no '
  'other non-zero published category), leadtime_n (lead time over n < T). NULL when published.';
