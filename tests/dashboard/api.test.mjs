// API tests of swi-dashboard against a running server and its database:
//   node api.test.mjs BASE_URL CONNINFO
// - every endpoint's JSON shape;
// - every value the API returns equals swi_pub.indicator_values (the published,
//   disclosure-controlled table) cell by cell: no count 1..T-1, nothing that
//   suppression (primary or secondary) removed, no unrounded value;
// - hostile requests (malformed parameters, ../, a 1 MB query string, other
//   methods, 500 concurrent connections, slow and idle clients) get a 4xx or are
//   served, and the server keeps serving.
import net from 'node:net';
import { check, eq, finish, lit, request, sleep, sql } from './lib.mjs';

const [base, conninfo] = process.argv.slice(2);
if (!base || !conninfo) {
  console.error('usage: node api.test.mjs BASE_URL CONNINFO');
  process.exit(2);
}
const get = (path) => request(base, path);
const keys = (o) => Object.keys(o).sort();

// ---- meta --------------------------------------------------------------------------------
const meta = (await get('/api/v1/meta')).json;
eq('meta keys', ['dimensions', 'gemeenten', 'measures', 'provincies', 'regios', 'tables', 'version'], keys(meta));
const tabellen = sql(conninfo, 'SELECT breakdown, family, dim1, dim2 FROM swi_pub.tabellen ORDER BY volgorde');
eq('meta tables = swi_pub.tabellen', tabellen.map((r) => [r[0], +r[1], [r[2], r[3]].filter(Boolean)]),
  meta.tables.map((x) => [x.breakdown, x.family, x.dims]));
check('meta table shape', meta.tables.every((x) => eq('table keys', ['breakdown', 'dims', 'family', 'onderwerp', 'titel', 'titel_en'], keys(x))));
eq('meta gemeenten: the 342 of 2024', 342, meta.gemeenten.length);
eq('meta gemeente shape', ['code', 'naam', 'provincie', 'regio'], keys(meta.gemeenten[0]));
eq('meta regions', 35, meta.regios.length);
eq('meta provinces', 12, meta.provincies.length);
const cats = sql(conninfo, "SELECT dimensie, string_agg(code, ',' ORDER BY volgorde) FROM swi_pub.categorieen GROUP BY 1");
for (const [d, list] of cats) eq(`meta categories of ${d} in order`, list, meta.dimensions[d].categories.map((c) => c.code).join(','));
check('meta measures have units', Object.values(meta.measures).every((m) => ['personen', 'procent', 'dagen', 'gebeurtenissen'].includes(m.unit)));

// ---- publications ---------------------------------------------------------------------------
const pubs = (await get('/api/v1/publications')).json.publications;
const dbPubs = sql(conninfo, "SELECT name, peildatum::text, rounding_base, threshold, frozen FROM swi_pub.publications WHERE name NOT LIKE 'herberekening:%' ORDER BY name");
eq('publications = swi_pub.publications (without recomputations)', dbPubs.map((r) => r[0]), pubs.map((p) => p.name).sort());
eq('publication shape', ['cohorts', 'description', 'frozen', 'frozen_at', 'known_at', 'name', 'peildatum', 'recomputation', 'recomputed_at', 'rounding_base', 'threshold'], keys(pubs[0]));
eq('actueel first', 'actueel', pubs[0].name);
const swi = pubs.find((p) => p.name === 'SWI 2024');
check('SWI 2024 frozen with its recomputation', swi && swi.frozen && swi.recomputation === 'herberekening:SWI 2024', swi);
check('cohorts listed, total last', swi && swi.cohorts.length > 1 && swi.cohorts[swi.cohorts.length - 1] === '*', swi && swi.cohorts);

