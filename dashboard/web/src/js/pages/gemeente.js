// Inburgering in de vestigingsgemeente: fase, brede intake, PIP within the
// term, leerroutes and terms.
import * as api from '../api.js';
import { Card } from '../card.js';
import { byCategory, byDoelgroep, byMeasure, cross, tableTitle } from '../data.js';
import { t } from '../i18n.js';
import { L, cd, charts, notes, tableCard } from './common.js';
import { leadtimeCard } from './doorlooptijden.js';

export async function gemeente(ctx) {
  const { meta } = ctx;
  const national = ctx.area.kind === 'nl' ? null : t('national_only');
  const waits = [];
  const shareBars = (ds) => charts.bars(ds, { horizontal: true, columns: [1], percent: true, unit: '%', labels: true });

  const M = ['aandeel_fase', 'personen'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'fase', title: tableTitle(meta, 'fase'), breakdown: 'fase', filters: cd(ctx, { measure: M }), measures: M,
    option: shareBars, extraNotes: [national],
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'fase', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: M }),
  }).done);

  const M2 = ['aandeel_pip_termijn', 'personen'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'pip-termijn', title: tableTitle(meta, 'pip_termijn'), sub: L('Kamerbrief, tabellen 3 en 4', 'Letter to Parliament, tables 3 and 4'),
    breakdown: 'pip_termijn', filters: cd(ctx, { measure: M2 }), measures: M2, option: shareBars, extraNotes: [national],
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'pip_termijn', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: M2 }),
  }).done);

  const M3 = ['aandeel_pip_vastgesteld', 'pip_vastgesteld', 'plichtigen'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'pip-doelgroep', title: L('PIP vastgesteld, per doelgroep', 'PIP set, by target group'), sub: L('Kamerbrief, tabel 2', 'Letter to Parliament, table 2'),
    breakdown: 'fase_plichtigen', filters: { cohort: ctx.cohort, measure: M3 }, measures: M3, option: shareBars, extraNotes: [national],
    build: (ans) => byDoelgroep(meta, ans, { cohort: ctx.cohort, fixed: [], measures: M3 }),
  }).done);

  // leerroute by sex, or in the chosen gemeente next to the whole country
  const routes = ['B1', 'Z', 'ONDERWIJS', 'ONBEKEND'];
  const stacked = (ds) => charts.bars(ds, { horizontal: true, stacked: true, percent: true, unit: '%' });
  if (ctx.area.kind === 'gemeente') {
    const card = new Card(ctx.el, { id: 'leerroute-gemeente', title: `${L('Leerroute in', 'Learning route in')} ${ctx.area.name}`,
      sub: L('Verdeling over de leerroutes (%)', 'Distribution over the routes (%)'), option: stacked, csvName: `leerroute-gemeente_${ctx.area.code}` });
    waits.push(Promise.all([ctx.area.code, '*'].map((g) => api.table(ctx.pub.name, 'leerroute_gemeente', cd(ctx, { measure: 'aandeel_leerroute', gemeente: g }))))
      .then(([a, b]) => {
        if (ctx.stale()) return;
        const ans = { ...a, rows: [...a.rows, ...b.rows] };
        card.set(cross(meta, ans, { rowPos: 1, rowDim: 'gemeente', colPos: 0, colDim: 'leerroute', rowCats: [ctx.area.code, '*'], colCats: routes, cohort: ctx.cohort, doelgroep: ctx.dg, measure: 'aandeel_leerroute' }),
          notes(ctx, a, ['aandeel_leerroute']));
      }).catch((e) => card.error(e.message)));
  }
  for (const [bd, dim] of [['leerroute_geslacht', 'geslacht'], ['leerroute_jongere', 'jongere'], ['leerroute_leeftijdsklasse', 'leeftijdsklasse']]) {
    waits.push(tableCard(ctx, ctx.el, {
      id: bd, title: tableTitle(meta, bd), sub: L('Verdeling over de leerroutes (%)', 'Distribution over the routes (%)'),
      breakdown: bd, filters: cd(ctx, { measure: 'aandeel_leerroute' }), measures: ['aandeel_leerroute'], option: stacked,
      extraNotes: [national],
      build: (ans) => cross(meta, ans, { rowPos: 1, rowDim: dim, colPos: 0, colDim: 'leerroute', colCats: routes, cohort: ctx.cohort, doelgroep: ctx.dg, measure: 'aandeel_leerroute' }),
    }).done);
  }

  waits.push(leadtimeCard(ctx, ctx.el, { id: 'lt-intake', title: L('Van start plicht en vestiging naar brede intake en PIP (dagen)', 'From obligation and settlement to broad intake and PIP (days)'),
    breakdowns: ['doorlooptijd_plicht_brede_intake', 'doorlooptijd_vestiging_pip'] }).done);

  const MV = ['aandeel_opleidingsniveau_bekend', 'aandeel_werkervaring_bekend', 'aandeel_jonge_kinderen_bekend', 'aandeel_alle_drie_bekend', 'brede_intake_afgerond'];
  waits.push(tableCard(ctx, ctx.el, {
    id: 'volledigheid', title: tableTitle(meta, 'volledigheid_brede_intake'), breakdown: 'volledigheid_brede_intake', filters: cd(ctx, { measure: MV }), measures: MV,
    option: (ds) => charts.bars({ ...ds, rows: ds.rows.filter((r) => r.key.startsWith('aandeel_')) }, { horizontal: true, percent: true, unit: '%', labels: true }),
    extraNotes: [national],
    build: (ans) => byMeasure(meta, ans, { cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [], measures: MV }),
  }).done);

  const M4 = ['plichtigen_met_pip', 'termijn_einde_binnen_6_maanden', 'aandeel_termijn_einde_binnen_6_maanden', 'personen_met_pip', 'met_routewissel', 'aandeel_met_routewissel'];
  const card = new Card(ctx.el, { id: 'termijnen', title: L('Termijnen en routewisselingen', 'Terms and route changes'), csvName: 'termijnen' });
  waits.push(Promise.all([api.table(ctx.pub.name, 'voortgang_termijn', cd(ctx)), api.table(ctx.pub.name, 'leerroute_wissel', cd(ctx))]).then(([a, b]) => {
    if (ctx.stale()) return;
    const ans = { ...a, rows: [...a.rows, ...b.rows], measures: { ...a.measures, ...b.measures } };
    card.set(byMeasure(meta, ans, { cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [], measures: M4 }), [...notes(ctx, ans, M4), national]);
  }).catch((e) => card.error(e.message)));
  await Promise.all(waits);
}
