// Vroege start tijdens het verblijf in het COA: voorinburgering, huisvesting
// (overplaatsingen, koppeling en afstand) and PIPs set while in reception.
import { byCategory, byDoelgroep, byMeasure, measureLabel, tableTitle } from '../data.js';
import { t } from '../i18n.js';
import { L, cd, charts, kpis, tableCard } from './common.js';
import { leadtimeCard } from './doorlooptijden.js';

export async function coa(ctx) {
  const { meta } = ctx;
  // Family 6 covers asylum migrants with reception only.
  const asiel = ctx.dg === '*' ? '*' : 'ASIEL';
  const asielNote = ctx.dg !== '*' && ctx.dg !== 'ASIEL'
    ? L('Alleen voor asielmigranten (met opvang door het COA).', 'Asylum migrants only (in COA reception).')
    : L('Asielmigranten met opvang door het COA.', 'Asylum migrants in COA reception.');
  const f6 = (more) => ({ cohort: ctx.cohort, doelgroep: asiel, ...more });
  const national = ctx.area.kind === 'nl' ? null : t('national_only');
  const waits = [];

  waits.push(kpis(ctx, [
    { id: 'vi-gestart', label: measureLabel(meta, 'aandeel_voorinburgering_gestart'), note: t('national'),
      breakdown: 'voor_vestiging_voorinburgering', filters: f6(), cohort: ctx.cohort, doelgroep: asiel, dims: [], measure: 'aandeel_voorinburgering_gestart' },
    { id: 'vi-afgerond', label: measureLabel(meta, 'aandeel_voorinburgering_afgerond'), note: t('national'),
      breakdown: 'voor_vestiging_voorinburgering', filters: f6(), cohort: ctx.cohort, doelgroep: asiel, dims: [], measure: 'aandeel_voorinburgering_afgerond' },
    { id: 'ov-3plus', label: L('3 of meer overplaatsingen (%)', '3 or more transfers (%)'), note: t('national'),
      breakdown: 'voor_vestiging_overplaatsingen', filters: f6(), cohort: ctx.cohort, doelgroep: asiel, dims: ['3+'], measure: 'aandeel_overplaatsingen' },
    { id: 'pip-azc', label: L('PIP vóór de termijn, in het azc (%)', 'PIP before the term, in reception (%)'), note: t('national'),
      breakdown: 'pip_termijn', filters: cd(ctx), cohort: ctx.cohort, doelgroep: ctx.dg, dims: ['voor_termijn'], measure: 'aandeel_pip_termijn' },
  ]));

  const M1 = ['plichtigen', 'in_opvang_zonder_pip', 'in_opvang_met_pip'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'opvang-pip', title: L('Plichtigen in de opvang, zonder en met PIP', 'Persons under obligation in reception, without and with a PIP'),
    sub: L('Kamerbrief, tabel 1', 'Letter to Parliament, table 1'), breakdown: 'fase_plichtigen', filters: { cohort: ctx.cohort, measure: M1 }, measures: M1,
    option: (ds) => charts.bars(ds, { horizontal: true }), extraNotes: [national],
    build: (ans) => byDoelgroep(meta, ans, { cohort: ctx.cohort, fixed: [], measures: M1 }),
  }).done);

  const M2 = ['aandeel_voorinburgering_gestart', 'aandeel_voorinburgering_afgerond', 'aandeel_voorinburgering_afgebroken',
    'personen', 'voorinburgering_gestart', 'voorinburgering_afgerond', 'voorinburgering_afgebroken'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'voorinburgering', title: tableTitle(meta, 'voor_vestiging_voorinburgering'), sub: asielNote,
    breakdown: 'voor_vestiging_voorinburgering', filters: f6({ measure: M2 }), measures: M2,
    option: (ds) => charts.bars({ ...ds, rows: ds.rows.filter((r) => r.key.startsWith('aandeel_')) }, { horizontal: true, percent: true, unit: '%', labels: true }),
    extraNotes: [national],
    build: (ans) => byMeasure(meta, ans, { cohort: ctx.cohort, doelgroep: asiel, fixed: [], measures: M2 }),
  }).done);

  for (const [bd, dim, id] of [['voor_vestiging_overplaatsingen', 'overplaatsingen', 'overplaatsingen'],
    ['voor_vestiging_afstand', 'afstand_km', 'afstand']]) {
    const share = dim === 'overplaatsingen' ? 'aandeel_overplaatsingen' : 'aandeel_afstand_km';
    const M = [share, 'personen'];
    waits.push(tableCard(ctx, ctx.el, {
      id, title: tableTitle(meta, bd), sub: asielNote, breakdown: bd, filters: f6({ measure: M }), measures: M,
      option: (ds) => charts.bars(ds, { columns: [1], percent: true, unit: '%', labels: true }), extraNotes: [national],
      build: (ans) => byCategory(meta, ans, { dimPos: 0, dim, cohort: ctx.cohort, doelgroep: asiel, fixed: [null], measures: M }),
    }).done);
  }

  waits.push(leadtimeCard(ctx, ctx.el, {
    id: 'lt-coa', title: L('Van verblijfsvergunning naar koppeling en vestiging (dagen)', 'From permit to linking and settlement (days)'),
    breakdowns: ['doorlooptijd_status_koppeling', 'doorlooptijd_status_vestiging'],
  }).done);
  await Promise.all(waits);
}
