// Makes the README's screenshots of the demo site: docs/screenshot.png (the front page at
// 1280 × 1000) and docs/screenshot-phone.png (an article on a 390 px phone, emulated).
//   cargo build && (cd e2e && npm ci && node screenshot.mjs)

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataDir, startServer, launchBrowser } from './harness.mjs';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const data = dataDir();
const { base, server } = await startServer(data.dir, { BROADSHEET_NEWSLETTER__MODAL_MAX_SHOWS: '0' });
const browser = await launchBrowser();
try {
  const desk = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  await desk.goto(`${base}/`);
  await desk.screenshot({ path: join(docs, 'screenshot.png') });
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  await phone.goto(`${base}/article/copper-hits-18-month-high-on-supply-worries`);
  await phone.screenshot({ path: join(docs, 'screenshot-phone.png') });
} finally {
  await browser.close();
  server.kill('SIGTERM');
  data.cleanup();
}
