-- 003_published.sql - the published (disclosure-controlled) schema swi_pub,
-- publications and their revisions, operator views, and the database roles
-- that separate the writer, analysts and researchers (architecture.md,
-- guarantee 5; indicators.md §5-§6; docs/analyst-guide.md).
--
-- Applied by swi_pg_sink_migrate() inside one transaction (no BEGIN/COMMIT
-- here). Roles are cluster-global while this migration runs once per
-- database: they are created only when missing, and a concurrent creation by
-- the same migration in another database is tolerated. Run migrations as a
-- superuser or as a member of swi_writer (ownership is handed to swi_writer).

-- ---- roles (cluster-global, NOLOGIN group roles) ----------------------------
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM (VALUES
    ('swi_writer',
     'swi-stream: owns and writes the schemas swi, swi_ops and swi_pub (the pipeline''s login role is a member).'),
    ('analyst',
     'swi-stream: reads the published, disclosure-controlled schema swi_pub only.'),
    ('researcher',
     'swi-stream: reads the pseudonymised microdata in swi and the published schema swi_pub; writes nothing.'),
    ('gemeente_user',
     'swi-stream: municipal users: read swi_pub like analysts, with gemeente breakdowns limited to their own '
     'gemeente(n) as mapped in swi_pub.gemeente_users.')
  ) AS t(name, txt) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r.name);
        EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.txt);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created meanwhile by this migration in another database
      END;
    END IF;
  END LOOP;
END $$;

-- ---- schema swi_pub -----------------------------------------------------------
CREATE SCHEMA swi_pub;
COMMENT ON SCHEMA swi_pub IS
  'Published figures only: SWI-style indicators after disclosure control (indicators.md §6: counts '
  'rounded to the publication''s base, small cells suppressed). No microdata. Readable by analyst, '
  'researcher and gemeente_user; see docs/analyst-guide.md.';