// ---- table: every breakdown of every publication, against the database -------------------------
let compared = 0;
let secondary = 0;
let zeroOverZero = 0;
const T = new Map(dbPubs.map((r) => [r[0], [+r[2], +r[3]]]));
async function compareTable(pub, breakdown, filters) {
  const qs = new URLSearchParams({ publication: pub, breakdown, ...filters });
  const r = await get(`/api/v1/table?${qs}`);
  const tag = `${pub}/${breakdown} ${JSON.stringify(filters)}`;
  if (!eq(`table ${tag} status`, 200, r.status)) return;
  const a = r.json;
  eq(`table ${tag} keys`, ['breakdown', 'dims', 'family', 'filters', 'measures', 'publication', 'rows'], keys(a));
  eq(`table ${tag} publication keys`, ['description', 'frozen', 'known_at', 'name', 'peildatum', 'rounding_base', 'threshold'], keys(a.publication));
  const where = [`publication = ${lit(pub)}`, `breakdown = ${lit(breakdown)}`];
  if (filters.cohort) where.push(`cohort = ${lit(filters.cohort)}`);
  if (filters.doelgroep) where.push(`doelgroep = ${lit(filters.doelgroep)}`);
  if (filters.measure) where.push(`measure = ANY (string_to_array(${lit(filters.measure)}, ','))`);
  a.dims.forEach((d, i) => { if (filters[d]) where.push(`dim${i + 1}_value = ${lit(filters[d])}`); });
  const db = sql(conninfo, `SELECT cohort, doelgroep, coalesce(dim1_value, ''), coalesce(dim2_value, ''), measure, unit, value::text, onderdrukt::text, coalesce(reden, '')
                              FROM swi_pub.indicator_values WHERE ${where.join(' AND ')}`);
  const byKey = new Map(db.map((x) => [[x[0], x[1], x[2], x[3], x[4]].join('|'), x]));
  eq(`table ${tag} row count = database`, db.length, a.rows.length);
  const [B, thr] = T.get(pub) || [5, 10];
  let bad = 0;
  for (const row of a.rows) {
    if (bad > 5) break;
    const k = [row.cohort, row.doelgroep, row.dims[0] || '', row.dims[1] || '', row.measure].join('|');
    const x = byKey.get(k);
    if (!check(`table ${tag} row ${k} exists in the database`, !!x)) { bad++; continue; }
    const unit = x[5];
    const dbv = x[6] === null ? null : Number(x[6]);
    const ok = eq(`table ${tag} ${k} value`, dbv, row.value) & eq(`table ${tag} ${k} onderdrukt`, x[7] === 'true', row.onderdrukt)
      & eq(`table ${tag} ${k} reden`, x[8] || null, row.reden);
    if (!ok) bad++;
    eq(`table ${tag} ${k} unit`, unit, a.measures[row.measure].unit);
    if (row.onderdrukt) check(`table ${tag} ${k} suppressed is null`, row.value === null);
    if ((unit === 'personen' || unit === 'gebeurtenissen') && row.value !== null) {
      check(`table ${tag} ${k}: no count 1..T-1`, row.value === 0 || row.value >= thr, row.value);
      check(`table ${tag} ${k}: counts rounded to ${B}`, row.value % B === 0, row.value);
    }
    if (x[8].includes('secondary')) secondary++;
    if (row.value === null && !row.onderdrukt) zeroOverZero++;
    compared++;
  }
}
for (const t of meta.tables) await compareTable('actueel', t.breakdown, { cohort: '*', doelgroep: '*' });
for (const t of meta.tables.filter((x, i) => i % 3 === 0)) await compareTable('SWI 2024', t.breakdown, { cohort: '2023', doelgroep: 'ASIEL' });
await compareTable('actueel', 'leerroute_geslacht', { geslacht: 'V', measure: 'aandeel_leerroute,personen' });
await compareTable('actueel', 'populatie_gemeente', { cohort: '*', doelgroep: '*', gemeente: 'GM0363' });
await compareTable('actueel', 'voortgang_examens', {});
check(`compared many cells (${compared})`, compared > 5000, compared);
check(`secondarily suppressed cells were among them (${secondary})`, secondary > 0, secondary);
console.log(`compared ${compared} cells, ${secondary} secondarily suppressed, ${zeroOverZero} shares not defined (0/0)`);

// a table must be asked for a publication and a breakdown; the row limit holds
eq('table without breakdown', 400, (await get('/api/v1/table?publication=actueel')).status);
eq('table without publication', 400, (await get('/api/v1/table?breakdown=fase')).status);
eq('unknown publication', 404, (await get('/api/v1/table?publication=nope&breakdown=fase')).status);

