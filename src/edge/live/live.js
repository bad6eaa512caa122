// ordercamd's live view (docs/daemon.md "Live view"): the box's cameras, and
// per camera its newest frame with the scene drawn over it; edit mode edits
// the camera's zones and lines (docs/daemon.md "Zone editor"). Plain
// JavaScript, no dependencies. The drawing follows the same style table as
// replay's --render (src/evidence/oc_overlay.c): keep the two in step.
'use strict';

const params = new URLSearchParams(location.search);
const TOKEN = params.get('token') || '';
const ZOOM1 = params.get('zoom') === '1'; // draw at the camera's own pixel size

// ---- the style (same as oc_overlay.c) ----
const ZONE_COLORS = {
  no_parking: '#ff3b30', tactile_paving: '#ffcc00', crosswalk: '#ffffff', carriageway: '#5ac8fa',
  lane: '#34c759', no_vending: '#af52de', helmet_enforcement: '#ff9500',
};
const SIGNAL_COLORS = { red: '#ff0000', yellow: '#ffc800', green: '#00c800' };
const SIGNAL_OTHER = '#a0a0a0';
const EXIT_COLOR = '#0a84ff';
const TRACK_COLOR = '#00e5ff';
const ANCHOR_COLOR = '#ff00ff';
const STAY_COLOR = '#ff9500';
const VIOLATION_COLOR = '#ff0000';
const FLASH_MS = 10000; // a violation flashes this long (camera time) after it happened

const TYPE_NAMES = {
  illegal_parking: '违法停车', tactile_paving_occupied: '占用盲道', street_vending: '占道经营',
  red_light: '闯红灯', stop_line_crossing: '越线停车', nonmotor_red_light: '非机动车闯红灯',
  pedestrian_red_light: '行人闯红灯', jaywalking: '行人横穿', wrong_way: '逆行', no_helmet: '未戴头盔',
};
const STATE_NAMES = { red: '红灯', yellow: '黄灯', green: '绿灯', flashing: '闪烁', off: '关闭', unknown: '未知' };
const ZONE_KINDS = ['no_parking', 'tactile_paving', 'no_vending', 'crosswalk', 'carriageway', 'lane', 'helmet_enforcement'];
const ZONE_KIND_NAMES = {
  no_parking: '禁停区', tactile_paving: '盲道', no_vending: '禁止摆摊区', crosswalk: '人行横道',
  carriageway: '机动车道', lane: '车道', helmet_enforcement: '头盔检查区',
};
const LINE_KINDS = ['stop_line', 'exit_line'];
const LINE_KIND_NAMES = { stop_line: '停止线', exit_line: '出口线' };

const $ = (s) => document.querySelector(s);

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  return fetch(path, Object.assign({}, opts, { headers, cache: 'no-store' }));
}

function link(hash) {
  return `${location.pathname}${location.search}#${hash}`;
}

function age(s) {
  if (s === null || s === undefined) return '—';
  return s < 60 ? `${s.toFixed(1)} 秒前` : `${Math.round(s / 60)} 分钟前`;
}

function setStatus(text, bad) {
  const s = $('#status');
  s.textContent = text;
  s.className = bad ? 'bad' : 'muted';
}

// ---- the box ----
let boxTimer = null;

async function showBox() {
  const r = await api('/api/v1/cameras');
  if (!r.ok) {
    setStatus(`设备无响应（${r.status}）`, true);
    return;
  }
  const b = await r.json();
  setStatus('已连接');
  $('#box-id').textContent = b.box;
  $('#box-time').textContent = new Date(b.box_time).toLocaleString('zh-CN');
  const tb = $('#cams tbody');
  tb.replaceChildren(...b.cameras.map((c) => el('tr', { 'data-camera': c.id },
    el('td', {}, c.id), el('td', {}, c.location || ''),
    el('td', { class: 'num' }, c.messages_per_s.toFixed(1)),
    el('td', { class: 'num' }, c.clock_skew_ms === null ? '—' : `${(c.clock_skew_ms / 1000).toFixed(1)} 秒`),
    el('td', { class: 'num' }, age(c.last_message_age_s)),
    el('td', { class: 'num' }, age(c.last_frame_age_s)),
    el('td', { class: 'num' }, c.tracks),
    el('td', {}, el('a', { href: link(c.id) }, '查看')))));
  const drops = Object.entries(b.drops);
  $('#drops tbody').replaceChildren(...(drops.length ? drops.map(([k, v]) =>
    el('tr', {}, el('td', {}, k), el('td', { class: 'num' }, v))) : [el('tr', {}, el('td', {}, '无'), el('td'))]));
  document.body.dataset.loaded = '1';
}

