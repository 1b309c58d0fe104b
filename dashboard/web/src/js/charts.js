// ECharts options built from a dataset (data.js). Every series is a numeric
// column of the dataset and every category a row, so the chart shows exactly
// the table's numbers: a suppressed value is drawn as a '.' label on the axis
// (no bar), an undefined one (0 of 0) as nothing. Tooltips show the table's text.
/* global echarts */
import { formatNumber, t } from './i18n.js';

// Okabe-Ito: distinguishable with the common colour-vision deficiencies.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
// Single-hue sequential blues for maps (ColorBrewer Blues, colour-blind safe).
export const RAMP = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
const SUPP = '#c9ced4';
const narrow = () => window.innerWidth < 600;

const baseText = { fontFamily: 'Segoe UI, Helvetica Neue, Arial, Noto Sans, sans-serif', color: '#1b1f24' };

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// rows of the dataset that the chart plots: not the totals, unless asked
function plotted(ds, opts) {
  return ds.rows.filter((r) => opts.totals || !r.total);
}

// Bars: one category per row, one series per numeric column (opts.columns
// picks them; default all). opts: horizontal, stacked, percent (axis 0-100),
// unit (axis name).
export function bars(ds, opts = {}) {
  const rows = plotted(ds, opts);
  // many categories side by side: horizontal bars read better
  if (!opts.horizontal && rows.length > 5) opts = { ...opts, horizontal: true };
  const cols = opts.columns || ds.head.map((_, i) => i).filter((i) => ds.numeric[i]);
  const cats = rows.map((r) => r.cells[0].text);
  const series = cols.map((col, si) => ({
    name: ds.head[col],
    type: 'bar',
    stack: opts.stacked ? 'all' : undefined,
    barMaxWidth: 38,
    emphasis: { focus: 'series' },
    itemStyle: { color: PALETTE[si % PALETTE.length] },
    data: rows.map((r) => {
      const c = r.cells[col];
      if (c.supp) return { value: 0, supp: true, label: { show: true, formatter: '.', color: '#5a6470', fontSize: 16, position: opts.horizontal ? 'right' : 'top' } };
      return { value: c.value };
    }),
    label: opts.labels ? { show: true, position: opts.horizontal ? 'right' : 'top', fontSize: 11, formatter: (p) => (p.data.supp ? '.' : rows[p.dataIndex].cells[col].text) } : undefined,
  }));
  const catAxis = { type: 'category', data: cats, axisLabel: { interval: 0, width: opts.horizontal ? (narrow() ? 105 : 150) : 90, overflow: 'break', lineHeight: 14, fontSize: 12 }, inverse: !!opts.horizontal };
  const valAxis = { type: 'value', max: opts.percent && opts.stacked ? 100 : undefined, minInterval: opts.percent ? undefined : 1, name: opts.unit || '', nameTextStyle: { color: '#5a6470' }, axisLabel: { color: '#5a6470', hideOverlap: true, formatter: (v) => formatNumber(v, 0) }, splitNumber: narrow() ? 3 : 5 };
  return {
    color: PALETTE,
    textStyle: baseText,
    title: rows.length ? undefined : { text: t('no_data'), left: 'center', top: 'middle', textStyle: { fontSize: 13, fontWeight: 'normal', color: '#5a6470' } },
    // a vertical value axis carries its unit above its end: room for it under the legend
    grid: { left: 8, right: 28, top: (cols.length > 1 ? 36 : 16) + (!opts.horizontal && opts.unit ? 16 : 0), bottom: 8, containLabel: true },
    legend: cols.length > 1 ? { top: 0, type: 'scroll', textStyle: { fontSize: 12 } } : undefined,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (ps) => {
        if (!ps.length) return '';
        const r = rows[ps[0].dataIndex];
        return `<b>${esc(r.cells[0].text)}</b><br>` + ps.map((p) => `${p.marker}${esc(p.seriesName)}: <b>${esc(r.cells[cols[p.seriesIndex]].text || '—')}</b>`).join('<br>');
      },
    },
    xAxis: opts.horizontal ? valAxis : catAxis,
    yAxis: opts.horizontal ? catAxis : valAxis,
    series,
  };
}

