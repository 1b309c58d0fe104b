-- 002_trajectories.sql - one Wi2021 trajectory per person, versioned on
-- knowledge time, and the data-quality findings. Written by the trajectory
-- step of the sink in the same transaction as the events that caused them.

-- ---- identity edges: which pseudonyms can affect each other ----------------
CREATE TABLE swi.identity_edges (
  vnr_ps bytea NOT NULL CHECK (octet_length(vnr_ps) = 32),
  bsn_ps bytea NOT NULL CHECK (octet_length(bsn_ps) = 32),
  PRIMARY KEY (vnr_ps, bsn_ps)
);
CREATE INDEX identity_edges_bsn_idx ON swi.identity_edges (bsn_ps);
COMMENT ON TABLE swi.identity_edges IS
  'Every (V-nummer, BSN) pseudonym pair that occurred together on an event (BsnToegekend, or an '
  'IND/COA event carrying both), at any knowledge time. Their connected components are the '
  'clusters whose events are resolved together; who is linked to whom at a knowledge time K is '
  'decided by the rules (indicators.md §2), not by this table.';
COMMENT ON COLUMN swi.identity_edges.vnr_ps IS 'Pseudonym of the V-nummer.';
COMMENT ON COLUMN swi.identity_edges.bsn_ps IS 'Pseudonym of the BSN.';

