// End-to-end tests in a real browser: Debian's Chromium driven by playwright-core, with
// axe-core checking accessibility. The test starts its own `broadsheet serve --demo` on a
// free loopback port, in a fresh data directory.
//
//   BROADSHEET_BIN   the binary to run (default ../target/debug/broadsheet)
//   CHROMIUM         the browser (default /usr/bin/chromium)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir as freshDir, startServer, launchBrowser } from './harness.mjs';

let server;
let base;
let browser;
let data;

before(async () => {
  data = freshDir();
  // The sign-up dialog has its own test; here it must not cover what the reader clicks.
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

async function newPage(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  // The site must make no request to any other origin.
  const foreign = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  page.foreign = foreign;
  return page;
}

test('a reader follows Politics in the menu and opens an article with its credited photo', async () => {
  const page = await newPage({ viewport: { width: 1280, height: 900 } });
  const response = await page.goto(`${base}/`);
  assert.equal(response.status(), 200);
  await page.getByRole('navigation', { name: 'Sections', exact: true }).getByRole('link', { name: 'Politics', exact: true }).click();
  await page.waitForURL(`${base}/section/politics`);
  assert.equal(await page.locator('h1').innerText(), 'Politics');

  const first = page.locator('.listing .card-headline a').first();
  const headline = await first.innerText();
  await first.click();
  await page.waitForURL(/\/article\//);
  assert.equal(await page.locator('article.story h1').innerText(), headline);

  const figure = page.locator('figure.hero');
  assert.ok(await figure.locator('img').isVisible());
  const alt = await figure.locator('img').getAttribute('alt');
  assert.ok(alt && alt.length > 10, `alt text: ${alt}`);
  const natural = await figure.locator('img').evaluate((img) => img.naturalWidth);
  assert.ok(natural > 0, 'the hero image loaded');
  assert.match(await figure.locator('figcaption .caption').innerText(), /parliament/i);
  assert.equal(await figure.locator('.credit-photographer').innerText(), 'Hanne Voss');
  assert.equal(await figure.locator('.credit-agency').innerText(), 'Meridian Press Agency');
  assert.equal(await figure.locator('.credit-via').innerText(), 'Parliament Pool Photo via MPA');
  assert.match(await page.locator('.sources').innerText(), /MPA/);
  assert.deepEqual(page.foreign, []);
});

for (const [name, path] of [['home', '/'], ['section', '/section/world'], ['article', null], ['not found', '/nope'], ['search results', '/search?q=copper'], ['empty search', '/search?q=bnak'], ['markets', '/markets'], ['instrument', '/markets/CAR40'], ['calendar', '/calendar'], ['indicator', '/calendar/valdoria-cpi-y-y']]) {
  test(`axe finds no serious or critical violation on the ${name} page`, async () => {
    const page = await newPage();
    let target = path;
    if (!target) {
      await page.goto(`${base}/section/markets`);
      target = await page.locator('.listing .card-headline a').first().getAttribute('href');
    }
    await page.goto(`${base}${target}`);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), []);
  });
}

// Every public page, at phone widths under real phone emulation (a page wider than the device
// widens the layout viewport, so `innerWidth` alone proves nothing: compare with the device) and
// at tablet and desktop widths. Phone screenshots go to e2e/screenshots/ for a reviewer.
const PUBLIC_PAGES = [
  ['home', '/'], ['section', '/section/world'], ['article', '/article/copper-hits-18-month-high-on-supply-worries'],
  ['markets', '/markets'], ['instrument-1m', '/markets/CAR40?range=1M'], ['instrument-1y', '/markets/CAR40?range=1Y'],
  ['instrument-max', '/markets/CAR40?range=Max'], ['search', '/search?q=copper'], ['empty-search', '/search?q=bnak'],
  ['subscribe', '/subscribe'], ['newsletter', '/newsletter'], ['not-found', '/nope'],
  ['calendar', '/calendar'], ['calendar-day', '/calendar?view=day'], ['indicator', '/calendar/valdoria-cpi-y-y'],
];
const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

for (const [width, height, mobile] of [[360, 740, true], [390, 844, true], [430, 932, true], [768, 1024, false], [1440, 900, false]]) {
  test(`at ${width} px${mobile ? ' (phone emulation)' : ''} every public page fits the screen`, async () => {
    const page = await newPage({ viewport: { width, height }, isMobile: mobile, hasTouch: mobile });
    if (mobile) mkdirSync(shots, { recursive: true });
    // An author's and a tag's page, found from a story.
    await page.goto(`${base}/article/copper-hits-18-month-high-on-supply-worries`);
    const author = await page.locator('a[rel="author"]').first().getAttribute('href');
    const tag = await page.locator('.tags a').first().getAttribute('href');
    for (const [name, path] of [...PUBLIC_PAGES, ['author', author], ['tag', tag]]) {
      await page.goto(`${base}${path}`);
      const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      assert.equal(m.inner, width, `${path}: the layout viewport is ${m.inner} px wide, not the device's ${width}`);
      assert.ok(m.scroll <= width, `${path} is ${m.scroll} px wide at ${width}`);
      // Every table cell in view: nothing cut off at the right edge.
      const cut = await page.evaluate((w) => [...document.querySelectorAll('main td, main th')]
        .filter((c) => c.offsetParent !== null && c.getBoundingClientRect().right > w + 0.5)
        .map((c) => c.textContent.trim()), width);
      assert.deepEqual(cut, [], `${path}: table cells beyond the edge at ${width}`);
      if (mobile && width === 390) await page.screenshot({ path: join(shots, `phone-${name}.png`), fullPage: true });
    }
    // Every top-level section is on screen: the menu wraps, it never hides sections sideways.
    await page.goto(`${base}/`);
    const items = await page.locator('nav.menu .menu-list > li > a, nav.menu .menu-list > li > details > summary').all();
    assert.ok(items.length >= 5, 'the demo menu');
    for (const item of items) {
      const box = await item.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= width, `menu item "${await item.innerText()}" on screen at ${width}: ${JSON.stringify(box)}`);
    }
    if (mobile) console.log(`# phone screenshots: ${shots}`);
  });
}