// ---- one camera ----
const cam = {
  id: null, scene: null, frame: null, frameTs: null, timer: null, busy: false,
  edit: false, section: null, sel: null, drag: null, errors: {},
  hold: false, // set by tests: keep what is drawn (no refresh)
};
window.ocLive = cam;

function canvas() { return $('#canvas'); }

async function refresh() {
  if (cam.busy || !cam.id || cam.hold) return;
  cam.busy = true;
  try {
    const [sr, fr] = await Promise.all([
      api(`/api/v1/cameras/${encodeURIComponent(cam.id)}/scene`),
      api(`/api/v1/cameras/${encodeURIComponent(cam.id)}/frame.jpg`),
    ]);
    if (sr.ok) {
      cam.scene = await sr.json();
      setStatus('已连接');
    } else {
      setStatus(sr.status === 404 ? '没有这台摄像机' : `设备无响应（${sr.status}）`, true);
    }
    if (fr.ok) {
      const blob = await fr.blob();
      const img = await createImageBitmap(blob);
      if (cam.frame && cam.frame.close) cam.frame.close();
      cam.frame = img;
      cam.frameTs = Number(fr.headers.get('X-Frame-Ts'));
    }
    draw();
    panels();
  } catch (e) {
    setStatus('连接中断', true);
  } finally {
    cam.busy = false;
  }
}

function startCamera(id) {
  cam.id = id;
  cam.scene = null;
  cam.frame = null;
  cam.section = null;
  cam.errors = {};
  $('#cam-title').textContent = id;
  $('#edit-mode').checked = false;
  setEdit(false);
  restartTimer();
  refresh();
}

function restartTimer() {
  clearInterval(cam.timer);
  const fps = Math.min(5, Math.max(1, Number($('#fps').value) || 2));
  cam.timer = setInterval(refresh, 1000 / fps);
}

// ---- drawing ----
function unit(sc) { return Math.max(1, Math.round(sc.width / 640)); }

function label(ctx, text, x, y, color, px) {
  ctx.font = `${px}px "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif`;
  const w = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(0,0,0,0.6)';
  ctx.fillRect(x, y - px, w + 8, px + 6);
  ctx.fillStyle = color;
  ctx.fillText(text, x + 4, y);
}

