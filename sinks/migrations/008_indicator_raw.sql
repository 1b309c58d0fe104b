-- 008_indicator_raw.sql - researchers read the unrounded value of every published cell.
--
-- indicators.md §6 "Settled points": researchers (the microdata role) can read the
-- unrounded, uncontrolled value of every published cell; analysts never can. The values
-- live in the microdata schema swi, which analysts and municipal users cannot even see,
-- one row per row of swi_pub.indicator_values (same publication, peildatum and cell key),
-- written in the same transaction by both writers of the published figures: swi-publish
-- (sinks/pg_publish.c) and the live publisher (sinks/pg_live.c). swi.indicator_values_raw
-- puts them next to the published values.

CREATE TABLE swi.indicator_raw (
  publication text   NOT NULL
              DEFAULT coalesce(nullif(current_setting('swi.publication', true), ''), 'actueel')
              REFERENCES swi_pub.publications (name) ON DELETE CASCADE,
  peildatum   date   NOT NULL,
  cell        text   COLLATE "C" NOT NULL,
  raw_num     bigint NOT NULL,
  raw_den     bigint NOT NULL CHECK (raw_den >= 0),
  PRIMARY KEY (publication, peildatum, cell)
) WITH (fillfactor = 70);
COMMENT ON TABLE swi.indicator_raw IS
  'Unrounded value of every published cell (indicators.md §6: for researchers only), as the exact '
  'fraction raw_num / raw_den: one row per row of swi_pub.indicator_values with the same '
  '(publication, peildatum, cell), written with it. Read it through swi.indicator_values_raw. COPY '
  'swi.indicator_raw (peildatum, cell, raw_num, raw_den) FROM STDIN fills publication from the '
  'setting swi.publication, else ''actueel''.';
COMMENT ON COLUMN swi.indicator_raw.publication IS
  'Publication (swi_pub.publications.name) of the published value.';
COMMENT ON COLUMN swi.indicator_raw.peildatum IS 'Peildatum of the published value.';
COMMENT ON COLUMN swi.indicator_raw.cell IS
  'The published value''s cell key (swi_pub.indicator_values.cell).';
COMMENT ON COLUMN swi.indicator_raw.raw_num IS
  'Numerator: a count itself; a share''s numerator count; a lead-time statistic''s exact numerator in days.';
COMMENT ON COLUMN swi.indicator_raw.raw_den IS
  'Denominator: 1 for a count; a share''s denominator count (0: a share over 0 persons); a lead-time '
  'statistic''s denominator (0: no persons).';

-- a frozen publication's raw values are as final as its published ones
CREATE FUNCTION swi.forbid_frozen_raw() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    SELECT p.name INTO bad FROM swi_pub.publications p
     WHERE p.frozen AND EXISTS (SELECT 1 FROM swi.indicator_raw r WHERE r.publication = p.name)
     ORDER BY p.name LIMIT 1;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT p.name INTO bad FROM swi_pub.publications p
     WHERE p.frozen AND p.name IN (SELECT n.publication FROM new_rows n) ORDER BY p.name LIMIT 1;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT p.name INTO bad FROM swi_pub.publications p
     WHERE p.frozen AND p.name IN (SELECT o.publication FROM old_rows o) ORDER BY p.name LIMIT 1;
  ELSE -- UPDATE
    SELECT p.name INTO bad FROM swi_pub.publications p
     WHERE p.frozen AND (p.name IN (SELECT o.publication FROM old_rows o)
                         OR p.name IN (SELECT n.publication FROM new_rows n))
     ORDER BY p.name LIMIT 1;
  END IF;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'publication "%" is frozen: its figures cannot be changed (% on swi.indicator_raw refused)',
                    bad, TG_OP
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION swi.forbid_frozen_raw() IS
  'Trigger function: refuses INSERT, UPDATE, DELETE and TRUNCATE that touch raw values of a frozen publication.';
CREATE TRIGGER indicator_raw_frozen_insert AFTER INSERT ON swi.indicator_raw
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION swi.forbid_frozen_raw();
CREATE TRIGGER indicator_raw_frozen_update AFTER UPDATE ON swi.indicator_raw
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION swi.forbid_frozen_raw();
CREATE TRIGGER indicator_raw_frozen_delete AFTER DELETE ON swi.indicator_raw
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION swi.forbid_frozen_raw();
CREATE TRIGGER indicator_raw_frozen_truncate BEFORE TRUNCATE ON swi.indicator_raw
  FOR EACH STATEMENT EXECUTE FUNCTION swi.forbid_frozen_raw();
