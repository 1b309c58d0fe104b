// A card: a title, a chart, its table view and a CSV download, all three made
// from one dataset (data.js), plus the notes every figure needs (what it is
// taken over, disclosure control, the publication).
/* global echarts */
import { toCsv } from './data.js';
import { t } from './i18n.js';

const charts = new Set();
let resizeHooked = false;

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids) if (k) e.append(k);
  return e;
}
export { el };

export function disposeCharts() {
  for (const c of charts) c.dispose();
  charts.clear();
}

export class Card {
  // opts: id, title, sub, full (both columns), tall, option (dataset -> ECharts
  // option; none: table only), notes (extra lines), ctx (for the footer)
  constructor(parent, opts) {
    this.opts = opts;
    this.view = opts.option ? 'chart' : 'table';
    this.root = el('section', { class: `card${opts.full ? ' full' : ''}`, 'data-card': opts.id, 'aria-labelledby': `h-${opts.id}` });
    const tools = el('div', { class: 'card-tools' });
    if (opts.option) {
      this.bChart = el('button', { type: 'button', 'data-view': 'chart', 'aria-pressed': 'true', text: t('chart') });
      this.bTable = el('button', { type: 'button', 'data-view': 'table', 'aria-pressed': 'false', text: t('table') });
      this.bChart.addEventListener('click', () => this.show('chart'));
      this.bTable.addEventListener('click', () => this.show('table'));
      tools.append(this.bChart, this.bTable);
    }
    this.bCsv = el('button', { type: 'button', 'data-action': 'csv', title: t('csv_title'), text: t('csv') });
    this.bCsv.addEventListener('click', () => this.download());
    tools.append(this.bCsv);
    const head = el('div', { class: 'card-head' },
      el('div', {}, el('h2', { id: `h-${opts.id}`, text: opts.title }), opts.sub ? el('div', { class: 'sub', text: opts.sub }) : null),
      tools);
    this.controls = el('div', { class: 'controls' });
    this.chartEl = el('div', { class: `chart${opts.tall ? ' tall' : ''}`, role: 'img', 'aria-label': opts.title });
    this.tableEl = el('div', { class: 'tablewrap', hidden: !!opts.option });
    if (!opts.option) this.chartEl.hidden = true;
    this.body = el('div', { class: 'card-body' }, this.chartEl, this.tableEl);
    this.foot = el('div', { class: 'card-foot' });
    this.root.append(head, this.controls, this.body, this.foot);
    parent.append(this.root);
    if (!resizeHooked) {
      resizeHooked = true;
      window.addEventListener('resize', () => { for (const c of charts) c.resize(); });
    }
  }

  show(view) {
    if (!this.opts.option) return;
    this.view = view;
    this.bChart.setAttribute('aria-pressed', String(view === 'chart'));
    this.bTable.setAttribute('aria-pressed', String(view === 'table'));
    this.chartEl.hidden = view !== 'chart';
    this.tableEl.hidden = view !== 'table';
    if (view === 'chart' && this.chart) this.chart.resize();
  }

  loading() {
    this.tableEl.replaceChildren();
  }

  error(msg) {
    this.ds = null;
    this.bCsv.disabled = true;
    this.body.replaceChildren(el('div', { class: 'error', role: 'alert', text: t('load_error', { e: msg }) }));
  }

  // ds: the dataset; notes: lines for the footer
  set(ds, notes = []) {
    this.ds = ds;
    this.bCsv.disabled = !ds || !ds.rows.length;
    this.foot.replaceChildren(...[...(this.opts.notes || []), ...notes].filter(Boolean).map((n) => el('p', { text: n })));
    if (!ds || !ds.rows.length) {
      this.tableEl.replaceChildren(el('div', { class: 'empty', text: t('no_data') }));
      this.chartEl.hidden = true;
      this.tableEl.hidden = false;
      return;
    }
    this.tableEl.replaceChildren(renderTable(ds));
    if (this.opts.option) {
      this.chartEl.hidden = this.view !== 'chart';
      this.tableEl.hidden = this.view !== 'table';
      if (!this.chart) {
        this.chart = echarts.init(this.chartEl, null, { renderer: 'canvas' });
        charts.add(this.chart);
        if (this.opts.onClick) this.chart.on('click', this.opts.onClick);
      }
      const option = this.opts.option(ds);
      this.fitHeight(option);
      this.chart.setOption(option, true);
      if (this.view === 'chart') requestAnimationFrame(() => this.chart && this.chart.resize());
    }
  }

  // A horizontal chart grows with its categories, so that labels never overlap.
  fitHeight(option) {
    const y = option.yAxis;
    if (!y || y.type !== 'category' || this.opts.tall) return;
    const bars = (option.series || []).filter((x) => x.type === 'bar');
    // room for the longest label as the axis wraps it (about 7.5 px a character at 12 px: words are not split, so lines run short)
    const lab = y.axisLabel || {};
    const lines = lab.width ? Math.max(1, ...y.data.map((c) => Math.ceil((String(c).length * 7.5) / lab.width))) : 1;
    const perCat = Math.max(window.innerWidth < 600 ? 44 : 30, bars.length && !bars[0].stack ? 16 + 16 * bars.length : 34,
      lines * (lab.lineHeight || 14) + 12);
    const h = Math.max(260, Math.min(2400, 90 + y.data.length * perCat));
    this.chartEl.style.height = `${h}px`;
  }

  download() {
    if (!this.ds) return;
    const blob = new Blob([toCsv(this.ds)], { type: 'text/csv;charset=utf-8' });
    const a = el('a', { href: URL.createObjectURL(blob), download: `${this.opts.csvName || this.opts.id}.csv` });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
}

export function renderTable(ds) {
  const thead = el('thead', {}, el('tr', {}, ...ds.head.map((h, i) => el('th', { scope: 'col', class: ds.numeric[i] ? 'num' : null, text: h }))));
  const tbody = el('tbody');
  for (const r of ds.rows) {
    const tr = el('tr', { class: r.total ? 'total' : null, 'data-key': r.key });
    r.cells.forEach((c, i) => {
      const cls = [ds.numeric[i] ? 'num' : null, c.supp ? 'supp' : null].filter(Boolean).join(' ') || null;
      tr.append(i === 0 ? el('th', { scope: 'row', class: cls, text: c.text }) : el('td', { class: cls, text: c.text, title: c.supp ? 'onderdrukt' : null }));
    });
    tbody.append(tr);
  }
  return el('table', { class: 'data' }, thead, tbody);
}
