// Shared helpers of the dashboard tests (api.test.mjs, e2e.test.mjs): checks
// that count, PostgreSQL through psql (the published tables are the truth the
// dashboard is compared with), HTTP.
import { execFileSync } from 'node:child_process';
import http from 'node:http';

let passed = 0;
let failed = 0;

export function check(name, cond, detail) {
  if (cond) passed++;
  else {
    failed++;
    console.error(`FAIL ${name}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
  }
  return cond;
}

export function eq(name, expected, actual) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  return check(name, a === e, `expected ${e.slice(0, 400)}, got ${a.slice(0, 400)}`);
}

export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

export function lit(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

// Rows of a query as arrays of strings (null for NULL); tab-separated COPY text.
export function sql(conninfo, query) {
  const out = execFileSync('psql', [conninfo, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `COPY (${query}) TO STDOUT`],
    { encoding: 'utf8', maxBuffer: 256 << 20 });
  return out.split('\n').filter((l) => l.length).map((l) => l.split('\t').map((c) => (c === '\\N' ? null : c.replace(/\\t/g, '\t').replace(/\\n/g, '\n').replace(/\\\\/g, '\\'))));
}

// GET (or another method) with the raw answer: status, headers, body text, json.
export function request(base, path, { method = 'GET', headers = {} } = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(body); } catch (e) { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, body, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
