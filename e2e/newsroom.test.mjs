// The newsroom in a real browser: a contributor signs in with the keyboard, uploads a photo,
// writes a draft and submits it; an editor schedules it; it appears on the site at its time
// with the photo, caption and structured credit. axe-core checks the editor and dashboard.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir, run, startServer, launchBrowser } from './harness.mjs';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

const PASSWORD = 'correct horse battery staple';
let data;
let server;
let base;
let browser;

before(async () => {
  data = dataDir();
  // Accounts made with the command line, as an operator would on a fresh server.
  run(['user', 'add', 'wren@example.com', '--role', 'contributor', '--name', 'Wren Walker', '--password-stdin', '--data', data.dir], `${PASSWORD}\n`);
  run(['user', 'add', 'ed@example.com', '--role', 'editor', '--name', 'Edda Stone', '--password-stdin', '--data', data.dir], `${PASSWORD}\n`);
  run(['user', 'add', 'ada@example.com', '--role', 'admin', '--name', 'Ada Park', '--password-stdin', '--data', data.dir], `${PASSWORD}\n`);
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

async function signIn(email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${base}/admin`);
  await page.waitForURL(/\/admin\/sign-in/);
  // Keyboard only: the address field, Tab to the password, Enter to send.
  await page.locator('#email').focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/admin`);
  return page;
}

async function axe(page, what) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${what}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), []);
}

/** A real JPEG, drawn by the browser itself. */
async function photo(page) {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 1800;
    c.height = 1000;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 1800, 1000);
    grad.addColorStop(0, '#1b4f72');
    grad.addColorStop(1, '#f5b041');
    g.fillStyle = grad;
    g.fillRect(0, 0, 1800, 1000);
    return c.toDataURL('image/jpeg', 0.9);
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

const headline = `Harbour cranes idle as dockers strike ${Date.now() % 100000}`;