-- ---- trajectory columns, shared by the current table and the versions -----
CREATE TABLE swi.trajectory_versions (
  person_kind          text        NOT NULL CHECK (person_kind IN ('BSN', 'VNR')),
  person_ps            bytea       NOT NULL CHECK (octet_length(person_ps) = 32),
  valid_from           timestamptz NOT NULL,
  valid_to             timestamptz,
  closed               boolean     NOT NULL DEFAULT false,
  wet                  text,
  doelgroep            text,
  cohort               int,
  plicht_start         date,
  geslacht             text        NOT NULL DEFAULT 'ONBEKEND',
  nationaliteit        text        NOT NULL DEFAULT 'ONBEKEND',
  leeftijd             int,
  leeftijdsklasse      text        NOT NULL DEFAULT 'ONBEKEND',
  jongere              text        NOT NULL DEFAULT 'ONBEKEND',
  status_verleend      date,
  koppeling_datum      date,
  koppeling_gemeente   text,
  koppeling_afstand_km int,
  opvang_instroom      date,
  in_opvang            boolean     NOT NULL DEFAULT false,
  overplaatsingen      int         NOT NULL DEFAULT 0,
  voorinburgering_start    date,
  voorinburgering_einde    date,
  voorinburgering_uitkomst text,
  vestiging_datum      date,
  vestiging_gemeente   text,
  gemeente             text,
  arbeidsmarktregio    text,
  brede_intake_start   date,
  brede_intake_afgerond date,
  opleidingsniveau     text        NOT NULL DEFAULT 'ONBEKEND',
  werkervaring         text        NOT NULL DEFAULT 'ONBEKEND',
  jonge_kinderen       text        NOT NULL DEFAULT 'ONBEKEND',
  lbt_datum            date,
  lbt_score            int,
  lbt_uitkomst         text,
  pip_datum            date,
  leerroute            text,
  route_switches       int         NOT NULL DEFAULT 0,
  pip_in_opvang        boolean     NOT NULL DEFAULT false,
  start_pip_termijn    date,
  pip_voor_termijn     boolean     NOT NULL DEFAULT false,
  pip_binnen_10_weken  boolean     NOT NULL DEFAULT false,
  termijn_einde        date,
  einde                text,
  einde_datum          date,
  hoogste_niveau       text,
  werk_spells          int         NOT NULL DEFAULT 0,
  bijstand_spells      int         NOT NULL DEFAULT 0,
  findings             text[]      NOT NULL DEFAULT '{}',
  PRIMARY KEY (person_kind, person_ps, valid_from)
);
CREATE TABLE swi.trajectories (LIKE swi.trajectory_versions INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE swi.trajectories DROP COLUMN valid_to, DROP COLUMN closed;
ALTER TABLE swi.trajectories ADD PRIMARY KEY (person_kind, person_ps);
CREATE INDEX trajectory_versions_k_idx ON swi.trajectory_versions (valid_from);

COMMENT ON TABLE swi.trajectory_versions IS
  'Every version of every person''s trajectory on knowledge time: the row with valid_from <= K < '
  'valid_to (or valid_to NULL) and closed = false is the trajectory as known at K. Attributes are '
  'derived with all events known at K, whatever their event_date (peildatum = end of time). '
  'Query with swi.trajectories_as_of(K).';
COMMENT ON TABLE swi.trajectories IS
  'The current trajectory: one row per person, as known now (the open version). '
  'Columns as in swi.trajectory_versions; see docs/analyst-guide.md and indicators.md §3-§4.';

-- Column comments, shared by both tables.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('person_kind', 'BSN: a person known by BSN; VNR: a person known only by a V-nummer (no BsnToegekend known).'),
    ('person_ps', 'Keyed pseudonym (HMAC-SHA-256) of the BSN or V-nummer; never the raw number.'),
    ('valid_from', 'Knowledge time (registered_at) from which this version holds.'),
    ('valid_to', 'Knowledge time at which the next version replaced it; NULL while current.'),
    ('closed', 'true: the person ceased to exist at valid_from (e.g. a V-nummer person merged into its BSN person).'),
    ('wet', 'Law of the obligation (WI2021, WI2013), from the earliest InburgeringsplichtOntstaan.'),
    ('doelgroep', 'ASIEL, GEZIN or OVERIG, from the earliest InburgeringsplichtOntstaan.'),
    ('cohort', 'Year of plicht_start.'),
    ('plicht_start', 'event_date of the earliest InburgeringsplichtOntstaan.'),
    ('geslacht', 'M, V, X or ONBEKEND: latest IND event carrying it.'),
    ('nationaliteit', 'ISO 3166-1 alpha-3 or ONBEKEND: latest IND event carrying it.'),
    ('leeftijd', 'Completed years at plicht_start; NULL when unknown. (The birth date itself is not stored.)'),
    ('leeftijdsklasse', '<18, 18-24, 25-34, 35-44, 45-54, 55+ or ONBEKEND.'),
    ('jongere', 'JA when leeftijd <= 28, NEE otherwise, ONBEKEND when leeftijd is unknown.'),
    ('status_verleend', 'Earliest VerblijfsvergunningVerleend with an asylum permit.'),
    ('koppeling_datum', 'Earliest GemeenteGekoppeld.'),
    ('koppeling_gemeente', 'Gemeente (CBS code, successor of a dissolved one) of that koppeling.'),
    ('koppeling_afstand_km', 'Distance azc to the linked gemeente, km.'),
    ('opvang_instroom', 'Earliest OpvangInstroom.'),
    ('in_opvang', 'In COA reception after the last opvang event.'),
    ('overplaatsingen', 'Number of OpvangOverplaatsing events.'),
    ('voorinburgering_start', 'Earliest VoorinburgeringGestart.'),
    ('voorinburgering_einde', 'Latest VoorinburgeringBeeindigd.'),
    ('voorinburgering_uitkomst', 'AFGEROND or AFGEBROKEN, of the latest VoorinburgeringBeeindigd.'),
    ('vestiging_datum', 'Earliest Gevestigd (settlement in the BRP).'),
    ('vestiging_gemeente', 'Gemeente of that settlement.'),
    ('gemeente', 'Current gemeente: latest Gevestigd/Verhuisd, else latest GemeenteGekoppeld.'),
    ('arbeidsmarktregio', 'Labour-market region (AMxx) of the current gemeente.'),
    ('brede_intake_start', 'Earliest BredeIntakeGestart.'),
    ('brede_intake_afgerond', 'Earliest BredeIntakeAfgerond.'),
    ('opleidingsniveau', 'From the latest BredeIntakeAfgerond carrying it; ONBEKEND otherwise.'),
    ('werkervaring', 'From the latest BredeIntakeAfgerond carrying it; ONBEKEND otherwise.'),
    ('jonge_kinderen', 'JA/NEE from the latest BredeIntakeAfgerond carrying it; ONBEKEND otherwise.'),
    ('lbt_datum', 'Date of the latest leerbaarheidstoets.'),
    ('lbt_score', 'Score (0-40) of the latest leerbaarheidstoets.'),
    ('lbt_uitkomst', 'B1_HAALBAAR or B1_NIET_HAALBAAR of the latest leerbaarheidstoets.'),
    ('pip_datum', 'Earliest PipVastgesteld.'),
    ('leerroute', 'Current leerroute: latest PipVastgesteld/LeerrouteGewijzigd.'),
    ('route_switches', 'LeerrouteGewijzigd events that changed the route in force.'),
    ('pip_in_opvang', 'PIP set before the settlement (while still in the azc).'),
    ('start_pip_termijn', 'Later of plicht_start and vestiging_datum.'),
    ('pip_voor_termijn', 'PIP set before the PIP term started.'),
    ('pip_binnen_10_weken', 'PIP set at most 70 days after start_pip_termijn.'),
    ('termijn_einde', 'Last day of the inburgeringstermijn (PIP + 3 years, or the latest extension).'),
    ('einde', 'voldaan, ontheffing, vrijstelling or vervallen: the earliest end of the obligation.'),
    ('einde_datum', 'Date of that end.'),
    ('hoogste_niveau', 'hoogste_niveau of the InburgeringsplichtVoldaan when einde is voldaan.'),
    ('werk_spells', 'Number of work spells (WerkGestart...WerkBeeindigd).'),
    ('bijstand_spells', 'Number of bijstand spells.'),
    ('findings', 'Data-quality findings of this person (see swi_ops.findings).')
  ) AS t(col, txt) LOOP
    EXECUTE format('COMMENT ON COLUMN swi.trajectory_versions.%I IS %L', c.col, c.txt);
    IF c.col NOT IN ('valid_to', 'closed') THEN
      EXECUTE format('COMMENT ON COLUMN swi.trajectories.%I IS %L', c.col,
        CASE c.col WHEN 'valid_from' THEN 'Knowledge time from which the current version holds.' ELSE c.txt END);
    END IF;
  END LOOP;
