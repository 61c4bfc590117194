// The sign-up dialog in a real browser: it appears after its delay, is an accessible dialog
// (focus inside, Esc closes, focus returns), Close hides it for good, and signing up through it
// works (the confirmation lands in the outbox, as no SMTP relay is configured here). It respects
// the reader: never after a sign-up through any form, never twice, never over a sign-up box,
// never on /subscribe, and on a phone it fits the screen. A sign-up faster than a person gets a
// visible second step.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { dataDir, startServer, launchBrowser } from './harness.mjs';

let data;
let server;
let base;
let browser;

before(async () => {
  data = dataDir();
  ({ base, server } = await startServer(data.dir, {
    BROADSHEET_NEWSLETTER__MODAL_DELAY_SECS: '1',
    // Long enough that an immediate submit is "too quick" even on a busy machine.
    BROADSHEET_NEWSLETTER__MIN_FILL_SECS: '2',
  }));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  data?.cleanup();
});

test('the dialog appears, is accessible, and Close hides it for good', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/`);
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await dialog.innerText(), /Welcome to The Meridian Ledger/);
  assert.match(await dialog.innerText(), /Sign up for daily updates for the most important stories unfolding in the global economy/);
  assert.equal(await page.evaluate(() => document.activeElement.type), 'email', 'focus moves into the dialog');
  const results = await new AxeBuilder({ page }).include('#signup-dialog').analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), []);

  // Tab cycles inside the dialog.
  for (let i = 0; i < 6; i += 1) {
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => document.getElementById('signup-dialog').contains(document.activeElement)), `tab ${i} stays inside`);
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });

  // Not again on the next page, nor after a reload.
  await page.goto(`${base}/section/politics`);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator('#signup-dialog').isVisible(), false);
  await context.close();

  // The Close button does the same.
  const other = await (await browser.newContext()).newPage();
  await other.goto(`${base}/`);
  await other.getByRole('dialog').waitFor({ state: 'visible', timeout: 10_000 });
  await other.getByRole('button', { name: 'Close' }).click();
  await other.reload();
  await other.waitForTimeout(2500);
  assert.equal(await other.locator('#signup-dialog').isVisible(), false);
});

test('signing up through the dialog sends the confirmation', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/`);
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ state: 'visible', timeout: 10_000 });
  await page.waitForTimeout(2200);
  await dialog.getByLabel('Your e-mail address').fill('modal-reader@example.com');
  await dialog.getByRole('button', { name: 'Subscribe' }).click();
  await page.waitForURL(`${base}/subscribe`);
  assert.match(await page.locator('h1').innerText(), /Check your inbox/);
  const outbox = join(data.dir, 'outbox');
  assert.ok(existsSync(outbox), 'an outbox');
  const mails = readdirSync(outbox).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(outbox, f), 'utf8'));
  assert.ok(mails.some((m) => m.includes('To: modal-reader@example.com') && m.includes('/subscribe/confirm/')), 'confirmation written');
  // Back on the site, the dialog does not come back.
  await page.goto(`${base}/`);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator('#signup-dialog').isVisible(), false);
});

test('a sign-up through the box under a story: the dialog never covers the box, and never comes back', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/section/politics`);
  const href = await page.locator('.listing .card-headline a').first().getAttribute('href');
  // Arriving at the box itself (the fragment scrolls there before any script runs).
  await page.goto(`${base}${href}#story-title`);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator('#signup-dialog').isVisible(), false, 'no dialog over the box the reader is at');
  await page.locator('#story-email').fill('story-reader@example.com');
  await page.locator('.story-signup button[type=submit]').click();
  await page.waitForURL(`${base}/subscribe`);
  assert.match(await page.locator('h1').innerText(), /Check your inbox/);
  for (const path of ['/', '/section/world']) {
    await page.goto(`${base}${path}`);
    await page.waitForTimeout(2500);
    assert.equal(await page.locator('#signup-dialog').isVisible(), false, `no dialog on ${path} after a sign-up`);
  }
});