test('a contributor drafts and submits, an editor schedules, the story appears at its time', { timeout: 240_000 }, async () => {
  const writer = await signIn('wren@example.com');
  await axe(writer, 'dashboard');

  // Upload the photo with its credit.
  await writer.goto(`${base}/admin/media`);
  await writer.setInputFiles('#file', { name: 'cranes.jpg', mimeType: 'image/jpeg', buffer: await photo(writer) });
  await writer.fill('#alt', 'Idle container cranes against an evening sky');
  await writer.fill('#caption', 'Cranes stood still at the container terminal on Monday');
  await writer.fill('#photographer', 'Lena Marsh');
  await writer.fill('#agency', 'Meridian Press Agency');
  await writer.fill('#via', 'Pool via MPA');
  await writer.getByRole('button', { name: 'Upload' }).click();
  await writer.waitForURL(/\/admin\/media\?uploaded=\d+/);
  assert.match(await writer.locator('.notice').innerText(), /Uploaded/);

  // Write the draft, by keyboard.
  await writer.goto(`${base}/admin/articles/new`);
  await axe(writer, 'editor');
  await writer.locator('#headline').focus();
  await writer.keyboard.type(headline);
  await writer.keyboard.press('Tab');
  await writer.keyboard.type('The port stopped for the first time in a decade.');
  // This writer works in Markdown (the rich mode has its own test).
  await writer.getByRole('group', { name: 'Editing mode' }).getByRole('button', { name: 'Markdown' }).click();
  await writer.locator('#body').focus();
  await writer.keyboard.type('Dockers walked out at dawn, the union said.\n\nShipping lines diverted *six* vessels.');
  // The live preview follows the typing.
  await writer.locator('#preview em').waitFor({ timeout: 10_000 });
  assert.equal(await writer.locator('#preview em').innerText(), 'six');
  await writer.selectOption('#section', 'economy');
  const photoId = await writer.locator('#hero_media_id option', { hasText: 'cranes.jpg' }).getAttribute('value');
  await writer.selectOption('#hero_media_id', photoId);
  await writer.fill('#hero_alt', 'Idle container cranes against an evening sky');
  await writer.fill('#hero_caption', 'Cranes stood still at the container terminal on Monday');
  await writer.fill('#credit_photographer', 'Lena Marsh');
  await writer.fill('#credit_agency', 'Meridian Press Agency');
  await writer.fill('#credit_via', 'Pool via MPA');
  assert.equal(await writer.getByRole('button', { name: 'Publish now' }).count(), 0, 'contributors cannot publish');
  await writer.getByRole('button', { name: 'Submit for review' }).focus();
  await writer.keyboard.press('Enter');
  await writer.waitForURL(/\/admin\?submitted=\d+/);
  assert.match(await writer.locator('.notice').innerText(), /Submitted for review/);
  const editUrl = `${base}/admin/articles/${new URL(writer.url()).searchParams.get('submitted')}`;

  // The editor finds it in review and schedules it for a minute at least one minute away
  // (site time zone: UTC; the form takes minutes).
  const editor = await signIn('ed@example.com');
  await axe(editor, 'editor dashboard');
  await editor.getByRole('link', { name: headline }).click();
  await editor.waitForURL(editUrl);
  await axe(editor, 'editor with a story in review');
  const when = new Date(Date.now() + 120_000).toISOString().slice(0, 16);
  const minute = Date.parse(`${when}:00Z`);
  await editor.fill('#publish_at', when);
  await editor.getByRole('button', { name: 'Schedule' }).click();
  await editor.waitForURL(/saved=schedule/);
  assert.match(await editor.locator('.notice').innerText(), /Scheduled for/);
  const slug = await editor.locator('#slug').inputValue();

  // Absent before its minute, present after it (the scheduler runs every few seconds). Every
  // answer is timed: a 200 that arrived before the minute, or a 404 asked for more than 30 s
  // after it, fails.
  const reader = await (await browser.newContext()).newPage();
  const seen = [];
  let status = 404;
  while (Date.now() < minute + 45_000) {
    const asked = Date.now();
    status = (await reader.goto(`${base}/article/${slug}`)).status();
    const answered = Date.now();
    seen.push({ asked, answered, status });
    if (status === 200) {
      assert.ok(answered >= minute, `public ${(minute - answered) / 1000} s before its minute`);
      break;
    }
    assert.equal(status, 404, 'not found until its time');
    assert.ok(asked <= minute + 30_000, 'still not public 30 s after its minute');
    await new Promise((r) => setTimeout(r, 2000));
  }
  assert.ok(seen.some((s) => s.status === 404 && s.answered < minute), 'seen absent before its minute');
  assert.equal(status, 200, 'published at its time');
  assert.equal(await reader.locator('article.story h1').innerText(), headline);
  const figure = reader.locator('figure.hero');
  const img = figure.locator('img');
  await img.evaluate((i) => i.complete || new Promise((r) => { i.onload = r; }));
  assert.ok(await img.evaluate((i) => i.naturalWidth) > 0, 'the photo loaded');
  assert.match(await figure.locator('source').getAttribute('srcset'), /480w, .* 960w, .* 1600w/);
  assert.match(await figure.locator('figcaption .caption').innerText(), /container terminal/);
  assert.equal(await figure.locator('.credit-photographer').innerText(), 'Lena Marsh');
  assert.equal(await figure.locator('.credit-agency').innerText(), 'Meridian Press Agency');
  assert.equal(await figure.locator('.credit-via').innerText(), 'Pool via MPA');
});

