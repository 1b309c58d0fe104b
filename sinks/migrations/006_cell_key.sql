-- 006_cell_key.sql - a cheaper cell key for the live figures' changed values.
--
-- Every round of the live publisher updates the values that changed in 'actueel' (a few
-- thousand per round at 150,000 persons) through the unique key (publication, peildatum,
-- cell), and cell was compared under the database's collation (C.UTF-8 here: strcoll on
-- long keys). A key only needs bytewise equality, so it now uses COLLATE "C". Equality is
-- the same under every deterministic collation, so no join or constraint changes meaning.
-- Changing the column's type rewrites the table; fillfactor 70 (004_live.sql: room for
-- HOT updates) is re-stated so that the rewrite keeps it.
-- Measured in bench/README.md ("Freshness (e)").

ALTER TABLE swi_pub.indicator_values SET (fillfactor = 70);
COMMENT ON COLUMN swi_pub.indicator_values.cell IS
  'Generated key of the cell and measure: breakdown, cohort, doelgroep, dim1..3_value ('''' when unused) '
  'and measure, separated by the character U+001F. Unique per publication and peildatum; use it to compare '
  'publications. Collation "C": compared bytewise.';

-- swi_pub.revisions uses cell, so it is dropped and recreated from its own definition,
-- with its owner, comments and grants.
DO $$
DECLARE
  def text := pg_get_viewdef('swi_pub.revisions'::regclass);
  rel_comment text := obj_description('swi_pub.revisions'::regclass, 'pg_class');
  owner name := (SELECT c.relowner::regrole::name FROM pg_catalog.pg_class c
                  WHERE c.oid = 'swi_pub.revisions'::regclass);
  col record;
  cols text[][] := '{}';
BEGIN
  FOR col IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS txt
               FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = 'swi_pub.revisions'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                AND col_description(a.attrelid, a.attnum) IS NOT NULL
  LOOP
    cols := cols || ARRAY[[col.attname::text, col.txt]];
  END LOOP;
  DROP VIEW swi_pub.revisions;
  ALTER TABLE swi_pub.indicator_values ALTER COLUMN cell TYPE text COLLATE "C";
  EXECUTE 'CREATE VIEW swi_pub.revisions WITH (security_invoker = true) AS ' || def;
  EXECUTE format('ALTER VIEW swi_pub.revisions OWNER TO %I', owner);
  EXECUTE format('COMMENT ON VIEW swi_pub.revisions IS %L', rel_comment);
  FOR i IN 1 .. coalesce(array_length(cols, 1), 0) LOOP
    EXECUTE format('COMMENT ON COLUMN swi_pub.revisions.%I IS %L', cols[i][1], cols[i][2]);
  END LOOP;
END $$;
GRANT ALL ON swi_pub.revisions TO swi_writer;
GRANT SELECT ON swi_pub.revisions TO analyst, researcher, gemeente_user;