// ---- revisions ----------------------------------------------------------------------------------
{
  const r = await get(`/api/v1/revisions?${new URLSearchParams({ publication: 'SWI 2024', limit: '50' })}`);
  eq('revisions status', 200, r.status);
  eq('revisions keys', ['publication', 'rows', 'summary'], keys(r.json));
  const db = sql(conninfo, "SELECT breakdown, status, count(*) FROM swi_pub.revisions WHERE publication = 'SWI 2024' GROUP BY 1, 2 ORDER BY 1, 2");
  eq('revisions summary = swi_pub.revisions', db.map((x) => `${x[0]}/${x[1]}=${x[2]}`).sort(),
    r.json.summary.map((s) => `${s.breakdown}/${s.status}=${s.cells}`).sort());
  check('revisions show changes', r.json.rows.length > 0 && r.json.rows.every((x) => x.status !== 'unchanged'));
  eq('revision row keys', ['breakdown', 'cohort', 'current_onderdrukt', 'current_value', 'difference', 'dims', 'doelgroep', 'measure', 'published_onderdrukt', 'published_value', 'status', 'unit'], keys(r.json.rows[0]));
  for (const x of r.json.rows.slice(0, 20)) {
    const d = Object.entries(x.dims);
    const w = [`publication = 'SWI 2024'`, `breakdown = ${lit(x.breakdown)}`, `cohort = ${lit(x.cohort)}`, `doelgroep = ${lit(x.doelgroep)}`, `measure = ${lit(x.measure)}`,
      ...[0, 1].map((i) => (d[i] ? `dim${i + 1}_value = ${lit(d[i][1])}` : `dim${i + 1}_value IS NULL`))];
    const [v] = sql(conninfo, `SELECT published_value::text, current_value::text, status FROM swi_pub.revisions WHERE ${w.join(' AND ')}`);
    eq(`revision ${x.breakdown} ${x.measure} = database`, [v[0] === null ? null : +v[0], v[1] === null ? null : +v[1], v[2]], [x.published_value, x.current_value, x.status]);
    if ((x.unit === 'personen' || x.unit === 'gebeurtenissen')) {
      for (const val of [x.published_value, x.current_value])
        check('revision: no count 1..T-1', val === null || val === 0 || val >= 10, val);
    }
  }
  eq('revisions of actueel', 404, (await get('/api/v1/revisions?publication=actueel')).status);
  eq('revisions without publication', 400, (await get('/api/v1/revisions')).status);
}

// ---- status and health ---------------------------------------------------------------------------
{
  const s = await get('/api/v1/status');
  eq('status', 200, s.status);
  eq('status keys', ['actueel', 'live', 'now', 'sources'], keys(s.json));
  eq('status sources', ['coa', 'duo', 'gemeente', 'ind'], s.json.sources.map((x) => x.source));
  eq('status source keys', ['committed_messages', 'dead_letters_24h', 'newest_registered_at', 'offsets_updated_at', 'source'], keys(s.json.sources[0]));
  check('status: messages committed', s.json.sources.every((x) => x.committed_messages > 0));
  eq('status live keys', ['batches', 'max_s', 'p50_s', 'p99_s', 'since'], keys(s.json.live));
  eq('status cache', 'no-store', s.headers['cache-control']);
  const h = await get('/api/v1/health');
  eq('health', [200, 'ok'], [h.status, h.json.status]);
  eq('/healthz', 200, (await get('/healthz')).status);
}

