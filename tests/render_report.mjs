// Opens report.html in headless Chromium (Debian's chromium) through playwright-core and
// checks it as a reader uses it: no page or console errors and no network request; the
// overview's grids, switched to another metric; the summary table filled, sorted by a
// header and filtered; a window's charts drawn when scrolled to, a legend click hiding a line
// on all three of them, a hover showing the date and a value; a tearsheet opened and its
// charts drawn; the page ready within 0.3 s. Writes screenshots of the overview, a window's
// charts and a tearsheet for a person to look at.
//
// node tests/render_report.mjs REPORT.html SCREENSHOT_PREFIX   (run by tests/render_report.sh)
import { chromium } from 'playwright-core';

const [report, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
const errors = [];
const fail = (m) => { errors.push(m); };
page.on('pageerror', (e) => fail(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') fail(`console error: ${m.text()}`); });
page.on('request', (r) => { if (!r.url().startsWith('file:')) fail(`network request: ${r.url()}`); });
await page.goto(`file://${report}`);

// Ready: the script has run (timed from navigation start).
const ready = await page.evaluate(() => window.cyclebtReady);
if (!(ready < 300)) fail(`the page took ${ready} ms to be drawn; expected under 300`);

// The overview: a grid per group of windows, whose cells switch metric.
const grids = await page.locator('table.grid').count();
if (grids === 0) fail('no overview grid');
const cell = page.locator('table.grid td').first();
const before = await cell.textContent();
await page.selectOption('#metric', '1');
const after = await cell.textContent();
if (!after.endsWith('%') && after !== 'n/a') fail(`the return grid shows "${after}"`);
if (before === after && before !== 'n/a') fail('switching the metric left the grid as it was');
await page.selectOption('#metric', '0');
await page.screenshot({ path: `${shots}-overview.png` });

// The summary: sorting by Sharpe, then filtering by window.
const rows = await page.locator('#summary tbody tr').count();
if (rows === 0) fail('empty summary table');
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
const firstWindow = await page.locator('#filter-window option').nth(1).textContent();
await page.selectOption('#filter-window', firstWindow);
const shown = await page.locator('#summary tbody tr:visible').evaluateAll((trs) => trs.map((tr) => tr.cells[0].textContent));
if (shown.length === 0 || shown.some((w) => w !== firstWindow)) fail(`filtering by ${firstWindow} shows ${shown.length} rows of other windows`);
await page.selectOption('#filter-window', '');

// A window's charts: drawn when scrolled to; a legend click hides a line on all three charts;
// a hover shows a date and a value.
const windows = await page.locator('section.window').count();
if (windows === 0) fail('no window sections');
const section = page.locator('section.window').last();
const id = await section.getAttribute('id');
await section.scrollIntoViewIfNeeded();
await page.waitForFunction((i) => window.cyclebtCharts[i], id);
const canvases = await section.locator('canvas').count();
if (canvases !== 3) fail(`${canvases} charts in ${id}; expected 3`);
const entry = section.locator('.u-legend .u-series').nth(2);
const name = await entry.locator('.u-label').textContent();
await entry.click();
const hidden = await page.evaluate((i) => window.cyclebtCharts[i].map((c) => c.series[2].show), id);
if (hidden.some((s) => s)) fail(`clicking "${name}" in the legend left it shown: ${hidden}`);
if (!(await entry.getAttribute('class')).includes('u-off')) fail('the legend entry is not marked hidden');
const over = section.locator('.u-over').first();
const box = await over.boundingBox();
await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
const hover = await section.locator('.u-legend .u-series').evaluateAll((rows) => rows.map((r) => r.querySelector('.u-value')?.textContent ?? ''));
if (!/^\d{4}-\d{2}-\d{2}$/.test(hover[0])) fail(`hover shows no date: "${hover[0]}"`);
if (!hover.slice(1).some((v) => v.endsWith('%'))) fail(`hover shows no value: ${hover.join(' | ')}`);
await section.screenshot({ path: `${shots}-window.png` });

// A tearsheet: opened, its charts drawn, its tables filled.
const sheet = page.locator('details.sheet').first();
await sheet.locator('summary').click();
const sheetId = await sheet.getAttribute('id');
await page.waitForFunction((i) => window.cyclebtCharts[i], sheetId);
const sheetCharts = await sheet.locator('canvas').count();
if (sheetCharts < 5) fail(`${sheetCharts} charts in the tearsheet ${sheetId}; expected 5`);
const months = await sheet.locator('table.months tbody tr').count();
if (months === 0) fail('the tearsheet has no monthly returns');
await sheet.screenshot({ path: `${shots}-tearsheet.png` });

await browser.close();
console.log(`report.html: ready in ${ready.toFixed(0)} ms, ${grids} overview grids, ${rows} summary rows, ${windows} windows, legend and hover ok on ${id}, tearsheet ${sheetId} with ${sheetCharts} charts`);
if (errors.length) {
  console.error(errors.join('\n'));
  process.exit(1);
}
