// Werk en inkomen: paid work in years 1-3 after settlement, sectors and
// part-time work, social assistance in year 1; for the chosen area where the
// figures exist per gemeente or region.
import * as api from '../api.js';
import { Card } from '../card.js';
import { byCategory, byMeasure, measureLabel, tableTitle } from '../data.js';
import { t } from '../i18n.js';
import { L, areaChoice, areaNote, cd, charts, notes, tableCard } from './common.js';

export async function werk(ctx) {
  const { meta } = ctx;
  const national = ctx.area.kind === 'nl' ? null : t('national_only');
  const waits = [];
  const W = ['aandeel_werk_jaar1', 'aandeel_werk_jaar2', 'aandeel_werk_jaar3', 'personen_jaar1', 'personen_jaar2', 'personen_jaar3'];
  const names = { aandeel_werk_jaar1: L('Jaar 1', 'Year 1'), aandeel_werk_jaar2: L('Jaar 2', 'Year 2'), aandeel_werk_jaar3: L('Jaar 3', 'Year 3') };
  const names2 = { ...names, personen_jaar1: measureLabel(meta, 'personen_jaar1'), personen_jaar2: measureLabel(meta, 'personen_jaar2'), personen_jaar3: measureLabel(meta, 'personen_jaar3') };
  const a = areaChoice(ctx, 'werk_gemeente', 'werk_arbeidsmarktregio', 'vestiging_gemeente', 'vestiging_arbeidsmarktregio');

  if (a) {
    // the area next to the whole country
    const card = new Card(ctx.el, { id: 'werk-gebied', title: `${L('Betaald werk na vestiging in', 'Paid work after settlement in')} ${ctx.area.name}`,
      sub: L('Aandeel met betaald werk (%), naar jaar na vestiging', 'Share with paid work (%), by year after settlement'),
      option: (ds) => charts.bars(ds, { columns: [1, 2, 3], percent: true, unit: '%', labels: true, totals: true }), csvName: `werk-gebied_${a.code}` });
    waits.push(Promise.all([a.code, '*'].map((v) => api.table(ctx.pub.name, a.breakdown, cd(ctx, { measure: W, [a.dim]: v })))).then(([x, y]) => {
      if (ctx.stale()) return;
      const ans = { ...x, rows: [...x.rows, ...y.rows] };
      const ds = byCategory(meta, ans, { dimPos: 0, dim: a.dim, cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: W, measureNames: names2, categories: [a.code, '*'] });
      ds.rows[1].cells[0].text = t('nl');
      card.set(ds, [areaNote(ctx, a), ...notes(ctx, x, W)]);
    }).catch((e) => card.error(e.message)));
  }
  waits.push(tableCard(ctx, ctx.el, {
    id: 'werk-geslacht', title: tableTitle(meta, 'werk_geslacht'),
    sub: L('Aandeel met betaald werk (%), naar jaar na vestiging', 'Share with paid work (%), by year after settlement'),
    breakdown: 'werk_geslacht', filters: cd(ctx, { measure: W }), measures: W, extraNotes: [national],
    option: (ds) => charts.bars(ds, { columns: [1, 2, 3], percent: true, unit: '%' }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'geslacht', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: W, measureNames: names2 }),
  }).done);

  const S = ['aandeel_sector', 'personen'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'werk-sector', title: tableTitle(meta, 'werk_sector'), sub: L('Werkenden op de peildatum', 'Employed on the reference date'),
    breakdown: 'werk_sector', filters: cd(ctx, { measure: S }), measures: S, extraNotes: [national],
    option: (ds) => charts.bars(ds, { horizontal: true, columns: [1], percent: true, unit: '%', labels: true }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'sector', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: S }),
  }).done);

  const D = ['werkend_op_peildatum', 'deeltijd', 'aandeel_deeltijd'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'werk-deeltijd', title: tableTitle(meta, 'werk_deeltijd'), breakdown: 'werk_deeltijd', filters: cd(ctx), measures: D, extraNotes: [national],
    build: (ans) => byMeasure(meta, ans, { cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [], measures: D }),
  }).done);

  const b = areaChoice(ctx, 'bijstand_gemeente', 'bijstand_arbeidsmarktregio', 'vestiging_gemeente', 'vestiging_arbeidsmarktregio');
  const B = ['aandeel_bijstand_jaar1', 'met_bijstand_jaar1', 'personen_jaar1'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'bijstand', title: b ? `${L('Bijstand in het eerste jaar in', 'Social assistance in year 1 in')} ${ctx.area.name}` : tableTitle(meta, 'bijstand_geslacht'),
    breakdown: b ? b.breakdown : 'bijstand_geslacht', filters: cd(ctx, b ? { [b.dim]: b.code, measure: B } : { measure: B }), measures: B,
    extraNotes: [areaNote(ctx, b)],
    option: (ds) => charts.bars(ds, { columns: [1], percent: true, unit: '%', labels: true }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: b ? b.dim : 'geslacht', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: B }),
  }).done);
  await Promise.all(waits);
}
