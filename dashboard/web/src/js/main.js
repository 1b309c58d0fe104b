// swi-dashboard front end: filters, tabs and the status panel; the URL holds
// the whole state (?tab=...&pub=...&cohort=...&dg=...&gebied=...&lang=...), so
// a link shows what the sender saw.
import * as api from './api.js';
import { disposeCharts, el } from './card.js';
import { label } from './data.js';
import { applyStatic, formatDate, formatNumber, formatTime, getLang, setLang, t } from './i18n.js';
import { PAGES } from './pages/index.js';

const TABS = ['populatie', 'coa', 'regio', 'gemeente', 'examens', 'werk', 'doorlooptijden', 'publicaties'];
const state = readState();
let meta = null;
let publications = [];
let renderSeq = 0;

function readState() {
  const q = new URLSearchParams(location.search);
  return {
    tab: TABS.includes(q.get('tab')) ? q.get('tab') : 'populatie',
    pub: q.get('pub') || 'actueel',
    cohort: q.get('cohort') || '*',
    dg: q.get('dg') || '*',
    gebied: q.get('gebied') || 'NL',
    lang: q.get('lang') === 'en' ? 'en' : 'nl',
    extra: Object.fromEntries([...q.entries()].filter(([k]) => !['tab', 'pub', 'cohort', 'dg', 'gebied', 'lang'].includes(k))),
  };
}

function writeState(push) {
  const q = new URLSearchParams();
  q.set('tab', state.tab);
  if (state.pub !== 'actueel') q.set('pub', state.pub);
  if (state.cohort !== '*') q.set('cohort', state.cohort);
  if (state.dg !== '*') q.set('dg', state.dg);
  if (state.gebied !== 'NL') q.set('gebied', state.gebied);
  if (state.lang !== 'nl') q.set('lang', state.lang);
  for (const [k, v] of Object.entries(state.extra)) if (v) q.set(k, v);
  const url = `${location.pathname}?${q}`;
  if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
}

function option(value, text, selected) {
  const o = el('option', { value, text });
  if (selected) o.selected = true;
  return o;
}

function area() {
  const g = state.gebied;
  if (g.startsWith('GM')) {
    const x = meta.gemeenten.find((m) => m.code === g);
    if (x) return { kind: 'gemeente', code: g, name: x.naam };
  }
  if (g.startsWith('AM')) {
    const x = meta.regios.find((m) => m.code === g);
    if (x) return { kind: 'regio', code: g, name: x.naam };
  }
  return { kind: 'nl', code: 'NL', name: t('nl') };
}

function buildFilters() {
  const fp = document.getElementById('f-pub');
  fp.replaceChildren(...publications.map((p) => option(p.name,
    p.name === 'actueel' ? `${t('live')[0].toUpperCase() + t('live').slice(1)} (${formatDate(p.peildatum)})`
      : `${p.name} (${formatDate(p.peildatum)}${p.frozen ? ', ' + t('frozen') : ''})`, p.name === state.pub)));
  const pub = publications.find((p) => p.name === state.pub);
  const cohorts = (pub ? pub.cohorts : []).filter((c) => c !== '*');
  if (state.cohort !== '*' && !cohorts.includes(state.cohort)) state.cohort = '*';
  document.getElementById('f-cohort').replaceChildren(option('*', t('all_cohorts'), state.cohort === '*'),
    ...cohorts.map((c) => option(c, c, c === state.cohort)));
  const dgs = meta.dimensions.doelgroep.categories.filter((c) => c.code !== '*');
  document.getElementById('f-dg').replaceChildren(option('*', t('all_dg'), state.dg === '*'),
    ...dgs.map((c) => option(c.code, label(meta, 'doelgroep', c.code), c.code === state.dg)));
  const byName = (a, b) => a.naam.localeCompare(b.naam, 'nl');
  const fa = document.getElementById('f-area');
  fa.replaceChildren(option('NL', t('nl'), state.gebied === 'NL'),
    el('optgroup', { label: t('regions') }, ...[...meta.regios].sort(byName).map((r) => option(r.code, r.naam, r.code === state.gebied))),
    el('optgroup', { label: t('municipalities') }, ...[...meta.gemeenten].sort(byName).map((g) => option(g.code, g.naam, g.code === state.gebied))));
  if (![...fa.options].some((o) => o.value === state.gebied)) { state.gebied = 'NL'; fa.value = 'NL'; }
  const note = document.getElementById('pubnote');
  if (pub) {
    note.textContent = pub.name === 'actueel' ? t('pub_note_live', { p: formatDate(pub.peildatum), k: formatTime(pub.known_at) })
      : t('pub_note', { p: formatDate(pub.peildatum), k: formatTime(pub.known_at) });
    document.getElementById('foot-disclosure').textContent =
      `${t('rounding_note', { b: pub.rounding_base })} ${t('suppressed_note', { t: pub.threshold })}`;
  }
}

function buildTabs() {
  const nav = document.getElementById('tabs');
  nav.replaceChildren(...TABS.map((id) => {
    const a = el('a', { href: `?tab=${id}`, 'data-tab': id, text: t('tabs')[id] });
    if (id === state.tab) a.setAttribute('aria-current', 'page');
    a.addEventListener('click', (e) => {
      e.preventDefault();
      if (state.tab === id) return;
      state.tab = id;
      state.extra = {};
      writeState(true);
      render();
    });
    return a;
  }));
}

