// What the browser tests share: the binary and browser paths, a server on a free loopback
// port in a fresh data directory, and Debian's Chromium with the flags this machine needs.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const bin = process.env.BROADSHEET_BIN ?? join(here, '..', 'target', 'debug', 'broadsheet');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A fresh data directory, removed by `cleanup()`. */
export function dataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'broadsheet-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `broadsheet ARGS` to completion with `input` on stdin; throws on failure. */
export function run(args, input = '') {
  const r = spawnSync(bin, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`broadsheet ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Starts `broadsheet serve --demo` on `dir`; resolves to { base, server }. */
export function startServer(dir, env = {}) {
  return new Promise((resolve, reject) => {
    const server = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data', dir], {
      env: { ...process.env, BROADSHEET_LOG: 'info', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffered = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${buffered}`)), 60_000);
    server.stderr.on('data', (chunk) => {
      buffered += chunk;
      const m = buffered.match(/serving (http:\/\/[\d.:]+)\//);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        resolve({ base: m[1], server });
      }
    });
    server.on('exit', (code) => {
      if (!started) reject(new Error(`server exited with ${code}:\n${buffered}`));
    });
  });
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}