// ---- malformed parameters: a 400 that names the parameter ------------------------------------------
const bad = [
  ['/api/v1/table?publication=actueel&breakdown=fase&cohort=20x2', 'cohort'],
  ['/api/v1/table?publication=actueel&breakdown=fase&cohort=1800', 'cohort'],
  ['/api/v1/table?publication=actueel&breakdown=fase&doelgroep=asiel', 'doelgroep'],
  ['/api/v1/table?publication=actueel&breakdown=fase&fase=nope', 'fase'],
  ['/api/v1/table?publication=actueel&breakdown=fase&geslacht=M', 'geslacht'],
  ['/api/v1/table?publication=actueel&breakdown=nope', 'breakdown'],
  ['/api/v1/table?publication=actueel&breakdown=fase&measure=personen,,x', 'measure'],
  ['/api/v1/table?publication=actueel&breakdown=fase&measure=' + 'personen,'.repeat(40) + 'personen', 'measure'],
  ['/api/v1/table?publication=actueel&breakdown=fase&cohort=2022&cohort=2023', 'cohort'],
  ['/api/v1/table?publication=actueel&breakdown=fase&cohort=', 'cohort'],
  ['/api/v1/table?publication=actueel&breakdown=fase&cohort', 'cohort'],
  ['/api/v1/table?publication=actueel&breakdown=fase&fase=%C3%28', 'fase'],
  ['/api/v1/table?publication=act%01ueel&breakdown=fase', 'publication'],
  ['/api/v1/table?publication=' + 'x'.repeat(300) + '&breakdown=fase', 'publication'],
  ['/api/v1/revisions?publication=SWI%202024&limit=0', 'limit'],
  ['/api/v1/revisions?publication=SWI%202024&limit=1e3', 'limit'],
  ['/api/v1/revisions?publication=SWI%202024&status=weg', 'status'],
  ['/api/v1/meta?x=1', 'x'],
  ['/api/v1/status?verbose=1', 'verbose'],
  ['/api/v1/publications?a=1', 'a'],
];
for (const [path, param] of bad) {
  const r = await get(path);
  eq(`400 for ${path.slice(0, 90)}`, 400, r.status);
  check(`JSON error for ${path.slice(0, 60)}`, r.json && r.json.error && r.json.error.status === 400 && typeof r.json.error.message === 'string', r.body.slice(0, 200));
  if (r.json && r.json.error && r.json.error.parameter !== undefined) eq(`error names ${param}`, param, r.json.error.parameter);
}
for (const path of ['/api/v1/table?publication=actueel&breakdown=fase&fase=%00', '/api/v1/table?a%00b=1&publication=actueel&breakdown=fase',
  '/api/v1/table?' + Array.from({ length: 40 }, (_, i) => `p${i}=1`).join('&'), '/api/v1/table?Publication=actueel&breakdown=fase',
  "/api/v1/table?publication=actueel'%3B%20DROP%20TABLE%20swi_pub.publications%3B--&breakdown=fase"]) {
  const r = await get(path);
  check(`4xx for ${path.slice(0, 70)}`, r.status >= 400 && r.status < 500, r.status);
}
eq('publications intact after the injection attempt', dbPubs.length + 0, sql(conninfo, "SELECT count(*) FROM swi_pub.publications WHERE name NOT LIKE 'herberekening:%'").map((r) => +r[0])[0]);

// ---- paths: nothing outside the front end, no traversal ---------------------------------------------
for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/js/../../../etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%2e%2e%5c%2e%2e%5cetc%5cpasswd',
  '//etc/passwd', '/index.html/', '/.hidden', '/js/./main.js', '/api/v1/../../etc/passwd', '/api/v2/meta', '/api/v1/meta/x', '/nothere', '/geo/../../CMakeLists.txt']) {
  const r = await get(p);
  eq(`404 for ${p}`, 404, r.status);
  check(`no file content for ${p}`, !r.body.includes('root:') && !r.body.includes('cmake_minimum_required'));
}
{
  const r = await get('/');
  eq('index served', 200, r.status);
  check('index is the dashboard', r.body.includes('<title>Statistiek Wet inburgering'));
  for (const h of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'etag'])
    check(`index header ${h}`, !!r.headers[h]);
  const again = await request(base, '/', { headers: { 'If-None-Match': r.headers.etag } });
  eq('index revalidated', 304, again.status);
  const gz = await request(base, '/vendor/echarts.min.js', { headers: { 'Accept-Encoding': 'gzip' } });
  eq('vendored ECharts served compressed', [200, 'gzip'], [gz.status, gz.headers['content-encoding']]);
  eq('vendored ECharts type', 'text/javascript; charset=utf-8', gz.headers['content-type']);
  const head = await request(base, '/api/v1/meta', { method: 'HEAD' });
  eq('HEAD answered without a body', [200, ''], [head.status, head.body]);
}

// ---- methods other than GET and HEAD -------------------------------------------------------------------
for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
  const r = await request(base, '/api/v1/meta', { method: m });
  check(`${m} refused with 405 or 400`, r.status === 405 || r.status === 400, r.status);
  if (r.status === 405) eq(`${m} Allow`, 'GET, HEAD', r.headers.allow);
}

