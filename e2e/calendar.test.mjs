// The economic calendar in a real browser: an editor adds a release and enters its actual
// figure in the admin; a reader sees the surprise on /calendar, in the home page's module and
// in a story's embed within seconds. The reader's time zone is remembered in the browser, the
// filters work without JavaScript, and axe-core checks every calendar page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir, run, startServer, launchBrowser } from './harness.mjs';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
const PASSWORD = 'correct horse battery staple';
const STORY = '/article/bank-of-valdoria-holds-rates-at-4-25-but-signals-cut-in-the-new-year';
let data;
let server;
let base;
let browser;

before(async () => {
  data = dataDir();
  run(['user', 'add', 'ed@example.com', '--role', 'editor', '--name', 'Edda Stone', '--password-stdin', '--data', data.dir], `${PASSWORD}\n`);
  ({ base, server } = await startServer(data.dir, {
    BROADSHEET_NEWSLETTER__MODAL_DELAY_SECS: '600',
    BROADSHEET_NEWSLETTER__MODAL_SCROLL_PERCENT: '0',
  }));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  data?.cleanup();
});

async function axe(page, what) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${what}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), []);
}

async function signIn(email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${base}/admin/sign-in`);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password').press('Enter');
  await page.waitForURL(`${base}/admin`);
  return page;
}

// Visits until `selector` reads `expected`, each time as a reader arriving (a fresh browser
// context: pages carry max-age=30, so a browser that has the page may keep it that long; the
// server's page cache hears of the change at once).
async function eventually(_page, url, selector, expected) {
  const deadline = Date.now() + 5000;
  let last = '';
  for (;;) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(url);
    const l = page.locator(selector);
    last = (await l.count()) ? (await l.first().innerText()).replace(/\s+/g, ' ').trim() : '(none)';
    const all = (await l.allInnerTexts()).join(' | ');
    await context.close();
    if (last === expected) return;
    if (Date.now() > deadline) assert.equal(last, expected, `${url} ${selector}: ${all}`);
    await page.waitForTimeout(250);
  }
}

test('an actual entered in the admin reaches the calendar, the home page and a story within seconds', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const editor = await signIn('ed@example.com');
  await editor.goto(`${base}/admin/calendar`);
  await axe(editor, 'admin calendar');
  // A release of Valdoria's inflation, due today at noon.
  const form = editor.locator('#new-release');
  await form.getByLabel('Indicator').selectOption('valdoria-cpi-y-y');
  await form.getByLabel('Date').fill(today);
  await form.getByLabel('Timing').selectOption('exact');
  await form.getByLabel(/^Time/).fill('12:00');
  await form.getByLabel(/^Period/).fill('Nov');
  await form.getByLabel('Forecast').fill('3.0');
  await form.getByLabel('Previous').fill('3.1%');
  await form.getByRole('button', { name: 'Add release' }).click();
  await editor.waitForURL(/\/admin\/calendar\?added=1/);
  assert.match(await editor.locator('.notice, [role=status]').first().innerText(), /Release added/);

  // A reader sees it due, everywhere it shows.
  const reader = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const row = '.calendar-day tr:has(a[href="/calendar/valdoria-cpi-y-y"]) .release-actual';
  await eventually(reader, `${base}/calendar`, row, '– not yet out');
  await eventually(reader, `${base}/`, `.calendar-module ${row.replace('.calendar-day ', '')}`, '– not yet out');
  // The story's embed shows the latest figure out (or this one, once its time has come).
  await reader.goto(`${base}${STORY}`);
  assert.equal(await reader.locator('.embed-release').count(), 1);

  // The editor opens it from today's list and enters the figure.
  await editor.goto(`${base}/admin/calendar`);
  await editor.locator(`#day-${today} + table a[href^="/admin/calendar/"]`, { hasText: 'Valdoria CPI y/y (Nov)' }).first().click();
  await editor.waitForURL(/\/admin\/calendar\/\d+$/);
  await axe(editor, 'admin release');
  await editor.getByLabel('Actual', { exact: true }).fill('3.4%');
  await editor.getByRole('button', { name: 'Save' }).click();
  await editor.waitForURL(/saved=1/);
  assert.match(await editor.locator('table.list tbody tr').first().innerText(), /ed@example\.com.*3\.4%, above the forecast of 3\.0%/s);

  await eventually(reader, `${base}/calendar`, row, '3.4% ▲ above the forecast');
  await eventually(reader, `${base}/`, `.calendar-module tr:has(a[href="/calendar/valdoria-cpi-y-y"]) .release-actual`, '3.4% ▲ above the forecast');
  await eventually(reader, `${base}${STORY}`, '.embed-release .release-actual', '3.4% ▲ above the forecast');
  await axe(reader, 'story with a release');
  await reader.goto(`${base}/calendar`);
  await axe(reader, 'calendar');
  mkdirSync(shots, { recursive: true });
  await reader.screenshot({ path: join(shots, 'calendar-desktop.png'), fullPage: true });
  await reader.goto(`${base}/calendar/valdoria-cpi-y-y`);
  await axe(reader, 'indicator');
  assert.ok(await reader.locator('svg.chart').isVisible());
});

test('the reader chooses a time zone once and the calendar keeps it, without a cookie', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  await page.goto(`${base}/calendar`);
  assert.match(await page.locator('.listing-description').innerText(), /Times in UTC \(UTC\+00:00\)/);
  // The browser's own zone is offered.
  const mine = page.getByRole('button', { name: 'Use my time zone (Asia/Tokyo)' });
  await mine.click();
  await page.waitForURL(/tz=Asia%2FTokyo/);
  assert.match(await page.locator('.listing-description').innerText(), /Times in Asia\/Tokyo \(UTC\+09:00\)/);
  // Next visit, no parameter: the calendar comes back in Tokyo time.
  await page.goto(`${base}/calendar?importance=high`);
  await page.waitForURL(/tz=Asia%2FTokyo/);
  assert.match(await page.locator('.listing-description').innerText(), /Asia\/Tokyo/);
  assert.deepEqual(await context.cookies(), []);
  // The site's zone, chosen in the form, is remembered as no choice at all.
  await page.getByLabel('Time zone').selectOption('UTC');
  await page.getByRole('button', { name: 'Show times' }).click();
  await page.waitForURL(/tz=UTC/);
  await page.goto(`${base}/calendar`);
  assert.match(await page.locator('.listing-description').innerText(), /Times in UTC/);
  const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(m.scroll <= 390, `the calendar is ${m.scroll} px wide on a 390 px phone`);
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, 'phone-calendar.png'), fullPage: true });
});

test('without JavaScript the filters and the zone form still work', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/calendar`);
  await page.getByRole('list', { name: 'Importance' }).getByRole('link', { name: 'High only' }).click();
  await page.waitForURL(/importance=high/);
  const levels = await page.locator('.calendar-day .importance').allInnerTexts();
  assert.ok(levels.length > 0);
  assert.ok(levels.every((l) => l.includes('High')), levels.join(' | '));
  await page.getByLabel('Time zone').selectOption('America/New_York');
  await page.getByRole('button', { name: 'Show times' }).click();
  await page.waitForURL(/importance=high&tz=America%2FNew_York/);
  assert.match(await page.locator('.listing-description').innerText(), /America\/New_York \(UTC-0[45]:00\)/);
});