test('an admin adds a webhook and makes an API key, with pages that pass axe', { timeout: 120_000 }, async () => {
  const admin = await signIn('ada@example.com');
  await admin.goto(`${base}/admin/webhooks`);
  await axe(admin, 'webhooks');
  await admin.locator('#hook-url').fill('https://partner.example/hooks');
  await admin.locator('#hook-description').fill('Partner app');
  await admin.getByRole('button', { name: 'Add webhook' }).click();
  await admin.waitForURL(/\/admin\/webhooks\?saved=1/);
  assert.ok(await admin.getByRole('rowheader', { name: /partner\.example/ }).isVisible());
  await axe(admin, 'webhooks with a hook');

  await admin.goto(`${base}/admin/api-keys`);
  await axe(admin, 'API keys');
  await admin.locator('#key-name').fill('Partner site');
  await admin.getByRole('button', { name: 'Make key' }).click();
  const key = await admin.locator('#new-key').inputValue();
  assert.match(key, /^bsc_[0-9a-f]{64}$/);
  await axe(admin, 'API keys with a new key');
  const ok = await admin.request.get(`${base}/api/v1/sections`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(ok.status(), 200);
  const refused = await admin.request.get(`${base}/api/v1/sections`);
  assert.equal(refused.status(), 401);
  assert.equal(refused.headers()['content-type'], 'application/problem+json');
  await admin.context().close();
});

test('axe finds nothing serious or critical on any admin page, and the navigation is grouped', { timeout: 180_000 }, async () => {
  const anonymous = await (await browser.newContext()).newPage();
  for (const path of ['/admin/sign-in', '/admin/reset']) {
    await anonymous.goto(`${base}${path}`);
    await axe(anonymous, path);
  }
  const admin = await signIn('ada@example.com');
  // The desk's pages in a row; the site's and the administrator's in two menus.
  const row = await admin.locator('nav[aria-label="Newsroom"] > ul > li > a').allInnerTexts();
  assert.deepEqual(row, ['Dashboard', 'Articles', 'New article', 'Media', 'Wire', 'View site']);
  assert.deepEqual(await admin.locator('nav[aria-label="Newsroom"] summary').allInnerTexts(), ['Site', 'Administration']);
  const header = await admin.locator('.admin-header').boundingBox();
  assert.ok(header.height < 90, `the header is one row at 1280 px, not a wall of links (${header.height} px)`);
  await admin.locator('nav[aria-label="Newsroom"] summary', { hasText: 'Administration' }).click();
  await admin.getByRole('link', { name: 'Users', exact: true }).click();
  await admin.waitForURL(`${base}/admin/users`);

  const pages = new Set(await admin.locator('nav[aria-label="Newsroom"] a[href^="/admin"]').evaluateAll((as) => as.map((a) => a.getAttribute('href'))));
  // Pages behind an id: an article's editor and revisions, a user.
  await admin.goto(`${base}/admin/articles`);
  const edit = await admin.locator('main a[href^="/admin/articles/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')).filter((h) => /^\/admin\/articles\/\d+$/.test(h)));
  assert.ok(edit.length > 0, 'an article to open');
  pages.add(edit[0]);
  pages.add(`${edit[0]}/revisions`);
  await admin.goto(`${base}/admin/users`);
  const user = await admin.locator('main a[href^="/admin/users/"]').first().getAttribute('href').catch(() => null);
  if (user) pages.add(user);
  assert.ok(pages.size >= 17, `admin pages found: ${[...pages].join(' ')}`);
  for (const path of pages) {
    const r = await admin.goto(`${base}${path}`);
    assert.equal(r.status(), 200, path);
    await axe(admin, path);
  }
  await admin.context().close();
});