-- ---- publications ---------------------------------------------------------------
CREATE TABLE swi_pub.publications (
  name          text        PRIMARY KEY CHECK (name <> '' AND name !~ '[[:cntrl:]]'),
  peildatum     date        NOT NULL,
  known_at      timestamptz NOT NULL,
  rounding_base int         NOT NULL DEFAULT 5 CHECK (rounding_base >= 1),
  threshold     int         NOT NULL DEFAULT 10 CHECK (threshold >= 1),
  created_at    timestamptz NOT NULL DEFAULT now(),
  frozen        boolean     NOT NULL DEFAULT false,
  frozen_at     timestamptz,
  description   text,
  CONSTRAINT publications_never_frozen CHECK (
    NOT (frozen AND (name = 'actueel' OR name LIKE 'herberekening:%'))),
  CONSTRAINT publications_frozen_at CHECK ((frozen_at IS NOT NULL) = frozen)
);
COMMENT ON TABLE swi_pub.publications IS
  'One row per publication of the indicator table. ''actueel'' is the continuously updated current '
  'publication; named publications (e.g. ''SWI 2024'') are frozen and can never change; '
  '''herberekening:<name>'' is the pipeline''s recomputation of publication <name> at the same '
  'peildatum with everything known now (compare them in swi_pub.revisions).';
COMMENT ON COLUMN swi_pub.publications.name IS
  'Publication name: ''actueel'', a frozen name such as ''SWI 2024'', or ''herberekening:'' || name.';
COMMENT ON COLUMN swi_pub.publications.peildatum IS
  'Peildatum P: the figures describe the state at the end of this day (indicators.md §3).';
COMMENT ON COLUMN swi_pub.publications.known_at IS
  'Knowledge time K: only events registered at or before K were used (''infinity'' = everything known).';
COMMENT ON COLUMN swi_pub.publications.rounding_base IS
  'Rounding base B of the counts (5 by default; 100 reproduces DUO''s practice).';
COMMENT ON COLUMN swi_pub.publications.threshold IS
  'Suppression threshold T: counts 1..T-1 and shares over fewer than T persons are suppressed.';
COMMENT ON COLUMN swi_pub.publications.created_at IS 'When the publication row was created.';
COMMENT ON COLUMN swi_pub.publications.frozen IS
  'true: the publication is final; its figures can no longer be inserted, changed or deleted, and it '
  'cannot be unfrozen (enforced by triggers, also for the owner).';
COMMENT ON COLUMN swi_pub.publications.frozen_at IS 'When the publication was frozen; NULL while not frozen.';
COMMENT ON COLUMN swi_pub.publications.description IS
  'Free text: what the publication is for (the only column that may still change once frozen).';

INSERT INTO swi_pub.publications (name, peildatum, known_at, description)
VALUES ('actueel', current_date, now(),
        'The current figures, recomputed continuously by the pipeline (peildatum and known_at move).');

-- ---- indicator values (long format, one published value per row) ---------------
CREATE TABLE swi_pub.indicator_values (
  publication text        NOT NULL
              DEFAULT coalesce(nullif(current_setting('swi.publication', true), ''), 'actueel')
              REFERENCES swi_pub.publications (name) ON DELETE CASCADE,
  peildatum   date        NOT NULL,
  known_at    timestamptz NOT NULL,
  family      int         NOT NULL CHECK (family BETWEEN 1 AND 10),
  breakdown   text        NOT NULL,
  cohort      text        NOT NULL,
  doelgroep   text        NOT NULL,
  dim1_name   text,
  dim1_value  text,
  dim2_name   text,
  dim2_value  text,
  dim3_name   text,
  dim3_value  text,
  measure     text        NOT NULL,
  unit        text        NOT NULL CHECK (unit IN ('personen', 'procent', 'dagen', 'gebeurtenissen')),
  value       numeric,
  onderdrukt  boolean     NOT NULL,
  reden       text,
  noemer      text,
  CONSTRAINT indicator_values_suppressed_is_null CHECK ((value IS NULL) = onderdrukt),
  CONSTRAINT indicator_values_dim1 CHECK ((dim1_name IS NULL) = (dim1_value IS NULL)),
  CONSTRAINT indicator_values_dim2 CHECK ((dim2_name IS NULL) = (dim2_value IS NULL)),
  CONSTRAINT indicator_values_dim3 CHECK ((dim3_name IS NULL) = (dim3_value IS NULL)),
  -- the cell and measure as one key (unused dimensions as ''), so that publications
  -- can be compared with one indexable equality (swi_pub.revisions)
  cell        text        GENERATED ALWAYS AS (
                breakdown || E'\x1f' || cohort || E'\x1f' || doelgroep || E'\x1f' ||
                coalesce(dim1_value, '') || E'\x1f' || coalesce(dim2_value, '') || E'\x1f' ||
                coalesce(dim3_value, '') || E'\x1f' || measure) STORED,
  -- one value per cell and measure
  CONSTRAINT indicator_values_cell_key UNIQUE (publication, peildatum, cell)
);
COMMENT ON TABLE swi_pub.indicator_values IS
  'All published indicator values of every publication, one value per row (long format), after '
  'disclosure control (indicators.md §6). A suppressed value is NULL with onderdrukt = true and the '
  'reason(s) in reden. The margin (total) over a dimension has the value ''*''. Written by the '
  'pipeline: COPY swi_pub.indicator_values (peildatum, known_at, family, breakdown, cohort, doelgroep, '
  'dim1_name, dim1_value, dim2_name, dim2_value, dim3_name, dim3_value, measure, unit, value, '
  'onderdrukt, reden, noemer) FROM STDIN fills publication from the setting swi.publication '
  '(SET LOCAL swi.publication = ''herberekening:SWI 2024''), else ''actueel''.';
COMMENT ON COLUMN swi_pub.indicator_values.publication IS
  'Publication (swi_pub.publications.name) the value belongs to.';
COMMENT ON COLUMN swi_pub.indicator_values.peildatum IS
  'Peildatum P: state at the end of this day (event_date <= P).';
COMMENT ON COLUMN swi_pub.indicator_values.known_at IS
  'Knowledge time K: events registered at or before K were used (''infinity'' = everything known).';
COMMENT ON COLUMN swi_pub.indicator_values.family IS
  'Indicator family 1-10 of indicators.md §5: 1 populatie, 2 fase, 3 pip_termijn, 4 doorlooptijden, '
  '5 leerroute, 6 voor_vestiging, 7 werk, 8 bijstand, 9 voortgang, 10 volledigheid.';
COMMENT ON COLUMN swi_pub.indicator_values.breakdown IS
  'Table the value belongs to, e.g. populatie_geslacht, fase_plichtigen, pip_termijn, '
  'doorlooptijd_status_pip, leerroute_geslacht, werk_geslacht. Each breakdown is disclosure-controlled on its own.';
COMMENT ON COLUMN swi_pub.indicator_values.cohort IS
  'Cohort: calendar year in which the obligation started (''2023''), or ''*'' for all cohorts.';
COMMENT ON COLUMN swi_pub.indicator_values.doelgroep IS 'ASIEL, GEZIN, OVERIG, or ''*'' for all three.';
COMMENT ON COLUMN swi_pub.indicator_values.dim1_name IS
  'Name of the first further dimension of the breakdown (e.g. geslacht, leerroute, gemeente); NULL when unused.';
COMMENT ON COLUMN swi_pub.indicator_values.dim1_value IS
  'Category of dim1 (e.g. V, B1, GM0363, ONBEKEND, OVERIG), or ''*'' for the margin; NULL when unused.';
COMMENT ON COLUMN swi_pub.indicator_values.dim2_name IS 'Name of the second further dimension; NULL when unused.';
COMMENT ON COLUMN swi_pub.indicator_values.dim2_value IS 'Category of dim2, or ''*'' for the margin; NULL when unused.';
COMMENT ON COLUMN swi_pub.indicator_values.dim3_name IS 'Name of the third further dimension; NULL when unused.';
COMMENT ON COLUMN swi_pub.indicator_values.dim3_value IS 'Category of dim3, or ''*'' for the margin; NULL when unused.';
COMMENT ON COLUMN swi_pub.indicator_values.measure IS
  'What the value is: a count (cohortgrootte, plichtigen, personen, n, n_open, ...), a share '
  '(aandeel_*), or a lead-time statistic (gemiddelde, p25, mediaan, p75, p90).';
COMMENT ON COLUMN swi_pub.indicator_values.unit IS
  'personen or gebeurtenissen (counts, rounded to the rounding base), procent (share, one decimal), '
  'dagen (lead time, one decimal).';
COMMENT ON COLUMN swi_pub.indicator_values.value IS
  'Published value; NULL when onderdrukt. Shares are computed from unrounded counts, so they need not '
  'equal the ratio of the rounded counts.';
COMMENT ON COLUMN swi_pub.indicator_values.onderdrukt IS
  'true: the value is suppressed by disclosure control (value is NULL).';
COMMENT ON COLUMN swi_pub.indicator_values.reden IS
  'Why suppressed, comma-separated: primary (count 1..T-1), denominator (share over < T), complement '
  '(denominator - numerator in 1..T-1), numerator (its numerator is suppressed), secondary (suppressed '
  'so that another suppressed cell cannot be recovered by subtraction), leadtime_n (lead time over n < T). '
  'NULL when published.';
COMMENT ON COLUMN swi_pub.indicator_values.cell IS
  'Generated key of the cell and measure: breakdown, cohort, doelgroep, dim1..3_value ('''' when unused) '
  'and measure, separated by the character U+001F. Unique per publication and peildatum; use it to compare '
  'publications.';
