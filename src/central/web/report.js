/* The periodic report (通报): a week or a month per responsible unit or
 * road, ranked, against the period before; printable on A4 (print CSS in
 * app.css) and as CSV. Text from boxes is set with textContent. */
'use strict';

const RT = {
  'zh-CN': {
    week: '周报', month: '月报', unit: '按责任单位', road: '按道路', show: '生成', print: '打印',
    csv: '导出CSV', title: '城市交通与市容秩序通报', total: '一、总体情况', types: '二、分类统计',
    ranking_unit: '三、责任单位排名', ranking_road: '三、道路排名', cameras: '四、问题突出点位',
    hours: '五、高发时段', plates: '六、重复违法车辆（执法类）', rank: '名次', name_unit: '责任单位',
    name_road: '道路', count: '本期', prev: '上期', change: '环比', confirmed: '审核确认',
    share: '确认率', camera: '摄像机', rate: '驳回率', hour: '时段', plate: '号牌', times: '次数',
    first: '首次', last: '最近', none: '无', period_of: '统计周期', generated: '生成时间',
    frozen: '本期已结束，数据已固定（再次生成结果相同）', live: '本期尚未结束，数据可能变化',
    total_text: (n, ch, c, sh) => `本期共发现违法行为 ${n} 起，${ch}；经审核确认 ${c} 起，确认率 ${sh}。`,
    vs: '与上期相比', same: '与上期持平', nodata_prev: '上期无数据',
  },
  en: {
    week: 'Weekly', month: 'Monthly', unit: 'by unit', road: 'by road', show: 'Show', print: 'Print',
    csv: 'CSV', title: 'Order report', total: '1. Overview', types: '2. By type',
    ranking_unit: '3. Ranking of units', ranking_road: '3. Ranking of roads', cameras: '4. Worst cameras',
    hours: '5. Worst hours', plates: '6. Repeat plates (enforcement types)', rank: 'rank', name_unit: 'unit',
    name_road: 'road', count: 'count', prev: 'previous', change: 'change', confirmed: 'confirmed',
    share: 'confirmed share', camera: 'camera', rate: 'rejection rate', hour: 'hour', plate: 'plate',
    times: 'times', first: 'first', last: 'last', none: 'none', period_of: 'Period', generated: 'Generated',
    frozen: 'The period has ended; the figures are fixed', live: 'The period is still running; figures may change',
    total_text: (n, ch, c, sh) => `${n} violations, ${ch}; ${c} confirmed by review (${sh}).`,
    vs: 'against the previous period', same: 'unchanged', nodata_prev: 'no previous data',
  },
};
const rt = (k) => (RT[I18N.locale] || RT['zh-CN'])[k];