// lw 0: the light fill only; else the outline only
function poly(ctx, pts, color, lw) {
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  if (!lw) {
    ctx.globalAlpha = 0.12;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
    return;
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = lw;
  ctx.stroke();
}

function segment(ctx, p, q, color, lw) {
  ctx.beginPath();
  ctx.moveTo(p[0], p[1]);
  ctx.lineTo(q[0], q[1]);
  ctx.strokeStyle = color;
  ctx.lineWidth = lw;
  ctx.stroke();
}

// the direction arrow from the line's middle
function arrow(ctx, p, q, dir, color, lw, len) {
  const n = Math.hypot(dir[0], dir[1]) || 1;
  const d = [dir[0] / n, dir[1] / n];
  const m = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
  const e = [m[0] + d[0] * len, m[1] + d[1] * len];
  segment(ctx, m, e, color, lw);
  const s = len / 3;
  segment(ctx, e, [e[0] - d[0] * s - d[1] * s / 2, e[1] - d[1] * s + d[0] * s / 2], color, lw);
  segment(ctx, e, [e[0] - d[0] * s + d[1] * s / 2, e[1] - d[1] * s - d[0] * s / 2], color, lw);
}

function lineColor(l, signals) {
  if (l.kind !== 'stop_line') return EXIT_COLOR;
  const s = signals.find((x) => x.id === l.signal);
  return (s && SIGNAL_COLORS[s.state]) || SIGNAL_OTHER;
}

// zones and lines: the scene's, or in edit mode the section being edited
function shapes() {
  if (cam.edit && cam.section) {
    return {
      zones: (cam.section.zones || []).map((z) => ({ id: z.id, kind: z.kind, polygon: z.polygon || [] })),
      lines: (cam.section.lines || []).map((l) => ({ id: l.id, kind: l.kind, points: l.points || [], direction: l.direction || [1, 0], signal: l.signal })),
    };
  }
  return cam.scene ? { zones: cam.scene.zones, lines: cam.scene.lines } : { zones: [], lines: [] };
}

function draw() {
  const sc = cam.scene;
  if (!sc) return;
  const cv = canvas();
  if (cv.width !== sc.width || cv.height !== sc.height) {
    cv.width = sc.width;
    cv.height = sc.height;
  }
  const ctx = cv.getContext('2d');
  const u = unit(sc), px = Math.max(12, Math.round(sc.height / 40));
  ctx.fillStyle = '#333';
  ctx.fillRect(0, 0, cv.width, cv.height);
  if (cam.frame) ctx.drawImage(cam.frame, 0, 0, cv.width, cv.height);
  else label(ctx, '等待画面…', 20, 40, '#ffffff', px);
  const { zones, lines } = shapes();
  // every fill first, so that no fill tints another zone's outline
  zones.forEach((z) => {
    if (z.polygon.length) poly(ctx, z.polygon, ZONE_COLORS[z.kind] || '#ffffff', 0);
  });
  zones.forEach((z) => {
    if (z.polygon.length) poly(ctx, z.polygon, ZONE_COLORS[z.kind] || '#ffffff', u);
  });
  lines.forEach((l) => {
    if (l.points.length !== 2) return;
    const c = lineColor(l, sc.signals);
    segment(ctx, l.points[0], l.points[1], c, 2 * u);
    arrow(ctx, l.points[0], l.points[1], l.direction, c, u, 20 * u);
  });
  zones.forEach((z) => {
    if (z.polygon.length) label(ctx, `${z.id} ${ZONE_KIND_NAMES[z.kind] || z.kind}`, z.polygon[0][0] + 2 * u, z.polygon[0][1] + px + 2 * u, ZONE_COLORS[z.kind] || '#ffffff', px);
  });
  lines.forEach((l) => {
    if (l.points.length !== 2) return;
    const s = sc.signals.find((x) => x.id === l.signal);
    const text = s ? `${l.id} ${STATE_NAMES[s.state] || s.state}` : l.id;
    label(ctx, text, l.points[0][0] + 2 * u, l.points[0][1] - 2 * u, lineColor(l, sc.signals), px);
  });
  sc.stays.forEach((s) => {
    ctx.strokeStyle = STAY_COLOR;
    ctx.lineWidth = 2 * u;
    ctx.strokeRect(s.box[0], s.box[1], s.box[2], s.box[3]);
    label(ctx, `停留 ${Math.round(s.dwell_s)}/${Math.round(s.limit_s)} 秒`, s.box[0], s.box[1] + s.box[3] + px + 2 * u, STAY_COLOR, px);
  });
  sc.tracks.forEach((t) => {
    ctx.strokeStyle = TRACK_COLOR;
    ctx.lineWidth = u;
    ctx.strokeRect(t.box[0], t.box[1], t.box[2], t.box[3]);
    ctx.fillStyle = ANCHOR_COLOR;
    ctx.beginPath();
    ctx.arc(t.anchor[0], t.anchor[1], 2 * u, 0, 2 * Math.PI);
    ctx.fill();
    label(ctx, `${t.id} ${t.class}`, t.box[0], t.box[1] - 2 * u, TRACK_COLOR, px);
  });
  const on = Math.floor(Date.now() / 300) % 2 === 0;
  sc.violations.forEach((v) => {
    if (!v.box || sc.clock === null || sc.clock - v.ts > FLASH_MS || !on) return;
    ctx.strokeStyle = VIOLATION_COLOR;
    ctx.lineWidth = 3 * u;
    ctx.strokeRect(v.box[0], v.box[1], v.box[2], v.box[3]);
    label(ctx, TYPE_NAMES[v.type] || v.type, v.box[0], v.box[1] + v.box[3] + 2 * px, VIOLATION_COLOR, px);
  });
  if (cam.edit && cam.section) drawHandles(ctx, u, px);
  document.body.dataset.drawn = String(Number(document.body.dataset.drawn || 0) + 1);
}

function drawHandles(ctx, u, px) {
  const h = 5 * u;
  eachVertex((kind, i, k, p) => {
    const sel = cam.sel && cam.sel.kind === kind && cam.sel.i === i;
    ctx.fillStyle = sel ? '#0a84ff' : '#ffffff';
    ctx.strokeStyle = '#000000';
    ctx.lineWidth = 1;
    ctx.fillRect(p[0] - h / 2, p[1] - h / 2, h, h);
    ctx.strokeRect(p[0] - h / 2, p[1] - h / 2, h, h);
  });
  for (const [key, msg] of Object.entries(cam.errors)) {
    const [kind, i] = key.split(':');
    const arr = kind === 'zone' ? cam.section.zones : cam.section.lines;
    const s = arr && arr[Number(i)];
    const p = s && (kind === 'zone' ? s.polygon : s.points);
    // on the picture the problem alone, without the file and the path
    const short = msg.replace(/^.*?: \$[^ ]*: /, '');
    if (p && p.length && Array.isArray(p[0])) label(ctx, short, p[0][0], p[0][1] + 3 * px, VIOLATION_COLOR, px);
  }
}

function eachVertex(fn) {
  (cam.section.zones || []).forEach((z, i) => (z.polygon || []).forEach((p, k) => Array.isArray(p) && fn('zone', i, k, p)));
  (cam.section.lines || []).forEach((l, i) => (l.points || []).forEach((p, k) => Array.isArray(p) && fn('line', i, k, p)));
}

// ---- side panel ----
function panels() {
  const sc = cam.scene;
  if (!sc) return;
  $('#cam-clock').textContent = sc.clock === null ? '尚无消息' : `摄像机时间 ${new Date(sc.clock).toLocaleString('zh-CN')}`;
  $('#signals').replaceChildren(...sc.signals.map((s) => el('li', { 'data-signal': s.id },
    el('span', { class: 'dot', style: `background:${SIGNAL_COLORS[s.state] || SIGNAL_OTHER}` }),
    `${s.id}：${STATE_NAMES[s.state] || s.state}`)));
  $('#track-count').textContent = `${sc.tracks.length}${sc.tracks_total > sc.tracks.length ? ` / ${sc.tracks_total}` : ''} 个`;
  $('#stays').replaceChildren(...sc.stays.map((s) => el('li', {},
    `${s.zone || ''} ${s.track}：${Math.round(s.dwell_s)} / ${Math.round(s.limit_s)} 秒${s.emitted ? '（已记录）' : ''}`)));
  $('#violations').replaceChildren(...sc.violations.slice().reverse().map((v) => el('li', { 'data-type': v.type },
    `${TYPE_NAMES[v.type] || v.type} ${v.where || ''} ${v.track || ''} ${new Date(v.ts).toLocaleTimeString('zh-CN')}`)));
}

// ---- the editor ----
async function setEdit(on) {
  cam.edit = on;
  $('#edit-panel').hidden = !on;
  $('#view-panel').hidden = on;
  if (on && !cam.section) {
    const r = await api(`/api/v1/cameras/${encodeURIComponent(cam.id)}/config`);
    if (!r.ok) {
      $('#edit-msg').textContent = `无法读取配置（${r.status}）`;
      return;
    }
    cam.section = await r.json();
    cam.section.zones = cam.section.zones || [];
    cam.section.lines = cam.section.lines || [];
  }
  if (on) editPanel();
  draw();
}

function signalsKnown() {
  const ids = new Set((cam.scene ? cam.scene.signals : []).map((s) => s.id));
  (cam.section.lines || []).forEach((l) => l.signal && ids.add(l.signal));
  return [...ids];
}

function ptsText(pts) { return (pts || []).map((p) => (Array.isArray(p) ? p.join(',') : '')).join('; '); }

function parsePts(text) {
  return text.split(';').map((s) => s.trim()).filter(Boolean).map((s) => s.split(',').map((v) => Number(v.trim())));
}

function shapeBox(kind, i) {
  const arr = kind === 'zone' ? cam.section.zones : cam.section.lines;
  const s = arr[i];
  const key = `${kind}:${i}`;
  const box = el('div', { class: `shape${cam.sel && cam.sel.kind === kind && cam.sel.i === i ? ' sel' : ''}`, 'data-shape': key, 'data-id': s.id || '' });
  box.append(el('label', {}, '名称 ', el('input', { type: 'text', class: 'id', value: s.id || '',
    onchange: (e) => { s.id = e.target.value; changed(); } })));
  const kinds = kind === 'zone' ? ZONE_KINDS : LINE_KINDS;
  const names = kind === 'zone' ? ZONE_KIND_NAMES : LINE_KIND_NAMES;
  const ksel = el('select', { class: 'kind', onchange: (e) => { s.kind = e.target.value; changed(true); } },
    ...kinds.map((k) => { const o = el('option', { value: k }, names[k]); if (k === s.kind) o.selected = true; return o; }));
  box.append(el('label', {}, '类型 ', ksel));
  const field = kind === 'zone' ? 'polygon' : 'points';
  box.append(el('label', {}, kind === 'zone' ? '顶点 (x,y; …)' : '端点 (x,y; x,y)', el('input', { type: 'text', class: 'points', value: ptsText(s[field]),
    onchange: (e) => { s[field] = parsePts(e.target.value); changed(); } })));
  if (kind === 'line' || s.kind === 'lane') {
    const d = s.direction || [1, 0];
    const dx = el('input', { type: 'number', class: 'num dx', step: 'any', value: d[0] });
    const dy = el('input', { type: 'number', class: 'num dy', step: 'any', value: d[1] });
    const set = () => { s.direction = [Number(dx.value), Number(dy.value)]; changed(); };
    dx.addEventListener('change', set);
    dy.addEventListener('change', set);
    box.append(el('label', {}, '方向 ', dx, ' ', dy, ' ',
      el('button', { type: 'button', class: 'reverse', onclick: () => { s.direction = [-(s.direction || d)[0], -(s.direction || d)[1]]; changed(true); } }, '反向')));
  }
  if (kind === 'line' && s.kind === 'stop_line') {
    const sig = el('select', { class: 'signal', onchange: (e) => { s.signal = e.target.value; changed(); } },
      ...signalsKnown().map((id) => { const o = el('option', { value: id }, id); if (id === s.signal) o.selected = true; return o; }));
    box.append(el('label', {}, '信号灯 ', sig));
  }
  box.append(el('button', { type: 'button', class: 'delete', onclick: () => { arr.splice(i, 1); cam.sel = null; changed(true); } }, '删除'));
  box.append(el('div', { class: 'err' }, cam.errors[key] || ''));
  box.addEventListener('click', () => { cam.sel = { kind, i }; draw(); });
  return box;
}

function editPanel() {
  const list = [];
  cam.section.zones.forEach((z, i) => list.push(shapeBox('zone', i)));
  cam.section.lines.forEach((l, i) => list.push(shapeBox('line', i)));
  $('#shapes').replaceChildren(...list);
}

function changed(rebuild) {
  cam.errors = {};
  $('#edit-msg').textContent = '已修改，尚未校验';
  if (rebuild) editPanel();
  else document.querySelectorAll('.shape .err').forEach((e) => (e.textContent = ''));
  draw();
}

function uniqueId(prefix) {
  const ids = new Set([...cam.section.zones, ...cam.section.lines].map((s) => s.id));
  for (let n = 1; ; n++) if (!ids.has(`${prefix}-${n}`)) return `${prefix}-${n}`;
}

function addZone() {
  const w = cam.scene ? cam.scene.width : 1920, h = cam.scene ? cam.scene.height : 1080;
  const x = Math.round(w / 2), y = Math.round(h / 2), s = Math.round(Math.min(w, h) / 8);
  cam.section.zones.push({ id: uniqueId('zone'), kind: 'no_parking', polygon: [[x - s, y - s], [x + s, y - s], [x + s, y + s], [x - s, y + s]] });
  cam.sel = { kind: 'zone', i: cam.section.zones.length - 1 };
  changed(true);
}

function addLine() {
  const w = cam.scene ? cam.scene.width : 1920, h = cam.scene ? cam.scene.height : 1080;
  const x = Math.round(w / 2), y = Math.round(h / 2), s = Math.round(h / 6);
  cam.section.lines.push({ id: uniqueId('line'), kind: 'exit_line', points: [[x, y - s], [x, y + s]], direction: [1, 0] });
  cam.sel = { kind: 'line', i: cam.section.lines.length - 1 };
  changed(true);
}

// "$.zones[1].polygon[2]" -> "zone:1"
function errorKey(path) {
  const m = /^\$\.(zones|lines)\[(\d+)\]/.exec(path || '');
  return m ? `${m[1] === 'zones' ? 'zone' : 'line'}:${m[2]}` : null;
}

async function judge(what, headers = {}) {
  const r = await api(`/api/v1/cameras/${encodeURIComponent(cam.id)}/${what}`, {
    method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, headers),
    body: JSON.stringify(cam.section),
  });
  let body = {};
  try { body = await r.json(); } catch (e) { body = { error: `HTTP ${r.status}` }; }
  cam.errors = {};
  const msg = $('#edit-msg');
  if (r.ok) {
    msg.textContent = what === 'apply' ? '已写入配置文件，设备正在重新加载' : '校验通过';
    msg.className = 'ok';
  } else {
    const key = errorKey(body.path);
    if (key) cam.errors[key] = body.error;
    msg.textContent = body.error || `HTTP ${r.status}`;
    msg.className = 'bad';
  }
  editPanel();
  draw();
  return r.ok;
}