test('the digest e-mail at phone and desktop widths: the lead photo with its credit, standfirsts, markets', { timeout: 120_000 }, async () => {
  const admin = await signIn('ada@example.com');
  await admin.goto(`${base}/admin/api-keys`);
  await admin.locator('#key-name').fill('Digest check');
  const owner = await admin.locator('#key-owner option', { hasText: 'Ada Park' }).getAttribute('value');
  await admin.locator('#key-owner').selectOption(owner);
  await admin.getByRole('button', { name: 'Make key' }).click();
  const auth = { Authorization: `Bearer ${await admin.locator('#new-key').inputValue()}` };
  const up = await admin.request.post(`${base}/api/v1/admin/media?alt=Cranes%20over%20the%20east%20quay&photographer=Hanne%20Voss&agency=MPA&name=quay.jpg`, {
    headers: { ...auth, 'Content-Type': 'image/jpeg' }, data: await photo(admin),
  });
  assert.equal(up.status(), 201, await up.text());
  const media = (await up.json()).media;
  const lead = `Dockers walk out at the east quay ${Date.now() % 100000}`;
  const created = await admin.request.post(`${base}/api/v1/admin/articles`, {
    headers: auth,
    data: {
      headline: lead, standfirst: 'Cranes stand idle as the port talks break down.', body: 'The strike began at dawn.', section: 'economy',
      pinned: true, importance: 3,
      hero: { media_id: media.id, alt: 'Cranes over the east quay', caption: 'The east quay at dawn.', photographer: 'Hanne Voss', agency: 'MPA' },
    },
  });
  assert.equal(created.status(), 201, await created.text());
  const id = (await created.json()).article.id;
  assert.equal((await admin.request.post(`${base}/api/v1/admin/articles/${id}/publish`, { headers: auth })).status(), 200);

  const storageState = await admin.context().storageState();
  mkdirSync(shots, { recursive: true });
  for (const [name, options] of [['phone', { viewport: { width: 390, height: 844 }, isMobile: true }], ['desktop', { viewport: { width: 1440, height: 900 } }]]) {
    const context = await browser.newContext({ ...options, storageState });
    const page = await context.newPage();
    await page.goto(`${base}/admin/newsletter/preview`);
    const img = page.locator('img[alt="Cranes over the east quay"]');
    await img.waitFor({ timeout: 10_000 }).catch(async () => { throw new Error(`no photo in the preview:\n${(await page.content()).slice(0, 3000)}`); });
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), `${name}: the lead's photo loaded`);
    const text = await page.locator('body').innerText();
    assert.match(text, new RegExp(lead));
    assert.match(text, /Photo: Hanne Voss, MPA/);
    assert.match(text, /Top stories/);
    assert.match(text, /Markets[\s\S]*Carrow 40/);
    const standfirsts = await page.locator('text=Top stories').evaluate(() => document.body.innerText.split('Top stories')[1] || '');
    assert.ok(standfirsts.length > 200, `${name}: the top stories have standfirsts`);
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(m.scroll <= options.viewport.width, `${name}: the mail is ${m.scroll} px wide`);
    const box = await img.boundingBox();
    assert.ok(box.width > 200 && box.x + box.width <= options.viewport.width, `${name}: the photo fits (${JSON.stringify(box)})`);
    await page.screenshot({ path: join(shots, `digest-${name}.png`), fullPage: true });
    await context.close();
  }
  await admin.context().close();
});

test('the editor: a media picker that never leaves the page, the photo details filled in, a word count, and a closed tab that loses nothing', { timeout: 180_000 }, async () => {
  const page = await signIn('ada@example.com');
  await page.goto(`${base}/admin/articles/new`);
  await page.locator('#headline').fill('Port talks resume after the strike');
  await page.getByRole('group', { name: 'Editing mode' }).getByRole('button', { name: 'Markdown' }).click();
  await page.locator('#body').fill('Talks resumed on *Monday* at the [port](https://example.com/port) offices.');
  assert.equal(await page.locator('#word-count').innerText(), '8 words', 'markup and link addresses are not words');

  // Upload from the picker, without leaving the editor: the photo is chosen with its details.
  await page.getByRole('button', { name: 'Choose from the library…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Choose a photo' });
  await dialog.waitFor();
  await axe(page, 'the editor with the media picker open');
  await dialog.locator('summary', { hasText: 'Upload a new photo' }).click();
  await dialog.locator('#pu-file').setInputFiles({ name: 'talks.jpg', mimeType: 'image/jpeg', buffer: await photo(page) });
  await dialog.locator('#pu-alt').fill('Negotiators at the port offices');
  await dialog.locator('#pu-caption').fill('The talks in the harbour master\'s office.');
  await dialog.locator('#pu-photographer').fill('Lena Marsh');
  await dialog.locator('#pu-agency').fill('Meridian Press Agency');
  await dialog.getByRole('button', { name: 'Upload and choose' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const chosen = await page.locator('#hero_media_id').inputValue();
  assert.match(chosen, /^\d+$/);
  assert.equal(await page.locator('#hero_alt').inputValue(), 'Negotiators at the port offices');
  assert.equal(await page.locator('#credit_photographer').inputValue(), 'Lena Marsh');
  assert.ok(await page.locator('#hero-thumb img').isVisible(), 'the chosen photo, shown small');
  assert.equal(page.url(), `${base}/admin/articles/new`, 'never left the editor');

  // Chosen again from the list by search: the stored details come back after being cleared.
  for (const id of ['#hero_alt', '#hero_caption', '#credit_photographer', '#credit_agency']) await page.locator(id).fill('');
  await page.getByRole('button', { name: 'Choose from the library…' }).click();
  await dialog.locator('#picker-q').fill('port offices');
  await dialog.getByRole('button', { name: 'Search' }).click();
  await dialog.getByRole('button', { name: new RegExp(`^Choose Negotiators at the port offices · Lena Marsh \\(media ${chosen}\\)$`) }).click();
  assert.equal(await page.locator('#hero_caption').inputValue(), 'The talks in the harbour master\'s office.');
  assert.equal(await page.locator('#credit_agency').inputValue(), 'Meridian Press Agency');

  // A bad file gets its reason in the dialog.
  await page.getByRole('button', { name: 'Choose from the library…' }).click();
  await dialog.locator('#pu-file').setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a picture at all') });
  await dialog.getByRole('button', { name: 'Upload and choose' }).click();
  await dialog.locator('#picker-problem').waitFor();
  assert.ok((await dialog.locator('#picker-problem').innerText()).length > 10);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  // The tab is closed before saving; the editor opened again offers the text back.
  await page.locator('#body').fill('Talks resumed on Monday. Both sides called them constructive.');
  await page.waitForTimeout(1500);
  const context = page.context();
  await page.close();
  const again = await context.newPage();
  await again.goto(`${base}/admin/articles/new`);
  const offer = again.getByRole('region', { name: 'Unsaved changes' });
  await offer.waitFor();
  await axe(again, 'the editor with a restore offer');
  await offer.getByRole('button', { name: 'Restore them' }).click();
  assert.equal(await again.locator('#headline').inputValue(), 'Port talks resume after the strike');
  assert.equal(await again.locator('#body').inputValue(), 'Talks resumed on Monday. Both sides called them constructive.');
  assert.equal(await again.locator('#hero_media_id').inputValue(), chosen);
  assert.equal(await again.locator('#word-count').innerText(), '9 words');
  await again.getByRole('button', { name: 'Save', exact: true }).click();
  await again.waitForURL(/\/admin\/articles\/\d+\?saved=/);
  assert.equal(await again.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('broadsheet-editor:')).length), 0, 'the copy is dropped once saved');
  assert.equal(await again.locator('#hero_alt').inputValue(), 'Negotiators at the port offices');
  await context.close();
});

