/* The interface's message catalogue: every label, unit of time, violation
 * type and rejection reason in Simplified Chinese (the default) and
 * English. Offence names come from the code table central serves
 * (GET /api/v1/codes, config/codes/<locale>.json) when there is one, else
 * from TYPES below. No raw identifier reaches a Chinese page: an unknown
 * type or reason is shown as "其他类型" / "其他原因" with its id only in a
 * tooltip. */
'use strict';

const MESSAGES = {
  'zh-CN': {
    app: 'ordercam 城市秩序监测', signout: '退出', period: '时段', last1: '最近24小时',
    last7: '最近7天', last30: '最近30天', all_time: '全部', updated: '更新于',
    totals: '各类违法总数', all_violations: '全部违法', trend: '趋势', by_road: '按道路',
    by_unit: '按责任单位', hot_cameras: '高发点位（摄像机）', heat: '时段 × 类型',
    recent: '最近违法', boxes: '边缘设备', csv: '导出CSV', no_data: '暂无数据', none: '（无）',
    verified: '已验签', verified_tip: '中心已用该设备登记的公钥验证此记录的签名',
    public_version: '公开版', public_tip: '公开（曝光）版：其他被检测框出的人和车已打码，号牌部分遮挡',
    public_note: '公开版说明：摄像机检测器未框出的旁人（过小、被遮挡或无法识别的类别）未打码，发布前请先查看图片。',
    time: '时间', type: '类型', code: '代码', camera: '摄像机', location: '地点', plate: '号牌',
    unit: '责任单位', road: '道路', evidence: '证据', box: '设备', version: '版本',
    cameras: '摄像机数', last_seen: '最近上报', backlog: '待传积压', state: '状态',
    silent: '失联', reporting: '正常', violations: '违法数', total: '合计', count: '数量',
    click_close: '点击关闭', review: '审核', dashboard: '总览', report: '通报',
    status: '审核状态', pending: '待审核', confirmed: '已确认', rejected: '已驳回',
    show: '显示', rejection_rate: '驳回率', top_reasons: '主要驳回原因',
    review_stats: '审核质量（按摄像机与类型）', needs_recal: '需重新标定',
    queue_empty: '没有待审核的违法', confirm: '确认', reject: '驳回', skip: '跳过',
    keys_help: '快捷键：Enter 或 C 确认 · 1–9 选择驳回原因并驳回 · S 跳过 · F 全屏证据',
    note: '说明（“其他”原因必填）', record: '记录', others_recent: '该摄像机近期其他违法',
    lease: '锁定至', filters: '筛选', apply: '应用', decided: '已处理', signal: '信号',
    conf: '置信度', class: '目标类别', track: '轨迹', ts_start: '开始时间', id: '编号',
    language: 'English', no_evidence: '无证据图片', image_expired: '图片已过期删除',
    reviewer: '审核员', hours: '时', days: '天', hour_of_day: '小时', lease_lost: '锁定已过期，已重新分配',
    disk_use: '证据图片占用磁盘', export_csv: '导出已确认（CSV）', export_jsonl: '导出已确认（JSON Lines）',
  },
  en: {
    app: 'ordercam', signout: 'Sign out', period: 'Period', last1: 'last 24 hours',
    last7: 'last 7 days', last30: 'last 30 days', all_time: 'all time', updated: 'updated',
    totals: 'Totals by violation type', all_violations: 'all violations', trend: 'Trend',
    by_road: 'By road', by_unit: 'By responsible unit', hot_cameras: 'Hot-spot cameras',
    heat: 'Hour of day × type', recent: 'Recent violations', boxes: 'Edge boxes', csv: 'CSV',
    no_data: 'no data', none: '(none)', time: 'time', type: 'type', code: 'code',
    verified: 'verified', verified_tip: "central verified this record's signature with the box's registered key",
    public_version: 'public version', public_tip: 'public (exposure) version: other people and vehicles the detector boxed are pixelated, the plate partly masked',
    public_note: "Public versions: bystanders the camera's detector did not box (too small, occluded, a class it does not know) are not masked; look at the image before publishing it.",
    camera: 'camera', location: 'location', plate: 'plate', unit: 'unit', road: 'road',
    evidence: 'evidence', box: 'box', version: 'version', cameras: 'cameras',
    last_seen: 'last seen', backlog: 'spool backlog', state: 'state', silent: 'SILENT',
    reporting: 'reporting', violations: 'violations', total: 'total', count: 'count',
    click_close: 'click to close', review: 'Review', dashboard: 'Dashboard', report: 'Report',
    status: 'review status', pending: 'pending', confirmed: 'confirmed', rejected: 'rejected',
    show: 'Show', rejection_rate: 'rejection rate', top_reasons: 'top reasons',
    review_stats: 'Review quality by camera and type', needs_recal: 'needs recalibration',
    queue_empty: 'Nothing pending review', confirm: 'Confirm', reject: 'Reject', skip: 'Skip',
    keys_help: 'Keys: Enter or C confirm · 1–9 reject with that reason · S skip · F evidence full screen',
    note: 'Note (required for "other")', record: 'Record', others_recent: "This camera's other recent violations",
    lease: 'held until', filters: 'Filters', apply: 'Apply', decided: 'decided', signal: 'signal',
    conf: 'confidence', class: 'class', track: 'track', ts_start: 'started', id: 'id',
    language: '中文', no_evidence: 'no evidence image', image_expired: 'image expired',
    reviewer: 'reviewer', hours: 'h', days: 'd', hour_of_day: 'hour', lease_lost: 'lease expired; reassigned',
    disk_use: 'evidence images on disk:', export_csv: 'Export confirmed (CSV)', export_jsonl: 'Export confirmed (JSON Lines)',
  },
};

