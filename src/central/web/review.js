/* The review page: the oldest pending violation leased to this reviewer,
 * its evidence full size, its fields and the camera's other recent
 * violations; decisions by keyboard alone (Enter/C confirm, 1-9 reject
 * with that reason, S skip, F evidence full screen). Text from boxes is
 * set with textContent, never parsed as HTML. */
'use strict';

let current = null; // the violation shown
let reasons = [];
let busy = false;

function rel(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function filters() {
  const f = {};
  for (const k of ['type', 'camera', 'road', 'unit']) {
    const v = document.getElementById(`f-${k}`).value.trim();
    if (v) f[k] = v;
  }
  return f;
}

async function getJson(path, params) {
  const r = await fetch(`/api/v1/${path}?${new URLSearchParams(params || {})}`, { credentials: 'same-origin' });
  if (r.status === 401) { location.href = '/login'; throw new Error('signed out'); }
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

async function loadStats() {
  const s = await getJson('review/stats', filters());
  document.getElementById('stat-confirmed').textContent = s.all.confirmed;
  document.getElementById('stat-rejected').textContent = s.all.rejected;
  document.getElementById('stat-pending').textContent = s.all.pending;
  const decided = s.all.confirmed + s.all.rejected;
  document.getElementById('stat-rate').textContent =
    decided ? `${Math.round((100 * s.all.rejected) / decided)}%` : '—';
}

function fieldRows(v) {
  const tb = document.getElementById('fields');
  tb.replaceChildren();
  const row = (k, val) => tb.append(rel('tr', {}, rel('th', {}, t(k)), rel('td', {}, val === null || val === undefined || val === '' ? t('none') : val)));
  row('type', typeName(v.type));
  row('code', codeOf(v.type, v.code));
  row('time', fmtCity(v.ts));
  row('ts_start', fmtCity(v.ts_start));
  row('plate', v.plate);
  row('class', className(v.class));
  row('location', v.location);
  row('road', v.road);
  row('unit', v.unit);
  row('camera', v.camera);
  row('box', v.box);
  row('conf', typeof v.conf === 'number' ? v.conf.toFixed(2) : v.conf);
  if (v.signal_state) row('signal', v.signal_state);
  row('id', v.id);
}

function recentRows(list) {
  const tb = document.getElementById('recent');
  tb.replaceChildren(rel('tr', {}, ...['time', 'type', 'plate', 'status'].map((k) => rel('th', {}, t(k)))));
  for (const v of list) {
    tb.append(rel('tr', {}, rel('td', { class: 'nowrap' }, fmtCity(v.ts)), rel('td', {}, typeName(v.type)),
      rel('td', {}, v.plate || t('none')), rel('td', {}, t(v.review ? v.review.status : 'pending'))));
  }
  if (!list.length) tb.append(rel('tr', {}, rel('td', { class: 'muted' }, t('no_data'))));
  document.getElementById('recent-section').hidden = false;
}

async function next() {
  const out = await getJson('review/next', filters());
  current = out.violation;
  document.getElementById('msg').textContent = '';
  document.getElementById('note').value = '';
  document.getElementById('empty').hidden = !!current;
  document.getElementById('case').hidden = !current;
  document.getElementById('recent-section').hidden = !current;
  if (current) {
    const img = document.getElementById('evidence');
    document.getElementById('case').dataset.id = current.id;
    document.getElementById('title').textContent = `${typeName(current.type)} · ${current.location || ''}`;
    if (current.evidence_url) {
      img.hidden = false;
      img.src = current.evidence_url;
      img.alt = typeName(current.type);
      document.getElementById('no-evidence').hidden = true;
    } else {
      img.hidden = true;
      img.removeAttribute('src');
      const ne = document.getElementById('no-evidence');
      ne.hidden = false;
      ne.textContent = current.evidence_expired ? t('image_expired') : t('no_evidence');
    }
    fieldRows(current);
    document.getElementById('lease').textContent = `${t('lease')} ${fmtCity(out.lease_until)}`;
    recentRows(out.recent);
  }
  await loadStats();
  document.body.dataset.ready = current ? current.id : 'empty';
}

async function decide(decision, reason) {
  if (!current || busy) return;
  const body = { id: current.id, decision };
  if (reason) body.reason = reason;
  const note = document.getElementById('note').value.trim();
  if (decision === 'reject' && reason === 'other') {
    if (!note) { document.getElementById('note').focus(); return; }
    body.note = note;
  } else if (decision === 'reject' && note) {
    body.note = note;
  }
  busy = true;
  document.body.dataset.ready = '';
  try {
    const r = await fetch('/api/v1/review/decision', { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status === 401) { location.href = '/login'; return; }
    if (r.status === 409) document.getElementById('msg').textContent = t('lease_lost');
    await next();
  } finally {
    busy = false;
  }
}

function onKey(e) {
  const inNote = e.target && e.target.id === 'note';
  const inFilter = e.target && e.target.id && e.target.id.startsWith('f-');
  if (inFilter) { if (e.key === 'Enter') next().catch(console.error); return; }
  if (inNote) {
    if (e.key === 'Enter') { e.preventDefault(); decide('reject', 'other'); }
    if (e.key === 'Escape') e.target.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key.toLowerCase();
  if (k === 'enter' || k === 'c') { e.preventDefault(); decide('confirm'); }
  else if (k === 's') { e.preventDefault(); decide('skip'); }
  else if (k === 'f') {
    const box = document.getElementById('lightbox');
    if (box.hidden && current && current.evidence_url) {
      document.getElementById('lightbox-img').src = current.evidence_url;
      box.hidden = false;
    } else box.hidden = true;
  } else if (k === 'escape') document.getElementById('lightbox').hidden = true;
  else if (/^[1-9]$/.test(k) && Number(k) <= reasons.length) {
    e.preventDefault();
    decide('reject', reasons[Number(k) - 1]);
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  const me = await loadI18n();
  reasons = me.reasons;
  document.getElementById('who').textContent = me.user || '';
  document.getElementById('b-confirm').textContent = `${t('confirm')} (Enter)`;
  document.getElementById('b-skip').textContent = `${t('skip')} (S)`;
  document.getElementById('b-confirm').addEventListener('click', () => decide('confirm'));
  document.getElementById('b-skip').addEventListener('click', () => decide('skip'));
  const ol = document.getElementById('reasons');
  reasons.forEach((r, i) => {
    const b = rel('button', { type: 'button', 'data-reason': r }, `${i + 1} · ${t('reject')}：${reasonName(r)}`);
    b.addEventListener('click', () => decide('reject', r));
    ol.append(rel('li', {}, b));
  });
  const sel = document.getElementById('f-type');
  sel.options[0].textContent = I18N.locale === 'en' ? 'all' : '全部';
  for (const ty of Object.keys(TYPES['zh-CN']).filter((x) => x !== 'other')) {
    sel.append(rel('option', { value: ty }, typeName(ty)));
  }
  // filters may come in the address: /review?type=red_light&road=...
  const q = new URLSearchParams(location.search);
  for (const k of ['type', 'camera', 'road', 'unit']) if (q.get(k)) document.getElementById(`f-${k}`).value = q.get(k);
  document.getElementById('f-apply').addEventListener('click', () => next().catch(console.error));
  document.getElementById('lightbox').addEventListener('click', (e) => { e.currentTarget.hidden = true; });
  document.getElementById('evidence').addEventListener('click', () => onKey({ key: 'f', target: document.body, preventDefault() {} }));
  document.addEventListener('keydown', onKey);
  await next();
});
