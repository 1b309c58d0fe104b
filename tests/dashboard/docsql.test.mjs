// Every SQL block of README.md and docs/analyst-guide.md, run against a loaded
// database as the role it is written for, and its results checked:
//   node docsql.test.mjs WRITER_CONNINFO ANALYST_CONNINFO RESEARCHER_CONNINFO FILE...
// Each statement must run, return rows, have a non-NULL value somewhere, and
// every column of its result taken from a dimension (dimN_value AS x) must be
// filled in some row. Statements the guide gives for a purpose get that purpose checked
// (a share recomputed from two counts is NULL when either is suppressed, and
// equals the counts' ratio otherwise; sums of parts are NULL when a part is).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { check, eq, finish } from './lib.mjs';

const [writer, analyst, researcher, ...files] = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node docsql.test.mjs WRITER ANALYST RESEARCHER FILE...');
  process.exit(2);
}

function blocks(text) {
  const out = [];
  const re = /```sql\n([\s\S]*?)```/g;
  let m;
  while ((m = re.exec(text))) out.push(m[1]);
  return out;
}

// statements of a block: split on ';' outside quotes and comments
function statements(sqlText) {
  const out = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < sqlText.length; i++) {
    const c = sqlText[i];
    if (!q && c === '-' && sqlText[i + 1] === '-') {
      const e = sqlText.indexOf('\n', i);
      cur += sqlText.slice(i, e < 0 ? undefined : e);
      i = e < 0 ? sqlText.length : e - 1;
      continue;
    }
    if (c === "'") q = !q;
    if (c === ';' && !q) { if (cur.trim()) out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  if (cur.replace(/--.*$/gm, '').trim()) out.push(cur.trim());
  return out;
}

function csvParse(text) {
  const rows = [];
  let row = [];
  let cur = '';
  let q = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
    } else if (c === '"') { q = true; quoted = true; } else if (c === ',') { row.push(cur === '' && !quoted ? null : cur); cur = ''; quoted = false; } else if (c === '\n') { row.push(cur === '' && !quoted ? null : cur); rows.push(row); row = []; cur = ''; quoted = false; } else cur += c;
  }
  return rows;
}

function run(conninfo, stmt) {
  const out = execFileSync('psql', [conninfo, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--csv', '-c', stmt], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const rows = csvParse(out);
  return { head: rows[0] || [], rows: rows.slice(1) };
}

function roleFor(stmt) {
  if (/\bswi_ops\./.test(stmt)) return ['writer', writer];
  if (/\bswi\.(?!stream)/.test(stmt)) return ['researcher', researcher];
  return ['analyst', analyst];
}

const num = (v) => (v === null ? null : Number(v));
let n = 0;
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  for (const b of blocks(text)) {
    for (const stmt of statements(b)) {
      n++;
      const [who, ci] = roleFor(stmt);
      const tag = `${f.split('/').pop()}: ${stmt.replace(/--.*$/gm, '').replace(/\s+/g, ' ').trim().slice(0, 90)}`;
      let res;
      try {
        res = run(ci, stmt);
      } catch (e) {
        check(`${tag} runs as ${who}`, false, String(e.stderr || e.message).trim().split('\n')[0]);
        continue;
      }
      if (!check(`${tag}: returns rows`, res.rows.length > 0, res.rows.length)) continue;
      check(`${tag}: has values`, res.rows.some((r) => r.slice(1).some((v) => v !== null)));
      for (const m of stmt.matchAll(/dim\d_value\s+AS\s+(\w+)/gi)) {
        const col = res.head.indexOf(m[1]);
        if (col >= 0) check(`${tag}: column ${m[1]} (a dimension) is filled`, res.rows.some((r) => r[col] !== null));
      }
      const c = (r, name) => num(r[res.head.indexOf(name)]);
      // within-half shares of Kamerbrief tables 3 and 4: from both counts or NULL
      if (res.head.includes('pct_0_10_wk')) {
        for (const r of res.rows) {
          for (const [pct, a, b] of [['pct_0_10_wk', 'zonder_pip_0_10_wk', 'zonder_pip_meer_10_wk'], ['pct_binnen_10_wk', 'pip_binnen_10_wk', 'pip_na_10_wk']]) {
            const x = c(r, a);
            const y = c(r, b);
            const want = x === null || y === null || x + y === 0 ? null : Math.round((100 * x) / (x + y));
            eq(`${tag}: ${pct} of ${r[0]}`, want, c(r, pct));
          }
        }
        check(`${tag}: the fixture has a suppressed half (else this checks nothing)`, res.rows.some((r) => [c(r, 'zonder_pip_0_10_wk'), c(r, 'zonder_pip_meer_10_wk'), c(r, 'pip_binnen_10_wk'), c(r, 'pip_na_10_wk')].some((v) => v === null)));
      }
      // gezin + overig: sums of both parts or NULL
      if (res.head.includes('plichtigen_gezin_overig')) {
        const parts = run(analyst, `SELECT peildatum, doelgroep, measure, value FROM swi_pub.indicator_values
          WHERE publication IN ('Kamerbrief 2022-12-01', 'Kamerbrief 2023-05-01') AND breakdown = 'fase_plichtigen'
            AND cohort = '*' AND doelgroep IN ('GEZIN', 'OVERIG') AND measure IN ('plichtigen', 'pip_vastgesteld')`);
        const part = (p, d, m) => { const r = parts.rows.find((x) => x[0] === p && x[1] === d && x[2] === m); return r ? num(r[3]) : null; };
        for (const r of res.rows) {
          for (const [col, m] of [['plichtigen_gezin_overig', 'plichtigen'], ['pips_gezin_overig', 'pip_vastgesteld']]) {
            const g = part(r[0], 'GEZIN', m);
            const o = part(r[0], 'OVERIG', m);
            eq(`${tag}: ${col} on ${r[0]}`, g === null || o === null ? null : g + o, c(r, col));
          }
        }
      }
      // at-least sums say how many parts they lack
      if (res.head.includes('cohortgrootte_minstens')) check(`${tag}: counts the suppressed parts`, res.head.includes('gemeenten_onderdrukt'));
      // shares are percentages
      res.head.forEach((h, i) => {
        if (/^(pct|aandeel)_/.test(h) || h === 'percentage') check(`${tag}: ${h} within 0..100`, res.rows.every((r) => r[i] === null || (+r[i] >= 0 && +r[i] <= 100)));
      });
    }
  }
}
check(`found the SQL of the documents (${n} statements)`, n >= 20, n);
finish();