// Lead-time distributions: one box per row (p25-p75, median stroke, whisker to
// p90) and the mean as a diamond. cols: indices of [p25, mediaan, p75, p90, gemiddelde].
export function boxes(ds, cols, opts = {}) {
  const rows = plotted(ds, opts);
  const [c25, c50, c75, c90, cmean] = cols;
  const ok = (r) => [c25, c50, c75, c90].every((c) => r.cells[c].value !== null);
  return {
    color: PALETTE,
    textStyle: baseText,
    grid: { left: 8, right: 30, top: 16, bottom: 28, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const r = rows[p.dataIndex];
        return `<b>${esc(r.cells[0].text)}</b><br>` + [c25, c50, c75, c90, cmean].map((c) => `${esc(ds.head[c])}: <b>${esc(r.cells[c].text || '—')}</b>`).join('<br>');
      },
    },
    yAxis: { type: 'category', data: rows.map((r) => r.cells[0].text), inverse: true, axisLabel: { width: narrow() ? 110 : 170, overflow: 'break', lineHeight: 14, fontSize: 12 } },
    xAxis: { type: 'value', name: t('days'), nameLocation: 'middle', nameGap: 26, nameTextStyle: { color: '#5a6470' }, splitNumber: narrow() ? 3 : 5, axisLabel: { color: '#5a6470', hideOverlap: true, formatter: (v) => formatNumber(v, 0) } },
    series: [
      {
        type: 'boxplot',
        itemStyle: { color: '#cfe3f3', borderColor: PALETTE[0], borderWidth: 1.5 },
        data: rows.map((r) => (ok(r) ? [r.cells[c25].value, r.cells[c25].value, r.cells[c50].value, r.cells[c75].value, r.cells[c90].value] : [])),
      },
      {
        type: 'scatter',
        symbol: 'diamond',
        symbolSize: 11,
        itemStyle: { color: PALETTE[1] },
        data: rows.map((r) => (r.cells[cmean].value === null ? null : r.cells[cmean].value)),
        tooltip: { show: false },
      },
      {
        // a '.' where the statistics are suppressed
        type: 'scatter',
        symbolSize: 0,
        data: rows.map((r) => (ok(r) ? null : 0)),
        label: { show: true, formatter: (p) => (rows[p.dataIndex].cells[c50].supp ? '.' : ''), position: 'right', fontSize: 16, color: '#5a6470' },
        tooltip: { show: false },
      },
    ],
  };
}

let mapsRegistered = new Set();

export function registerMap(name, topo) {
  if (mapsRegistered.has(name)) return;
  const geo = topojson.feature(topo, topo.objects[name]); // eslint-disable-line no-undef
  echarts.registerMap(name, geo);
  mapsRegistered.add(name);
}

// A choropleth: one region per row (row.key = statcode). opts: mapName, col,
// selected (code to outline), percent.
export function choropleth(ds, opts) {
  const rows = ds.rows.filter((r) => !r.total);
  const vals = rows.map((r) => r.cells[opts.col].value).filter((v) => v !== null);
  const max = vals.length ? Math.max(...vals) : 1;
  const min = vals.length ? Math.min(0, ...vals) : 0;
  const byCode = new Map(rows.map((r) => [r.key, r]));
  return {
    textStyle: baseText,
    tooltip: {
      trigger: 'item',
      formatter: (p) => {
        const r = byCode.get(p.name);
        const name = r ? r.cells[0].text : (opts.names && opts.names.get(p.name)) || p.name;
        const txt = r ? r.cells[opts.col].text : '';
        return `<b>${esc(name)}</b><br>${esc(ds.head[opts.col])}: <b>${esc(txt || '—')}</b>`;
      },
    },
    visualMap: {
      type: 'continuous',
      min,
      max: opts.percent ? Math.max(max, 1) : Math.max(max, 1),
      inRange: { color: RAMP },
      calculable: false,
      orient: 'vertical',
      left: 4,
      bottom: 8,
      itemHeight: 120,
      text: [formatMax(max, opts.percent), formatMax(min, opts.percent)],
      textStyle: { fontSize: 11 },
      seriesIndex: 0,
    },
    series: [{
      type: 'map',
      map: opts.mapName,
      nameProperty: 'statcode',
      roam: true,
      scaleLimit: { min: 1, max: 8 },
      aspectScale: 0.62,
      zoom: 1.1,
      selectedMode: false,
      itemStyle: { areaColor: SUPP, borderColor: '#ffffff', borderWidth: 0.4 },
      emphasis: { label: { show: false }, itemStyle: { areaColor: '#F0E442' } },
      data: [...byCode.values()].map((r) => {
        const v = r.cells[opts.col].value;
        const d = { name: r.key, value: v === null ? NaN : v };
        if (r.key === opts.selected) d.itemStyle = { borderColor: '#D55E00', borderWidth: 2.5 };
        return d;
      }),
    }],
  };
}

function formatMax(v, percent) {
  return percent ? `${Math.round(v)}%` : String(Math.round(v));
}
