// End-to-end tests of the dashboard in headless Chromium (Debian's chromium,
// driven by playwright-core; no browser download):
//   node e2e.test.mjs BASE_URL CONNINFO ARTIFACT_DIR
// - every page loads without console errors, at 1280 px and at phone width,
//   and a screenshot of each is written to ARTIFACT_DIR;
// - the numbers shown equal the published tables for a sample of cards
//   (suppressed '.', not defined empty, never 0);
// - a filter change updates the charts' tables and the URL, and a URL with
//   filters shows them;
// - the CSV download of a card equals its table.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { check, eq, finish, lit, sql } from './lib.mjs';

const [base, conninfo, outDir] = process.argv.slice(2);
if (!base || !conninfo || !outDir) {
  console.error('usage: node e2e.test.mjs BASE_URL CONNINFO ARTIFACT_DIR');
  process.exit(2);
}
const require = createRequire(new URL('../../dashboard/web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
fs.mkdirSync(outDir, { recursive: true });

const TABS = ['populatie', 'coa', 'regio', 'gemeente', 'examens', 'werk', 'doorlooptijden', 'publicaties'];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  // a fresh profile: playwright launches with a new temporary user data dir
});

// the text the dashboard shows for a published value (Dutch)
function shown(value, onderdrukt, unit) {
  if (onderdrukt === 'true') return '.';
  if (value === null) return '';
  const d = unit === 'procent' || unit === 'dagen' ? 1 : 0;
  const [i, f] = Math.abs(+value).toFixed(d).split('.');
  return (+value < 0 ? '-' : '') + i.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') + (f ? `,${f}` : '');
}

async function newPage(width) {
  const ctx = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('requestfailed', (r) => page.errors.push(`request failed: ${r.url()}`));
  return page;
}

async function settled(page) {
  await page.waitForSelector('#page[aria-busy="false"]', { timeout: 30000 });
  await page.waitForFunction(() => ![...document.querySelectorAll('.kpi .k-value')].some((e) => e.textContent === '…'), null, { timeout: 30000 });
  await page.waitForTimeout(250); // chart animations, for the screenshots
}

// The table view of a card: [head, [key, texts...]...]
async function cardTable(page, id) {
  const card = page.locator(`[data-card="${id}"]`);
  await card.waitFor();
  const t = card.locator('button[data-view="table"]');
  if (await t.count()) await t.click();
  return card.evaluate((c) => {
    const tb = c.querySelector('table.data');
    if (!tb) return null;
    return {
      head: [...tb.querySelectorAll('thead th')].map((x) => x.textContent),
      rows: [...tb.querySelectorAll('tbody tr')].map((tr) => ({ key: tr.dataset.key, cells: [...tr.children].map((x) => x.textContent) })),
    };
  });
}

// The database's cells of the breakdowns the test looks at, read once:
// (publication, breakdown, cohort, doelgroep) -> "dim1|dim2|measure" -> text
const truth = new Map();
for (const [pub, bd, cohort, dg, d1, d2, measure, unit, value, supp] of sql(conninfo,
  `SELECT publication, breakdown, cohort, doelgroep, coalesce(dim1_value, ''), coalesce(dim2_value, ''), measure, unit,
          value::text, onderdrukt::text
     FROM swi_pub.indicator_values
    WHERE publication IN ('actueel', 'SWI 2024')
      AND breakdown IN ('populatie_geslacht', 'populatie_leeftijdsklasse', 'populatie_nationaliteit', 'populatie_gemeente',
                        'populatie_arbeidsmarktregio', 'werk_gemeente', 'werk_geslacht', 'werk_sector', 'pip_termijn', 'fase',
                        'leerroute_geslacht', 'doorlooptijd_status_koppeling', 'doorlooptijd_status_vestiging',
                        'doorlooptijd_vestiging_pip', 'doorlooptijd_status_pip', 'doorlooptijd_plicht_brede_intake')`)) {
  const k = [pub, bd, cohort, dg].join('|');
  if (!truth.has(k)) truth.set(k, new Map());
  truth.get(k).set(`${d1}|${d2}|${measure}`, shown(value, supp, unit));
}
function dbCells(pub, breakdown, cohort, doelgroep) {
  return truth.get([pub, breakdown, cohort, doelgroep].join('|')) || new Map();
}

