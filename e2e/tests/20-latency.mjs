// Latency per gallery script: select each entry of the gallery (#gallery), then make 20 small
// edits (8 for a script whose run takes > 30 ms, e.g. the S4 storm, to stay within the test
// timeout: each of those waits 250 ms of quiet plus a ~0.5 s run) at the end of the script (type "x" / Backspace on a trailing comment line), one at a
// time, each waiting for the app to record its sample (window.pinlabLatencyCount). A sample is
// the time from the input event to the DOM update that shows the re-run results. Writes
// target/e2e/latency.json as { script: { p50, p95, n } } and prints one line per script.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const outDir = process.env.E2E_OUT_DIR ?? path.resolve('target', 'e2e');
const EDITS = 20;
const EDITS_SLOW = 8;

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export function pct(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function sampleCount(page) {
  return page.evaluate(() => window.pinlabLatencyCount ?? 0);
}

// One edit (a key press) and its latency sample.
export async function edit(page, key, timeout = 10_000) {
  const c0 = await sampleCount(page);
  await page.keyboard.press(key);
  await page.waitForFunction((c) => (window.pinlabLatencyCount ?? 0) > c, c0, { timeout, polling: 5 });
}

export async function waitFresh(page, timeout = 20_000) {
  await page.waitForFunction(
    () => !document.querySelector('#run-status')?.classList.contains('stale'), null, { timeout });
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), n: samples.length };
}

// 20 edits of every gallery script and exercise (~50 of them): 43-53 s on this 2-core machine,
// over the runner's default 60 s once; the limit grows with the gallery.
export const timeoutMs = 180_000;

export default async function latency(page, baseURL, t) {
  await page.goto(baseURL, { waitUntil: 'load' });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await page.locator('#violations').waitFor({ state: 'visible', timeout: 20_000 });
  const ids = (await page.$$eval('#gallery option', (os) => os.map((o) => o.value)))
    .filter((v) => v !== 'scratch');
  assert(ids.length >= 10, `gallery has only ${ids.length} entries`);
  const results = {};
  for (const id of ids) {
    await page.selectOption('#gallery', id);
    await waitFresh(page);
    const errs = await page.locator('#diagnostics li.error').count();
    assert(errs === 0, `gallery script ${id} has ${errs} errors`);
    const runMs = await page.evaluate(() => window.pinlabRunMs ?? 0);
    const edits = runMs > 30 ? EDITS_SLOW : EDITS;
    await page.locator('#editor').click();
    await page.keyboard.press('Control+End');
    await edit(page, 'Enter');
    await edit(page, '#');
    for (let i = 0; i < edits; i += 1) {
      await edit(page, i % 2 === 0 ? 'x' : 'Backspace');
    }
    const all = await page.evaluate(() => Array.from(window.pinlabLatencies ?? []));
    const r = summarize(all.slice(-edits));
    results[id] = r;
    const line = `latency ${id}: p50=${r.p50.toFixed(2)}ms p95=${r.p95.toFixed(2)}ms (n=${r.n})`;
    console.log(line);
    t.log(line);
  }
  writeFileSync(path.join(outDir, 'latency.json'), JSON.stringify(results, null, 2));
  const over = Object.entries(results).filter(([, r]) => r.p95 >= 16).map(([k]) => k);
  const worst = Math.max(...Object.values(results).map((r) => r.p95));
  t.log(`worst gallery p95 ${worst.toFixed(2)} ms; over the 16 ms target: ${over.join(', ') || 'none'}`);
  if (t.consoleErrors.length) throw new Error(`console errors:\n  ${t.consoleErrors.join('\n  ')}`);
}