test('charts have readable labels at round values and dates at calendar intervals, on a phone', async () => {
  const page = await newPage({ viewport: { width: 360, height: 740 }, isMobile: true });
  for (const range of ['1M', '1Y', 'Max']) {
    await page.goto(`${base}/markets/CAR40?range=${range}`);
    const labels = await page.locator('svg.chart > text').evaluateAll((ts) => ts
      .filter((t) => getComputedStyle(t).display !== 'none')
      .map((t) => ({ text: t.textContent, height: t.getBoundingClientRect().height, anchor: t.getAttribute('text-anchor'), y: t.getAttribute('y') })));
    const values = labels.filter((l) => l.y !== '100%');
    const dates = labels.filter((l) => l.y === '100%');
    for (const l of labels) assert.ok(l.height >= 11, `${range}: label "${l.text}" is ${l.height.toFixed(1)} px tall`);
    assert.ok(values.length >= 3, `${range}: ${values.length} value labels`);
    const numbers = values.map((l) => Number(l.text.replaceAll(',', '')));
    const step = Math.abs(numbers[1] - numbers[0]);
    const mantissa = step / 10 ** Math.floor(Math.log10(step));
    assert.ok([1, 2, 5].some((r) => Math.abs(mantissa - r) < 1e-6), `${range}: gridlines ${numbers.join(' / ')} are not round`);
    assert.ok(dates.length >= 2, `${range}: ${dates.length} date labels`);
    if (range === 'Max') assert.ok(dates.every((l) => /^\d{4}$/.test(l.text)), `Max: year labels, got ${dates.map((l) => l.text)}`);
    // Visible labels do not overlap.
    const boxes = await page.locator('svg.chart > text[y="100%"]').evaluateAll((ts) => ts
      .filter((t) => getComputedStyle(t).display !== 'none').map((t) => t.getBoundingClientRect()).map((r) => [r.left, r.right]));
    for (let i = 1; i < boxes.length; i += 1) assert.ok(boxes[i][0] >= boxes[i - 1][1], `${range}: date labels overlap`);
  }
});

test('the nested menu opens by keyboard on a phone', async () => {
  const page = await newPage({ viewport: { width: 360, height: 740 }, isMobile: true });
  await page.goto(`${base}/`);
  const world = page.locator('nav.menu summary', { hasText: 'World' });
  await world.focus();
  await page.keyboard.press('Enter');
  const asia = page.locator('nav.menu .submenu a', { hasText: 'Asia' });
  assert.ok(await asia.isVisible(), 'submenu opened');
  await asia.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/section/asia`);
  assert.equal(await page.locator('h1').innerText(), 'Asia');
});

test('everything reads with JavaScript turned off', async () => {
  const page = await newPage({ javaScriptEnabled: false });
  await page.goto(`${base}/article/copper-hits-18-month-high-on-supply-worries`);
  assert.equal(await page.locator('h1').innerText(), 'Copper hits 18-month high on supply worries');
  assert.ok((await page.locator('.story-body').innerText()).length > 300);
  await page.goto(`${base}/section/politics?after=not-a-cursor`);
  assert.equal(await page.locator('h1').innerText(), 'Bad request');
});

test('search suggestions work by keyboard and the form still works without JavaScript', async () => {
  const page = await newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/`);
  const box = page.getByRole('combobox', { name: 'Search the archive' });
  await box.focus();
  await page.keyboard.type('copp');
  const list = page.getByRole('listbox', { name: 'Suggestions' });
  await list.waitFor({ state: 'visible' });
  assert.equal(await box.getAttribute('aria-expanded'), 'true');
  const options = list.getByRole('option');
  assert.ok((await options.count()) >= 1);
  assert.match(await options.first().innerText(), /Copper/);
  await page.keyboard.press('ArrowDown');
  assert.equal(await options.first().getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await options.first().getAttribute('id'));
  await page.keyboard.press('Escape');
  assert.ok(await list.isHidden());
  assert.equal(await box.getAttribute('aria-expanded'), 'false');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/article\/copper/);

  const plain = await newPage({ javaScriptEnabled: false });
  await plain.goto(`${base}/`);
  await plain.locator('#site-search').fill('copper');
  await plain.locator('#site-search').press('Enter');
  await plain.waitForURL(`${base}/search?q=copper`);
  assert.match(await plain.locator('.result-count').innerText(), /stories for “copper”/);
  await plain.locator('.facets a', { hasText: 'Commodities' }).click();
  await plain.waitForURL(/section=commodities/);
  const kickers = await plain.locator('.hit .kicker').allInnerTexts();
  assert.ok(kickers.length > 0 && kickers.every((k) => k.trim().toLowerCase() === 'commodities'), kickers.join(','));
  assert.deepEqual(page.foreign, []);
});