// ---- raw sockets: huge request lines, garbage, slow and idle clients -----------------------------------
const u = new URL(base);
function raw(payload, { chunks = null, delayMs = 0, timeoutMs = 30000 } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(+u.port, u.hostname);
    let data = '';
    let done = false;
    const end = (why) => { if (!done) { done = true; s.destroy(); resolve({ data, why }); } };
    s.setTimeout(timeoutMs, () => end('timeout'));
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('close', () => end('closed'));
    s.on('error', () => end('error'));
    s.on('connect', async () => {
      if (!chunks) { s.write(payload); return; }
      for (const c of chunks) {
        if (done) return;
        s.write(c);
        await sleep(delayMs);
      }
    });
  });
}
const statusOf = (d) => { const m = /^HTTP\/1\.[01] (\d{3})/.exec(d); return m ? +m[1] : 0; };
{
  const big = 'x'.repeat(1 << 20);
  const r = await raw(`GET /api/v1/table?publication=${big}&breakdown=fase HTTP/1.1\r\nHost: x\r\n\r\n`);
  const st = statusOf(r.data);
  check('1 MB query string: 4xx (414/431) or closed', (st >= 400 && st < 500) || (st === 0 && r.why !== 'timeout'), `${st} ${r.why}`);
  const h = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(200000)}\r\n\r\n`);
  const hs = statusOf(h.data);
  check('200 kB header: 4xx or closed', (hs >= 400 && hs < 500) || (hs === 0 && h.why !== 'timeout'), `${hs} ${h.why}`);
  const g = await raw('\x16\x03\x01garbage not http\r\n\r\n');
  const gs = statusOf(g.data);
  check('garbage: 400 or closed', gs === 400 || (gs === 0 && g.why !== 'timeout'), `${gs} ${g.why}`);
  const v = await raw('GET / HTTP/9.9\r\nHost: x\r\n\r\n');
  check('unknown HTTP version: 4xx/505 or closed', statusOf(v.data) >= 400 || v.why !== 'timeout', `${statusOf(v.data)} ${v.why}`);
}
eq('serving after the big requests', 200, (await get('/api/v1/health')).status);

// 500 concurrent connections, each one request: every one answered as it should be, or 503.
// What they ask needs no query (the database pool's queueing is tested above; 500
// requests through 4 database connections on a busy machine would test the
// machine): files of the front end, an unknown endpoint and a malformed parameter.
{
  const asks = [['/', 200], ['/js/main.js', 200], ['/css/app.css', 200], ['/api/v1/nope', 404],
    ['/api/v1/table?cohort=2022&cohort=2023', 400]];
  const results = await Promise.all(Array.from({ length: 500 }, (_, i) => raw(`GET ${asks[i % asks.length][0]} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { timeoutMs: 120000 })));
  const st = results.map((r) => statusOf(r.data));
  const right = st.filter((s, i) => s === asks[i % asks.length][1]).length;
  const refused = st.filter((s) => s === 503).length;
  check(`500 concurrent: each answered as expected or 503 (${right} answered, ${refused} refused)`, right + refused === 500,
    results.filter((r, i) => st[i] !== asks[i % asks.length][1] && st[i] !== 503).map((r, i) => `${statusOf(r.data)}/${r.why}/${r.data.length}`).slice(0, 20));
  check('500 concurrent: most answered', right >= 400, right);
}
eq('serving after 500 concurrent connections', 200, (await get('/api/v1/health')).status);

// slow clients: 40 trickle their request a few bytes at a time, 40 say nothing;
// meanwhile others are served; the trickling ones are served or refused, the
// silent ones are closed by the idle timeout
{
  const req = 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  const pieces = req.match(/.{1,4}/gs);
  const slow = Array.from({ length: 40 }, () => raw(null, { chunks: pieces, delayMs: 150, timeoutMs: 90000 }));
  const idle = Array.from({ length: 40 }, () => raw(null, { chunks: [], timeoutMs: 90000 }));
  let during = 0;
  for (let i = 0; i < 10; i++) { if ((await get('/api/v1/health')).status === 200) during++; await sleep(100); }
  eq('served while slow clients hold connections', 10, during);
  const s = await Promise.all(slow);
  check('slow clients: served or 4xx', s.every((r) => statusOf(r.data) === 200 || statusOf(r.data) >= 400 || r.why === 'closed'), s.map((r) => `${statusOf(r.data)}/${r.why}`));
  const d = await Promise.all(idle);
  check('idle clients closed by the server (not by our 90 s timeout)', d.every((r) => r.why === 'closed'), d.map((r) => r.why));
}
eq('serving at the end', 200, (await get('/api/v1/health')).status);
finish();
