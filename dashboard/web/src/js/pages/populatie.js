// Populatie: cohorts, doelgroepen, sex, age and nationality.
import { byCategory, byCohort, byDoelgroep, measureLabel } from '../data.js';
import { t } from '../i18n.js';
import { L, areaChoice, areaNote, cd, charts, kpis, tableCard } from './common.js';

export async function populatie(ctx) {
  const { meta } = ctx;
  const a = areaChoice(ctx, 'populatie_gemeente', 'populatie_arbeidsmarktregio', 'gemeente', 'arbeidsmarktregio');
  const popBd = a ? a.breakdown : 'populatie_geslacht';
  const popDims = [a ? a.code : '*'];
  const M = ['cohortgrootte', 'plichtigen'];
  const waits = [];

  waits.push(kpis(ctx, [
    { id: 'cohortgrootte', label: measureLabel(meta, 'cohortgrootte'), note: ctx.area.name, breakdown: popBd,
      filters: cd(ctx, { [a ? a.dim : 'geslacht']: popDims[0] }), cohort: ctx.cohort, doelgroep: ctx.dg, dims: popDims, measure: 'cohortgrootte' },
    { id: 'plichtigen', label: measureLabel(meta, 'plichtigen'), note: ctx.area.name, breakdown: popBd,
      filters: cd(ctx, { [a ? a.dim : 'geslacht']: popDims[0] }), cohort: ctx.cohort, doelgroep: ctx.dg, dims: popDims, measure: 'plichtigen' },
    { id: 'pip', label: measureLabel(meta, 'aandeel_pip_vastgesteld'), note: t('national'), breakdown: 'fase_plichtigen',
      filters: cd(ctx), cohort: ctx.cohort, doelgroep: ctx.dg, dims: [], measure: 'aandeel_pip_vastgesteld' },
    { id: 'opvang', label: measureLabel(meta, 'in_opvang_zonder_pip'), note: t('national'), breakdown: 'fase_plichtigen',
      filters: cd(ctx), cohort: ctx.cohort, doelgroep: ctx.dg, dims: [], measure: 'in_opvang_zonder_pip' },
  ]));

  const dimFilter = { [a ? a.dim : 'geslacht']: popDims[0] };
  waits.push(tableCard(ctx, ctx.el, {
    id: 'pop-cohort', title: L('Cohortgrootte en plichtigen per cohort', 'Cohort size and persons under obligation per cohort'),
    sub: ctx.area.name, breakdown: popBd, filters: { doelgroep: ctx.dg, ...dimFilter, measure: M }, measures: M,
    option: (ds) => charts.bars(ds, {}), extraNotes: [areaNote(ctx, a)],
    build: (ans) => byCohort(meta, ans, { doelgroep: ctx.dg, fixed: popDims, measures: M }),
  }).done);

  waits.push(tableCard(ctx, ctx.el, {
    id: 'pop-doelgroep', title: L('Naar doelgroep', 'By target group'), sub: ctx.area.name,
    breakdown: popBd, filters: { cohort: ctx.cohort, ...dimFilter, measure: M }, measures: M,
    option: (ds) => charts.bars(ds, { horizontal: true }), extraNotes: [areaNote(ctx, a)],
    build: (ans) => byDoelgroep(meta, ans, { cohort: ctx.cohort, fixed: popDims, measures: M }),
  }).done);

  for (const [bd, dim, id, nl, en] of [
    ['populatie_geslacht', 'geslacht', 'pop-geslacht', 'Naar geslacht', 'By sex'],
    ['populatie_leeftijdsklasse', 'leeftijdsklasse', 'pop-leeftijd', 'Naar leeftijd', 'By age'],
    ['populatie_nationaliteit', 'nationaliteit', 'pop-nationaliteit', 'Naar nationaliteit', 'By nationality'],
  ]) {
    waits.push(tableCard(ctx, ctx.el, {
      id, title: L(nl, en), sub: t('national'), breakdown: bd, filters: cd(ctx, { measure: M }), measures: M,
      full: dim === 'nationaliteit',
      option: (ds) => charts.bars(ds, { horizontal: dim === 'nationaliteit' }),
      extraNotes: [ctx.area.kind !== 'nl' ? t('national_only') : null,
        dim === 'nationaliteit' ? L('De vijf meest voorkomende nationaliteiten per groep; de rest als Overig.', 'The five most frequent nationalities of each group; the rest as Other.') : null],
      build: (ans) => byCategory(meta, ans, { dimPos: 0, dim, cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: M }),
    }).done);
  }
  await Promise.all(waits);
}
