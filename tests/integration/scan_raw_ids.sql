-- Counts raw identifiers anywhere in the database: 9-digit runs that pass the
-- elfproef (BSN) and 10-digit runs (V-nummer), in every text-like, JSON and
-- bytea column of every user table. Prints one line per offending column and a
-- final "raw_identifiers=N".
CREATE FUNCTION pg_temp.elfproef(s text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT s !~ '^0+$' AND (9 * substr(s, 1, 1)::int + 8 * substr(s, 2, 1)::int
    + 7 * substr(s, 3, 1)::int + 6 * substr(s, 4, 1)::int + 5 * substr(s, 5, 1)::int
    + 4 * substr(s, 6, 1)::int + 3 * substr(s, 7, 1)::int + 2 * substr(s, 8, 1)::int
    - substr(s, 9, 1)::int) % 11 = 0
$$;
DO $$
DECLARE
  r record;
  expr text;
  n_bsn bigint;
  n_vnr bigint;
  total bigint := 0;
BEGIN
  FOR r IN
    SELECT c.table_schema, c.table_name, c.column_name, c.data_type
    FROM information_schema.columns c
    JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
      AND c.table_schema NOT LIKE 'pg_temp%'
      AND t.table_type IN ('BASE TABLE', 'VIEW')
      AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
  LOOP
    IF r.data_type = 'bytea' THEN
      expr := format('encode(%I, ''escape'')', r.column_name);
    ELSE
      expr := format('%I::text', r.column_name);
    END IF;
    EXECUTE format(
      'SELECT count(*) FILTER (WHERE length(m[1]) = 9 AND pg_temp.elfproef(m[1])),
              count(*) FILTER (WHERE length(m[1]) = 10)
         FROM %I.%I t, LATERAL regexp_matches(%s, ''(?:^|[^0-9])([0-9]{9,10})(?=[^0-9]|$)'', ''g'') m',
      r.table_schema, r.table_name, expr) INTO n_bsn, n_vnr;
    IF n_bsn + n_vnr > 0 THEN
      RAISE NOTICE 'raw identifiers in %.%.%: bsn-like=% vnummer-like=%',
        r.table_schema, r.table_name, r.column_name, n_bsn, n_vnr;
      total := total + n_bsn + n_vnr;
    END IF;
  END LOOP;
  RAISE NOTICE 'raw_identifiers=%', total;
END $$;
