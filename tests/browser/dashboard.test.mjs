// Browser test: Debian's chromium, driven by playwright-core, against a
// live ordercam-central over HTTPS. Loads the sample's records and tallies
// as an edge box would, signs in as a viewer, checks that the charts and
// tables show the sample's counts, opens an evidence image, and takes a
// screenshot of the dashboard. A record signed by a box with a registered
// key, with its public variant uploaded, shows ✓ 已验签 and a 公开版 link
// that opens the public image, and the page says what it does not mask.
// usage: node dashboard.test.mjs BASE_URL SAMPLES_DIR SCREENSHOT_PATH
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import assert from 'node:assert/strict';

const [base, samples, shot] = process.argv.slice(2);
const BOX = 'box-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';

const lines = (f) => readFileSync(`${samples}/${f}`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const records = lines('expected/sample.violations.jsonl');
const tallies = lines('expected/sample.tallies.jsonl');
// camera places, as the box sends them with its tallies
const scene = JSON.parse(readFileSync(`${samples}/scene.json`, 'utf8').replace(/^\s*\/\/.*$/mg, '').replace(/\/\*[\s\S]*?\*\//g, ''));
const cameras = scene.cameras.map((c) => ({ id: c.id, location: c.location, road: c.road, unit: c.unit }));

async function post(path, body, token = BOX, headers = {}) {
  const r = await fetch(`${base}${path}`, {
    method: path.startsWith('/api/v1/evidence/') ? 'PUT' : 'POST',
    headers: { Authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

// The canonical form of docs/evidence.md ("Signatures"), signed with the
// box key run.sh made (OC_TEST_BOX_KEY).
function signRecord(r) {
  const s = (v) => {
    if (v === null || v === undefined) return Buffer.from('null');
    if (typeof v === 'number') return Buffer.from(String(v));
    const out = [0x22];
    for (const b of Buffer.from(v, 'utf8')) {
      if (b === 0x22) out.push(0x5c, 0x22);
      else if (b === 0x5c) out.push(0x5c, 0x5c);
      else if (b < 0x20) out.push(...Buffer.from(`\\u${b.toString(16).padStart(4, '0')}`));
      else out.push(b);
    }
    out.push(0x22);
    return Buffer.from(out);
  };
  const keys = ['id', 'box', 'camera', 'type', 'code', 'ts', 'ts_start', 'track', 'class', 'plate',
    'zone', 'line', 'signal', 'signal_state', 'red_elapsed_ms', 'location', 'road', 'unit'];
  const parts = [Buffer.from('ordercam-sig/1\n')];
  for (const k of keys) parts.push(Buffer.from(`${k}=`), s(r[k]), Buffer.from('\n'));
  const ev = r.evidence || {};
  parts.push(Buffer.from('sha256='), s(ev.sha256), Buffer.from('\n'));
  parts.push(Buffer.from(`frames=${ev.frames ? `[${ev.frames.join(',')}]` : 'null'}\n`));
  const key = createPrivateKey(readFileSync(process.env.OC_TEST_BOX_KEY));
  return sign(null, Buffer.concat(parts), key).toString('base64');
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  await post('/api/v1/tallies', { box: 'edge-jc-0001', version: '0.1.0', backlog: 0, cameras, tallies });
  await post('/api/v1/violations', { box: 'edge-jc-0001', violations: records });

  // The evidence image ordercam-replay --evidence makes for the first red
  // light (committed in samples/).
  const jpeg = readFileSync(`${samples}/evidence-red_light.jpg`);
  const red = records.find((r) => r.type === 'red_light');
  const sha = createHash('sha256').update(jpeg).digest('hex');
  await post(`/api/v1/evidence/${red.id}`, jpeg, BOX, { 'X-Content-SHA256': sha, 'Content-Type': 'image/jpeg' });

  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  // generous: a CI machine under load runs this beside an ASan build
  context.setDefaultTimeout(120000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/login$/);
  await page.fill('#token', VIEWER);
  await Promise.all([page.waitForURL(`${base}/`), page.click('#signin-token')]);
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 120000 });

  // totals: the cards show the sample's tallies per type and in all
  const want = {};
  for (const t of tallies) want[t.type] = (want[t.type] || 0) + t.count;
  const total = Object.values(want).reduce((a, b) => a + b, 0);
  assert.equal(total, records.length);
  const cards = await page.$$eval('#totals .card', (cs) => cs.map((c) => [c.dataset.type || '*', Number(c.querySelector('.n').textContent)]));
  assert.deepEqual(Object.fromEntries(cards.filter(([t]) => t !== '*')), want);
  assert.equal(cards.find(([t]) => t === '*')[1], total);
  assert.equal(await page.locator('#totals-chart svg rect').count(), Object.keys(want).length);

  // by road and by responsible unit, with Chinese names intact
  const byRoad = {};
  for (const r of records) byRoad[r.road] = (byRoad[r.road] || 0) + 1;
  const roadRows = await page.$$eval('#roads tr', (rs) => rs.slice(1).map((r) => [...r.children].map((c) => c.textContent)));
  for (const [road, n] of Object.entries(byRoad)) {
    const row = roadRows.find((r) => r[0] === road);
    assert.ok(row, `road ${road} missing`);
    assert.equal(Number(row[row.length - 1]), n);
  }
  const unitText = await page.textContent('#units');
  assert.ok(unitText.includes('交警二大队 Brigade 2') && unitText.includes('城管执法一中队'), unitText);
  assert.ok((await page.locator('#trend svg path').count()) > 0);
  assert.ok((await page.locator('#heat svg rect').count()) > 0);
  // a header and one row per camera of the sample's records (cam-e1, cam-s1, cam-j1)
  const camCount = new Set(records.map((r) => r.camera)).size;
  assert.ok(camCount >= 3, `the sample's records come from ${camCount} cameras`);
  assert.equal(await page.locator('#cameras tr').count(), camCount + 1);
  assert.ok((await page.textContent('#boxes')).includes('edge-jc-0001'));

  // recent violations: newest first, with the evidence thumbnail that opens full size
  const recent = await page.$$eval('#recent tr', (rs) => rs.length - 1);
  assert.equal(recent, records.length);
  const thumb = page.locator('#recent img.thumb');
  assert.equal(await thumb.count(), 1);
  // the thumbnail loads lazily, near the viewport only: scrolled to first
  // (the oldest record's row is at the bottom of a long page)
  await thumb.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('#recent img.thumb').naturalWidth > 0);
  await page.screenshot({ path: shot, fullPage: true });
  await thumb.click();
  await page.waitForSelector('#lightbox:not([hidden])');
  await page.waitForFunction(() => document.getElementById('lightbox-img').naturalWidth === 1920);

  // text from boxes is never markup
  assert.equal(await page.locator('#recent script').count(), 0);

  // CSV export: a road named like a spreadsheet formula (issue 13 finding
  // 6) is escaped with a leading ' inside a quoted cell; a plain name is not
  const evil = "=cmd|' /C calc'!A0";
  const hostile = ['+1+1', '-2', '@SUM(A1)', '\tx', '\rx'];
  const hcams = [{ id: 'cam-csv', location: 'x', road: evil, unit: '-unit' },
    ...hostile.map((r, i) => ({ id: `cam-csv${i}`, location: 'x', road: r, unit: 'u' }))];
  const bucket = tallies[0].bucket;
  await post('/api/v1/tallies', { box: 'edge-jc-0001', cameras: hcams,
    tallies: hcams.map((c) => ({ camera: c.id, type: 'littering', bucket, count: 1 })) });
  await page.reload();
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 120000 });
  await page.waitForFunction((r) => document.getElementById('roads').textContent.includes(r), evil);
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.click('button.csv[data-view="roads"]')]);
  const csvText = readFileSync(await download.path(), 'utf8');
  assert.ok(csvText.includes(`"'=cmd|' /C calc'!A0",littering,1`), csvText);
  assert.ok(csvText.includes(`"'+1+1",littering,1`), csvText);
  assert.ok(csvText.includes(`"'-2",littering,1`), csvText);
  assert.ok(csvText.includes(`"'@SUM(A1)",littering,1`), csvText);
  assert.ok(csvText.includes(`"'\tx",littering,1`), csvText);
  assert.ok(csvText.includes(`"'\rx",littering,1`), csvText);
  assert.ok(/\n凤台街,/.test(csvText) || /\n[^"'\n][^\n]*,red_light,/.test(csvText), csvText);
  for (const line of csvText.replace(/^\ufeff/, '').split('\n').slice(1)) {
    if (!line) continue;
    assert.ok(!/^[=+\-@\t\r]/.test(line), `unescaped cell: ${JSON.stringify(line)}`);
  }
  // a signed record with a public variant (docs/evidence.md): ✓ 已验签 and
  // 公开版 beside its evidence; the link opens the public image
  const pubJpeg = readFileSync(`${samples}/evidence-red_light.public.jpg`);
  const hex = (b) => createHash('sha256').update(b).digest('hex');
  const latest = Math.max(...records.map((r) => r.ts));
  const { evidence: _ev, ...fields } = { ...red, id: 'edge-sg-0001:cam-e1:1', box: 'edge-sg-0001', ts: latest + 1000, ts_start: latest };
  const ev = { file: 'x/edge-sg-0001-cam-e1-1.jpg', sha256: hex(jpeg), frames: [latest], public_sha256: hex(pubJpeg) };
  const signed = { ...fields, sig: signRecord({ ...fields, evidence: ev }), evidence: ev };
  const SIGNBOX = 'signbox-token-0123456789abcdef';
  await post('/api/v1/violations', { box: 'edge-sg-0001', violations: [signed] }, SIGNBOX);
  await post(`/api/v1/evidence/${signed.id}`, jpeg, SIGNBOX, { 'X-Content-SHA256': hex(jpeg), 'Content-Type': 'image/jpeg' });
  await post(`/api/v1/evidence/${signed.id}/public`, pubJpeg, SIGNBOX, { 'X-Content-SHA256': hex(pubJpeg), 'Content-Type': 'image/jpeg' });
  await page.reload();
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 120000 });
  const row = page.locator('#recent tr', { hasText: '✓ 已验签' }).filter({ has: page.locator('a.public-link') });
  assert.equal(await row.count(), 1);
  const link = row.locator('a.public-link');
  assert.ok(await link.isVisible());
  assert.equal((await link.textContent()).trim(), '公开版');
  assert.ok(await row.locator('.verified', { hasText: '✓ 已验签' }).isVisible());
  assert.equal(await page.locator('a.public-link').count(), 1); // only where central holds one
  const note = page.locator('#public-note');
  assert.ok(await note.isVisible());
  assert.ok((await note.textContent()).includes('未框出的旁人') && (await note.textContent()).includes('未打码'));
  const href = await link.getAttribute('href');
  assert.equal(href, `/api/v1/evidence/${signed.id}/public`);
  // the thumbnail beside the link keeps its box while it loads: the link does not move
  // (lazy images load only near the viewport: the row is scrolled to first)
  await link.scrollIntoViewIfNeeded();
  const before = await link.boundingBox();
  await row.locator('img.thumb').evaluate((img) => img.decode());
  assert.deepEqual(await link.boundingBox(), before);
  const [tab] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await tab.waitForLoadState();
  assert.ok(tab.url().endsWith(href), tab.url());
  assert.equal(await tab.evaluate(() => document.contentType), 'image/jpeg');
  await tab.waitForFunction(() => document.images.length === 1 && document.images[0].naturalWidth === 1920);
  await tab.close();
  const served = await context.request.get(`${base}${href}`); // with the viewer's session
  assert.equal(served.status(), 200);
  assert.ok((await served.body()).equals(pubJpeg));

  assert.deepEqual(errors, []);
  console.log(`browser: ok (${records.length} violations, ${Object.keys(want).length} types, screenshot ${shot})`);
} finally {
  await browser.close();
}