-- the publication triggers of 003 fire ALWAYS (also under session_replication_role = replica)
ALTER TABLE swi.indicator_raw ENABLE ALWAYS TRIGGER indicator_raw_frozen_insert;
ALTER TABLE swi.indicator_raw ENABLE ALWAYS TRIGGER indicator_raw_frozen_update;
ALTER TABLE swi.indicator_raw ENABLE ALWAYS TRIGGER indicator_raw_frozen_delete;
ALTER TABLE swi.indicator_raw ENABLE ALWAYS TRIGGER indicator_raw_frozen_truncate;

CREATE VIEW swi.indicator_values_raw AS
SELECT v.publication, v.peildatum, v.known_at, v.family, v.breakdown, v.cohort, v.doelgroep,
       v.dim1_name, v.dim1_value, v.dim2_name, v.dim2_value, v.dim3_name, v.dim3_value,
       v.measure, v.unit, v.value, v.onderdrukt, v.reden, v.noemer, v.cell,
       r.raw_num, r.raw_den,
       CASE WHEN r.raw_den = 0 THEN NULL
            WHEN v.unit = 'procent' THEN 100 * r.raw_num::numeric / r.raw_den
            WHEN r.raw_den = 1 THEN r.raw_num::numeric
            ELSE r.raw_num::numeric / r.raw_den END AS raw_value
  FROM swi_pub.indicator_values v
  JOIN swi.indicator_raw r
    ON r.publication = v.publication AND r.peildatum = v.peildatum AND r.cell = v.cell;
COMMENT ON VIEW swi.indicator_values_raw IS
  'Every published value (swi_pub.indicator_values) with its unrounded, uncontrolled value: for '
  'researchers only (indicators.md §6). raw_value is the count, the share in percent or the lead time '
  'in days before rounding and suppression; NULL when not defined (a share over 0 persons, a lead time '
  'over none).';
DO $$
DECLARE
  col record;
BEGIN
  FOR col IN
    SELECT a.attname, col_description('swi_pub.indicator_values'::regclass, a.attnum) AS txt
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = 'swi_pub.indicator_values'::regclass AND a.attnum > 0 AND NOT a.attisdropped
  LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute b
                WHERE b.attrelid = 'swi.indicator_values_raw'::regclass AND b.attname = col.attname) THEN
      EXECUTE format('COMMENT ON COLUMN swi.indicator_values_raw.%I IS %L', col.attname, col.txt);
    END IF;
  END LOOP;
END $$;
COMMENT ON COLUMN swi.indicator_values_raw.raw_num IS 'Numerator of the unrounded value (swi.indicator_raw).';
COMMENT ON COLUMN swi.indicator_values_raw.raw_den IS 'Denominator of the unrounded value (swi.indicator_raw).';
COMMENT ON COLUMN swi.indicator_values_raw.raw_value IS
  'Unrounded value: raw_num / raw_den (a share: in percent, 100 * raw_num / raw_den); NULL when raw_den = 0.';

-- freezing a copy of 'actueel' copies its raw values too (004_live.sql's function, plus them)
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
  INSERT INTO swi.indicator_raw (publication, peildatum, cell, raw_num, raw_den)
  SELECT pub_name, r.peildatum, r.cell, r.raw_num, r.raw_den
    FROM swi.indicator_raw r WHERE r.publication = 'actueel';
  UPDATE swi_pub.publications SET frozen = true WHERE name = pub_name;
  RETURN n;
END $$;

ALTER TABLE swi.indicator_raw OWNER TO swi_writer;
ALTER VIEW swi.indicator_values_raw OWNER TO swi_writer;
ALTER FUNCTION swi.forbid_frozen_raw() OWNER TO swi_writer;
REVOKE ALL ON swi.indicator_raw, swi.indicator_values_raw FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION swi.forbid_frozen_raw() FROM PUBLIC;
GRANT ALL ON swi.indicator_raw, swi.indicator_values_raw TO swi_writer;
GRANT SELECT ON swi.indicator_raw, swi.indicator_values_raw TO researcher;
