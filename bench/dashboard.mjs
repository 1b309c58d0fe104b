// The dashboard's latency: every API call a page makes, and the page load.
//   node bench/dashboard.mjs BASE_URL RUNS [TAB...]
// For each tab (default: all), headless Chromium loads the page once to learn
// which API calls it makes; each of those is then timed RUNS times over HTTP
// (a new connection each time, nothing cached by a browser), and the page
// itself is loaded RUNS times in a fresh browser context (cold: the front end
// and every answer fetched again). Prints medians and p90/max in ms against the
// 300 ms target per API call.
import { createRequire } from 'node:module';
import http from 'node:http';

const [base, runsArg, ...tabsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 5);
const TABS = tabsArg.length ? tabsArg : ['populatie', 'coa', 'regio', 'gemeente', 'examens', 'werk', 'doorlooptijden', 'publicaties'];
const require = createRequire(new URL('../dashboard/web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
};

function timeGet(url) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get(url, { agent: false }, (res) => {
      let n = 0;
      res.on('data', (c) => { n += c.length; });
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode, bytes: n }));
    }).on('error', reject);
  });
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

const rows = [];
const pages = [];
for (const tab of TABS) {
  // the calls the page makes
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const calls = new Set();
  page.on('request', (r) => { if (r.url().includes('/api/')) calls.add(r.url()); });
  await page.goto(`${base}?tab=${tab}`);
  await page.waitForSelector('#page[aria-busy="false"]', { timeout: 120000 });
  await ctx.close();
  // each call, RUNS times, after one warm-up (the server's first query plans)
  for (const url of calls) {
    await timeGet(url);
    const t = [];
    let status = 0;
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await timeGet(url);
      t.push(r.ms);
      status = r.status;
      bytes = r.bytes;
    }
    rows.push({ tab, call: url.slice(base.length - 1).replace(/^\/?/, '/'), status, bytes, p50: q(t, 0.5), p90: q(t, 0.9), max: Math.max(...t) });
  }
  // the page, cold, RUNS times
  const lt = [];
  for (let i = 0; i < RUNS; i++) {
    const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await c.newPage();
    const t0 = Date.now();
    await p.goto(`${base}?tab=${tab}`);
    await p.waitForSelector('#page[aria-busy="false"]', { timeout: 120000 });
    lt.push(Date.now() - t0);
    await c.close();
  }
  pages.push({ tab, calls: calls.size, p50: q(lt, 0.5), max: Math.max(...lt) });
}
await browser.close();

const f = (x) => x.toFixed(1).padStart(8);
console.log(`API calls (${RUNS} runs each, ms; target 300 ms per call)`);
console.log(`${'tab'.padEnd(15)}${'p50'.padStart(8)}${'p90'.padStart(8)}${'max'.padStart(8)}  ${'p50/300'.padStart(7)}  status   bytes  call`);
for (const r of rows) {
  console.log(`${r.tab.padEnd(15)}${f(r.p50)}${f(r.p90)}${f(r.max)}  ${(r.p50 / 300).toFixed(2).padStart(7)}  ${String(r.status).padStart(6)} ${String(r.bytes).padStart(7)}  ${decodeURIComponent(r.call)}`);
}
console.log(`\nPage loads in a fresh browser context (${RUNS} runs, ms, until every card is filled)`);
for (const p of pages) console.log(`${p.tab.padEnd(15)} p50 ${f(p.p50)}  max ${f(p.max)}  (${p.calls} API calls)`);
const worst = rows.reduce((a, b) => (b.p50 > a.p50 ? b : a), rows[0]);
const first = rows.filter((r) => r.tab === TABS[0]);
console.log(`\nfirst page (${TABS[0]}): ${first.length} calls, slowest p50 ${Math.max(...first.map((r) => r.p50)).toFixed(1)} ms; ` +
  `${first.filter((r) => r.p50 <= 300).length} of ${first.length} within 300 ms`);
console.log(`slowest call of all pages: ${worst.p50.toFixed(1)} ms ${decodeURIComponent(worst.call)} (${worst.tab})`);