function download() {
  const text = `${JSON.stringify(cam.section, null, 2)}\n`;
  const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'application/json' })), download: `${cam.id}.json` });
  document.body.append(a);
  a.click();
  a.remove();
}

// pointer position in camera pixels
function camPoint(ev) {
  const cv = canvas(), r = cv.getBoundingClientRect();
  return [(ev.clientX - r.left) * cv.width / r.width, (ev.clientY - r.top) * cv.height / r.height];
}

function onDown(ev) {
  if (!cam.edit || !cam.section) return;
  const p = camPoint(ev), cv = canvas();
  const reach = 12 * cv.width / cv.getBoundingClientRect().width;
  let best = null, bd = reach + 1e-9; // the first shape wins a tie (zones before lines)
  eachVertex((kind, i, k, v) => {
    const d = Math.hypot(v[0] - p[0], v[1] - p[1]);
    if (d < bd) { bd = d; best = { kind, i, k }; }
  });
  if (!best) return;
  cam.drag = best;
  cam.sel = { kind: best.kind, i: best.i };
  cv.setPointerCapture(ev.pointerId);
  ev.preventDefault();
}

function onMove(ev) {
  if (!cam.drag) return;
  const p = camPoint(ev).map(Math.round);
  const s = cam.drag.kind === 'zone' ? cam.section.zones[cam.drag.i] : cam.section.lines[cam.drag.i];
  (cam.drag.kind === 'zone' ? s.polygon : s.points)[cam.drag.k] = p;
  draw();
}

