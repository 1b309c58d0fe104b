// From API rows to what a card shows. A dataset is the single source of a
// card's chart, its table view and its CSV, so the three always agree:
//
//   { head: [labels], numeric: [bool per column], rows: [{ key, total, cells }] }
//
// and a cell is { text, value }: text is exactly what the table and the CSV
// show; value is what the chart plots (null when there is nothing to plot).
// A suppressed value is '.', a share that is not defined (0 of 0) is empty -
// never 0.
import { formatNumber, getLang, t } from './i18n.js';

export function decimals(unit) {
  return unit === 'procent' || unit === 'dagen' ? 1 : 0;
}

// The cell of one API row (undefined: no such row in the answer).
export function cell(row, unit) {
  if (!row) return { text: '', value: null, missing: true };
  if (row.onderdrukt) return { text: '.', value: null, supp: true };
  if (row.value === null) return { text: '', value: null };
  return { text: formatNumber(row.value, decimals(unit)), value: row.value };
}

export function label(meta, dim, code) {
  if (dim === 'cohort') return code === '*' ? t('total') : code;
  const d = meta.dimensions[dim];
  const c = d && d.categories.find((x) => x.code === code);
  if (!c) return code;
  return getLang() === 'en' ? c.label_en : c.label;
}

export function dimLabel(meta, dim) {
  const d = meta.dimensions[dim];
  if (!d) return dim;
  return getLang() === 'en' ? d.label_en : d.label;
}

export function measureLabel(meta, m) {
  const x = meta.measures[m];
  if (!x) return m;
  return getLang() === 'en' ? x.label_en : x.label;
}

export function tableTitle(meta, breakdown) {
  const x = meta.tables.find((tb) => tb.breakdown === breakdown);
  if (!x) return breakdown;
  return getLang() === 'en' ? x.titel_en : x.titel;
}

// Categories of a dimension in publication order, the margin '*' last.
export function categories(meta, dim) {
  const d = meta.dimensions[dim];
  return d ? d.categories.map((c) => c.code) : [];
}

// Index the rows of a table answer: key(cohort, doelgroep, dims..., measure).
export function indexRows(answer) {
  const ix = new Map();
  for (const r of answer.rows) ix.set([r.cohort, r.doelgroep, ...r.dims, r.measure].join('\u001f'), r);
  return ix;
}

export function find(ix, cohort, doelgroep, dims, measure) {
  return ix.get([cohort, doelgroep, ...dims, measure].join('\u001f'));
}

// The categories of dimension position pos that occur in the answer, in
// category order (codes the code table lacks, e.g. a nationality, sorted by
// code before OVERIG/ONBEKEND).
export function present(meta, answer, pos, dim) {
  const seen = new Set(answer.rows.map((r) => r.dims[pos]));
  const known = categories(meta, dim).filter((c) => seen.has(c));
  const extra = [...seen].filter((c) => !known.includes(c)).sort();
  const tail = known.filter((c) => c === 'OVERIG' || c === 'ONBEKEND' || c === '*');
  return [...known.filter((c) => !tail.includes(c)), ...extra, ...tail];
}

export function unitOf(answer, measure) {
  return (answer.measures[measure] || {}).unit || 'personen';
}

// Rows = categories of one dimension, columns = measures.
// spec: { dimPos, dim, cohort, doelgroep, fixed: [values of the other dims
// by position, null at dimPos], measures, categories? }
export function byCategory(meta, answer, spec) {
  const ix = indexRows(answer);
  const cats = spec.categories || present(meta, answer, spec.dimPos, spec.dim);
  const head = [dimLabel(meta, spec.dim), ...spec.measures.map((m) => spec.measureNames?.[m] || measureLabel(meta, m))];
  const rows = cats.map((c) => {
    const dims = spec.fixed.map((v, i) => (i === spec.dimPos ? c : v));
    return {
      key: c,
      total: c === '*',
      cells: [{ text: label(meta, spec.dim, c) },
        ...spec.measures.map((m) => cell(find(ix, spec.cohort, spec.doelgroep, dims, m), unitOf(answer, m)))],
    };
  });
  return { head, numeric: head.map((_, i) => i > 0), rows };
}

