// Publicaties en revisies: every publication, and for a frozen one what
// changed since (swi_pub.revisions: the publication against its recomputation
// with everything known now).
import * as api from '../api.js';
import { Card } from '../card.js';
import { cell, label, measureLabel, tableTitle } from '../data.js';
import { formatDate, formatNumber, formatTime, t } from '../i18n.js';
import { L, charts, el } from './common.js';

const STATUSES = ['changed', 'new', 'dropped', 'unchanged'];

export async function publicaties(ctx) {
  const { meta } = ctx;
  const list = new Card(ctx.el, { id: 'publicaties', full: true, title: t('publications') });
  list.set({
    head: [t('pub_name'), t('pub_peildatum'), t('pub_known'), t('pub_state'), t('pub_base'), t('pub_threshold'), t('pub_desc')],
    numeric: [false, false, false, false, true, true, false],
    rows: ctx.publications.map((p) => ({
      key: p.name,
      total: false,
      cells: [{ text: p.name }, { text: formatDate(p.peildatum) }, { text: formatTime(p.known_at) },
        { text: p.frozen ? t('frozen') : p.name === 'actueel' ? t('live') : '' },
        { text: formatNumber(p.rounding_base, 0), value: p.rounding_base }, { text: formatNumber(p.threshold, 0), value: p.threshold },
        { text: p.name === 'actueel' ? t('live_desc') : p.description || '' }],
    })),
  });

  const revisable = ctx.publications.filter((p) => p.frozen && p.recomputation);
  if (!revisable.length) {
    ctx.el.append(el('p', { class: 'note full', text: t('no_revisions') }));
    return;
  }
  const chosen = revisable.find((p) => p.name === ctx.state.extra.rev) || revisable.find((p) => p.name === 'SWI 2024') || revisable[0];
  const summary = new Card(ctx.el, { id: 'revisies', full: true, title: t('revisions_for', { n: chosen.name }),
    sub: t('revisions_lead'), option: (ds) => charts.bars({ ...ds, rows: ds.rows.filter((r) => !r.total && r.cells.slice(1, 4).some((c) => c.value > 0)) }, { horizontal: true, stacked: true, columns: [1, 2, 3] }),
    csvName: `revisies_${chosen.name.replace(/[^A-Za-z0-9_-]+/g, '_')}` });
  const sel = el('select', { 'aria-label': t('f_pub') }, ...revisable.map((p) => {
    const o = el('option', { value: p.name, text: `${p.name} (${formatDate(p.peildatum)})` });
    if (p === chosen) o.selected = true;
    return o;
  }));
  sel.addEventListener('change', () => { ctx.setExtra('rev', sel.value); ctx.rerender(); });
  summary.controls.append(el('label', {}, `${t('f_pub')}: `, sel));
  const changes = new Card(ctx.el, { id: 'wijzigingen', full: true, title: L('Grootste wijzigingen', 'Largest changes'),
    csvName: `wijzigingen_${chosen.name.replace(/[^A-Za-z0-9_-]+/g, '_')}` });

  let ans;
  try {
    ans = await api.get('revisions', { publication: chosen.name, limit: 100 });
  } catch (e) {
    summary.error(e.message);
    changes.error(e.message);
    return;
  }
  if (ctx.stale()) return;
  const byBd = new Map();
  for (const s of ans.summary) {
    if (!byBd.has(s.breakdown)) byBd.set(s.breakdown, {});
    byBd.get(s.breakdown)[s.status] = s.cells;
  }
  const order = meta.tables.map((x) => x.breakdown).filter((b) => byBd.has(b));
  const sums = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  const rows = order.map((b) => {
    const c = byBd.get(b);
    for (const s of STATUSES) sums[s] += c[s] || 0;
    return { key: b, total: false, cells: [{ text: tableTitle(meta, b) }, ...STATUSES.map((s) => ({ text: formatNumber(c[s] || 0, 0), value: c[s] || 0 }))] };
  });
  rows.push({ key: '*', total: true, cells: [{ text: t('total') }, ...STATUSES.map((s) => ({ text: formatNumber(sums[s], 0), value: sums[s] }))] });
  const note = L(`Gepubliceerd met gegevens bekend tot ${formatTime(ans.publication.known_at)}; herberekend ${formatTime(ans.publication.recomputed_at)}.`,
    `Published with data known up to ${formatTime(ans.publication.known_at)}; recomputed ${formatTime(ans.publication.recomputed_at)}.`);
  summary.set({ head: [L('Tabel', 'Table'), ...STATUSES.map((s) => t(`status_${s}`))], numeric: [false, true, true, true, true], rows },
    [note, L('Aantal cellen per tabel. Een verschil van één afrondingsbasis is gewone afrondingsruis.', 'Cells per table. A difference of one rounding base is ordinary rounding noise.')]);

  const desc = (r) => {
    const parts = [tableTitle(meta, r.breakdown), r.cohort === '*' ? t('all_cohorts') : r.cohort, label(meta, 'doelgroep', r.doelgroep)];
    for (const [d, v] of Object.entries(r.dims)) parts.push(label(meta, d, v));
    parts.push(measureLabel(meta, r.measure));
    return parts.join(' · ');
  };
  changes.set({
    head: [t('cell'), t('published'), t('current'), t('difference'), t('pub_state')],
    numeric: [false, true, true, true, false],
    rows: ans.rows.map((r, i) => ({
      key: String(i),
      total: false,
      cells: [{ text: desc(r) },
        r.status === 'new' ? { text: '', value: null } : cell({ value: r.published_value, onderdrukt: r.published_onderdrukt }, r.unit),
        r.status === 'dropped' ? { text: '', value: null } : cell({ value: r.current_value, onderdrukt: r.current_onderdrukt }, r.unit),
        r.difference === null ? { text: '', value: null } : cell({ value: r.difference, onderdrukt: false }, r.unit),
        { text: t(`status_${r.status}`) }],
    })),
  }, [note]);
}
