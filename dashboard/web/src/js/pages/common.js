// What every page does with a card: fetch a breakdown with the page's filters,
// build the dataset, hand it to the card with its notes.
import * as api from '../api.js';
import { Card, el } from '../card.js';
import * as charts from '../charts.js';
import { cell, find, indexRows, measureLabel, unitOf } from '../data.js';
import { formatDate, getLang, t } from '../i18n.js';

export { charts, el };

// A page's own text in the chosen language.
export const L = (nl, en) => (getLang() === 'en' ? en : nl);

// The footer lines of a card: what its shares are taken over, and the source.
export function notes(ctx, answer, measures, extra = []) {
  const out = [...extra];
  const seen = new Set();
  for (const m of measures || Object.keys(answer.measures)) {
    const x = answer.measures[m];
    if (x && x.noemer && !seen.has(x.noemer)) {
      seen.add(x.noemer);
      out.push(`${measureLabel(ctx.meta, m)}: ${x.noemer}.`);
    }
  }
  out.push(`${t('source', { n: ctx.pub.name, p: formatDate(ctx.pub.peildatum) })} ${t('suppressed_note', { t: ctx.pub.threshold })}`);
  return out;
}

// A card whose data come from one breakdown: load(answer) -> dataset.
// opts: Card options plus breakdown, filters, measures (for the notes), build.
export function tableCard(ctx, parent, opts) {
  const card = new Card(parent, { ...opts, csvName: `${opts.id}_${ctx.pub.name.replace(/[^A-Za-z0-9_-]+/g, '_')}` });
  const p = api.table(ctx.pub.name, opts.breakdown, opts.filters || {}).then((answer) => {
    if (ctx.stale()) return;
    card.set(opts.build(answer), notes(ctx, answer, opts.measures, opts.extraNotes));
  }).catch((e) => { if (!ctx.stale()) card.error(e.message); });
  return { card, done: p };
}

// The cohort and doelgroep filters of the page, for a breakdown by cohort x doelgroep.
export function cd(ctx, more = {}) {
  return { cohort: ctx.cohort, doelgroep: ctx.dg, ...more };
}

// The area filter: the breakdown to use and its dimension value for the
// chosen gemeente or region; national otherwise.
export function areaChoice(ctx, byGemeente, byRegio, dimG, dimR) {
  if (ctx.area.kind === 'gemeente' && byGemeente) return { breakdown: byGemeente, dim: dimG, code: ctx.area.code };
  if (ctx.area.kind === 'regio' && byRegio) return { breakdown: byRegio, dim: dimR, code: ctx.area.code };
  return null;
}

export function areaNote(ctx, choice) {
  if (ctx.area.kind === 'nl') return null;
  return choice ? t('area_note', { a: ctx.area.name }) : t('national_only');
}

export function section(ctx) {
  return ctx.el;
}

// KPI tiles: [{label, answer, cohort, doelgroep, dims, measure}]
export function kpis(ctx, tiles) {
  const wrap = el('div', { class: 'kpis' });
  ctx.el.append(wrap);
  return Promise.all(tiles.map(async (k) => {
    const box = el('div', { class: 'kpi', 'data-kpi': k.id },
      el('div', { class: 'k-label', text: k.label }), el('div', { class: 'k-value', text: '…' }), el('div', { class: 'k-note', text: k.note || '' }));
    wrap.append(box);
    try {
      const answer = await api.table(ctx.pub.name, k.breakdown, k.filters);
      if (ctx.stale()) return;
      const c = cell(find(indexRows(answer), k.cohort, k.doelgroep, k.dims, k.measure), unitOf(answer, k.measure));
      box.querySelector('.k-value').textContent = c.text === '' ? '—' : c.text + (unitOf(answer, k.measure) === 'procent' && c.value !== null ? '%' : '');
    } catch (e) {
      box.querySelector('.k-value').textContent = '—';
      box.querySelector('.k-note').textContent = e.message;
    }
  }));
}