const WORD_HTML = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}</style>
<!--[if gte mso 9]><xml><o:OfficeDocumentSettings></o:OfficeDocumentSettings></xml><![endif]--></head><body>
<h2>Port reopens</h2>
<p class=MsoNormal>Dockers went back to work on <b>Tuesday</b> after a <i>six-day</i> strike.<o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='mso-list:l0 level1 lfo1'><span style='mso-list:Ignore'>·<span>&nbsp;&nbsp;</span></span>Cranes restart first<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='mso-list:l0 level1 lfo1'><span style='mso-list:Ignore'>·<span>&nbsp;&nbsp;</span></span>Ships queue offshore<o:p></o:p></p>
<p class=MsoListParagraphCxSpFirst style='mso-list:l1 level1 lfo2'><span style='mso-list:Ignore'>1.<span>&nbsp;</span></span>First, the backlog<o:p></o:p></p>
<p class=MsoListParagraphCxSpLast style='mso-list:l1 level1 lfo2'><span style='mso-list:Ignore'>2.<span>&nbsp;</span></span>Then the talks<o:p></o:p></p>
<table><tr><td>cell one</td><td>cell two</td></tr></table>
<script>alert(1)</script><img src="data:image/png;base64,iVBORw0KGgo="><img src="http://tracker.example/pixel.gif" width=1 height=1>
<p class=MsoNormal><a href="https://port.example/statement">The port's statement</a></p>
</body></html>`;

const DOCS_HTML = `<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-5f1e"><p dir="ltr"><span style="font-weight:400;">Plain words, </span><span style="font-weight:700;">strong words</span><span style="font-weight:400;"> and </span><span style="font-style:italic;font-weight:400;">slanted words</span></p><ul><li dir="ltr"><p dir="ltr"><span>One</span></p></li><li dir="ltr"><p dir="ltr"><span>Two</span></p></li></ul><blockquote><p>A quoted line</p></blockquote></b>`;

