// pinlab end-to-end runner: runs every e2e/tests/*.mjs (sorted by name) against a served dist/.
//
//   BASE_URL=http://127.0.0.1:PORT/ node e2e/run.mjs [filter[,filter...]]
//
// Each test file exports an async function (default export, or a named export `test`), and
// may export `contextOptions` (playwright browser-context options merged over the defaults)
// and `timeoutMs` (its own time limit instead of E2E_TEST_TIMEOUT_MS, default 60 s):
//
//   export default async function (page, baseURL, t) { ... }
//
//   page     a fresh playwright Page (its own browser context, so no shared storage)
//   baseURL  e.g. "http://127.0.0.1:41234/" (always ends in "/")
//   t        helpers: t.screenshot(name) saves target/e2e/<name>.png (full page);
//            t.consoleErrors is the live list of console errors + uncaught page errors;
//            t.consoleWarnings the console warnings;
//            t.log(...) prints an indented line under the test's result.
//
// A test fails by throwing. The runner prints one line per test, then the plain summary line
// `e2e: N passed, M failed`, and exits non-zero if anything failed (or no test was found).
// On failure it saves target/e2e/<test>-failure.png. Browser: Debian chromium via playwright-core
// (`executablePath`, no browser downloads).
//
// Fresh profile: playwright's chromium.launch() always creates a new temporary user-data-dir
// (os.tmpdir()/playwright_chromiumdev_profile-XXXXXX, removed on close; playwright-core
// server code, `mkdtemp(... playwright_${name}dev_profile-)`) and rejects a --user-data-dir arg.
// On top of that every test gets its own incognito-like browser context (no shared storage).
import { chromium } from 'playwright-core';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const outDir = path.resolve(process.env.E2E_OUT_DIR ?? path.join(root, 'target', 'e2e'));
const testsDir = path.join(here, 'tests');
const executablePath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const testTimeoutMs = Number(process.env.E2E_TEST_TIMEOUT_MS ?? 60_000);
let baseURL = process.env.BASE_URL;
if (!baseURL) {
  console.error('run.mjs: set BASE_URL (scripts/e2e.sh does this)');
  process.exit(2);
}
if (!baseURL.endsWith('/')) baseURL += '/';
const filter = process.argv[2] ?? '';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const files = readdirSync(testsDir)
  .filter((f) => f.endsWith('.mjs') && filter.split(',').some((x) => f.includes(x)))
  .sort();

mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({ executablePath, headless: true, args: ARGS });

let passed = 0;
let failed = 0;
try {
  for (const file of files) {
    const name = file.replace(/\.mjs$/, '');
    const t0 = Date.now();
    // Service workers are blocked (page.route cannot see what a service worker serves) unless
    // the test exports `contextOptions = { serviceWorkers: 'allow' }` (the offline test).
    let mod;
    try {
      mod = await import(pathToFileURL(path.join(testsDir, file)).href);
    } catch (err) {
      failed += 1;
      console.log(`FAIL  ${name}: cannot load the test: ${err?.stack ?? err}`);
      continue;
    }
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      serviceWorkers: 'block',
      ...(mod.contextOptions ?? {}),
    });
    const page = await context.newPage();
    const consoleErrors = [];
    const consoleWarnings = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`console.error: ${msg.text()}`);
      if (msg.type() === 'warning') consoleWarnings.push(`console.warn: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
    page.on('requestfailed', (req) => {
      const why = req.failure()?.errorText ?? '';
      // A navigation (reload) cancels the previous page's in-flight requests: not an error.
      if (why === 'net::ERR_ABORTED') return;
      consoleErrors.push(`request failed: ${req.url()} (${why})`);
    });
    const notes = [];
    const t = {
      consoleErrors,
      consoleWarnings,
      screenshot: async (shot) => {
        const p = path.join(outDir, `${shot}.png`);
        await page.screenshot({ path: p, fullPage: true });
        notes.push(`screenshot ${path.relative(root, p)}`);
        return p;
      },
      log: (...parts) => notes.push(parts.join(' ')),
    };
    try {
      const fn = mod.default ?? mod.test;
      if (typeof fn !== 'function') throw new Error('exports no default (or `test`) function');
      await withTimeout(fn(page, baseURL, t), mod.timeoutMs ?? testTimeoutMs, name);
      passed += 1;
      console.log(`ok    ${name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL  ${name} (${Date.now() - t0} ms): ${err?.stack ?? err}`);
      for (const e of consoleErrors) notes.push(e);
      for (const w of consoleWarnings) notes.push(w);
      try {
        const p = path.join(outDir, `${name}-failure.png`);
        await page.screenshot({ path: p, fullPage: true });
        notes.push(`failure screenshot ${path.relative(root, p)}`);
      } catch { /* page may be gone */ }
    }
    for (const n of notes) console.log(`      ${n}`);
    await context.close().catch(() => {});
  }
} finally {
  await browser.close().catch(() => {});
}

if (files.length === 0) {
  console.log(`no e2e tests matched in ${path.relative(root, testsDir)}${filter ? ` (filter "${filter}")` : ''}`);
  failed += 1;
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