COMMENT ON COLUMN swi_pub.indicator_values.noemer IS
  'For shares and lead times: the population the value is taken over (the denominator); NULL for counts.';

-- analysts filter on family/breakdown within a publication
CREATE INDEX indicator_values_family_idx ON swi_pub.indicator_values (publication, family, breakdown);

-- ---- frozen publications cannot change ----------------------------------------
CREATE FUNCTION swi_pub.forbid_frozen_values() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    SELECT p.name INTO bad FROM swi_pub.publications p
     WHERE p.frozen AND EXISTS (SELECT 1 FROM swi_pub.indicator_values v WHERE v.publication = p.name)
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
    RAISE EXCEPTION 'publication "%" is frozen: its figures cannot be changed (% on swi_pub.indicator_values refused)',
                    bad, TG_OP
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = format('Frozen publications are final. The pipeline recomputes them as "herberekening:%s"; '
                          'compare the two in swi_pub.revisions.', bad);
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION swi_pub.forbid_frozen_values() IS
  'Trigger function: refuses INSERT, UPDATE, DELETE and TRUNCATE that touch rows of a frozen publication.';

-- Statement-level with transition tables: one check per statement (also for COPY),
-- so the pipeline's bulk loads into ''actueel'' pay no per-row lookup.
CREATE TRIGGER indicator_values_frozen_insert AFTER INSERT ON swi_pub.indicator_values
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION swi_pub.forbid_frozen_values();
CREATE TRIGGER indicator_values_frozen_update AFTER UPDATE ON swi_pub.indicator_values
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION swi_pub.forbid_frozen_values();
CREATE TRIGGER indicator_values_frozen_delete AFTER DELETE ON swi_pub.indicator_values
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION swi_pub.forbid_frozen_values();
CREATE TRIGGER indicator_values_frozen_truncate BEFORE TRUNCATE ON swi_pub.indicator_values
  FOR EACH STATEMENT EXECUTE FUNCTION swi_pub.forbid_frozen_values();