/* Violation types (docs/violations.md): the short name in each language. */
const TYPES = {
  'zh-CN': {
    red_light: '闯红灯', stop_line_crossing: '越线停车', nonmotor_red_light: '非机动车闯红灯',
    pedestrian_red_light: '行人闯红灯', illegal_parking: '违法停车',
    tactile_paving_occupied: '占用盲道', street_vending: '占道经营', jaywalking: '行人横穿马路',
    wrong_way: '逆行', no_helmet: '未戴头盔', littering: '乱扔垃圾', other: '其他类型',
  },
  en: {
    red_light: 'Red light', stop_line_crossing: 'Past stop line', nonmotor_red_light: 'Non-motor red light',
    pedestrian_red_light: 'Pedestrian red light', illegal_parking: 'Illegal parking',
    tactile_paving_occupied: 'Tactile paving occupied', street_vending: 'Street vending',
    jaywalking: 'Jaywalking', wrong_way: 'Wrong way', no_helmet: 'No helmet', littering: 'Littering',
    other: 'Other type',
  },
};

/* Rejection reasons (review.reasons in central's config). */
const REASONS = {
  'zh-CN': {
    wrong_class: '目标类别错误', not_offender: '非违法主体', occluded: '遮挡看不清',
    signal_fault: '信号灯故障', duplicate: '重复抓拍', other: '其他原因',
  },
  en: {
    wrong_class: 'Wrong class', not_offender: 'Not the offender', occluded: 'Occluded',
    signal_fault: 'Signal fault', duplicate: 'Duplicate', other: 'Other',
  },
};

/* Object classes of the records (docs/outputs.md). */
const CLASSES = {
  'zh-CN': {
    car: '小型汽车', bus: '公交车', truck: '货车', van: '面包车', motorcycle: '摩托车',
    ebike: '电动自行车', bicycle: '自行车', tricycle: '三轮车', pedestrian: '行人', person: '行人', vendor: '摊贩', vendor_stall: '摊位',
  },
  en: {},
};

function className(c) {
  const m = CLASSES[I18N.locale] || {};
  if (c === null || c === undefined || c === '') return t('none');
  return m[c] || (I18N.locale === 'en' ? c : '其他');
}

const I18N = {
  locale: 'zh-CN',
  tz: 480, // minutes east of UTC: the city's
  codes: null, // type -> {code, name, short} from the code table
  me: null,
};

function t(key) {
  const m = MESSAGES[I18N.locale] || MESSAGES['zh-CN'];
  return key in m ? m[key] : (I18N.locale === 'en' ? key : '—');
}

function typeName(type) {
  if (I18N.codes && I18N.codes[type] && I18N.codes[type].short) return I18N.codes[type].short;
  const m = TYPES[I18N.locale] || TYPES['zh-CN'];
  return m[type] || m.other;
}

function reasonName(r) {
  const m = REASONS[I18N.locale] || REASONS['zh-CN'];
  return m[r] || m.other;
}

function codeOf(type, fallback) {
  return (I18N.codes && I18N.codes[type] && I18N.codes[type].code) || fallback || '';
}

/* A time in the city's zone: "2026年12月2日 14:05:09" in Chinese,
 * "2026-12-02 14:05:09" in English; withDate false: the time only. */
function fmtCity(ms, withDate) {
  const d = new Date(ms + I18N.tz * 60000);
  const p = (n) => String(n).padStart(2, '0');
  const time = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  if (withDate === false) return time.slice(0, 5);
  const date = I18N.locale === 'en'
    ? `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`
    : `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
  return `${date} ${time}`;
}

/* Sets every [data-i18n] element's text from the catalogue. */
function applyI18n(root) {
  document.documentElement.lang = I18N.locale === 'en' ? 'en' : 'zh-CN';
  for (const e of (root || document).querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
}

/* Who is signed in, their language and the city's zone, and the code
 * table; then the page's labels. */
async function loadI18n() {
  const r = await fetch('/api/v1/me', { credentials: 'same-origin' });
  if (r.status === 401) { location.href = '/login'; throw new Error('signed out'); }
  I18N.me = await r.json();
  I18N.locale = I18N.me.locale === 'en' ? 'en' : 'zh-CN';
  I18N.tz = I18N.me.tz_offset_min;
  try {
    const c = await fetch(`/api/v1/codes?locale=${encodeURIComponent(I18N.locale)}`, { credentials: 'same-origin' });
    if (c.ok) {
      const table = await c.json();
      I18N.codes = {};
      for (const o of table.offences || []) I18N.codes[o.type] = o;
    }
  } catch (e) { I18N.codes = null; }
  applyI18n();
  const sw = document.getElementById('lang-switch');
  if (sw && I18N.me.user) {
    sw.hidden = false;
    sw.addEventListener('click', async () => {
      await fetch('/api/v1/me', { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ locale: I18N.locale === 'en' ? 'zh-CN' : 'en' }) });
      location.reload();
    });
  }
  return I18N.me;
}
