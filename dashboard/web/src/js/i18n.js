// Interface texts in Dutch (the default) and English, and number formatting in
// the CBS manner: a space between thousands, a decimal comma in Dutch.
// Category, measure and table labels come from the database (swi_pub code
// tables, /api/v1/meta); these are only the dashboard's own words.

const TEXT = {
  nl: {
    skip: 'Naar de inhoud',
    title: 'Statistiek Wet inburgering',
    subtitle: 'Dashboard inburgering onder de Wet inburgering 2021',
    status: 'Status',
    f_pub: 'Publicatie', f_cohort: 'Cohort', f_dg: 'Doelgroep', f_area: 'Gemeente of regio',
    all_cohorts: 'Alle cohorten', all_dg: 'Alle doelgroepen', nl: 'Nederland',
    regions: "Arbeidsmarktregio's", municipalities: 'Gemeenten',
    chart: 'Grafiek', table: 'Tabel', csv: 'CSV',
    csv_title: 'Download de tabel als CSV (puntkomma-gescheiden)',
    suppressed_note: 'Verklaring van tekens: . onderdrukt (minder dan {t} personen, of af te leiden uit andere cellen); leeg: niet van toepassing (0 van 0).',
    foot_geo: 'Kaartgrenzen: © CBS / PDOK (Kadaster), via cartomap/nl.',
    foot_libs: 'Grafieken: Apache ECharts.',
    rounding_note: 'Aantallen afgerond op veelvouden van {b}; percentages berekend op niet-afgeronde aantallen.',
    pub_note: 'Peildatum {p}; gegevens bekend tot {k}.',
    pub_note_live: 'Actuele cijfers: peildatum {p}, bijgewerkt {k}.',
    frozen: 'definitief', live: 'actueel',
    national: 'Landelijk', national_only: 'Alleen landelijk beschikbaar.',
    area_note: 'Voor {a}.',
    no_data: 'Geen gegevens voor deze selectie.',
    load_error: 'De gegevens konden niet worden geladen: {e}',
    source: 'Bron: swi-stream, publicatie {n}, peildatum {p}.',
    category: 'Categorie', value: 'Waarde', measure: 'Maat',
    total: 'Totaal',
    map_level: 'Kaart', map_measure: 'Maat', gemeente: 'Gemeenten', regio: "Arbeidsmarktregio's",
    map_legend: 'Grijs: onderdrukt (.) of geen personen.',
    geo_credit: 'Kaartgrenzen: © CBS / PDOK (Kadaster), via cartomap/nl; vereenvoudigd.',
    box_note: 'Balk: 25e tot 75e percentiel; streep: mediaan; lijn tot het 90e percentiel; ruit: gemiddelde.',
    leadtime: 'Doorlooptijd',
    days: 'dagen',
    revisions_for: 'Wat is er veranderd sinds {n}',
    revisions_lead: 'Een definitieve publicatie verandert nooit. Hier staat ze naast dezelfde cijfers, opnieuw berekend met alles wat nu bekend is (bijvoorbeeld door latere correcties van DUO).',
    no_revisions: 'Er is geen definitieve publicatie met een herberekening.',
    live_desc: 'De actuele cijfers, doorlopend herberekend door de pijplijn (peildatum en bekend tot schuiven mee).',
    status_changed: 'gewijzigd', status_new: 'nieuw', status_dropped: 'vervallen', status_unchanged: 'ongewijzigd',
    published: 'Gepubliceerd', current: 'Nu', difference: 'Verschil', cell: 'Cel',
    publications: 'Publicaties', pub_name: 'Naam', pub_peildatum: 'Peildatum', pub_known: 'Bekend tot',
    pub_base: 'Afronding', pub_threshold: 'Drempel', pub_state: 'Status', pub_desc: 'Omschrijving',
    st_updated: 'Actuele cijfers bijgewerkt', st_lag: 'Vertraging actuele cijfers (afgelopen uur)',
    st_source: 'Bron', st_newest: 'Nieuwste registratie', st_batch: 'Laatst verwerkt', st_msgs: 'Berichten',
    st_dl: 'Afgekeurd (24 uur)', st_none: 'geen',
    st_batches: '{n} batches; mediaan {p50} s, p99 {p99} s',
    source_names: { ind: 'IND', coa: 'COA', duo: 'DUO', gemeente: 'Gemeenten' },
    tabs: {
      populatie: 'Populatie',
      coa: 'Vroege start in COA',
      regio: 'Regionale spreiding',
      gemeente: 'Inburgering in de gemeente',
      examens: 'Examens en voortgang',
      werk: 'Werk en inkomen',
      doorlooptijden: 'Doorlooptijden',
      publicaties: 'Publicaties en revisies',
    },
    leads: {
      populatie: 'Inburgeringsplichtigen onder de Wet inburgering 2021, naar het jaar waarin de plicht ontstond (cohort), geslacht, leeftijd en nationaliteit.',
      coa: 'Wat er gebeurt vóór de vestiging in een gemeente: voorinburgering in het azc, overplaatsingen, de koppeling aan een gemeente en PIP\'s die al in de opvang zijn opgesteld.',
      regio: 'Waar inburgeraars wonen en hoe het hun daar vergaat, per gemeente en per arbeidsmarktregio. Klik op een gebied om erop te filteren.',
      gemeente: 'De regie van de gemeente: fase van de inburgering, het persoonlijk plan (PIP) binnen 10 weken, leerroutes en termijnen.',
      examens: 'Examens per onderdeel en niveau, geslaagden, het einde van de plicht en termijnverlengingen.',
      werk: 'Betaald werk en bijstand in de jaren na vestiging, sectoren en deeltijd.',
      doorlooptijden: 'Hoe lang de stappen duren, in dagen: niet alleen het gemiddelde maar de hele verdeling (25e, 50e, 75e en 90e percentiel).',
      publicaties: 'Alle publicaties, en wat er sinds een definitieve publicatie is veranderd.',
    },
  },
  en: {
    skip: 'Skip to content',
    title: 'Civic Integration Statistics',
    subtitle: 'Dashboard of civic integration under the Civic Integration Act 2021',
    status: 'Status',
    f_pub: 'Publication', f_cohort: 'Cohort', f_dg: 'Target group', f_area: 'Municipality or region',
    all_cohorts: 'All cohorts', all_dg: 'All target groups', nl: 'Netherlands',
    regions: 'Labour-market regions', municipalities: 'Municipalities',
    chart: 'Chart', table: 'Table', csv: 'CSV',
    csv_title: 'Download the table as CSV (semicolon-separated)',
    suppressed_note: 'Symbols: . suppressed (fewer than {t} persons, or derivable from other cells); empty: not applicable (0 of 0).',
    foot_geo: 'Boundaries: © CBS / PDOK (Kadaster), via cartomap/nl.',
    foot_libs: 'Charts: Apache ECharts.',
    rounding_note: 'Counts rounded to multiples of {b}; percentages computed from unrounded counts.',
    pub_note: 'Reference date {p}; data known up to {k}.',
    pub_note_live: 'Current figures: reference date {p}, updated {k}.',
    frozen: 'final', live: 'current',
    national: 'National', national_only: 'National figures only.',
    area_note: 'For {a}.',
    no_data: 'No data for this selection.',
    load_error: 'The data could not be loaded: {e}',
    source: 'Source: swi-stream, publication {n}, reference date {p}.',
    category: 'Category', value: 'Value', measure: 'Measure',
    total: 'Total',
    map_level: 'Map', map_measure: 'Measure', gemeente: 'Municipalities', regio: 'Labour-market regions',
    map_legend: 'Grey: suppressed (.) or no persons.',
    geo_credit: 'Boundaries: © CBS / PDOK (Kadaster), via cartomap/nl; simplified.',
    box_note: 'Bar: 25th to 75th percentile; stroke: median; line to the 90th percentile; diamond: mean.',
    leadtime: 'Lead time',
    days: 'days',
    revisions_for: 'What changed since {n}',
    revisions_lead: 'A final publication never changes. Here it stands next to the same figures recomputed with everything known now (e.g. after later corrections by DUO).',
    no_revisions: 'There is no final publication with a recomputation.',
    live_desc: 'The current figures, recomputed continuously by the pipeline (peildatum and known-at move along).',
    status_changed: 'changed', status_new: 'new', status_dropped: 'dropped', status_unchanged: 'unchanged',
    published: 'Published', current: 'Now', difference: 'Difference', cell: 'Cell',
    publications: 'Publications', pub_name: 'Name', pub_peildatum: 'Reference date', pub_known: 'Known up to',
    pub_base: 'Rounding', pub_threshold: 'Threshold', pub_state: 'State', pub_desc: 'Description',
    st_updated: 'Current figures updated', st_lag: 'Delay of the current figures (last hour)',
    st_source: 'Source', st_newest: 'Newest registration', st_batch: 'Last processed', st_msgs: 'Messages',
    st_dl: 'Rejected (24 h)', st_none: 'none',
    st_batches: '{n} batches; median {p50} s, p99 {p99} s',
    source_names: { ind: 'IND', coa: 'COA', duo: 'DUO', gemeente: 'Municipalities' },
    tabs: {
      populatie: 'Population',
      coa: 'Early start in COA',
      regio: 'Regional distribution',
      gemeente: 'Integration in the municipality',
      examens: 'Exams and progress',
      werk: 'Work and income',
      doorlooptijden: 'Lead times',
      publicaties: 'Publications and revisions',
    },
    leads: {
      populatie: 'Persons obliged to integrate under the Civic Integration Act 2021, by the year the obligation started (cohort), sex, age and nationality.',
      coa: 'What happens before settling in a municipality: pre-integration in the reception centre, transfers, the link to a municipality and PIPs drawn up in reception.',
      regio: 'Where the newcomers live and how they fare there, per municipality and per labour-market region. Click an area to filter on it.',
      gemeente: 'The municipality in charge: stage of integration, the personal plan (PIP) within 10 weeks, learning routes and terms.',
      examens: 'Exams by component and level, passes, the end of the obligation and term extensions.',
      werk: 'Paid work and social assistance in the years after settlement, sectors and part-time work.',
      doorlooptijden: 'How long the steps take, in days: not only the mean but the whole distribution (25th, 50th, 75th and 90th percentile).',
      publicaties: 'All publications, and what changed since a final publication.',
    },
  },
};