async function paste(page, html) {
  await page.locator('.rich-body').evaluate((el, h) => {
    el.focus();
    const data = new DataTransfer();
    data.setData('text/html', h);
    data.setData('text/plain', 'plain fallback');
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, html);
}

test('the rich editor: writing, pasting from Word and Google Docs, photos and market data from pickers, and Markdown that round-trips', { timeout: 240_000 }, async () => {
  const page = await signIn('ada@example.com');
  await page.goto(`${base}/admin/articles/new`);
  const modes = page.getByRole('group', { name: 'Editing mode' });
  assert.equal(await modes.getByRole('button', { name: 'Rich text' }).getAttribute('aria-pressed'), 'true', 'rich text by default');
  await axe(page, 'the editor in rich-text mode');
  await page.locator('#headline').fill('Port reopens after the strike');
  const body = page.getByRole('textbox', { name: 'Story' });
  await body.click();
  await page.keyboard.type('The strike is over. ');
  await page.keyboard.press('Control+b');
  await page.keyboard.type('Ports reopen');
  await page.keyboard.press('Control+b');
  await page.keyboard.type(' today.');
  await page.keyboard.press('Enter');
  const markdown = () => page.locator('#body').inputValue();
  assert.match(await markdown(), /^The strike is over\. \*\*Ports reopen\*\* today\.\n/);

  await paste(page, WORD_HTML);
  let md = await markdown();
  assert.match(md, /^## Port reopens$/m, md);
  assert.match(md, /Dockers went back to work on \*\*Tuesday\*\* after a \*six-day\* strike\./);
  assert.match(md, /^\* Cranes restart first\n\* Ships queue offshore$/m, `Word's bullets are a list:\n${md}`);
  assert.match(md, /^1\. First, the backlog\n2\. Then the talks$/m, `Word's numbers are a list:\n${md}`);
  assert.match(md, /\[The port's statement\]\(https:\/\/port\.example\/statement\)/);
  for (const gone of ['alert', 'script', 'tracker.example', 'data:', 'mso', 'MsoNormal', 'o:p', '<table', '·']) assert.ok(!md.includes(gone), `"${gone}" dropped:\n${md}`);
  assert.match(md, /cell one/, 'a table pasted keeps its words');

  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await paste(page, DOCS_HTML);
  md = await markdown();
  assert.match(md, /Plain words, \*\*strong words\*\* and \*slanted words\*/, md);
  assert.ok(!md.includes('**Plain'), 'the Google Docs wrapper is not bold');
  assert.match(md, /^\* One\n\* Two$/m);
  assert.match(md, /^> A quoted line$/m);

  // Out of the quote (Enter on an empty line leaves it), then a photo uploaded from the
  // picker, in the body with its caption and credit.
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.getByRole('toolbar', { name: 'Formatting' }).getByRole('button', { name: 'Photo…' }).click();
  const picker = page.getByRole('dialog', { name: 'Choose a photo' });
  await picker.waitFor();
  await picker.locator('summary', { hasText: 'Upload a new photo' }).click();
  await picker.locator('#pu-file').setInputFiles({ name: 'quay.jpg', mimeType: 'image/jpeg', buffer: await photo(page) });
  await picker.locator('#pu-alt').fill('The quay with its cranes moving again');
  await picker.locator('#pu-caption').fill('Work resumed at dawn.');
  await picker.locator('#pu-photographer').fill('Hanne Voss');
  await picker.locator('#pu-agency').fill('MPA');
  await picker.getByRole('button', { name: 'Upload and choose' }).click();
  await picker.waitFor({ state: 'hidden' });
  md = await markdown();
  assert.match(md, /^<figure><img src="\/media\/[^"]+\.jpg" alt="The quay with its cranes moving again"><figcaption>Work resumed at dawn\. Photo: Hanne Voss, MPA<\/figcaption><\/figure>$/m, md);
  assert.equal(await page.locator('#hero_media_id').inputValue(), '', 'the body photo is not the hero');
  assert.ok(await page.locator('.rich-body .source-block img').isVisible(), 'the photo shows in the editor');

  // Market data from the picker, not typed tags.
  await page.getByRole('toolbar', { name: 'Formatting' }).getByRole('button', { name: 'Market data…' }).click();
  const market = page.getByRole('dialog', { name: 'Insert market data' });
  await market.waitFor();
  await market.getByLabel('Instrument').selectOption('CAR40');
  await market.getByLabel('A chart').check();
  await market.getByLabel('over').selectOption('5Y');
  await market.getByRole('button', { name: 'Insert' }).click();
  assert.match(await markdown(), /^\{\{chart CAR40 5Y\}\}$/m);

  // Markdown mode shows the same text; back in rich mode nothing changed.
  const before = await markdown();
  await modes.getByRole('button', { name: 'Markdown' }).click();
  assert.ok(await page.locator('#body').isVisible());
  assert.equal(await markdown(), before);
  await page.locator('#body').fill(`${before}\nAdded in *Markdown* mode.\n`);
  await modes.getByRole('button', { name: 'Rich text' }).click();
  assert.ok(await page.locator('.rich-body em', { hasText: 'Markdown' }).isVisible());
  assert.equal(await markdown(), `${before}\nAdded in *Markdown* mode.\n`);

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(/\/admin\/articles\/\d+\?saved=/);
  assert.match(await page.locator('#body').inputValue(), /\{\{chart CAR40 5Y\}\}/);

  // Every demo story, and one with everything the rich mode cannot show itself, renders the
  // same after a trip through the rich editor (the server's own preview renders both).
  const tricky = [
    'Intro with a footnote[^1] and ~~struck~~ text and <abbr title="x">HTML</abbr>.', '',
    '| a | b |', '|---|---|', '| 1 | 2 |', '',
    '<figure><img src="/media/x.jpg" alt="A"><figcaption>Cap</figcaption></figure>', '',
    '1. one', '   - nested *em*', '2. two', '', '```', 'code <b>', '```', '',
    'A [reference link][r] and a hard  ', 'break, "smart" quotes -- dashes.', '',
    '[r]: https://example.com/r', '[^1]: The footnote.', '',
  ].join('\n');
  const ids = await page.evaluate(async () => {
    const r = await fetch('/admin/articles?limit=100');
    const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
    return [...new Set([...doc.querySelectorAll('main a[href^="/admin/articles/"]')].map((a) => a.getAttribute('href')).filter((h) => /^\/admin\/articles\/\d+$/.test(h)))];
  });
  assert.ok(ids.length >= 20, `demo stories: ${ids.length}`);
  const problems = await page.evaluate(async ({ ids, tricky }) => {
    const csrf = document.querySelector('form.editor input[name=csrf]').value;
    const render = async (md) => {
      const data = new URLSearchParams({ csrf, body: md });
      return (await fetch('/admin/preview', { method: 'POST', body: data })).text();
    };
    const out = [];
    const sources = [['tricky', tricky]];
    for (const id of ids) {
      const doc = new DOMParser().parseFromString(await (await fetch(id)).text(), 'text/html');
      sources.push([id, doc.querySelector('#body').value]);
    }
    for (const [id, md] of sources) {
      const again = window.BroadsheetEditor.serializeMarkdown(window.BroadsheetEditor.parseMarkdown(md));
      const [a, b] = [await render(md), await render(again)];
      if (a !== b) out.push(`${id}:\n${a}\n---\n${b}`);
    }
    return out;
  }, { ids, tricky });
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the rich editor refuses what it cannot take, out loud: files that are not photos, scripts, nesting, 5 MB', { timeout: 180_000 }, async () => {
  const page = await signIn('ada@example.com');
  await page.goto(`${base}/admin/articles/new`);
  await page.getByRole('group', { name: 'Editing mode' }).getByRole('button', { name: 'Rich text' }).click();
  const markdown = () => page.locator('#body').inputValue();
  const drop = (name, type, bytes) => page.locator('.rich-body').evaluate((el, [n, t, b]) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(b)], n, { type: t }));
    const r = el.getBoundingClientRect();
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true, clientX: r.left + 5, clientY: r.top + 5 }));
  }, [name, type, [...bytes]]);

  await drop('notes.pdf', 'application/pdf', Buffer.from('%PDF-1.4'));
  assert.match(await page.locator('.rich-problem').innerText(), /“notes\.pdf” is not a photo/);
  assert.equal((await markdown()).trim(), '', 'nothing added');

  // A photo dropped in goes through the upload form, for its alt text and credit.
  await drop('dropped.jpg', 'image/jpeg', await photo(page));
  const picker = page.getByRole('dialog', { name: 'Choose a photo' });
  await picker.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'pu-alt');
  await picker.locator('#pu-alt').fill('A photo dropped into the story');
  await picker.getByRole('button', { name: 'Upload and choose' }).click();
  await picker.waitFor({ state: 'hidden' });
  assert.match(await markdown(), /<figure><img src="\/media\/[^"]+" alt="A photo dropped into the story"><\/figure>/);

  // Pasted scripts, handlers, styles, iframes and deep nesting: only the words and the schema's
  // structure remain.
  let nested = 'deep';
  for (let i = 0; i < 60; i += 1) nested = `<ul><li>level ${i}${nested}</li></ul>`;
  await page.locator('.rich-body').evaluate((el, h) => {
    el.focus();
    const data = new DataTransfer();
    data.setData('text/html', h);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, `<p onclick="alert(1)">Click <a href="javascript:alert(2)">me</a><iframe src="https://evil.example"></iframe><style>*{display:none}</style></p>${nested}`);
  const md = await markdown();
  for (const bad of ['onclick', 'javascript:', 'iframe', 'evil.example', 'display:none']) assert.ok(!md.includes(bad), `${bad} in:\n${md.slice(0, 500)}`);
  assert.match(md, /level 59/);
  await page.getByRole('group', { name: 'Editing mode' }).getByRole('button', { name: 'Markdown' }).click();
  await page.locator('#preview').getByText('level 59').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#preview a[href^="javascript"]').count(), 0);

  // 5 MB of text: stopped before it is sent, with the reason, and the text kept.
  await page.locator('#headline').fill('A very long story');
  await page.locator('#body').evaluate((el) => { el.value = 'All work and no play. '.repeat(240_000); el.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText(/Not saved: the story is 5\.3 MB/).waitFor();
  assert.equal(page.url(), `${base}/admin/articles/new`);
  assert.equal((await markdown()).length, 22 * 240_000);
  await page.context().close();
});

test('a restored copy over a newer version meets the conflict rule, and the editor works without JavaScript', { timeout: 120_000 }, async () => {
  const page = await signIn('ed@example.com');
  await page.goto(`${base}/admin/articles`);
  const edit = await page.locator('main a[href^="/admin/articles/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')).find((h) => /^\/admin\/articles\/\d+$/.test(h)));
  await page.goto(`${base}${edit}`);
  await page.getByRole('group', { name: 'Editing mode' }).getByRole('button', { name: 'Markdown' }).click();
  const mine = `${await page.locator('#body').inputValue()}\nA paragraph typed before the tab closed.\n`;
  await page.locator('#body').fill(mine);
  await page.waitForTimeout(1500);
  const context = page.context();
  await page.close();

  // A colleague saves a newer version meanwhile.
  const other = await signIn('ada@example.com');
  await other.goto(`${base}${edit}`);
  await other.getByRole('group', { name: 'Editing mode' }).getByRole('button', { name: 'Markdown' }).click();
  await other.locator('#standfirst').fill('A standfirst from a colleague.');
  await other.getByRole('button', { name: 'Save', exact: true }).click();
  await other.waitForURL(/saved=/);
  await other.context().close();

  const again = await context.newPage();
  await again.goto(`${base}${edit}`);
  await again.getByRole('region', { name: 'Unsaved changes' }).getByRole('button', { name: 'Restore them' }).click();
  assert.equal(await again.locator('#body').inputValue(), mine);
  await again.getByRole('button', { name: 'Save', exact: true }).click();
  const problem = again.locator('[role=alert]', { hasText: 'Not saved' });
  await problem.waitFor();
  assert.match(await problem.innerText(), /Not saved/);
  assert.equal(await again.locator('#body').inputValue(), mine, 'the text is still in the form');
  await context.close();

  // Without JavaScript: the Markdown form, visible, and saving works.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const p = await noJs.newPage();
  await p.goto(`${base}/admin/sign-in`);
  await p.locator('#email').fill('ed@example.com');
  await p.locator('#password').fill(PASSWORD);
  await p.getByRole('button', { name: /Sign in/ }).click();
  await p.goto(`${base}/admin/articles/new`);
  assert.ok(await p.locator('#body').isVisible(), 'the story field');
  assert.equal(await p.locator('.rich-editor').count(), 0);
  await p.locator('#headline').fill('Written without JavaScript');
  await p.locator('#body').fill('A plain *Markdown* story.');
  await p.getByRole('button', { name: 'Save', exact: true }).click();
  await p.waitForURL(/\/admin\/articles\/\d+\?saved=/);
  await noJs.close();
});