CREATE FUNCTION swi_pub.forbid_frozen_publication() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF EXISTS (SELECT 1 FROM swi_pub.publications WHERE frozen) THEN
      RAISE EXCEPTION 'swi_pub.publications holds frozen publications: TRUNCATE refused'
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    NEW.frozen_at := CASE WHEN NEW.frozen THEN now() END;
    RETURN NEW;
  END IF;
  IF OLD.frozen THEN
    IF TG_OP = 'DELETE' THEN
      RAISE EXCEPTION 'publication "%" is frozen: it cannot be deleted', OLD.name
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF NOT NEW.frozen THEN
      RAISE EXCEPTION 'publication "%" is frozen: it cannot be unfrozen', OLD.name
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF (NEW.name, NEW.peildatum, NEW.known_at, NEW.rounding_base, NEW.threshold, NEW.created_at,
        NEW.frozen_at)
       IS DISTINCT FROM
       (OLD.name, OLD.peildatum, OLD.known_at, OLD.rounding_base, OLD.threshold, OLD.created_at,
        OLD.frozen_at) THEN
      RAISE EXCEPTION 'publication "%" is frozen: only its description can change', OLD.name
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    NEW.frozen_at := CASE WHEN NEW.frozen THEN now() END;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;
COMMENT ON FUNCTION swi_pub.forbid_frozen_publication() IS
  'Trigger function: a frozen publication cannot be deleted, unfrozen or changed (except its description); '
  'sets frozen_at when a publication is frozen.';

CREATE TRIGGER publications_frozen BEFORE INSERT OR UPDATE OR DELETE ON swi_pub.publications
  FOR EACH ROW EXECUTE FUNCTION swi_pub.forbid_frozen_publication();
CREATE TRIGGER publications_frozen_truncate BEFORE TRUNCATE ON swi_pub.publications
  FOR EACH STATEMENT EXECUTE FUNCTION swi_pub.forbid_frozen_publication();
-- fire also under session_replication_role = replica
ALTER TABLE swi_pub.indicator_values ENABLE ALWAYS TRIGGER indicator_values_frozen_insert;
ALTER TABLE swi_pub.indicator_values ENABLE ALWAYS TRIGGER indicator_values_frozen_update;
ALTER TABLE swi_pub.indicator_values ENABLE ALWAYS TRIGGER indicator_values_frozen_delete;
ALTER TABLE swi_pub.indicator_values ENABLE ALWAYS TRIGGER indicator_values_frozen_truncate;
ALTER TABLE swi_pub.publications ENABLE ALWAYS TRIGGER publications_frozen;
ALTER TABLE swi_pub.publications ENABLE ALWAYS TRIGGER publications_frozen_truncate;

-- Freezing the current figures under a name: one statement for the writer.
CREATE FUNCTION swi_pub.freeze_actueel(pub_name text, pub_description text DEFAULT NULL)
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
  SELECT pub_name, peildatum, known_at, family, breakdown, cohort, doelgroep, dim1_name, dim1_value,
         dim2_name, dim2_value, dim3_name, dim3_value, measure, unit, value, onderdrukt, reden, noemer
    FROM swi_pub.indicator_values WHERE publication = 'actueel';
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE swi_pub.publications SET frozen = true WHERE name = pub_name;
  RETURN n;
END $$;
COMMENT ON FUNCTION swi_pub.freeze_actueel(text, text) IS
  'Copies the current publication ''actueel'' (its peildatum, known_at, parameters and all values) to a new '
  'publication pub_name and freezes it; returns the number of values. For the writer only.';

-- ---- revisions: a frozen publication against its recomputation ------------------
CREATE VIEW swi_pub.revisions WITH (security_invoker = true) AS
SELECT p.name                  AS publication,
       g.peildatum,
       g.known_at              AS published_known_at,
       h.known_at              AS current_known_at,
       g.family, g.breakdown, g.cohort, g.doelgroep,
       g.dim1_name, g.dim1_value, g.dim2_name, g.dim2_value, g.dim3_name, g.dim3_value,
       g.measure, g.unit,
       g.value                 AS published_value,
       h.value                 AS current_value,
       h.value - g.value       AS difference,
       g.onderdrukt            AS published_onderdrukt,
       h.onderdrukt            AS current_onderdrukt,
       CASE WHEN h.publication IS NULL THEN 'dropped'
            WHEN g.value IS NOT DISTINCT FROM h.value AND g.onderdrukt = h.onderdrukt THEN 'unchanged'
            ELSE 'changed' END AS status
  FROM swi_pub.publications p
  JOIN swi_pub.publications hp ON hp.name = 'herberekening:' || p.name
  JOIN swi_pub.indicator_values g ON g.publication = p.name
  LEFT JOIN swi_pub.indicator_values h
    ON h.publication = hp.name AND h.peildatum = g.peildatum AND h.cell = g.cell
 WHERE p.frozen
UNION ALL
SELECT p.name, h.peildatum, NULL, h.known_at,
       h.family, h.breakdown, h.cohort, h.doelgroep,
       h.dim1_name, h.dim1_value, h.dim2_name, h.dim2_value, h.dim3_name, h.dim3_value,
       h.measure, h.unit,
       NULL, h.value, NULL, NULL, h.onderdrukt, 'new'
  FROM swi_pub.publications p
  JOIN swi_pub.publications hp ON hp.name = 'herberekening:' || p.name
  JOIN swi_pub.indicator_values h ON h.publication = hp.name
 WHERE p.frozen
   AND NOT EXISTS (
     SELECT 1 FROM swi_pub.indicator_values g
      WHERE g.publication = p.name AND g.peildatum = h.peildatum AND g.cell = h.cell);
