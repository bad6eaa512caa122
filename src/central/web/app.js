/* The ordercam dashboard. Plain DOM, no libraries, no network beyond this
 * server. Every text that came from a box is set with textContent, never
 * parsed as HTML. */
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#c0392b', '#2471a3', '#d68910', '#1e8449', '#7d3c98', '#117a65', '#a04000',
  '#2e4053', '#b7950b', '#6c3483', '#1a5276', '#922b21'];
const REFRESH_MS = 30000;
const views = {}; // name -> {columns, rows} for CSV export

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

async function api(path, params) {
  const q = new URLSearchParams(params || {});
  const r = await fetch(`/api/v1/${path}?${q}`, { credentials: 'same-origin' });
  if (r.status === 401) { location.href = '/login'; throw new Error('signed out'); }
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

// times in the city's zone and the interface's language (i18n.js)
function fmtTime(ms, withDate) { return fmtCity(ms, withDate); }

function label(v) { return v === null || v === undefined || v === '' ? t('none') : v; }

/* Horizontal bars: items [{label, value, color?}] */
function barChart(container, items) {
  container.replaceChildren();
  if (!items.length) { container.append(el('p', { class: 'muted' }, t('no_data'))); return; }
  const max = Math.max(...items.map((i) => i.value)) || 1;
  const rowH = 22, labelW = 220, barW = 420;
  const s = svg('svg', { width: labelW + barW + 60, height: items.length * rowH + 4, role: 'img' });
  items.forEach((it, i) => {
    const y = i * rowH + 2;
    s.append(svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, it.label));
    s.append(svg('rect', { x: labelW, y: y + 3, height: rowH - 8,
      width: Math.max(1, (it.value / max) * barW), fill: it.color || COLORS[0] }));
    s.append(svg('text', { x: labelW + (it.value / max) * barW + 4, y: y + 15 }, it.value));
  });
  container.append(s);
}