END $$;

CREATE FUNCTION swi.trajectories_as_of(k timestamptz)
RETURNS SETOF swi.trajectory_versions LANGUAGE sql STABLE AS $$
  SELECT * FROM swi.trajectory_versions
   WHERE valid_from <= k AND (valid_to IS NULL OR valid_to > k) AND NOT closed
$$;
COMMENT ON FUNCTION swi.trajectories_as_of(timestamptz) IS
  'The trajectories as known at knowledge time k (one row per person that existed then).';

-- ---- findings ---------------------------------------------------------------
CREATE TABLE swi_ops.findings (
  person_kind text        NOT NULL CHECK (person_kind IN ('BSN', 'VNR')),
  person_ps   bytea       NOT NULL,
  kind        text        NOT NULL,
  event_id    uuid,
  event_date  date,
  detected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX findings_person_idx ON swi_ops.findings (person_kind, person_ps);
CREATE INDEX findings_kind_idx ON swi_ops.findings (kind);
COMMENT ON TABLE swi_ops.findings IS
  'Data-quality findings as known now: odd but possible sequences (second PIP, PIP before the '
  'brede intake, voldaan without PIP, ...) and corrections/retractions whose target is not known '
  '(pending). Recomputed with the person''s trajectory.';
COMMENT ON COLUMN swi_ops.findings.person_kind IS 'BSN or VNR person.';
COMMENT ON COLUMN swi_ops.findings.person_ps IS 'Pseudonym of the person.';
COMMENT ON COLUMN swi_ops.findings.kind IS 'SECOND_PLICHT, SECOND_PIP, PIP_BEFORE_INTAKE, VOLDAAN_WITHOUT_PIP, EXTENSION_WITHOUT_PIP, WERK_END_NONE_OPEN, BIJSTAND_END_NONE_OPEN, PENDING_CORRECTION, PENDING_RETRACTION, NO_PLICHT, INVALID_REFERENCE, SPELL_OVERFLOW.';
COMMENT ON COLUMN swi_ops.findings.event_id IS 'The event concerned, if any.';
COMMENT ON COLUMN swi_ops.findings.event_date IS 'Its event_date, if any.';
COMMENT ON COLUMN swi_ops.findings.detected_at IS 'Transaction time of the recomputation that found it.';