COMMENT ON VIEW swi_pub.revisions IS
  'Revisions of frozen publications: every value of a frozen publication next to the same cell and measure '
  'of its recomputation ''herberekening:<name>'' (same peildatum, everything known now), e.g. after DUO''s '
  'retroactive mutations. Only publications that have a recomputation appear. Filter on publication.';

-- ---- per-family views over the current publication -------------------------------
DO $$
DECLARE
  v record;
BEGIN
  FOR v IN SELECT * FROM (VALUES
    (1, 'populatie', 'Family 1 Populatie: cohort size and plichtigen at P by geslacht, leeftijdsklasse, '
                     'nationaliteit (top 5 + OVERIG), gemeente and arbeidsmarktregio at P.'),
    (2, 'fase', 'Family 2 Fase at P (first match wins), and over plichtigen: in opvang met/zonder PIP and '
                'PIP vastgesteld (breakdown fase_plichtigen; Kamerbrief tables 1 and 2).'),
    (3, 'pip_termijn', 'Family 3 PIP-termijn over persons whose PIP term started on or before P: PIP within / '
                       'after 10 weeks, before the term, none (Kamerbrief tables 3 and 4).'),
    (4, 'doorlooptijden', 'Family 4 Doorlooptijden in days (n, n_open, gemiddelde, p25, mediaan, p75, p90) and '
                          'the permit-to-PIP classes <=168, 169-364, >=365 days.'),
    (5, 'leerroute', 'Family 5 Leerroute at P over persons with a PIP: route x geslacht, jongere, '
                     'leeftijdsklasse, gemeente; route switches; LBT outcome x route.'),
    (6, 'voor_vestiging', 'Family 6 Voor de vestiging (ASIEL with reception): voorinburgering, '
                          'overplaatsingen, distance of the koppeling.'),
    (7, 'werk', 'Family 7 Werk in years 1-3 after vestiging by geslacht, vestiging gemeente and region; '
                'sector and part-time of those working at P.'),
    (8, 'bijstand', 'Family 8 Bijstand in year 1 after vestiging by geslacht, vestiging gemeente and region.'),
    (9, 'voortgang', 'Family 9 Voortgang: exams, onderdelen passed, einde by kind, voldaan at B1/B2, terms '
                     'ending within 6 months, extensions by grond.'),
    (10, 'volledigheid', 'Family 10 Completeness of the brede intake (opleidingsniveau, werkervaring, '
                         'jonge_kinderen known).')
  ) AS t(family, name, txt) LOOP
    EXECUTE format(
      'CREATE VIEW swi_pub.%I WITH (security_invoker = true) AS '
      'SELECT peildatum, known_at, breakdown, cohort, doelgroep, dim1_name, dim1_value, dim2_name, '
      'dim2_value, dim3_name, dim3_value, measure, unit, value, onderdrukt, reden, noemer '
      'FROM swi_pub.indicator_values WHERE publication = %L AND family = %s',
      v.name, 'actueel', v.family);
    EXECUTE format('COMMENT ON VIEW swi_pub.%I IS %L', v.name,
                   v.txt || ' Current publication (actueel); columns as in swi_pub.indicator_values.');
  END LOOP;
END $$;

-- What is published: one row per breakdown and measure of the current publication.
CREATE VIEW swi_pub.catalogue WITH (security_invoker = true) AS
SELECT family, breakdown, dim1_name, dim2_name, dim3_name, measure, unit,
       min(noemer) AS noemer, count(*) AS cells, count(*) FILTER (WHERE onderdrukt) AS cells_onderdrukt
  FROM swi_pub.indicator_values
 WHERE publication = 'actueel'
 GROUP BY family, breakdown, dim1_name, dim2_name, dim3_name, measure, unit;
COMMENT ON VIEW swi_pub.catalogue IS
  'Catalogue of the current publication: which breakdowns, dimensions and measures exist, with their '
  'denominators and how many cells are suppressed.';
COMMENT ON COLUMN swi_pub.catalogue.cells IS 'Number of published cells (rows) of this breakdown and measure.';
COMMENT ON COLUMN swi_pub.catalogue.cells_onderdrukt IS 'Of them, suppressed (value NULL).';