// A card laid out as categories x measures must show exactly the database's text.
function compareCard(name, table, db, measures, keyOf = (k) => `${k}|`) {
  if (!check(`${name}: has a table`, table && table.rows.length > 0)) return 0;
  let n = 0;
  for (const r of table.rows) {
    measures.forEach((m, i) => {
      const want = db.get(`${keyOf(r.key)}|${m}`);
      eq(`${name} ${r.key} ${m}`, want === undefined ? '' : want, r.cells[i + 1]);
      n++;
    });
  }
  return n;
}

let cellsCompared = 0;
const T0 = Date.now();
const lap = (what) => { if (process.env.E2E_TIMING) console.log(`${((Date.now() - T0) / 1000).toFixed(1)} s ${what}`); };

// ---- every page, both widths: no console errors, screenshots ------------------------------------
for (const width of [1280, 390]) {
  const page = await newPage(width);
  await page.goto(`${base}?tab=${TABS[0]}`);
  for (const tab of TABS) {
    if (tab !== TABS[0]) await page.click(`#tabs a[data-tab="${tab}"]`);
    await settled(page);
    check(`${tab}: the tab is in the URL`, page.url().includes(`tab=${tab}`), page.url());
    eq(`${tab} at ${width}px: no console errors`, [], page.errors);
    check(`${tab} at ${width}px: cards`, (await page.locator('.card').count()) > 0);
    check(`${tab} at ${width}px: no error box`, (await page.locator('.error').count()) === 0, await page.locator('.error').allTextContents());
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(`${tab} at ${width}px: no horizontal scrolling`, wide <= 1, wide);
    await page.screenshot({ path: path.join(outDir, `${tab}_${width}.png`), fullPage: true });
    page.errors = [];
    lap(`${tab} ${width}`);
  }
  await page.context().close();
}

// ---- numbers shown = published tables; filters; URL state; CSV -----------------------------------
const page = await newPage(1280);
await page.goto(`${base}?tab=populatie`);
await settled(page);
const M = ['cohortgrootte', 'plichtigen'];
let before = await cardTable(page, 'pop-geslacht');
cellsCompared += compareCard('geslacht, all', before, dbCells('actueel', 'populatie_geslacht', '*', '*'), M);
cellsCompared += compareCard('leeftijd, all', await cardTable(page, 'pop-leeftijd'), dbCells('actueel', 'populatie_leeftijdsklasse', '*', '*'), M);
cellsCompared += compareCard('nationaliteit, all', await cardTable(page, 'pop-nationaliteit'), dbCells('actueel', 'populatie_nationaliteit', '*', '*'), M);
{
  const t = await cardTable(page, 'pop-cohort');
  const db = new Map(sql(conninfo, "SELECT cohort || '|' || measure, value::text, onderdrukt::text FROM swi_pub.indicator_values WHERE publication = 'actueel' AND breakdown = 'populatie_geslacht' AND doelgroep = '*' AND dim1_value = '*'")
    .map(([k, v, s]) => [k, shown(v, s, 'personen')]));
  cellsCompared += compareCard('cohorts', t, db, M, (k) => k);
}

