// Examens en voortgang: exams by component and level, passes, the end of the
// obligation, B1 or higher, term extensions, the learnability test.
import { byCategory, byMeasure, cross, tableTitle } from '../data.js';
import { t } from '../i18n.js';
import { L, cd, charts, tableCard } from './common.js';

export async function examens(ctx) {
  const { meta } = ctx;
  const national = ctx.area.kind === 'nl' ? null : t('national_only');
  const waits = [];
  const add = (opts) => waits.push(tableCard(ctx, ctx.el, { extraNotes: [national], ...opts }).done);

  const EX = ['examens_geslaagd', 'examens_niet_geslaagd', 'examens'];
  add({
    id: 'examens-onderdeel', title: L('Examens per onderdeel', 'Exams by component'), sub: L('Aantal examens (gebeurtenissen), alle niveaus', 'Number of exams (events), all levels'),
    breakdown: 'voortgang_examens', filters: cd(ctx, { measure: EX, niveau: '*' }), measures: EX,
    option: (ds) => charts.bars(ds, { horizontal: true, stacked: true, columns: [1, 2] }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'onderdeel', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null, '*'], measures: EX }),
  });
  add({
    id: 'examens-niveau', title: L('Examens per niveau', 'Exams by level'), sub: L('Aantal examens (gebeurtenissen), alle onderdelen', 'Number of exams (events), all components'),
    breakdown: 'voortgang_examens', filters: cd(ctx, { measure: EX, onderdeel: '*' }), measures: EX,
    option: (ds) => charts.bars(ds, { stacked: true, columns: [1, 2] }),
    build: (ans) => byCategory(meta, ans, { dimPos: 1, dim: 'niveau', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: ['*', null], measures: EX }),
  });
  add({
    id: 'geslaagd-onderdeel', title: tableTitle(meta, 'voortgang_geslaagd_onderdeel'), breakdown: 'voortgang_geslaagd_onderdeel',
    filters: cd(ctx), measures: ['personen_geslaagd'], option: (ds) => charts.bars(ds, { horizontal: true, labels: true }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'onderdeel', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: ['personen_geslaagd'] }),
  });
  add({
    id: 'einde', title: tableTitle(meta, 'voortgang_einde'), breakdown: 'voortgang_einde', filters: cd(ctx), measures: ['personen'],
    option: (ds) => charts.bars(ds, { labels: true }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'einde', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: ['personen'] }),
  });
  const VN = ['voldaan', 'voldaan_b1_of_b2', 'aandeel_voldaan_b1_of_b2'];
  add({
    id: 'voldaan-niveau', title: tableTitle(meta, 'voortgang_voldaan_niveau'), breakdown: 'voortgang_voldaan_niveau', filters: cd(ctx), measures: VN,
    build: (ans) => byMeasure(meta, ans, { cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [], measures: VN }),
  });
  add({
    id: 'verlengingen', title: tableTitle(meta, 'voortgang_verlengingen'), breakdown: 'voortgang_verlengingen', filters: cd(ctx), measures: ['termijnverlengingen'],
    option: (ds) => charts.bars(ds, { horizontal: true, labels: true }),
    build: (ans) => byCategory(meta, ans, { dimPos: 0, dim: 'grond', cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: ['termijnverlengingen'] }),
  });
  add({
    id: 'lbt', title: tableTitle(meta, 'leerroute_lbt'), sub: L('Verdeling over de leerroutes (%)', 'Distribution over the routes (%)'),
    breakdown: 'leerroute_lbt', filters: cd(ctx, { measure: 'aandeel_leerroute' }), measures: ['aandeel_leerroute'],
    option: (ds) => charts.bars(ds, { horizontal: true, stacked: true, percent: true, unit: '%' }),
    build: (ans) => cross(meta, ans, { rowPos: 0, rowDim: 'lbt_uitkomst', colPos: 1, colDim: 'leerroute', colCats: ['B1', 'Z', 'ONDERWIJS', 'ONBEKEND'], cohort: ctx.cohort, doelgroep: ctx.dg, measure: 'aandeel_leerroute' }),
  });
  await Promise.all(waits);
}