/* Lines per series over time: series {name: [[t, v], ...]} */
function lineChart(container, series, step) {
  container.replaceChildren();
  const names = Object.keys(series);
  if (!names.length) { container.append(el('p', { class: 'muted' }, t('no_data'))); return; }
  const pts = names.flatMap((n) => series[n]);
  const t0 = Math.min(...pts.map((p) => p[0])), t1 = Math.max(...pts.map((p) => p[0]));
  const vmax = Math.max(...pts.map((p) => p[1])) || 1;
  const W = 900, H = 220, L = 40, B = 24, T = 8;
  const x = (t) => L + (t1 === t0 ? (W - L) / 2 : ((t - t0) / (t1 - t0)) * (W - L - 10));
  const y = (v) => T + (1 - v / vmax) * (H - B - T);
  const s = svg('svg', { width: W, height: H + 18 * Math.ceil(names.length / 4), role: 'img' });
  s.append(svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: '#999' }));
  s.append(svg('text', { x: 4, y: T + 10 }, vmax));
  s.append(svg('text', { x: L, y: H - 6 }, fmtTime(t0, step < 86400000 ? undefined : true)));
  s.append(svg('text', { x: W - 4, y: H - 6, 'text-anchor': 'end' }, fmtTime(t1)));
  names.forEach((n, i) => {
    const color = COLORS[i % COLORS.length];
    const byT = new Map(series[n]);
    const d = [];
    for (let t = t0; t <= t1; t += step) d.push(`${d.length ? 'L' : 'M'}${x(t)},${y(byT.get(t) || 0)}`);
    s.append(svg('path', { d: d.join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
    for (const [t, v] of series[n]) s.append(svg('circle', { cx: x(t), cy: y(v), r: 3, fill: color }));
    const lx = 10 + (i % 4) * 220, ly = H + 12 + 18 * Math.floor(i / 4);
    s.append(svg('rect', { x: lx, y: ly - 9, width: 10, height: 10, fill: color }));
    s.append(svg('text', { x: lx + 14, y: ly }, n));
  });
  container.append(s);
}

function table(tableEl, columns, rows) {
  tableEl.replaceChildren();
  tableEl.append(el('tr', {}, ...columns.map((c) => el('th', { class: c.num ? 'num' : '' }, c.title))));
  for (const r of rows) {
    tableEl.append(el('tr', {}, ...columns.map((c) => {
      const v = c.render ? c.render(r) : label(r[c.key]);
      return el('td', { class: c.num ? 'num' : '' }, v);
    })));
  }
  if (!rows.length) tableEl.append(el('tr', {}, el('td', { class: 'muted' }, t('no_data'))));
}

function pivot(rows, key) {
  // rows with {key, type, count} -> [{name, total, byType}]
  const m = new Map();
  for (const r of rows) {
    const k = label(r[key]);
    if (!m.has(k)) m.set(k, { name: k, total: 0, byType: {} });
    const e = m.get(k);
    e.total += r.count;
    e.byType[r.type] = (e.byType[r.type] || 0) + r.count;
  }
  return [...m.values()].sort((a, b) => b.total - a.total);
}

// Periods end at the newest data when nothing was reported lately (a
// replayed sample, a box that was offline), so the page is never blank.
let anchorTo = Date.now();

async function findAnchor() {
  const days = await api('counts', { group: 'day', tz: I18N.tz });
  const latest = Math.max(0, ...days.rows.map((r) => r.day));
  anchorTo = latest && latest + 86400000 < Date.now() ? latest + 86400000 : Date.now();
}

function period() {
  const days = Number(document.getElementById('period').value);
  const to = anchorTo;
  return days ? { from: to - days * 86400000, to } : { from: 0, to: 0 };
}

async function refresh() {
  const p = period();
  const base = { from: p.from };
  if (p.to) base.to = p.to;
  base.tz = I18N.tz;
  const status = document.getElementById('status').value;
  if (status) base.status = status;
  let step = p.to && p.to - p.from <= 2 * 86400000 ? 3600000 : 86400000;
  const [totals, trendDays, roads, units, cams, heat, recent, boxes] = await Promise.all([
    api('counts', { ...base, group: 'type' }),
    api('counts', { ...base, group: `${step === 3600000 ? 'hour' : 'day'},type` }),
    api('counts', { ...base, group: 'road,type' }),
    api('counts', { ...base, group: 'unit,type' }),
    api('counts', { ...base, group: 'camera,box,road,unit' }),
    api('counts', { ...base, group: 'hour_of_day,type' }),
    api('violations', { ...base, limit: 25 }),
    api('boxes'),
  ]);
  const quality = await api('review/stats', { from: base.from, ...(base.to ? { to: base.to } : {}) });
  const types = totals.rows.map((r) => r.type).sort();
  const color = (t) => COLORS[types.indexOf(t) % COLORS.length];

  // totals
  const total = totals.rows.reduce((a, r) => a + r.count, 0);
  const cards = document.getElementById('totals');
  cards.replaceChildren(el('div', { class: 'card' }, el('div', { class: 'n' }, total),
    el('div', { class: 't' }, t(status || 'all_violations'))));
  const sorted = [...totals.rows].sort((a, b) => b.count - a.count);
  for (const r of sorted) {
    cards.append(el('div', { class: 'card', 'data-type': r.type },
      el('div', { class: 'n' }, r.count), el('div', { class: 't', title: codeOf(r.type) }, typeName(r.type))));
  }
  barChart(document.getElementById('totals-chart'),
    sorted.map((r) => ({ label: typeName(r.type), value: r.count, color: color(r.type) })));
  views.totals = { columns: ['type', 'count'], rows: sorted };

  // trend: by day, or by hour when the data covers two days or fewer
  let trend = trendDays;
  if (step !== 3600000 && new Set(trendDays.rows.map((r) => r.day)).size <= 2) {
    step = 3600000;
    trend = await api('counts', { ...base, group: 'hour,type' });
  }
  const dim = step === 3600000 ? 'hour' : 'day';
  const series = {};
  for (const r of trend.rows) (series[typeName(r.type)] = series[typeName(r.type)] || []).push([r[dim], r.count]);
  lineChart(document.getElementById('trend'), series, step);
  views.trend = { columns: [dim, 'type', 'count'], rows: trend.rows };

  // roads and units
  for (const [key, id] of [['road', 'roads'], ['unit', 'units']]) {
    const pv = pivot(key === 'road' ? roads.rows : units.rows, key);
    barChart(document.getElementById(`${id}-chart`), pv.slice(0, 15).map((e) => ({ label: e.name, value: e.total })));
    table(document.getElementById(id),
      [{ title: t(key), key: 'name' }, ...types.map((ty) => ({ title: typeName(ty), num: true, render: (e) => e.byType[ty] || 0 })),
        { title: t('total'), key: 'total', num: true }], pv);
    views[id] = { columns: [key, 'type', 'count'], rows: key === 'road' ? roads.rows : units.rows };
  }

  // hot spots
  const hot = [...cams.rows].sort((a, b) => b.count - a.count).slice(0, 15);
  table(document.getElementById('cameras'), [
    { title: t('camera'), key: 'camera' }, { title: t('box'), key: 'box' }, { title: t('road'), key: 'road' },
    { title: t('unit'), key: 'unit' }, { title: t('violations'), key: 'count', num: true }], hot);
  views.cameras = { columns: ['camera', 'box', 'road', 'unit', 'count'], rows: cams.rows };

  // heat map
  heatMap(document.getElementById('heat'), heat.rows, types);
  views.heat = { columns: ['hour_of_day', 'type', 'count'], rows: heat.rows };

  // recent
  table(document.getElementById('recent'), [
    { title: t('time'), render: (r) => el('span', { class: 'nowrap' }, fmtTime(r.ts)) },
    { title: t('type'), render: (r) => typeName(r.type) }, { title: t('code'), render: (r) => label(codeOf(r.type, r.code)) },
    { title: t('camera'), key: 'camera' }, { title: t('location'), key: 'location' },
    { title: t('plate'), render: (r) => el('span', { class: 'nowrap' }, label(r.plate)) },
    { title: t('unit'), key: 'unit' },
    { title: t('evidence'), render: (r) => {
      // central verified the box's signature (docs/evidence.md): a mark next to the image
      const mark = r.verified === true
        ? el('span', { class: 'ok nowrap verified', title: t('verified_tip') }, `✓ ${t('verified')}`) : '';
      if (!r.evidence_url) return el('span', {}, el('span', { class: 'muted' }, r.evidence_expired ? t('image_expired') : t('none')), ' ', mark);
      const img = el('img', { class: 'thumb', src: r.evidence_url, alt: `evidence ${r.id}`, loading: 'lazy' });
      img.addEventListener('click', () => openEvidence(r.evidence_url));
      // the public ("exposure") variant central holds (docs/evidence.md): its own link
      const pub = r.public_url
        ? el('a', { class: 'public-link nowrap', href: r.public_url, target: '_blank', rel: 'noopener', title: t('public_tip') }, t('public_version'))
        : '';
      return mark || pub ? el('span', {}, img, ' ', mark, pub ? ' ' : '', pub) : img;
    } }], recent.violations);
  // what the public variant does not mask, said where it is linked
  document.getElementById('public-note').hidden = !recent.violations.some((r) => r.public_url);

  // boxes
  table(document.getElementById('boxes'), [
    { title: t('box'), key: 'box' }, { title: t('version'), key: 'version' },
    { title: t('cameras'), key: 'cameras', num: true },
    { title: t('last_seen'), render: (b) => fmtTime(b.last_seen) },
    { title: t('backlog'), key: 'backlog', num: true },
    { title: t('state'), render: (b) => el('span', { class: b.silent ? 'bad' : 'ok' }, b.silent ? t('silent') : t('reporting')) }],
  boxes.boxes);

  // the evidence's disk use (measured by the retention job)
  const counters = await api('counters');
  const eb = counters.evidence_bytes;
  document.getElementById('disk').textContent = eb === null || eb === undefined ? ''
    : `${t('disk_use')} ${(eb / 1048576).toFixed(1)} MB`;

  // review quality: a camera whose captures are rejected often needs recalibration
  const pct = (x) => (x === null ? '—' : `${Math.round(100 * x)}%`);
  table(document.getElementById('quality'), [
    { title: t('camera'), key: 'camera' }, { title: t('type'), render: (r) => typeName(r.type) },
    { title: t('total'), key: 'total', num: true }, { title: t('confirmed'), key: 'confirmed', num: true },
    { title: t('rejected'), key: 'rejected', num: true }, { title: t('pending'), key: 'pending', num: true },
    { title: t('rejection_rate'), num: true, render: (r) => el('span', { class: r.rejection_rate >= 0.4 ? 'bad' : '' },
      pct(r.rejection_rate), r.rejection_rate >= 0.4 ? ` ${t('needs_recal')}` : '') },
    { title: t('top_reasons'), render: (r) => r.top_reasons.slice(0, 3).map((x) => `${reasonName(x.reason)} ${x.count}`).join('、') }],
  [...quality.rows].sort((a, b) => (b.rejection_rate || 0) - (a.rejection_rate || 0)));

  document.getElementById('range').textContent = p.from ? `${fmtTime(p.from)} – ${fmtTime(p.to)}` : t('all_time');
  document.getElementById('updated').textContent = `${t('updated')} ${fmtTime(Date.now(), false)}`;
  document.body.dataset.loaded = '1';
}

function heatMap(container, rows, types) {
  container.replaceChildren();
  if (!rows.length) { container.append(el('p', { class: 'muted' }, t('no_data'))); return; }
  const cell = 22, L = 190, T = 18;
  const max = Math.max(...rows.map((r) => r.count)) || 1;
  const s = svg('svg', { width: L + 24 * cell + 4, height: T + types.length * cell + 4, role: 'img' });
  for (let h = 0; h < 24; h += 3) s.append(svg('text', { x: L + h * cell + 2, y: 12 }, `${h}${t('hours')}`));
  types.forEach((ty, i) => s.append(svg('text', { x: L - 6, y: T + i * cell + 15, 'text-anchor': 'end' }, typeName(ty))));
  for (const r of rows) {
    const i = types.indexOf(r.type);
    if (i < 0) continue;
    const a = 0.12 + 0.88 * (r.count / max);
    const rect = svg('rect', { x: L + r.hour_of_day * cell, y: T + i * cell, width: cell - 2, height: cell - 2,
      fill: `rgba(192,57,43,${a.toFixed(3)})` });
    rect.append(svg('title', {}, `${typeName(r.type)} ${r.hour_of_day}:00 — ${r.count}`));
    s.append(rect);
  }
  container.append(s);
}

function openEvidence(url) {
  const box = document.getElementById('lightbox');
  document.getElementById('lightbox-img').src = url;
  box.hidden = false;
}

function csv(name) {
  const v = views[name];
  if (!v) return;
  // A text cell that a spreadsheet would read as a formula (= + - @, or a
  // leading tab or CR) gets a leading ' inside a quoted cell (OWASP CSV
  // injection); counts are numbers and stay as they are.
  const q = (x) => {
    let s = x === null || x === undefined ? '' : String(x);
    if (typeof x === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return typeof x === 'string' && (/[",\n\r]/.test(s) || s.startsWith("'"))
      ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const text = [v.columns.join(','), ...v.rows.map((r) => v.columns.map((c) => q(r[c])).join(','))].join('\n');
  const a = el('a', { href: URL.createObjectURL(new Blob(['\ufeff' + text], { type: 'text/csv' })),
    download: `ordercam-${name}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}

document.addEventListener('DOMContentLoaded', async () => {
  const me = await loadI18n();
  if (me.role === 'reviewer' || me.role === 'admin') document.getElementById('to-review').hidden = false;
  document.getElementById('period').addEventListener('change', () => refresh().catch(console.error));
  document.getElementById('status').addEventListener('change', () => refresh().catch(console.error));
  document.getElementById('lightbox').addEventListener('click', (e) => { e.currentTarget.hidden = true; });
  for (const b of document.querySelectorAll('button.csv')) b.addEventListener('click', () => csv(b.dataset.view));
  findAnchor().then(refresh).catch(console.error);
  setInterval(() => findAnchor().then(refresh).catch(console.error), REFRESH_MS);
});
