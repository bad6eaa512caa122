// Browser test of ordercamd's live view (docs/daemon.md "Live view", "Zone
// editor"): Debian's chromium, driven by playwright-core, against a live
// ordercamd while live_run.sh publishes the sample (with its frames)
// through a real mosquitto.
//  1. the zones and lines sit at their configured pixels on the screenshot
//     (and not beside them);
//  2. a track's box is drawn where the scene puts it, and follows it;
//  3. violations appear;
//  4. apply: without the admin token refused, with it the running engine
//     changes (the no-parking zone moved off the parked car: its stay goes
//     and does not come back);
//  5. edit mode: a vertex dragged, the section downloaded: ordercamd --check
//     loads it and it differs from the file only in that vertex; an invalid
//     polygon (crossing itself, outside the frame) is refused with the
//     loader's message next to the shape.
// usage: node live.test.mjs BASE_URL TOKEN ADMIN_TOKEN CONFIG ORDERCAMD SCREENSHOT_DIR
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import assert from 'node:assert/strict';

const [base, TOKEN, ADMIN, configPath, ordercamd, shots] = process.argv.slice(2);

// ---- a PNG decoder (8-bit RGB/RGBA, not interlaced: what chromium writes) ----
function decodePng(buf) {
  let pos = 8, w = 0, h = 0, ch = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      w = data.readUInt32BE(0);
      h = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      ch = { 2: 3, 6: 4 }[data[9]];
      assert.ok(ch && data[12] === 0, 'colour type / interlace');
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * ch, px = Buffer.alloc(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= ch ? px[y * stride + x - ch] : 0, b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= ch && y ? px[(y - 1) * stride + x - ch] : 0;
      let v = line[x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + x] = v & 255;
    }
  }
  return { w, h, at: (x, y) => { const i = y * stride + x * ch; return [px[i], px[i + 1], px[i + 2]]; } };
}

const hex = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
const near = (a, b, tol = 40) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

async function api(path, opts = {}) {
  const r = await fetch(`${base}${path}`, Object.assign({}, opts, {
    headers: Object.assign({ Authorization: `Bearer ${TOKEN}` }, opts.headers || {}),
  }));
  return r;
}

