// Browser test of the review page: Debian's chromium, driven by
// playwright-core, against a live ordercam-central over HTTPS. Loads the
// sample's records as an edge box would; a viewer is refused the review
// page; a reviewer signs in, confirms three and rejects two with the
// keyboard alone, and the counts and the rejection rate move accordingly;
// the Chinese page shows no raw type identifier; a screenshot is taken.
// usage: node review.test.mjs BASE_URL SAMPLES_DIR SCREENSHOT_PATH
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';

const [base, samples, shot] = process.argv.slice(2);
const BOX = 'box-token-0123456789abcdef';
const PW = 'correct horse battery';

const lines = (f) => readFileSync(`${samples}/${f}`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const records = lines('expected/sample.violations.jsonl');
const tallies = lines('expected/sample.tallies.jsonl');
const scene = JSON.parse(readFileSync(`${samples}/scene.json`, 'utf8').replace(/^\s*\/\/.*$/mg, '').replace(/\/\*[\s\S]*?\*\//g, ''));
const cameras = scene.cameras.map((c) => ({ id: c.id, location: c.location, road: c.road, unit: c.unit }));
// every type identifier the project knows (docs/violations.md) and the sample's
const TYPE_IDS = ['red_light', 'stop_line_crossing', 'nonmotor_red_light', 'pedestrian_red_light',
  'illegal_parking', 'tactile_paving_occupied', 'street_vending', 'jaywalking', 'wrong_way', 'no_helmet',
  ...records.map((r) => r.type)];

async function post(path, body, headers = {}) {
  const r = await fetch(`${base}${path}`, {
    method: path.startsWith('/api/v1/evidence/') ? 'PUT' : 'POST',
    headers: { Authorization: `Bearer ${BOX}`, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

async function signIn(page, user) {
  await page.goto(`${base}/login`);
  await page.fill('#user', user);
  await page.fill('#password', PW);
  await Promise.all([page.waitForNavigation(), page.click('#signin')]);
}

const noRawIds = async (page, where) => {
  const text = await page.evaluate(() => document.body.innerText);
  for (const id of TYPE_IDS) assert.ok(!text.includes(id), `${where}: raw identifier ${id} visible`);
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  await post('/api/v1/tallies', { box: 'edge-jc-0001', version: '0.1.0', backlog: 0, cameras, tallies });
  await post('/api/v1/violations', { box: 'edge-jc-0001', violations: records });
  const jpeg = readFileSync(`${samples}/evidence-red_light.jpg`);
  const red = records.find((r) => r.type === 'red_light');
  await post(`/api/v1/evidence/${red.id}`, jpeg,
    { 'X-Content-SHA256': createHash('sha256').update(jpeg).digest('hex'), 'Content-Type': 'image/jpeg' });

  // a viewer cannot reach the review page
  const vctx = await browser.newContext({ ignoreHTTPSErrors: true });
  // generous: a CI machine under load runs this beside an ASan build
  vctx.setDefaultTimeout(120000);
  const vpage = await vctx.newPage();
  await signIn(vpage, 'zhao');
  assert.equal(new URL(vpage.url()).pathname, '/');
  const resp = await vpage.goto(`${base}/review`);
  assert.equal(resp.status(), 403);
  assert.ok((await vpage.textContent('#forbidden')).includes('不能打开此页面'));
  await vctx.close();

  // a reviewer: keyboard only
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 1000 } });
  ctx.setDefaultTimeout(120000);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page, 'li');
  assert.equal(new URL(page.url()).pathname, '/review');
  const ready = async () => {
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 120000 });
    return page.evaluate(() => document.body.dataset.ready);
  };
  const stat = async (id) => page.textContent(`#stat-${id}`);
  // the red light with its evidence image, full size beside its fields
  await page.goto(`${base}/review?type=red_light`);
  let id = await ready();
  assert.equal(id, red.id);
  await page.waitForFunction(() => document.getElementById('evidence').naturalWidth === 1920);
  await noRawIds(page, 'review page');
  await page.screenshot({ path: shot, fullPage: true });
  await page.goto(`${base}/review`);
  id = await ready();
  assert.notEqual(id, 'empty');
  const confirmed0 = Number(await stat('confirmed'));
  const rejected0 = Number(await stat('rejected'));
  await noRawIds(page, 'review page');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  // the first is the one with evidence? show it full size when it has one
  const seen = new Set([id]);
  const keys = ['Enter', 'Enter', 'c', '1', '3'];
  for (const k of keys) {
    await page.keyboard.press(k);
    await page.waitForFunction((prev) => document.body.dataset.ready && document.body.dataset.ready !== prev,
      id, { timeout: 120000 });
    id = await ready();
    if (id !== 'empty') {
      assert.ok(!seen.has(id), `violation ${id} came twice`);
      seen.add(id);
    }
  }
  assert.equal(Number(await stat('confirmed')), confirmed0 + 3);
  assert.equal(Number(await stat('rejected')), rejected0 + 2);
  const decided = confirmed0 + 3 + rejected0 + 2;
  assert.equal(await stat('rate'), `${Math.round((100 * (rejected0 + 2)) / decided)}%`);
  await noRawIds(page, 'review page (after decisions)');

  // the report of the sample's week, in Chinese, units ranked by their counts
  const byUnit = {};
  for (const tl of tallies) {
    const cam = cameras.find((c) => c.id === tl.camera);
    byUnit[cam.unit] = (byUnit[cam.unit] || 0) + tl.count;
  }
  const want = Object.entries(byUnit).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const day = new Date(records[0].ts + 8 * 3600000).toISOString().slice(0, 10);
  await page.goto(`${base}/report?period=week&by=unit&date=${day}`);
  await page.waitForFunction(() => document.body.dataset.loaded, null, { timeout: 120000 });
  const ranking = await page.$$eval('#r-ranking tbody tr', (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  assert.deepEqual(ranking.map((r) => [r[1], Number(r[2])]), want);
  assert.ok((await page.textContent('#r-title')).includes('通报'));
  await noRawIds(page, 'report page');
  await page.screenshot({ path: shot.replace(/review\.png$/, 'report.png'), fullPage: true });
  // printed: A4 pages (595 x 842 pt), headers repeated, no row split
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  const text = pdf.toString('latin1');
  const boxes = [...text.matchAll(/\/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]/g)];
  assert.ok(boxes.length >= 1, 'no pages in the PDF');
  for (const b of boxes) {
    assert.ok(Math.abs(Number(b[1]) - 595.3) < 2 && Math.abs(Number(b[2]) - 841.9) < 2, `page ${b[1]} x ${b[2]} is not A4`);
  }
  await page.emulateMedia({ media: 'print' });
  const css = await page.$eval('#r-ranking tbody tr', (tr) => [getComputedStyle(tr).breakInside,
    getComputedStyle(tr.closest('table').querySelector('thead')).display]);
  assert.deepEqual(css, ['avoid', 'table-header-group']);
  assert.equal(await page.isVisible('header'), false);
  assert.deepEqual(errors, []);
  console.log(`browser review: ok (3 confirmed, 2 rejected by keyboard; screenshot ${shot})`);
} finally {
  await browser.close();
}