let lang = 'nl';

export function setLang(l) { lang = TEXT[l] ? l : 'nl'; document.documentElement.lang = lang; }
export function getLang() { return lang; }

// t('key', {vars}) - a text with {name} placeholders filled in.
export function t(key, vars) {
  let s = TEXT[lang][key];
  if (s === undefined) s = TEXT.nl[key];
  if (s === undefined) return key;
  if (typeof s === 'string' && vars)
    s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}

// A number as shown: thousands grouped with a space; a decimal comma in Dutch.
export function formatNumber(v, decimals) {
  const neg = v < 0;
  const fixed = Math.abs(v).toFixed(decimals);
  const [int, frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const sep = lang === 'nl' ? ',' : '.';
  return (neg ? '-' : '') + grouped + (frac ? sep + frac : '');
}

export function formatDate(iso) {
  if (!iso || iso === 'infinity') return iso || '';
  const d = iso.slice(0, 10).split('-');
  return lang === 'nl' ? `${+d[2]}-${+d[1]}-${d[0]}` : `${d[0]}-${d[1]}-${d[2]}`;
}

export function formatTime(iso) {
  if (!iso || iso === 'infinity') return iso || '';
  const dt = new Date(iso.replace(' ', 'T').replace(/\+00$/, 'Z'));
  if (isNaN(dt)) return iso;
  return dt.toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

// Fills every element with data-i18n="key".
export function applyStatic(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}
