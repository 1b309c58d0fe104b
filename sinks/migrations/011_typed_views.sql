-- 011_typed_views.sql - one typed view per breakdown, and a cheap source status.
--
-- swi_pub.indicator_values is long and generic: cohort is text mixing '2022' and '*',
-- dimensions are dimN_name/dimN_value pairs, and one value column holds counts, shares and
-- days. A BI tool or a CSV export wants named, typed columns with labels. For every
-- breakdown in swi_pub.tabellen (010_code_tables.sql) this creates swi_pub.tabel_<breakdown>:
--
--   publication, peildatum, known_at
--   cohort int (NULL for the total) and cohort_totaal
--   doelgroep, doelgroep_totaal, doelgroep_label, doelgroep_volgorde
--   <dim>, <dim>_totaal, <dim>_label, <dim>_volgorde        for each further dimension
--   measure, measure_label, unit
--   value (as published), aantal (counts), percentage (shares), dagen (lead times)
--   onderdrukt, reden, weergave ('.' suppressed, '' not defined - a 0/0 share -, else the value)
--   noemer
--
-- The views read swi_pub.indicator_values only: the published, disclosure-controlled values,
-- never an unrounded one. They are security_invoker, so a gemeente_user's row-level
-- security applies through them as on the table.

DO $$
DECLARE
  t record;
  d text;
  dims text[];
  cols text;
  joins text;
  i int;
