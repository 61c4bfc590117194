// The sign-up dialog in a real browser: it appears after its delay, is an accessible dialog
// (focus inside, Esc closes, focus returns), Close hides it for good, and signing up through it
// works (the confirmation lands in the outbox, as no SMTP relay is configured here).

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
    BROADSHEET_NEWSLETTER__MIN_FILL_SECS: '1',
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
  await page.waitForTimeout(1200);
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

test('without JavaScript the footer form and /subscribe work', async () => {
  const checked = await (await browser.newContext()).newPage();
  await checked.goto(`${base}/subscribe`);
  const results = await new AxeBuilder({ page: checked }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), []);

  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto(`${base}/subscribe`);
  await page.waitForTimeout(1200);
  await page.fill('#page-email', 'nojs@example.com');
  await page.locator('.subscribe-page button[type=submit]').click();
  assert.match(await page.locator('h1').innerText(), /Check your inbox/);
  await page.goto(`${base}/`);
  assert.equal(await page.locator('#signup-dialog').isVisible(), false, 'no dialog without a script');
  assert.equal(await page.locator('.footer-signup input[type=email]').count(), 1);
});