test('a dialog shown once and ignored is not shown again', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/`);
  await page.getByRole('dialog').waitFor({ state: 'visible', timeout: 10_000 });
  // The reader neither closes it nor signs up: they follow a link (here, go to another page).
  await page.goto(`${base}/section/world`);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator('#signup-dialog').isVisible(), false, 'the default is one showing');
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('broadsheet-newsletter')));
  assert.equal(stored.shown, 1);
  assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie');
});

test('no dialog on the sign-up and preferences pages', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/subscribe`);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator('#signup-dialog').count(), 0);
});

test('on a phone the dialog fits the screen: Close and Subscribe can be reached', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.innerWidth), 390, 'the layout viewport is the device width');
  for (const name of ['Close', 'Subscribe']) {
    const box = await dialog.getByRole('button', { name, exact: true }).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.y >= 0 && box.y + box.height <= 844, `${name} on screen: ${JSON.stringify(box)}`);
  }
  await dialog.getByRole('button', { name: 'Close', exact: true }).tap();
  await dialog.waitFor({ state: 'hidden' });
});

test('a sign-up sent at once (autofill and Enter) gets a visible second step, then the mail', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/subscribe`);
  await page.fill('#page-email', 'quick-reader@example.com');
  await page.press('#page-email', 'Enter');
  await page.waitForURL(`${base}/subscribe`);
  assert.equal(await page.locator('h1').innerText(), 'One more step');
  assert.match(await page.locator('[role=status]').innerText(), /not a robot/);
  assert.equal(await page.locator('#step-email').inputValue(), 'quick-reader@example.com');
  const results = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id), []);
  await page.getByRole('button', { name: /not a robot/ }).click();
  assert.match(await page.locator('h1').innerText(), /Check your inbox/);
  const outbox = join(data.dir, 'outbox');
  const mails = readdirSync(outbox).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(outbox, f), 'utf8'));
  assert.ok(mails.some((m) => m.includes('To: quick-reader@example.com') && m.includes('/subscribe/confirm/')), 'confirmation written');
});

test('the confirmation and preferences pages pass axe, fit a phone, and end the dialog for this browser', async () => {
  const outbox = join(data.dir, 'outbox');
  const mail = readdirSync(outbox).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(outbox, f), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='))
    .find((m) => m.includes('To: quick-reader@example.com'));
  assert.ok(mail, 'the confirmation from the second-step test');
  const confirm = mail.match(/\/subscribe\/confirm\/[^\s"<]+/)[0];
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${base}${confirm}`);
  assert.equal(await page.locator('h1').innerText(), 'You are subscribed');
  await page.getByRole('link', { name: /Choose sections/ }).tap();
  assert.equal(await page.locator('h1').innerText(), 'Your newsletter');
  assert.equal(await page.evaluate(() => window.innerWidth), 390);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
  const results = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id), []);
  // This browser has a subscription now: no dialog on the site.
  await page.goto(`${base}/`);
  await page.waitForTimeout(2500);
  assert.equal(await page.locator('#signup-dialog').isVisible(), false);
});

test('without JavaScript the footer form and /subscribe work', async () => {
  const checked = await (await browser.newContext()).newPage();
  await checked.goto(`${base}/subscribe`);
  const results = await new AxeBuilder({ page: checked }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), []);

  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto(`${base}/subscribe`);
  await page.waitForTimeout(2200);
  await page.fill('#page-email', 'nojs@example.com');
  await page.locator('.subscribe-page button[type=submit]').click();
  assert.match(await page.locator('h1').innerText(), /Check your inbox/);
  await page.goto(`${base}/`);
  assert.equal(await page.locator('#signup-dialog').isVisible(), false, 'no dialog without a script');
  assert.equal(await page.locator('.footer-signup input[type=email]').count(), 1);
});