function onUp() {
  if (!cam.drag) return;
  cam.drag = null;
  changed(true);
}

// ---- routing ----
function route() {
  const id = decodeURIComponent(location.hash.slice(1));
  clearInterval(boxTimer);
  clearInterval(cam.timer);
  $('#box-view').hidden = !!id;
  $('#cam-view').hidden = !id;
  if (id) {
    startCamera(id);
  } else {
    cam.id = null;
    showBox();
    boxTimer = setInterval(showBox, 1000);
  }
}

$('#home').href = link('');
$('#stage').classList.toggle('zoom1', ZOOM1);
$('#fps').addEventListener('change', restartTimer);
$('#edit-mode').addEventListener('change', (e) => setEdit(e.target.checked));
$('#add-zone').addEventListener('click', addZone);
$('#add-line').addEventListener('click', addLine);
$('#apply-form').addEventListener('submit', (e) => e.preventDefault());
$('#validate').addEventListener('click', () => judge('validate'));
$('#download').addEventListener('click', download);
$('#apply').addEventListener('click', () => judge('apply', { 'X-Admin-Token': $('#admin-token').value }));
canvas().addEventListener('pointerdown', onDown);
canvas().addEventListener('pointermove', onMove);
canvas().addEventListener('pointerup', onUp);
canvas().addEventListener('pointercancel', onUp);
window.addEventListener('hashchange', route);
route();
