// Opens report.html in headless Chromium (Debian's chromium) through playwright-core and
// checks that it renders: no page or console errors, an SVG chart set per window, the summary
// table filled, sorting by a header works. Writes a screenshot for a person to look at.
//
// node tests/render_report.mjs REPORT.html SCREENSHOT.png   (run by tests/render_report.sh)
import { chromium } from 'playwright-core';

const [report, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
const errors = [];
page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error: ${m.text()}`); });
page.on('request', (r) => { if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`); });
await page.goto(`file://${report}`);

const windows = await page.locator('h2').evaluateAll((hs) => hs.map((h) => h.textContent).filter((t) => / \(\d{4}-/.test(t)));
const charts = await page.locator('svg').count();
const rows = await page.locator('#summary tbody tr').count();
const lines = await page.locator('svg polyline, svg path').count();
const fail = (m) => { errors.push(m); };
if (windows.length === 0) fail('no window sections');
if (charts < 3 * windows.length) fail(`${charts} charts for ${windows.length} windows; expected 3 each`);
if (lines === 0) fail('the charts have no lines');
if (rows === 0) fail('empty summary table');

// Click "Sharpe" and check the column is sorted (ascending, n/a last), then again (descending).
const column = await page.locator('#summary th').evaluateAll((ths) => ths.findIndex((t) => t.textContent === 'Sharpe'));
const values = async () => page.locator(`#summary tbody tr td:nth-child(${column + 1})`).evaluateAll(
  (tds) => tds.map((td) => parseFloat(td.textContent)).filter((v) => !Number.isNaN(v)));
await page.locator('#summary th').nth(column).click();
const up = await values();
await page.locator('#summary th').nth(column).click();
const down = await values();
const sorted = (a, cmp) => a.every((v, i) => i === 0 || cmp(a[i - 1], v));
if (!sorted(up, (a, b) => a <= b)) fail('the first click did not sort Sharpe ascending');
if (!sorted(down, (a, b) => a >= b)) fail('the second click did not sort Sharpe descending');

await page.screenshot({ path: screenshot, fullPage: false });
await browser.close();
console.log(`report.html: ${windows.length} windows, ${charts} charts, ${rows} summary rows, sorting ok`);
if (errors.length) {
  console.error(errors.join('\n'));
  process.exit(1);
}