-- ---- freshness for operators (aggregates only, no microdata) ----------------------
CREATE VIEW swi_pub.freshness AS
WITH src(source, topic_prefix) AS (
  VALUES ('ind', 'ind'), ('coa', 'coa'), ('duo', 'duo'), ('gemeente', 'gemeente')
), ev AS (
  SELECT source, count(*) AS events, max(registered_at) AS newest_registered_at,
         max(ingested_at) AS newest_ingested_at
    FROM swi.events GROUP BY source
), part AS ( -- per partition, the furthest consumer group
  SELECT topic, partition, max(next_offset) AS next_offset, max(updated_at) AS updated_at
    FROM swi_ops.kafka_offsets GROUP BY topic, partition
), off AS (
  SELECT split_part(topic, '.', 1) AS source, sum(next_offset) AS committed_messages,
         max(updated_at) AS offsets_updated_at
    FROM part WHERE topic LIKE '%.events' GROUP BY 1
), dl AS (
  SELECT source, count(*) AS dead_letters,
         count(*) FILTER (WHERE received_at > now() - interval '24 hours') AS dead_letters_24h
    FROM swi_ops.dead_letters GROUP BY source
)
SELECT s.source,
       coalesce(ev.events, 0)                  AS events,
       ev.newest_registered_at,
       ev.newest_ingested_at,
       now() - ev.newest_registered_at         AS lag,
       now() - ev.newest_ingested_at           AS since_last_ingest,
       off.offsets_updated_at,
       coalesce(off.committed_messages, 0)     AS committed_messages,
       coalesce(dl.dead_letters, 0)            AS dead_letters,
       coalesce(dl.dead_letters_24h, 0)        AS dead_letters_24h
  FROM src s
  LEFT JOIN ev  ON ev.source = s.source
  LEFT JOIN off ON off.source = s.topic_prefix
  LEFT JOIN dl  ON dl.source = s.source;
COMMENT ON VIEW swi_pub.freshness IS
  'Data freshness per source, for operators and analysts: aggregates over swi.events, swi_ops.kafka_offsets '
  'and swi_ops.dead_letters only (no event, person or identifier). Runs with the owner''s rights, so readers '
  'need no access to swi or swi_ops. Scans swi.events: expect about a second per few million events.';
COMMENT ON COLUMN swi_pub.freshness.source IS 'Registry: ind, coa, duo or gemeente.';
COMMENT ON COLUMN swi_pub.freshness.events IS 'Events of this source stored in swi.events.';
COMMENT ON COLUMN swi_pub.freshness.newest_registered_at IS
  'Newest knowledge time (registered_at) of a stored event of this source.';
COMMENT ON COLUMN swi_pub.freshness.newest_ingested_at IS 'When the pipeline last stored an event of this source.';
COMMENT ON COLUMN swi_pub.freshness.lag IS
  'now() - newest_registered_at: how far the stored data of this source lags behind the present.';
COMMENT ON COLUMN swi_pub.freshness.since_last_ingest IS 'now() - newest_ingested_at.';
COMMENT ON COLUMN swi_pub.freshness.offsets_updated_at IS
  'When a committed batch last moved a consumer offset of this source''s topic (events, duplicates or dead letters).';
COMMENT ON COLUMN swi_pub.freshness.committed_messages IS
  'Messages of this source''s topic consumed and committed (sum of next_offset over its partitions).';
COMMENT ON COLUMN swi_pub.freshness.dead_letters IS 'Rejected messages of this source (swi_ops.dead_letters).';
COMMENT ON COLUMN swi_pub.freshness.dead_letters_24h IS 'Of them, received in the last 24 hours.';

-- ---- swi_ops.unknown_targets ---------------------------------------------------------
-- Corrections/retractions are rare: a partial index keeps this view cheap without
-- costing the ingest of ordinary events anything.
CREATE INDEX events_refs_idx ON swi.events (registered_at)
  WHERE corrects IS NOT NULL OR retracts IS NOT NULL;

CREATE FUNCTION swi_ops.unknown_targets_after(wait interval)
RETURNS TABLE (finding text, source text, event_id uuid, event_type text, kind text,
               target_event_id uuid, event_date date, registered_at timestamptz,
               ingested_at timestamptz, pending_for interval)
LANGUAGE sql STABLE AS $$
  SELECT 'UNKNOWN_TARGET', e.source, e.event_id, e.event_type, r.kind, r.target, e.event_date,
         e.registered_at, e.ingested_at, now() - e.registered_at
    FROM swi.events e
   CROSS JOIN LATERAL (VALUES ('correction', e.corrects), ('retraction', e.retracts)) AS r(kind, target)
   WHERE (e.corrects IS NOT NULL OR e.retracts IS NOT NULL)
     AND e.registered_at < now() - wait
     AND r.target IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM swi.events t WHERE t.source = e.source AND t.event_id = r.target)
$$;
COMMENT ON FUNCTION swi_ops.unknown_targets_after(interval) IS
  'UNKNOWN_TARGET findings for a given wait: corrections/retractions registered longer than wait ago whose '
  'target (same source, event_id) is not in swi.events. They stay pending, never discarded (indicators.md §1).';

