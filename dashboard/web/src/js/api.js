// The dashboard's only way to the data: GET requests to swi-dashboard's JSON
// API (/api/v1/...), answered from the published, disclosure-controlled tables.
// Answers are kept for the page's lifetime (they change only with a new
// publication round; a reload fetches fresh ones).

const cache = new Map();

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function get(endpoint, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const url = `api/v1/${endpoint}${qs.toString() ? '?' + qs : ''}`;
  if (!cache.has(url)) {
    const p = fetch(url, { headers: { Accept: 'application/json' } }).then(async (r) => {
      let body = null;
      try { body = await r.json(); } catch (e) { /* not JSON */ }
      if (!r.ok) {
        cache.delete(url);
        throw new ApiError(r.status, (body && body.error && body.error.message) || r.statusText);
      }
      return body;
    }, (e) => { cache.delete(url); throw new ApiError(0, e.message); });
    cache.set(url, p);
  }
  return cache.get(url);
}

// One breakdown of the chosen publication. filters: cohort, doelgroep,
// measure (array or comma list) and dimension values ({geslacht: '*'}).
export function table(pub, breakdown, filters = {}) {
  const params = { publication: pub, breakdown };
  for (const [k, v] of Object.entries(filters))
    params[k] = Array.isArray(v) ? v.join(',') : v;
  return get('table', params);
}

export function forget(endpoint) {
  for (const k of [...cache.keys()]) if (k.startsWith(`api/v1/${endpoint}`)) cache.delete(k);
}