BEGIN
  FOR t IN SELECT * FROM swi_pub.tabellen ORDER BY volgorde LOOP
    dims := array_remove(ARRAY[t.dim1, t.dim2], NULL);
    cols := '';
    joins := '';
    FOR i IN 1 .. coalesce(array_length(dims, 1), 0) LOOP
      d := dims[i];
      cols := cols || format(
        ', nullif(v.dim%1$s_value, ''*'') AS %2$I, v.dim%1$s_value = ''*'' AS %3$I'
        ', coalesce(c%1$s.label, v.dim%1$s_value) AS %4$I, c%1$s.volgorde AS %5$I',
        i, d, d || '_totaal', d || '_label', d || '_volgorde');
      joins := joins || format(
        ' LEFT JOIN swi_pub.categorieen c%1$s ON c%1$s.dimensie = %2$L AND c%1$s.code = v.dim%1$s_value', i, d);
    END LOOP;
    EXECUTE format(
      'CREATE VIEW swi_pub.%I WITH (security_invoker = true) AS '
      'SELECT v.publication, v.peildatum, v.known_at, '
      'CASE WHEN v.cohort = ''*'' THEN NULL ELSE v.cohort::int END AS cohort, v.cohort = ''*'' AS cohort_totaal, '
      'nullif(v.doelgroep, ''*'') AS doelgroep, v.doelgroep = ''*'' AS doelgroep_totaal, '
      'coalesce(cd.label, v.doelgroep) AS doelgroep_label, cd.volgorde AS doelgroep_volgorde'
      '%s, '
      'v.measure, coalesce(m.label, v.measure) AS measure_label, v.unit, v.value, '
      'CASE WHEN v.unit IN (''personen'', ''gebeurtenissen'') THEN v.value::bigint END AS aantal, '
      'CASE WHEN v.unit = ''procent'' THEN v.value END AS percentage, '
      'CASE WHEN v.unit = ''dagen'' THEN v.value END AS dagen, '
      'v.onderdrukt, v.reden, '
      'CASE WHEN v.onderdrukt THEN ''.'' WHEN v.value IS NULL THEN '''' ELSE v.value::text END AS weergave, '
      'v.noemer '
      'FROM swi_pub.indicator_values v '
      'LEFT JOIN swi_pub.categorieen cd ON cd.dimensie = ''doelgroep'' AND cd.code = v.doelgroep'
      '%s '
      'LEFT JOIN swi_pub.maten m ON m.measure = v.measure '
      'WHERE v.breakdown = %L',
      t.view_name, cols, joins, t.breakdown);
    EXECUTE format('COMMENT ON VIEW swi_pub.%I IS %L', t.view_name,
      format('%s (breakdown %s, family %s): every publication''s published values with named, typed '
             'columns and labels, one row per cell and measure. Filter on publication (''actueel'' is the '
             'current figures) and, to avoid adding categories to their totals, on the *_totaal flags. '
             'Disclosure-controlled values only (indicators.md §6).', t.titel, t.breakdown, t.family));
    -- column comments
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.publication IS %L', t.view_name,
                   'Publication: ''actueel'', a frozen name such as ''SWI 2024'', or ''herberekening:<name>''.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.peildatum IS %L', t.view_name,
                   'Peildatum P: the state at the end of this day.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.known_at IS %L', t.view_name,
                   'Knowledge time K: events registered at or before K were used (''infinity'' = everything known).');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.cohort IS %L', t.view_name,
                   'Cohort: year in which the obligation started; NULL in the total over all cohorts (cohort_totaal).');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.cohort_totaal IS %L', t.view_name,
                   'true: the row is the total over all cohorts.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.doelgroep IS %L', t.view_name,
                   'Doelgroep code (ASIEL, GEZIN, OVERIG); NULL in the total over the doelgroepen.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.doelgroep_totaal IS %L', t.view_name,
                   'true: the row is the total over the doelgroepen.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.doelgroep_label IS %L', t.view_name,
                   'Label of the doelgroep (swi_pub.categorieen), Totaal for the total.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.doelgroep_volgorde IS %L', t.view_name,
                   'Sort order of the doelgroep, the total last.');
    FOREACH d IN ARRAY dims LOOP
      EXECUTE format('COMMENT ON COLUMN swi_pub.%I.%I IS %L', t.view_name, d,
        format('Category code of %s (swi_pub.categorieen); NULL in the total over %s (%s_totaal).',
               (SELECT lower(label) FROM swi_pub.dimensies WHERE dimensie = d), d, d));
      EXECUTE format('COMMENT ON COLUMN swi_pub.%I.%I IS %L', t.view_name, d || '_totaal',
        format('true: the row is the total over %s.', d));
      EXECUTE format('COMMENT ON COLUMN swi_pub.%I.%I IS %L', t.view_name, d || '_label',
        format('Label of the %s category, Totaal for the total.', d));
      EXECUTE format('COMMENT ON COLUMN swi_pub.%I.%I IS %L', t.view_name, d || '_volgorde',
        format('Sort order of the %s category (indicators.md §6), the total last.', d));
    END LOOP;
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.measure IS %L', t.view_name,
                   'Measure code (swi_pub.maten): a count, a share (aandeel_*) or a lead-time statistic.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.measure_label IS %L', t.view_name, 'Label of the measure.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.unit IS %L', t.view_name,
                   'personen or gebeurtenissen (counts), procent (share), dagen (lead time).');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.value IS %L', t.view_name,
                   'The published value, whatever its unit; NULL when suppressed (onderdrukt) or not defined '
                   '(a share over 0 persons).');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.aantal IS %L', t.view_name,
                   'The value of a count (personen, gebeurtenissen), rounded to the publication''s base; NULL otherwise.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.percentage IS %L', t.view_name,
                   'The value of a share in percent, one decimal, computed from unrounded counts; NULL otherwise.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.dagen IS %L', t.view_name,
                   'The value of a lead-time statistic in days, one decimal; NULL otherwise.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.onderdrukt IS %L', t.view_name,
                   'true: suppressed by disclosure control (value NULL, shown as ''.'').');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.reden IS %L', t.view_name,
                   'Why suppressed (primary, denominator, complement, numerator, secondary, leadtime_n); NULL when published.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.weergave IS %L', t.view_name,
                   'The value as a statistics office shows it: ''.'' when suppressed, empty when not defined '
                   '(a share over 0 persons), else the value.');
    EXECUTE format('COMMENT ON COLUMN swi_pub.%I.noemer IS %L', t.view_name,
                   'For shares and lead times: the population the value is taken over; NULL for counts.');
    EXECUTE format('ALTER VIEW swi_pub.%I OWNER TO swi_writer', t.view_name);
    EXECUTE format('GRANT ALL ON swi_pub.%I TO swi_writer', t.view_name);
    EXECUTE format('GRANT SELECT ON swi_pub.%I TO analyst, researcher, gemeente_user', t.view_name);
  END LOOP;
END $$;

-- ---- source status: what the dashboard's status panel shows, cheaply ---------------------------
-- swi_pub.freshness counts every event (a scan of swi.events). This view takes only what
-- indexes give at once: the newest registered_at per source (the registered_at index read
-- backwards until the source's newest event), the consumer offsets (a row per partition)
-- and the last day's dead letters (received_at index).
CREATE VIEW swi_pub.source_status AS
WITH src(source) AS (
  VALUES ('ind'), ('coa'), ('duo'), ('gemeente')
), part AS (
  SELECT topic, partition, max(next_offset) AS next_offset, max(updated_at) AS updated_at
    FROM swi_ops.kafka_offsets GROUP BY topic, partition
), off AS (
  SELECT split_part(topic, '.', 1) AS source, sum(next_offset) AS committed_messages,
         max(updated_at) AS offsets_updated_at
    FROM part WHERE topic LIKE '%.events' GROUP BY 1
), dl AS (
  SELECT source, count(*) AS dead_letters_24h
    FROM swi_ops.dead_letters WHERE received_at > now() - interval '24 hours' GROUP BY source
)
SELECT s.source,
       (SELECT max(e.registered_at) FROM swi.events e WHERE e.source = s.source) AS newest_registered_at,
       off.offsets_updated_at,
       coalesce(off.committed_messages, 0) AS committed_messages,
       coalesce(dl.dead_letters_24h, 0) AS dead_letters_24h
  FROM src s
  LEFT JOIN off ON off.source = s.source
  LEFT JOIN dl ON dl.source = s.source;
COMMENT ON VIEW swi_pub.source_status IS
  'Per source, what an index gives at once: newest knowledge time stored, when a committed batch last moved '
  'its consumer offsets, messages committed, dead letters in the last 24 hours. Aggregates only; runs with '
  'the owner''s rights like swi_pub.freshness (which also counts events, but scans swi.events).';
COMMENT ON COLUMN swi_pub.source_status.source IS 'Registry: ind, coa, duo or gemeente.';
COMMENT ON COLUMN swi_pub.source_status.newest_registered_at IS
  'Newest knowledge time (registered_at) of a stored event of this source; NULL when none.';
COMMENT ON COLUMN swi_pub.source_status.offsets_updated_at IS
  'When a committed batch last moved a consumer offset of this source''s topic.';
COMMENT ON COLUMN swi_pub.source_status.committed_messages IS
  'Messages of this source''s topic consumed and committed (sum of next_offset over its partitions).';
COMMENT ON COLUMN swi_pub.source_status.dead_letters_24h IS 'Rejected messages of this source in the last 24 hours.';
ALTER VIEW swi_pub.source_status OWNER TO swi_writer;
GRANT ALL ON swi_pub.source_status TO swi_writer;
GRANT SELECT ON swi_pub.source_status TO analyst, researcher, gemeente_user;