CREATE VIEW swi_ops.unknown_targets AS
SELECT * FROM swi_ops.unknown_targets_after(interval '7 days');
COMMENT ON VIEW swi_ops.unknown_targets IS
  'UNKNOWN_TARGET findings with the default wait (pending.wait.days = 7): corrections and retractions '
  'registered more than 7 days ago whose target event (same source, event_id) is still unknown. For another '
  'wait use swi_ops.unknown_targets_after(interval).';
COMMENT ON COLUMN swi_ops.unknown_targets.finding IS 'Always UNKNOWN_TARGET.';
COMMENT ON COLUMN swi_ops.unknown_targets.source IS 'Source of the correction/retraction (and of its target).';
COMMENT ON COLUMN swi_ops.unknown_targets.event_id IS 'event_id of the pending correction/retraction.';
COMMENT ON COLUMN swi_ops.unknown_targets.event_type IS 'Its event type (Intrekking for a retraction).';
COMMENT ON COLUMN swi_ops.unknown_targets.kind IS 'correction (corrects) or retraction (retracts).';
COMMENT ON COLUMN swi_ops.unknown_targets.target_event_id IS 'The event_id it refers to, not (yet) in swi.events.';
COMMENT ON COLUMN swi_ops.unknown_targets.event_date IS 'event_date of the correction/retraction.';
COMMENT ON COLUMN swi_ops.unknown_targets.registered_at IS 'Its knowledge time.';
COMMENT ON COLUMN swi_ops.unknown_targets.ingested_at IS 'When the pipeline stored it.';
COMMENT ON COLUMN swi_ops.unknown_targets.pending_for IS 'now() - registered_at.';

-- ---- gemeente-scoped reading (row-level security) -------------------------------------
CREATE TABLE swi_pub.gemeente_users (
  role_name text NOT NULL,
  gemeente  text NOT NULL CHECK (gemeente ~ '^GM[0-9]{4}$'),
  PRIMARY KEY (role_name, gemeente)
);
COMMENT ON TABLE swi_pub.gemeente_users IS
  'Which gemeente(n) a municipal database role may see in gemeente breakdowns. A role that is a member of '
  'gemeente_user sees, in rows with a gemeente or vestiging_gemeente dimension, only its own gemeenten and '
  'the margin ''*''; every other row as analysts do. Each role sees only its own mapping rows.';
COMMENT ON COLUMN swi_pub.gemeente_users.role_name IS
  'Database role (a login role or a group role) the mapping applies to, including its members.';
COMMENT ON COLUMN swi_pub.gemeente_users.gemeente IS 'CBS gemeente code, e.g. GM0363.';

ALTER TABLE swi_pub.gemeente_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY gemeente_users_own ON swi_pub.gemeente_users FOR SELECT
  USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                  WHERE r.rolname = role_name AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')));

ALTER TABLE swi_pub.indicator_values ENABLE ROW LEVEL SECURITY;
CREATE POLICY indicator_values_read ON swi_pub.indicator_values FOR SELECT
  USING (
    NOT (SELECT pg_catalog.pg_has_role(current_user, 'gemeente_user', 'MEMBER'))
    OR ((coalesce(dim1_name, '') NOT IN ('gemeente', 'vestiging_gemeente') OR dim1_value = '*'
         OR dim1_value IN (SELECT u.gemeente FROM swi_pub.gemeente_users u))
        AND (coalesce(dim2_name, '') NOT IN ('gemeente', 'vestiging_gemeente') OR dim2_value = '*'
         OR dim2_value IN (SELECT u.gemeente FROM swi_pub.gemeente_users u))
        AND (coalesce(dim3_name, '') NOT IN ('gemeente', 'vestiging_gemeente') OR dim3_value = '*'
         OR dim3_value IN (SELECT u.gemeente FROM swi_pub.gemeente_users u))));
COMMENT ON POLICY indicator_values_read ON swi_pub.indicator_values IS
  'Everybody with SELECT reads every row, except members of gemeente_user: in gemeente breakdowns they see '
  'only their own gemeenten (swi_pub.gemeente_users) and the margin. The owner (swi_writer) is not subject to it.';

-- ---- ownership --------------------------------------------------------------------------
DO $$
DECLARE
  o record;
BEGIN
  EXECUTE 'ALTER SCHEMA swi OWNER TO swi_writer';
  EXECUTE 'ALTER SCHEMA swi_ops OWNER TO swi_writer';
  EXECUTE 'ALTER SCHEMA swi_pub OWNER TO swi_writer';
  FOR o IN
    SELECT c.relkind, n.nspname, c.relname
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('swi', 'swi_ops', 'swi_pub') AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     ORDER BY c.relkind DESC, n.nspname, c.relname
  LOOP
    EXECUTE format('ALTER %s %I.%I OWNER TO swi_writer',
                   CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                  WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                   o.nspname, o.relname);
  END LOOP;
  FOR o IN
    SELECT p.oid::regprocedure AS sig
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('swi', 'swi_ops', 'swi_pub')
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO swi_writer', o.sig);
  END LOOP;