async function poll(what, fn, limitMs = 120000) {
  const end = Date.now() + limitMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) assert.fail(`${what}: not within ${limitMs / 1000} s (${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--force-device-scale-factor=1'],
});
try {
  const context = await browser.newContext({ viewport: { width: 2400, height: 1300 }, acceptDownloads: true });
  // generous: a CI machine under load runs this beside an ASan build
  context.setDefaultTimeout(120000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // the box page first
  await page.goto(`${base}/live/?token=${TOKEN}`);
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 120000 });
  // one row per camera of the config (the sample's three), each named
  const camIds = JSON.parse(readFileSync(configPath, 'utf8')).cameras.map((c) => c.id);
  assert.ok(camIds.length >= 3, `the sample has ${camIds.length} cameras`);
  assert.equal(await page.locator('#cams tbody tr').count(), camIds.length);
  const camsText = await page.textContent('#cams');
  for (const id of camIds) assert.ok(camsText.includes(id), `${id} not listed`);

  await page.goto(`${base}/live/?token=${TOKEN}&zoom=1#cam-e1`);
  const cv = page.locator('#canvas');
  // a frame from the ring, drawn
  await poll('a frame', () => page.evaluate(() => !!(window.ocLive.frame && window.ocLive.scene && window.ocLive.scene.clock)));
  const scene = await page.evaluate(() => window.ocLive.scene);

  // 1. zones and lines at their configured pixels
  async function shot() {
    const png = decodePng(await cv.screenshot());
    assert.equal(png.w, scene.width, 'the canvas is shown at the camera size (zoom=1)');
    return png;
  }
  const exit = scene.lines.find((l) => l.id === 'exit-e2');
  const cw = scene.zones.find((z) => z.id === 'cw-1');
  await poll('zones and lines drawn where configured', async () => {
    const png = await shot();
    const x = exit.points[0][0], y = Math.round((exit.points[0][1] * 3 + exit.points[1][1]) / 4);
    const onLine = near(png.at(x, y), hex('#0a84ff'));
    const beside = !near(png.at(x + 20, y), hex('#0a84ff')) && !near(png.at(x - 20, y), hex('#0a84ff'));
    // the crosswalk's right edge (x = 1150), between the lines' labels
    const cx = cw.polygon[1][0], cy = Math.round((cw.polygon[1][1] + cw.polygon[2][1]) / 2) + 60;
    const onEdge = near(png.at(cx, cy), hex('#ffffff'), 30);
    const stop = scene.lines.find((l) => l.id === 'stop-e2');
    const sx = stop.points[0][0], sy = Math.round((stop.points[0][1] + stop.points[1][1]) / 2) + 40;
    const signal = ['#ff0000', '#00c800', '#ffc800', '#a0a0a0'].some((c) => near(png.at(sx, sy), hex(c)));
    return onLine && beside && onEdge && signal;
  });
  await page.screenshot({ path: `${shots}/live.png` });

  // 2. a track's box where the scene says, then again after it moved
  let lastClock = 0;
  async function trackDrawn() {
    // a scene newer than the one looked at last (the page refreshes only while not held)
    await poll('a newer scene', () => page.evaluate((c) => window.ocLive.scene && window.ocLive.scene.clock > c, lastClock));
    await page.evaluate(() => { window.ocLive.hold = true; });
    await poll('the page idle', () => page.evaluate(() => !window.ocLive.busy));
    const held = await page.evaluate(() => window.ocLive.scene);
    lastClock = held.clock;
    const png = await shot();
    await page.evaluate(() => { window.ocLive.hold = false; });
    const hits = held.tracks.filter((t) => {
      const x = Math.round(t.box[0] + t.box[2]), y = Math.round(t.box[1] + t.box[3] / 2);
      return x < png.w && y < png.h && near(png.at(x, y), hex('#00e5ff'));
    });
    return held.tracks.length > 0 && hits.length * 2 > held.tracks.length ? held : null;
  }
  // against the scene drawn before, not the first one: the first may hold
  // only parked cars (they never move) or tracks that end before the next
  let prev = await poll('a track drawn at its box', trackDrawn);
  await poll('the track followed', async () => {
    const now = await trackDrawn();
    if (!now) return false;
    const moved = now.tracks.some((t) => prev.tracks.some((f) => f.id === t.id && (f.box[0] !== t.box[0] || f.box[1] !== t.box[1])));
    prev = now;
    return moved;
  });

  // 3. violations appear (list and scene)
  await poll('a violation listed', async () => (await page.locator('#violations li').count()) > 0);

  // 4. apply changes the running engine: np-1 moved off the parked car
  await page.goto(`${base}/live/?token=${TOKEN}&zoom=1#cam-s1`);
  const stayOf = async () => (await (await api('/api/v1/cameras/cam-s1/scene')).json()).stays.find((s) => s.zone === 'np-1');
  const stay = await poll('a stay in np-1', stayOf);
  await page.check('#edit-mode');
  await page.waitForSelector('.shape[data-id="np-1"]');
  const moved = '1500,100; 1600,100; 1600,200; 1500,200';
  await page.fill('.shape[data-id="np-1"] input.points', moved);
  await page.dispatchEvent('.shape[data-id="np-1"] input.points', 'change');
  const before = readFileSync(configPath, 'utf8');
  await page.fill('#admin-token', 'wrong-admin-token-000000');
  await page.click('#apply');
  await poll('apply refused without the token', async () => (await page.textContent('#edit-msg')).includes('admin token'));
  assert.equal(readFileSync(configPath, 'utf8'), before, 'the file is untouched');
  await page.fill('#admin-token', ADMIN);
  await page.click('#apply');
  await poll('applied', async () => (await page.textContent('#edit-msg')).includes('已写入'));
  const applied = JSON.parse(readFileSync(configPath, 'utf8'));
  assert.deepEqual(applied.cameras.find((c) => c.id === 'cam-s1').zones.find((z) => z.id === 'np-1').polygon,
    [[1500, 100], [1600, 100], [1600, 200], [1500, 200]]);
  // the running engine has the new zone, and the car's stay is gone for good
  const reloaded = await poll('the new zone in the running engine', async () => {
    const s = await (await api('/api/v1/cameras/cam-s1/scene')).json();
    return s.zones.find((z) => z.id === 'np-1').polygon[0][0] === 1500 ? s : null;
  });
  await poll('the camera clock 10 s past the reload', async () => {
    const s = await (await api('/api/v1/cameras/cam-s1/scene')).json();
    assert.equal(s.stays.filter((x) => x.zone === 'np-1').length, 0, 'a stay in the moved zone');
    return s.clock > reloaded.clock + 10000;
  });
  assert.ok(stay.dwell_s >= 0);
  await page.uncheck('#edit-mode');

  // 5. the editor on cam-e1: drag a vertex, download, --check
  await page.goto(`${base}/live/?token=${TOKEN}&zoom=1#cam-e1`);
  await poll('scene', () => page.evaluate(() => !!window.ocLive.scene));
  const original = await (await api('/api/v1/cameras/cam-e1/config')).json();
  await page.check('#edit-mode');
  await page.waitForSelector('.shape[data-id="cw-1"]');
  const zi = original.zones.findIndex((z) => z.id === 'cw-1');
  const [vx, vy] = original.zones[zi].polygon[1];
  const box = await cv.boundingBox();
  const k = box.width / scene.width;
  await page.mouse.move(box.x + vx * k, box.y + vy * k);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(box.x + (vx + 8 * i) * k, box.y + (vy + 6 * i) * k);
  await page.mouse.up();
  await page.screenshot({ path: `${shots}/editor.png` });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const section = JSON.parse(readFileSync(await dl.path(), 'utf8'));
  const want = structuredClone(original);
  want.zones[zi].polygon[1] = [vx + 40, vy + 30];
  assert.deepEqual(section, want, 'the download differs from the file only in the moved vertex');
  const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
  cfg.cameras[cfg.cameras.findIndex((c) => c.id === 'cam-e1')] = section;
  writeFileSync(`${shots}/edited.json`, JSON.stringify(cfg, null, 2));
  const out = execFileSync(ordercamd, ['-c', `${shots}/edited.json`, '--check'], { encoding: 'utf8' });
  assert.match(out, /ok/);
  await page.click('#validate');
  await poll('valid', async () => (await page.textContent('#edit-msg')) === '校验通过');

  // invalid polygons: the loader's message next to the shape
  for (const [pts, msg] of [['1000,250; 1150,750; 1150,250; 1000,750', 'must not intersect itself'],
    ['1000,250; 2500,250; 1150,750; 1000,750', "outside the camera's 1920x1080 frame"]]) {
    await page.fill('.shape[data-id="cw-1"] input.points', pts);
    await page.dispatchEvent('.shape[data-id="cw-1"] input.points', 'change');
    await page.click('#validate');
    await poll(`refused: ${msg}`, async () => (await page.textContent('.shape[data-id="cw-1"] .err')).includes(msg));
  }
  await page.screenshot({ path: `${shots}/editor-error.png` });
  assert.deepEqual(errors, []);
  console.log(`browser live: ok (screenshots in ${shots})`);
} finally {
  await browser.close();
}