async function render() {
  const seq = ++renderSeq;
  for (const a of document.querySelectorAll('#tabs a')) {
    if (a.dataset.tab === state.tab) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.getElementById('page-title').textContent = t('tabs')[state.tab];
  document.getElementById('page-lead').textContent = t('leads')[state.tab];
  document.title = `${t('tabs')[state.tab]} — ${t('title')}`;
  disposeCharts();
  const page = document.getElementById('page');
  page.replaceChildren();
  page.setAttribute('aria-busy', 'true');
  const pub = publications.find((p) => p.name === state.pub) || publications[0];
  const ctx = {
    meta, pub, publications, cohort: state.cohort, dg: state.dg, area: area(), el: page, state,
    setExtra(k, v) { state.extra[k] = v; writeState(false); },
    setArea(code) { state.gebied = code; document.getElementById('f-area').value = code; writeState(false); render(); },
    stale: () => seq !== renderSeq,
    rerender: () => render(),
  };
  try {
    await PAGES[state.tab](ctx);
  } catch (e) {
    page.append(el('div', { class: 'error full', role: 'alert', text: t('load_error', { e: e.message }) }));
  }
  if (seq === renderSeq) page.setAttribute('aria-busy', 'false');
}

async function status() {
  const dot = document.getElementById('status-dot');
  const panel = document.getElementById('status-panel');
  let s;
  try {
    s = await api.get('status');
  } catch (e) {
    dot.className = 'dot bad';
    panel.replaceChildren(el('p', { text: t('load_error', { e: e.message }) }));
    return;
  }
  const now = s.now ? new Date(s.now.replace(' ', 'T').replace(/\+00$/, 'Z')) : new Date();
  const upd = s.actueel.updated_at ? new Date(s.actueel.updated_at.replace(' ', 'T').replace(/\+00$/, 'Z')) : null;
  const ageMin = upd ? (now - upd) / 60000 : Infinity;
  const p99 = s.live.p99_s;
  dot.className = `dot ${ageMin < 60 && (p99 === null || p99 < 5) ? 'ok' : ageMin < 24 * 60 ? 'warn' : 'bad'}`;
  const rows = s.sources.map((x) => el('tr', {},
    el('td', { text: t('source_names')[x.source] || x.source }),
    el('td', { text: x.newest_registered_at ? formatTime(x.newest_registered_at) : t('st_none') }),
    el('td', { text: x.offsets_updated_at ? formatTime(x.offsets_updated_at) : t('st_none') }),
    el('td', { text: formatNumber(x.committed_messages, 0) }),
    el('td', { text: formatNumber(x.dead_letters_24h, 0) })));
  panel.replaceChildren(
    el('div', { text: `${t('st_updated')}: ${upd ? formatTime(s.actueel.updated_at) : t('st_none')}` }),
    el('div', { text: `${t('st_lag')}: ${s.live.batches ? t('st_batches', { n: s.live.batches, p50: formatNumber(s.live.p50_s, 2), p99: formatNumber(s.live.p99_s, 2) }) : t('st_none')}` }),
    el('table', {}, el('thead', {}, el('tr', {}, ...['st_source', 'st_newest', 'st_batch', 'st_msgs', 'st_dl'].map((k) => el('th', { text: t(k) })))), el('tbody', {}, ...rows)));
}

function hookEvents() {
  document.getElementById('filters').addEventListener('submit', (e) => e.preventDefault());
  const on = (id, key) => document.getElementById(id).addEventListener('change', (e) => {
    state[key] = e.target.value;
    if (key === 'pub') buildFilters();
    writeState(false);
    render();
  });
  on('f-pub', 'pub');
  on('f-cohort', 'cohort');
  on('f-dg', 'dg');
  on('f-area', 'gebied');
  for (const b of document.querySelectorAll('.lang button')) {
    b.addEventListener('click', () => {
      state.lang = b.dataset.lang;
      setLang(state.lang);
      for (const x of document.querySelectorAll('.lang button')) x.setAttribute('aria-pressed', String(x === b));
      applyStatic(document);
      buildTabs();
      buildFilters();
      writeState(false);
      render();
      status();
    });
  }
  const sb = document.getElementById('status-button');
  sb.addEventListener('click', () => {
    const panel = document.getElementById('status-panel');
    panel.hidden = !panel.hidden;
    sb.setAttribute('aria-expanded', String(!panel.hidden));
  });
  window.addEventListener('popstate', () => {
    Object.assign(state, readState());
    buildFilters();
    render();
  });
}

async function start() {
  setLang(state.lang);
  for (const x of document.querySelectorAll('.lang button')) x.setAttribute('aria-pressed', String(x.dataset.lang === getLang()));
  applyStatic(document);
  try {
    [meta, { publications }] = await Promise.all([api.get('meta'), api.get('publications')]);
  } catch (e) {
    document.getElementById('page').replaceChildren(el('div', { class: 'error', role: 'alert', text: t('load_error', { e: e.message }) }));
    return;
  }
  if (!publications.some((p) => p.name === state.pub)) state.pub = publications.length ? publications[0].name : 'actueel';
  document.getElementById('foot-version').textContent = `swi-dashboard ${meta.version}.`;
  buildTabs();
  buildFilters();
  hookEvents();
  writeState(false);
  status();
  await render();
}

start();