// Rows = categories of dimension rowDim, columns = categories of colDim, one measure.
export function cross(meta, answer, spec) {
  const ix = indexRows(answer);
  const rowsC = spec.rowCats || present(meta, answer, spec.rowPos, spec.rowDim);
  const colsC = spec.colCats || present(meta, answer, spec.colPos, spec.colDim);
  const unit = unitOf(answer, spec.measure);
  const head = [dimLabel(meta, spec.rowDim), ...colsC.map((c) => label(meta, spec.colDim, c))];
  const rows = rowsC.map((r) => ({
    key: r,
    total: r === '*',
    cells: [{ text: label(meta, spec.rowDim, r) }, ...colsC.map((c) => {
      const dims = [];
      dims[spec.rowPos] = r;
      dims[spec.colPos] = c;
      return cell(find(ix, spec.cohort, spec.doelgroep, dims, spec.measure), unit);
    })],
  }));
  return { head, numeric: head.map((_, i) => i > 0), rows, colKeys: colsC };
}

// Rows = cohorts (the total last), columns = measures.
export function byCohort(meta, answer, spec) {
  const ix = indexRows(answer);
  const cohorts = [...new Set(answer.rows.map((r) => r.cohort))].sort((a, b) => (a === '*') - (b === '*') || a.localeCompare(b));
  const head = [t('f_cohort'), ...spec.measures.map((m) => spec.measureNames?.[m] || measureLabel(meta, m))];
  const rows = cohorts.map((c) => ({
    key: c,
    total: c === '*',
    cells: [{ text: label(meta, 'cohort', c) },
      ...spec.measures.map((m) => cell(find(ix, c, spec.doelgroep, spec.fixed, m), unitOf(answer, m)))],
  }));
  return { head, numeric: head.map((_, i) => i > 0), rows };
}

// Rows = measures of one cell, one value column (or one column per doelgroep).
export function byMeasure(meta, answer, spec) {
  const ix = indexRows(answer);
  const cols = spec.doelgroepen || [spec.doelgroep];
  const head = [t('measure'), ...cols.map((d) => (spec.doelgroepen ? label(meta, 'doelgroep', d) : t('value')))];
  const rows = spec.measures.map((m) => ({
    key: m,
    total: false,
    cells: [{ text: spec.measureNames?.[m] || measureLabel(meta, m) },
      ...cols.map((d) => cell(find(ix, spec.cohort, d, spec.fixed, m), unitOf(answer, m)))],
  }));
  return { head, numeric: head.map((_, i) => i > 0), rows };
}

// The dataset as CSV text: exactly the table's cells, semicolon-separated
// (values hold decimal commas), with a BOM so that spreadsheet programs read UTF-8.
export function toCsv(ds) {
  const q = (s) => (/[";\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [ds.head.map(q).join(';'), ...ds.rows.map((r) => r.cells.map((c) => q(c.text)).join(';'))];
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

// Rows = doelgroepen (the total last), columns = measures.
export function byDoelgroep(meta, answer, spec) {
  const ix = indexRows(answer);
  const dgs = categories(meta, 'doelgroep').filter((d) => answer.rows.some((r) => r.doelgroep === d));
  const head = [t('f_dg'), ...spec.measures.map((m) => spec.measureNames?.[m] || measureLabel(meta, m))];
  const rows = dgs.map((d) => ({
    key: d,
    total: d === '*',
    cells: [{ text: label(meta, 'doelgroep', d) },
      ...spec.measures.map((m) => cell(find(ix, spec.cohort, d, spec.fixed, m), unitOf(answer, m)))],
  }));
  return { head, numeric: head.map((_, i) => i > 0), rows };
}
