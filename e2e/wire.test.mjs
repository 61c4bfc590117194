// The wire desk in a real browser: an agency pushes a ninjs story with a pool photo to its
// push endpoint; an editor finds it on the desk, opens it, presses "Use", and publishes the
// draft; the published page shows the photo with its structured credit. axe-core checks the
// desk, the item page and the sources page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { AxeBuilder } from '@axe-core/playwright';
import { dataDir, run, startServer, launchBrowser } from './harness.mjs';

const PASSWORD = 'correct horse battery staple';
let data;
let server;
let base;
let browser;
let token;
let photoServer;
let photoBytes;

before(async () => {
  data = dataDir();
  run(['user', 'add', 'ed@example.com', '--role', 'editor', '--name', 'Edda Stone', '--password-stdin', '--data', data.dir], `${PASSWORD}\n`);
  // The agency's pictures are on loopback here, so the source allows private addresses.
  token = run(['wire', 'source', 'add', 'andes', '--push', '--allow-private', '--data', data.dir]).trim();
  browser = await launchBrowser();
  // A real JPEG, drawn by the browser, served as the agency's picture.
  const page = await (await browser.newContext()).newPage();
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 1600;
    c.height = 1000;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 1600, 1000);
    grad.addColorStop(0, '#7b3f00');
    grad.addColorStop(1, '#e0a060');
    g.fillStyle = grad;
    g.fillRect(0, 0, 1600, 1000);
    return c.toDataURL('image/jpeg', 0.9);
  });
  await page.context().close();
  photoBytes = Buffer.from(dataUrl.split(',')[1], 'base64');
  photoServer = createServer((req, res) => {
    if (req.url === '/missing.jpg') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photoBytes.length });
    res.end(photoBytes);
  });
  await new Promise((r) => photoServer.listen(0, '127.0.0.1', r));
  ({ base, server } = await startServer(data.dir, {
    BROADSHEET_NEWSLETTER__MODAL_DELAY_SECS: '600',
    BROADSHEET_NEWSLETTER__MODAL_SCROLL_PERCENT: '0',
  }));
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  photoServer?.close();
  data?.cleanup();
});

async function axe(page, what) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${what}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), []);
}

const headline = `Copper miners strike at Escondida ${Date.now() % 100000}`;

