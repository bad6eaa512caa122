// Dashboard first paint and time to data on a loaded store (docs/bench.md).
// usage: node dashboard_paint.mjs BASE_URL VIEWER_TOKEN
import { chromium } from 'playwright-core';

const [base, token] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// a viewer in the city: the browser's time zone is the city's (tz_offset_min 480)
const context = await browser.newContext({ ignoreHTTPSErrors: true, timezoneId: 'Asia/Shanghai',
  viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
await page.goto(`${base}/login`);
await page.fill('#token', token);
await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
const results = [];
for (let i = 0; i < 5; i++) {
  const t0 = Date.now();
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 60000 });
  const loaded = Date.now() - t0;
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
  results.push({ fcp, loaded });
}
results.sort((a, b) => a.loaded - b.loaded);
const m = results[2];
console.log(`dashboard: first contentful paint ${m.fcp.toFixed(0)} ms, all charts filled ${m.loaded} ms (median of 5; target first paint < 1000 ms)`);
await browser.close();