lap('the CSV of a card is its table');
// the CSV of a card is its table
for (const id of ['pop-geslacht', 'pop-cohort', 'pop-nationaliteit']) {
  const t = await cardTable(page, id);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-card="${id}"] button[data-action="csv"]`).click()]);
  const text = fs.readFileSync(await dl.path(), 'utf8');
  check(`${id} CSV starts with a BOM`, text.charCodeAt(0) === 0xfeff);
  const lines = text.replace(/^\ufeff/, '').split('\r\n').filter((l) => l.length);
  const parse = (l) => {
    const out = []; let cur = ''; let q = false;
    for (let i = 0; i < l.length; i++) {
      const c = l[i];
      if (q) { if (c === '"' && l[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c; }
      else if (c === '"') q = true; else if (c === ';') { out.push(cur); cur = ''; } else cur += c;
    }
    out.push(cur);
    return out;
  };
  eq(`${id} CSV = table`, [t.head, ...t.rows.map((r) => r.cells)], lines.map(parse));
}

lap('a filter change updates the cards and the URL');
// a filter change updates the cards and the URL
await page.selectOption('#f-dg', 'ASIEL');
await settled(page);
check('filter in the URL', page.url().includes('dg=ASIEL'), page.url());
const after = await cardTable(page, 'pop-geslacht');
check('filter changes the table', JSON.stringify(after) !== JSON.stringify(before));
cellsCompared += compareCard('geslacht, ASIEL', after, dbCells('actueel', 'populatie_geslacht', '*', 'ASIEL'), M);
const cohort = (await page.locator('#f-cohort option').allTextContents()).find((c) => /^\d{4}$/.test(c));
await page.selectOption('#f-cohort', cohort);
await settled(page);
check('cohort in the URL', page.url().includes(`cohort=${cohort}`), page.url());
cellsCompared += compareCard(`leeftijd, ${cohort} ASIEL`, await cardTable(page, 'pop-leeftijd'), dbCells('actueel', 'populatie_leeftijdsklasse', cohort, 'ASIEL'), M);
{ // the chart follows the filter: its first series is the table's column
  const series = await page.locator('[data-card="pop-leeftijd"] .chart').evaluate((el) => {
    const c = echarts.getInstanceByDom(el); // eslint-disable-line no-undef
    return c.getOption().series[0].data.map((d) => (d && d.supp ? '.' : d.value));
  });
  const t = await cardTable(page, 'pop-leeftijd');
  const col = t.rows.filter((r) => r.key !== '*').map((r) => (r.cells[1] === '.' ? '.' : r.cells[1] === '' ? null : +r.cells[1].replace(/ /g, '').replace(',', '.')));
  eq('chart data = table column', col, series);
}

lap('a shared link shows its state');
// a shared link shows its state: another publication, cohort, doelgroep and gemeente
const gm = sql(conninfo, "SELECT dim1_value FROM swi_pub.indicator_values WHERE publication = 'SWI 2024' AND breakdown = 'werk_gemeente' AND cohort = '*' AND doelgroep = '*' AND measure = 'personen_jaar1' AND dim1_value LIKE 'GM%' ORDER BY value DESC NULLS LAST LIMIT 1")[0][0];
await page.goto(`${base}?tab=werk&pub=${encodeURIComponent('SWI 2024')}&gebied=${gm}`);
await settled(page);
eq('link: publication selected', 'SWI 2024', await page.inputValue('#f-pub'));
eq('link: gemeente selected', gm, await page.inputValue('#f-area'));
{
  const W = ['aandeel_werk_jaar1', 'aandeel_werk_jaar2', 'aandeel_werk_jaar3', 'personen_jaar1', 'personen_jaar2', 'personen_jaar3'];
  cellsCompared += compareCard(`werk in ${gm}`, await cardTable(page, 'werk-gebied'), dbCells('SWI 2024', 'werk_gemeente', '*', '*'), W);
  cellsCompared += compareCard('werk by sex', await cardTable(page, 'werk-geslacht'), dbCells('SWI 2024', 'werk_geslacht', '*', '*'), W);
  cellsCompared += compareCard('sector', await cardTable(page, 'werk-sector'), dbCells('SWI 2024', 'werk_sector', '*', '*'), ['aandeel_sector', 'personen']);
}

lap("the map's table: every gemeente as published");
// the map's table: every gemeente as published
await page.goto(`${base}?tab=regio&pub=${encodeURIComponent('SWI 2024')}&maat=plichtigen`);
await settled(page);
cellsCompared += compareCard('map of gemeenten', await cardTable(page, 'kaart'), dbCells('SWI 2024', 'populatie_gemeente', '*', '*'), ['plichtigen']);
await page.goto(`${base}?tab=regio&kaart=regio`);
await settled(page);
cellsCompared += compareCard('map of regions', await cardTable(page, 'kaart'), dbCells('actueel', 'populatie_arbeidsmarktregio', '*', '*'), ['cohortgrootte']);

lap('shares, lead times, two-way tables');
// shares, lead times, two-way tables
await page.click('#tabs a[data-tab="gemeente"]');
await settled(page);
cellsCompared += compareCard('pip termijn', await cardTable(page, 'pip-termijn'), dbCells('actueel', 'pip_termijn', '*', '*'), ['aandeel_pip_termijn', 'personen']);
cellsCompared += compareCard('fase', await cardTable(page, 'fase'), dbCells('actueel', 'fase', '*', '*'), ['aandeel_fase', 'personen']);
{
  const t = await cardTable(page, 'leerroute_geslacht');
  const db = dbCells('actueel', 'leerroute_geslacht', '*', '*');
  const routes = ['B1', 'Z', 'ONDERWIJS', 'ONBEKEND'];
  for (const r of t.rows) routes.forEach((rt, i) => { eq(`leerroute ${rt} ${r.key}`, db.get(`${rt}|${r.key}|aandeel_leerroute`), r.cells[i + 1]); cellsCompared++; });
}
await page.click('#tabs a[data-tab="doorlooptijden"]');
await settled(page);
{
  const t = await cardTable(page, 'lt-all');
  const stats = ['n', 'n_open', 'gemiddelde', 'p25', 'mediaan', 'p75', 'p90'];
  for (const r of t.rows) {
    const db = dbCells('actueel', r.key, '*', '*');
    stats.forEach((m, i) => { eq(`${r.key} ${m}`, db.get(`||${m}`), r.cells[i + 1]); cellsCompared++; });
  }
}
check(`compared many cells on screen (${cellsCompared})`, cellsCompared > 300, cellsCompared);

// suppressed is '.', not defined (0/0) is empty, never 0: the dashboard's one cell function
{
  const r = await page.evaluate(async () => {
    const d = await import('./js/data.js');
    return [d.cell({ value: null, onderdrukt: true }, 'personen').text, d.cell({ value: null, onderdrukt: false }, 'procent').text,
      d.cell({ value: 0, onderdrukt: false }, 'procent').text, d.cell({ value: 12345, onderdrukt: false }, 'personen').text];
  });
  eq('cell texts: suppressed, 0/0, zero, thousands', ['.', '', '0,0', '12 345'], r);
}

lap("revisions page: the recomputation's changes");
// revisions page: the recomputation's changes
await page.click('#tabs a[data-tab="publicaties"]');
await settled(page);
{
  const t = await cardTable(page, 'revisies');
  const db = new Map(sql(conninfo, "SELECT breakdown || '|' || status, count(*)::text FROM swi_pub.revisions WHERE publication = 'SWI 2024' GROUP BY 1"));
  for (const r of t.rows.filter((x) => x.key !== '*')) {
    ['changed', 'new', 'dropped', 'unchanged'].forEach((s, i) => eq(`revisions ${r.key} ${s}`, shown(db.get(`${r.key}|${s}`) || '0', 'false', 'personen'), r.cells[i + 1]));
  }
  check('revisions: largest changes listed', ((await cardTable(page, 'wijzigingen')) || { rows: [] }).rows.length > 0);
}

lap('English');
// English
await page.click('#tabs a[data-tab="populatie"]');
await settled(page);
await page.click('.lang button[data-lang="en"]');
await settled(page);
eq('English title', 'Population', await page.textContent('#page-title'));
check('language in the URL', page.url().includes('lang=en'), page.url());
eq('no console errors on the way', [], page.errors);
await browser.close();
finish();
