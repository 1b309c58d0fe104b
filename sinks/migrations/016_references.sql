-- 016_references.sql - references are judged where the target is (events.md).
--
-- Ingest no longer judges corrections and retractions against their targets: every such
-- event is stored, and the trajectory step brings a reference and its target into one
-- identity cluster, whichever arrives first and whatever identifiers either carries. The
-- rules then ignore an invalid reference in every figure and report it as an
-- INVALID_REFERENCE finding carrying the target's event id.
--
-- swi.reference_edges records, for every correction or retraction that is clustered by
-- another identity key than its target, the two keys: together with swi.identity_edges it
-- defines the clusters. A correction with exactly its target's identifiers (the normal
-- case) needs no edge.

CREATE TABLE swi.reference_edges (
  source      text  NOT NULL CHECK (source IN ('ind', 'coa', 'duo', 'gemeente')),
  event_id    uuid  NOT NULL,
  ref_kind    text  NOT NULL CHECK (ref_kind IN ('BSN', 'VNR')),
  ref_ps      bytea NOT NULL CHECK (octet_length(ref_ps) = 32),
  target_kind text  NOT NULL CHECK (target_kind IN ('BSN', 'VNR')),
  target_ps   bytea NOT NULL CHECK (octet_length(target_ps) = 32),
  PRIMARY KEY (source, event_id)
);
CREATE INDEX reference_edges_ref_idx ON swi.reference_edges (ref_ps);
CREATE INDEX reference_edges_target_idx ON swi.reference_edges (target_ps);
COMMENT ON TABLE swi.reference_edges IS
  'Every stored correction or retraction whose target is stored and clustered by another identity '
  'key (an event is clustered by its BSN, else its V-nummer): the two keys are resolved together, '
  'so that the reference is judged where the target is (events.md). With swi.identity_edges it '
  'defines the clusters; whether the reference is valid is decided by the rules (indicators.md §1).';
COMMENT ON COLUMN swi.reference_edges.source IS 'Source of the correction/retraction (and of its target).';
COMMENT ON COLUMN swi.reference_edges.event_id IS 'event_id of the correction/retraction.';
COMMENT ON COLUMN swi.reference_edges.ref_kind IS 'BSN or VNR: the kind of key the correction/retraction is clustered by.';
COMMENT ON COLUMN swi.reference_edges.ref_ps IS 'Pseudonym of that key.';
COMMENT ON COLUMN swi.reference_edges.target_kind IS 'BSN or VNR: the kind of key its target is clustered by.';
COMMENT ON COLUMN swi.reference_edges.target_ps IS 'Pseudonym of that key.';

-- Which stored events refer to a given event: looked up for every event a batch brings.
-- Partial: corrections and retractions are a few percent of the events.
CREATE INDEX events_corrects_idx ON swi.events (source, corrects) WHERE corrects IS NOT NULL;
CREATE INDEX events_retracts_idx ON swi.events (source, retracts) WHERE retracts IS NOT NULL;

-- Edges of the events stored before this migration (a pending reference with other
-- identifiers than its target: under the old rule the target arrived later, so it was
-- never judged). Their clusters are re-derived the next time a batch touches them.
INSERT INTO swi.reference_edges (source, event_id, ref_kind, ref_ps, target_kind, target_ps)
SELECT r.source, r.event_id,
       CASE WHEN r.bsn_ps IS NOT NULL THEN 'BSN' ELSE 'VNR' END, coalesce(r.bsn_ps, r.vnr_ps),
       CASE WHEN t.bsn_ps IS NOT NULL THEN 'BSN' ELSE 'VNR' END, coalesce(t.bsn_ps, t.vnr_ps)
  FROM swi.events r
  JOIN swi.events t ON t.source = r.source
   AND t.event_id = CASE WHEN r.event_type = 'Intrekking' THEN r.retracts ELSE r.corrects END
 WHERE (r.corrects IS NOT NULL OR r.retracts IS NOT NULL)
   AND coalesce(r.bsn_ps, r.vnr_ps) IS NOT NULL AND coalesce(t.bsn_ps, t.vnr_ps) IS NOT NULL
   AND (CASE WHEN r.bsn_ps IS NOT NULL THEN 'BSN' ELSE 'VNR' END,
        coalesce(r.bsn_ps, r.vnr_ps)) IS DISTINCT FROM
       (CASE WHEN t.bsn_ps IS NOT NULL THEN 'BSN' ELSE 'VNR' END, coalesce(t.bsn_ps, t.vnr_ps));

-- ---- findings: the event a reference refers to ---------------------------------------
ALTER TABLE swi_ops.findings ADD COLUMN target_event_id uuid;
COMMENT ON COLUMN swi_ops.findings.target_event_id IS
  'PENDING_CORRECTION, PENDING_RETRACTION, INVALID_REFERENCE: the event_id the correction or '
  'retraction refers to (same source); NULL for every other kind.';
COMMENT ON TABLE swi_ops.findings IS
  'Data-quality findings as known now: odd but possible sequences (second PIP, PIP before the '
  'brede intake, voldaan without PIP, ...), corrections/retractions whose target is not known '
  '(pending), and invalid references (a correction of another type or with other identifiers than '
  'its target, a correction or retraction of an Intrekking; ignored by every figure). Recomputed '
  'with the person''s trajectory.';

-- ---- ownership and grants, as for the tables of 002 (003 handed those over) -------
-- the pipeline's writer owns what it writes; researchers read the microdata
ALTER TABLE swi.reference_edges OWNER TO swi_writer;
GRANT SELECT ON swi.reference_edges TO researcher;
-- operators see which event a finding's reference points to (an event id, no pseudonym;
-- swi_monitor of 013 reads findings' other columns alike)
GRANT SELECT (target_event_id) ON swi_ops.findings TO swi_monitor;