function mk(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function change(x) {
  if (x === null || x === undefined) return mk('span', { class: 'muted' }, '—');
  const pct = `${Math.abs(Math.round(x * 1000) / 10)}%`;
  if (x > 0) return mk('span', { class: 'up' }, `▲ ${pct}`);
  if (x < 0) return mk('span', { class: 'down' }, `▼ ${pct}`);
  return mk('span', {}, `— 0%`);
}

const share = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10}%`);

function fill(id, head, rows) {
  const tb = document.getElementById(id);
  tb.replaceChildren(mk('thead', {}, mk('tr', {}, ...head.map((h) => mk('th', { class: h.num ? 'num' : '' }, h.t)))));
  const body = mk('tbody');
  for (const r of rows) body.append(mk('tr', {}, ...head.map((h) => mk('td', { class: h.num ? 'num' : '' }, h.v(r)))));
  if (!rows.length) body.append(mk('tr', {}, mk('td', { class: 'muted' }, rt('none'))));
  tb.append(body);
}

function dateOnly(ms) { return fmtCity(ms).split(' ')[0]; }

function params() {
  const p = { period: document.getElementById('r-period').value, by: document.getElementById('r-by').value };
  const d = document.getElementById('r-date').value;
  if (d) p.date = d;
  return p;
}

async function show() {
  const p = params();
  history.replaceState(null, '', `/report?${new URLSearchParams(p)}`);
  document.getElementById('r-csv').href = `/api/v1/report?${new URLSearchParams({ ...p, format: 'csv' })}`;
  const r = await fetch(`/api/v1/report?${new URLSearchParams(p)}`, { credentials: 'same-origin' });
  if (r.status === 401) { location.href = '/login'; return; }
  const rep = await r.json();
  const city = rep.city || I18N.me.city || '';
  document.getElementById('r-title').textContent =
    `${city}${rt('title')}（${rt(rep.period)} · ${rt(rep.by)}）`;
  document.getElementById('r-range').textContent =
    `${rt('period_of')}：${dateOnly(rep.from)} — ${dateOnly(rep.to - 1)}`;
  const tot = rep.total;
  const ch = tot.change === null ? rt('nodata_prev')
    : tot.change === 0 ? rt('same')
      : `${rt('vs')}${tot.change > 0 ? '上升' : '下降'} ${Math.abs(Math.round(tot.change * 1000) / 10)}%`;
  const chText = I18N.locale === 'en' && tot.change !== null && tot.change !== 0
    ? `${tot.change > 0 ? 'up' : 'down'} ${Math.abs(Math.round(tot.change * 1000) / 10)}% ${rt('vs')}` : ch;
  document.getElementById('r-total').textContent =
    rt('total_text')(tot.count, chText, tot.confirmed, share(tot.records ? tot.confirmed / tot.records : null));
  for (const [id, k] of [['h-total', 'total'], ['h-types', 'types'], ['h-cameras', 'cameras'],
    ['h-hours', 'hours'], ['h-plates', 'plates']]) document.getElementById(id).textContent = rt(k);
  document.getElementById('h-ranking').textContent = rt(`ranking_${rep.by}`);
  fill('r-types', [{ t: t('type'), v: (x) => typeName(x.type) }, { t: rt('count'), num: true, v: (x) => x.count },
    { t: rt('prev'), num: true, v: (x) => x.prev }, { t: rt('change'), num: true, v: (x) => change(x.change) }], rep.types);
  fill('r-ranking', [{ t: rt('rank'), num: true, v: (x) => x.rank },
    { t: rt(`name_${rep.by}`), v: (x) => x.name || t('none') },
    { t: rt('count'), num: true, v: (x) => x.count }, { t: rt('prev'), num: true, v: (x) => x.prev },
    { t: rt('change'), num: true, v: (x) => change(x.change) },
    { t: rt('confirmed'), num: true, v: (x) => x.confirmed }, { t: rt('share'), num: true, v: (x) => share(x.confirmed_share) }],
  rep.ranking);
  fill('r-cameras', [{ t: rt('camera'), v: (x) => x.camera }, { t: t('box'), v: (x) => x.box },
    { t: rt('count'), num: true, v: (x) => x.count }, { t: rt('rate'), num: true, v: (x) => share(x.rejection_rate) }],
  rep.cameras);
  const hours = [...rep.hours].sort((a, b) => b.count - a.count).slice(0, 5);
  fill('r-hours', [{ t: rt('hour'), v: (x) => `${String(x.hour_of_day).padStart(2, '0')}:00—${String(x.hour_of_day + 1).padStart(2, '0')}:00` },
    { t: rt('count'), num: true, v: (x) => x.count }], hours);
  fill('r-plates', [{ t: rt('plate'), v: (x) => x.plate }, { t: rt('times'), num: true, v: (x) => x.count },
    { t: rt('first'), v: (x) => fmtCity(x.first) }, { t: rt('last'), v: (x) => fmtCity(x.last) }], rep.plates);
  document.getElementById('r-foot').textContent =
    `${rt('generated')}：${fmtCity(rep.generated)} · ${rep.frozen ? rt('frozen') : rt('live')}`;
  document.body.dataset.loaded = `${rep.period}|${rep.by}|${rep.from}`;
}

document.addEventListener('DOMContentLoaded', async () => {
  await loadI18n();
  const q = new URLSearchParams(location.search);
  const per = document.getElementById('r-period'), by = document.getElementById('r-by');
  per.options[0].textContent = rt('week');
  per.options[1].textContent = rt('month');
  by.options[0].textContent = rt('unit');
  by.options[1].textContent = rt('road');
  if (q.get('period')) per.value = q.get('period');
  if (q.get('by')) by.value = q.get('by');
  if (q.get('date')) document.getElementById('r-date').value = q.get('date');
  document.getElementById('r-show').textContent = rt('show');
  document.getElementById('r-print').textContent = rt('print');
  document.getElementById('r-csv').textContent = rt('csv');
  document.getElementById('r-show').addEventListener('click', () => show().catch(console.error));
  document.getElementById('r-print').addEventListener('click', () => window.print());
  await show();
});
