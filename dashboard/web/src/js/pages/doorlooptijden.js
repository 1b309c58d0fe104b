// Doorlooptijden: distributions of the lead times (p25, median, p75, p90 and
// the mean), per step and per cohort, and the permit-to-PIP classes.
import * as api from '../api.js';
import { Card } from '../card.js';
import { byCategory, cell, find, indexRows, measureLabel, tableTitle, unitOf } from '../data.js';
import { t } from '../i18n.js';
import { L, cd, charts, el, notes, tableCard } from './common.js';

export const LEADTIMES = ['doorlooptijd_status_koppeling', 'doorlooptijd_status_vestiging', 'doorlooptijd_vestiging_pip',
  'doorlooptijd_status_pip', 'doorlooptijd_plicht_brede_intake'];
const STEPS = {
  doorlooptijd_status_koppeling: ['Verblijfsvergunning → koppeling', 'Permit → linking'],
  doorlooptijd_status_vestiging: ['Verblijfsvergunning → vestiging', 'Permit → settlement'],
  doorlooptijd_vestiging_pip: ['Vestiging → PIP', 'Settlement → PIP'],
  doorlooptijd_status_pip: ['Verblijfsvergunning → PIP', 'Permit → PIP'],
  doorlooptijd_plicht_brede_intake: ['Start plicht → brede intake', 'Start of obligation → broad intake'],
};
const STATS = ['n', 'n_open', 'gemiddelde', 'p25', 'mediaan', 'p75', 'p90'];
// columns of [p25, mediaan, p75, p90, gemiddelde] in a dataset of STATS
const BOXCOLS = [4, 5, 6, 7, 3];

function statsRow(meta, answer, key, text, cohort, doelgroep, total) {
  const ix = indexRows(answer);
  return { key, total: !!total, cells: [{ text }, ...STATS.map((m) => cell(find(ix, cohort, doelgroep, [], m), unitOf(answer, m)))] };
}

function statsHead(meta, first) {
  return { head: [first, ...STATS.map((m) => measureLabel(meta, m))], numeric: [false, ...STATS.map(() => true)] };
}

// One box per lead time (several breakdowns in one card).
export function leadtimeCard(ctx, parent, { id, title, breakdowns, full }) {
  const { meta } = ctx;
  const card = new Card(parent, { id, title, sub: ctx.area.kind === 'nl' ? '' : t('national_only'), full,
    option: (ds) => charts.boxes(ds, BOXCOLS), notes: [t('box_note')], csvName: `${id}_${ctx.pub.name.replace(/[^A-Za-z0-9_-]+/g, '_')}` });
  const done = Promise.all(breakdowns.map((b) => api.table(ctx.pub.name, b, cd(ctx)))).then((answers) => {
    if (ctx.stale()) return;
    const ds = statsHead(meta, t('leadtime'));
    ds.rows = answers.map((ans, i) => statsRow(meta, ans, breakdowns[i], L(...STEPS[breakdowns[i]]), ctx.cohort, ctx.dg));
    const over = answers.map((ans, i) => `${L(...STEPS[breakdowns[i]])}: ${(ans.measures.gemiddelde || {}).noemer || ''}.`);
    card.set(ds, [...over, ...notes(ctx, answers[0], [])]);
  }).catch((e) => { if (!ctx.stale()) card.error(e.message); });
  return { card, done };
}

export async function doorlooptijden(ctx) {
  const { meta } = ctx;
  const waits = [];
  waits.push(leadtimeCard(ctx, ctx.el, { id: 'lt-all', title: L('Doorlooptijden in dagen', 'Lead times in days'), breakdowns: LEADTIMES, full: true }).done);

  // one lead time per cohort
  const chosen = LEADTIMES.includes(ctx.state.extra.lt) ? ctx.state.extra.lt : 'doorlooptijd_status_pip';
  const perCohort = new Card(ctx.el, { id: 'lt-cohort', title: `${tableTitle(meta, chosen)}, ${L('per cohort', 'per cohort')}`,
    option: (ds) => charts.boxes(ds, BOXCOLS), notes: [t('box_note')], csvName: `lt-cohort_${chosen}` });
  const sel = el('select', { 'aria-label': t('leadtime') }, ...LEADTIMES.map((b) => {
    const o = el('option', { value: b, text: tableTitle(meta, b) });
    if (b === chosen) o.selected = true;
    return o;
  }));
  sel.addEventListener('change', () => { ctx.setExtra('lt', sel.value); ctx.rerender(); });
  perCohort.controls.append(el('label', {}, `${t('leadtime')}: `, sel));
  waits.push(api.table(ctx.pub.name, chosen, { doelgroep: ctx.dg }).then((ans) => {
    if (ctx.stale()) return;
    const cohorts = [...new Set(ans.rows.map((r) => r.cohort))].sort((a, b) => (a === '*') - (b === '*') || a.localeCompare(b));
    const ds = statsHead(meta, t('f_cohort'));
    ds.rows = cohorts.map((c) => statsRow(meta, ans, c, c === '*' ? t('total') : c, c, ctx.dg, c === '*'));
    perCohort.set(ds, notes(ctx, ans, ['gemiddelde']));
  }).catch((e) => perCohort.error(e.message)));

  const M = ['aandeel_dagen_klasse', 'personen'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'lt-klasse', title: tableTitle(meta, 'doorlooptijd_status_pip_klasse'),
    sub: L('Rekenkamer, figuur 15', 'Court of Audit, figure 15'), breakdown: 'doorlooptijd_status_pip_klasse',
    filters: cd(ctx, { measure: M }), measures: M,
    option: (ds) => charts.bars(ds, { columns: [1], percent: true, unit: '%' }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'dagen_klasse', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: M }),
  }).done);
  await Promise.all(waits);
}