END $$;

-- ---- privileges -------------------------------------------------------------------------
REVOKE ALL ON SCHEMA swi, swi_ops, swi_pub FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA swi, swi_ops, swi_pub FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA swi, swi_ops, swi_pub FROM PUBLIC;
REVOKE ALL ON ALL ROUTINES IN SCHEMA swi, swi_ops, swi_pub FROM PUBLIC;

-- writer: everything (it owns the objects; explicit for objects created later by others)
GRANT ALL ON SCHEMA swi, swi_ops, swi_pub TO swi_writer;
GRANT ALL ON ALL TABLES IN SCHEMA swi, swi_ops, swi_pub TO swi_writer;
GRANT ALL ON ALL SEQUENCES IN SCHEMA swi, swi_ops, swi_pub TO swi_writer;
GRANT ALL ON ALL ROUTINES IN SCHEMA swi, swi_ops, swi_pub TO swi_writer;

-- published schema: analysts, researchers, municipal users read it, nothing else
GRANT USAGE ON SCHEMA swi_pub TO analyst, researcher, gemeente_user;
GRANT SELECT ON ALL TABLES IN SCHEMA swi_pub TO analyst, researcher, gemeente_user;

-- researchers: the pseudonymised microdata in swi (events, identity edges, trajectories)
GRANT USAGE ON SCHEMA swi TO researcher;
GRANT SELECT ON ALL TABLES IN SCHEMA swi TO researcher;
GRANT EXECUTE ON FUNCTION swi.trajectories_as_of(timestamptz) TO researcher;

-- future objects: readable by the same roles, also when a later migration runs as
-- the migrating superuser rather than as swi_writer
ALTER DEFAULT PRIVILEGES IN SCHEMA swi_pub GRANT SELECT ON TABLES TO analyst, researcher, gemeente_user;
ALTER DEFAULT PRIVILEGES FOR ROLE swi_writer IN SCHEMA swi_pub
  GRANT SELECT ON TABLES TO analyst, researcher, gemeente_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA swi GRANT SELECT ON TABLES TO researcher;
ALTER DEFAULT PRIVILEGES FOR ROLE swi_writer IN SCHEMA swi GRANT SELECT ON TABLES TO researcher;
ALTER DEFAULT PRIVILEGES IN SCHEMA swi, swi_ops, swi_pub GRANT ALL ON TABLES TO swi_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA swi, swi_ops, swi_pub GRANT ALL ON SEQUENCES TO swi_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA swi, swi_ops, swi_pub GRANT ALL ON ROUTINES TO swi_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE swi_writer REVOKE EXECUTE ON ROUTINES FROM PUBLIC;

-- ---- column comments of the views (analysts read these) ----------------------------------
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN
    SELECT cl.relname, a.attname,
           coalesce(col_description('swi_pub.indicator_values'::regclass,
                                    (SELECT t.attnum FROM pg_catalog.pg_attribute t
                                      WHERE t.attrelid = 'swi_pub.indicator_values'::regclass
                                        AND t.attname = a.attname)),
                    CASE a.attname
                      WHEN 'published_known_at' THEN 'Knowledge time K of the frozen publication.'
                      WHEN 'current_known_at' THEN 'Knowledge time K of the recomputation (when it was recomputed).'
                      WHEN 'published_value' THEN 'Value as published (NULL when onderdrukt or when status = new).'
                      WHEN 'current_value' THEN 'Value of the recomputation (NULL when onderdrukt or status = dropped).'
                      WHEN 'difference' THEN 'current_value - published_value; NULL when either is NULL.'
                      WHEN 'published_onderdrukt' THEN 'Was the published value suppressed? NULL when status = new.'
                      WHEN 'current_onderdrukt' THEN 'Is the recomputed value suppressed? NULL when status = dropped.'
                      WHEN 'status' THEN 'unchanged, changed, dropped (cell no longer in the recomputation) or new (cell only in the recomputation).'
                    END) AS txt
      FROM pg_catalog.pg_class cl
      JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
      JOIN pg_catalog.pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = 'swi_pub' AND cl.relkind = 'v' AND col_description(cl.oid, a.attnum) IS NULL
  LOOP
    IF c.relname = 'revisions' AND c.attname = 'publication' THEN
      c.txt := 'The frozen publication (its recomputation is ''herberekening:'' || publication).';
    END IF;
    IF c.txt IS NOT NULL THEN
      EXECUTE format('COMMENT ON COLUMN swi_pub.%I.%I IS %L', c.relname, c.attname, c.txt);
    END IF;
  END LOOP;
END $$;
