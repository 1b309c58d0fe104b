// Regionale spreiding: maps per gemeente and per arbeidsmarktregio.
import * as api from '../api.js';
import { Card } from '../card.js';
import { byCategory, measureLabel } from '../data.js';
import { t } from '../i18n.js';
import { L, charts, el, notes } from './common.js';

const MEASURES = {
  cohortgrootte: { gemeente: ['populatie_gemeente', 'gemeente'], regio: ['populatie_arbeidsmarktregio', 'arbeidsmarktregio'] },
  plichtigen: { gemeente: ['populatie_gemeente', 'gemeente'], regio: ['populatie_arbeidsmarktregio', 'arbeidsmarktregio'] },
  aandeel_werk_jaar1: { gemeente: ['werk_gemeente', 'vestiging_gemeente'], regio: ['werk_arbeidsmarktregio', 'vestiging_arbeidsmarktregio'] },
  aandeel_bijstand_jaar1: { gemeente: ['bijstand_gemeente', 'vestiging_gemeente'], regio: ['bijstand_arbeidsmarktregio', 'vestiging_arbeidsmarktregio'] },
};
const DENOM = { aandeel_werk_jaar1: 'personen_jaar1', aandeel_bijstand_jaar1: 'personen_jaar1' };
const topo = {};

async function loadTopo(name) {
  if (!topo[name]) {
    topo[name] = fetch(`geo/${name}.topojson`).then((r) => {
      if (!r.ok) throw new Error(`geo/${name}.topojson: ${r.status}`);
      return r.json();
    });
  }
  return topo[name];
}

function select(label, options, value, onChange) {
  const s = el('select', { 'aria-label': label }, ...options.map(([v, txt]) => {
    const o = el('option', { value: v, text: txt });
    if (v === value) o.selected = true;
    return o;
  }));
  s.addEventListener('change', () => onChange(s.value));
  return el('label', {}, `${label}: `, s);
}

export async function regio(ctx) {
  const { meta } = ctx;
  const level = ctx.state.extra.kaart === 'regio' ? 'regio' : ctx.area.kind === 'regio' && !ctx.state.extra.kaart ? 'regio' : 'gemeente';
  const measure = MEASURES[ctx.state.extra.maat] ? ctx.state.extra.maat : 'cohortgrootte';
  const [bd, dim] = MEASURES[measure][level];
  const mapName = level === 'gemeente' ? 'gemeente_2024' : 'arbeidsmarktregio_2024';
  const percent = measure.startsWith('aandeel_');
  const cols = DENOM[measure] ? [measure, DENOM[measure]] : [measure];

  const card = new Card(ctx.el, {
    id: 'kaart', full: true, tall: true,
    title: `${measureLabel(meta, measure)} ${L('per', 'by')} ${level === 'gemeente' ? L('gemeente', 'municipality') : L('arbeidsmarktregio', 'labour-market region')}`,
    sub: L('Klik op een gebied om het dashboard daarop te filteren.', 'Click an area to filter the dashboard on it.'),
    notes: [t('map_legend'), t('geo_credit')],
    csvName: `kaart_${bd}_${measure}`,
    option: (ds) => charts.choropleth(ds, { mapName, col: 1, selected: ctx.area.code, percent }),
    onClick: (p) => { if (p && p.name) ctx.setArea(p.name); },
  });
  card.controls.append(
    select(t('map_level'), [['gemeente', t('gemeente')], ['regio', t('regio')]], level, (v) => { ctx.setExtra('kaart', v); ctx.rerender(); }),
    select(t('map_measure'), Object.keys(MEASURES).map((m) => [m, measureLabel(meta, m)]), measure, (v) => { ctx.setExtra('maat', v); ctx.rerender(); }),
  );
  const bars = level === 'regio' ? new Card(ctx.el, {
    id: 'regio-bars', full: true, tall: true, title: `${measureLabel(meta, measure)} ${L('per arbeidsmarktregio', 'by labour-market region')}`,
    option: (ds) => charts.bars(ds, { horizontal: true, columns: [1], percent, unit: percent ? '%' : '' }),
    csvName: `regio_${bd}_${measure}`,
  }) : null;
  try {
    const [geo, ans] = await Promise.all([loadTopo(mapName), api.table(ctx.pub.name, bd, { cohort: ctx.cohort, doelgroep: ctx.dg, measure: cols })]);
    if (ctx.stale()) return;
    charts.registerMap(mapName, geo);
    const ds = byCategory(meta, ans, { dimPos: 0, dim, cohort: ctx.cohort, doelgroep: ctx.dg, fixed: [null], measures: cols });
    card.set(ds, notes(ctx, ans, cols));
    if (bars) bars.set({ ...ds, rows: ds.rows.filter((r) => r.key.startsWith('AM')) }, notes(ctx, ans, cols));
  } catch (e) {
    if (!ctx.stale()) card.error(e.message);
  }
}