test('an agency story goes from the wire desk to a published article with its photo credit', { timeout: 180_000 }, async () => {
  const { port } = photoServer.address();
  const item = {
    uri: `urn:andes:e2e:${Date.now()}`,
    version: '1',
    type: 'text',
    urgency: 2,
    slugline: 'CHILE-COPPER',
    headline,
    located: 'SANTIAGO',
    copyrightholder: 'Andes Wire',
    subject: [{ name: 'metals' }],
    body_html: '<p>Workers walked out at the world\'s largest copper mine on Monday, the union said.</p><p>Prices rose 2% in London.</p>',
    associations: {
      featuremedia: {
        uri: 'urn:andes:e2e:pic',
        type: 'picture',
        description_text: 'Miners gather at the gates of the Escondida mine',
        byline: 'Rodrigo Garrido',
        creditline: 'Pool Photo via Andes Wire',
        renditions: { original: { href: `http://127.0.0.1:${port}/escondida.jpg`, width: 1600 } },
      },
    },
  };
  const refused = await fetch(`${base}/api/wire/andes`, { method: 'POST', headers: { Authorization: 'Bearer wrong' }, body: JSON.stringify(item) });
  assert.equal(refused.status, 401);
  const pushed = await fetch(`${base}/api/wire/andes`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(item),
  });
  assert.equal(pushed.status, 200, await pushed.text());

  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${base}/admin`);
  await page.locator('#email').fill('ed@example.com');
  await page.locator('#password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/admin`);

  // The desk: filter by words (a plain GET form), open the item.
  await page.getByRole('link', { name: 'Wire', exact: true }).click();
  await page.waitForURL(`${base}/admin/wire`);
  await axe(page, 'wire desk');
  await page.locator('#wire-q').fill('Escondida');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/q=Escondida/);
  await page.getByRole('link', { name: headline }).click();
  await page.waitForURL(/\/admin\/wire\/\d+$/);
  await axe(page, 'wire item');
  assert.match(await page.locator('.wire-body').innerText(), /largest copper mine/);
  assert.match(await page.locator('figure.wire-picture').innerText(), /Rodrigo Garrido/);

  // Use: a draft in the editor with the agency's text and the photo with its credit.
  await page.getByRole('button', { name: /^Use/ }).click();
  await page.waitForURL(/\/admin\/articles\/\d+\?saved=1/);
  assert.equal(await page.locator('#headline').inputValue(), headline);
  assert.match(await page.locator('#body').inputValue(), /^SANTIAGO — Workers walked out/);
  assert.equal(await page.locator('#credit_photographer').inputValue(), 'Rodrigo Garrido');
  assert.equal(await page.locator('#credit_agency').inputValue(), 'Andes Wire');
  assert.equal(await page.locator('#credit_via').inputValue(), 'Pool Photo via Andes Wire');
  assert.notEqual(await page.locator('#hero_media_id').inputValue(), '', 'the photo was fetched into the library');
  assert.match(await page.locator('[role=status]', { hasText: 'From the wire' }).innerText(), /Andes Wire, version 1/);
  await page.getByRole('button', { name: 'Publish now' }).click();
  await page.waitForURL(/saved=publish/);
  const slug = await page.locator('#slug').inputValue();

  // The reader's page: the photo, its caption and its credit as parts.
  const reader = await (await browser.newContext()).newPage();
  const res = await reader.goto(`${base}/article/${slug}`);
  assert.equal(res.status(), 200);
  assert.equal(await reader.locator('article.story h1').innerText(), headline);
  const figure = reader.locator('figure.hero');
  const img = figure.locator('img');
  await img.evaluate((i) => i.complete || new Promise((r) => { i.onload = r; }));
  assert.ok(await img.evaluate((i) => i.naturalWidth) > 0, 'the photo loaded');
  assert.match(await figure.locator('figcaption .caption').innerText(), /gates of the Escondida mine/);
  assert.equal(await figure.locator('.credit-photographer').innerText(), 'Rodrigo Garrido');
  assert.equal(await figure.locator('.credit-agency').innerText(), 'Andes Wire');
  assert.equal(await figure.locator('.credit-via').innerText(), 'Pool Photo via Andes Wire');
  assert.match(await reader.locator('article.story').innerText(), /Andes Wire/, 'the agency is named as a source');

  // The agency kills the story: the desk flags the article, and the flag's "Clear flag"
  // button passes axe (its visible words are its name).
  const killed = await fetch(`${base}/api/wire/andes`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ uri: item.uri, version: '2', pubstatus: 'canceled', headline: 'KILL' }),
  });
  assert.equal(killed.status, 200, await killed.text());
  await page.goto(`${base}/admin/wire`);
  const clear = page.getByRole('button', { name: `Clear flag on ${headline}` });
  assert.ok(await clear.isVisible(), 'the flag and its button');
  await axe(page, 'wire desk with a flag');
  await clear.click();
  await page.waitForURL(/\/admin\/wire/);
  assert.equal(await page.getByRole('button', { name: `Clear flag on ${headline}` }).count(), 0);

  // An item whose picture the agency's server does not give: Use says so in the editor.
  const broken = { ...item, uri: `${item.uri}:nopic`, headline: `${headline} (no picture)`, associations: { featuremedia: { ...item.associations.featuremedia, renditions: { original: { href: `http://127.0.0.1:${port}/missing.jpg` } } } } };
  const pushedBroken = await fetch(`${base}/api/wire/andes`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(broken),
  });
  assert.equal(pushedBroken.status, 200, await pushedBroken.text());
  await page.goto(`${base}/admin/wire?q=${encodeURIComponent('no picture')}`);
  await page.getByRole('link', { name: broken.headline }).click();
  await page.getByRole('button', { name: /^Use/ }).click();
  await page.waitForURL(/\/admin\/articles\/\d+\?saved=1&picture=unreachable/);
  assert.match(await page.locator('#form-problem').innerText(), /picture could not be fetched/);
  assert.equal(await page.locator('#hero_media_id').inputValue(), '');
  await axe(page, 'the editor saying why the picture is missing');

  // The sources page lists the push source and passes axe.
  await page.goto(`${base}/admin/wire/sources`);
  await axe(page, 'wire sources');
  assert.ok(await page.getByRole('rowheader', { name: 'andes' }).isVisible());
  await context.close();
});
