// The model worker: a big stored script opens without blocking on its run (results arrive from
// the worker; until then the panels show the empty script's, marked stale), and when the
// worker cannot load, the app falls back to running the model on the main thread.
import { waitFresh } from './20-latency.mjs';

const STORM = 'file F ext4 pages=1\nmmap buf F shared rw\nwrite buf\nrepeat 100000 {\n  gup io buf 0 write fast\n  dma io write\n  complete io dirty\n  workqueue\n}\nexpect ok\n';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export default async function worker(page, baseURL, t) {
  await page.goto(baseURL, { waitUntil: 'load' });
  await page.evaluate((s) => { localStorage.clear(); localStorage.setItem('pinlab.script', s); }, STORM);
  await page.reload({ waitUntil: 'load' });
  await page.locator('#run-status').waitFor({ state: 'visible', timeout: 20_000 });
  assert(await page.evaluate(() => window.pinlabWorker === true), 'the model worker did not start');
  await waitFresh(page, 50_000);
  const idx = await page.locator('#step-index').textContent();
  assert(/\/ 4000\d\d$/.test(idx ?? ''), `stored storm did not run to the end: ${idx}`);
  const replies = await page.evaluate(() => (window.pinlabWorkerReplies ?? []).length);
  assert(replies >= 1, 'the stored storm did not run in the worker');
  t.log(`stored storm opened: ${idx}, run ${await page.evaluate(() => window.pinlabRunMs.toFixed(0))} ms in the worker`);
  if (t.consoleErrors.length) throw new Error(`console errors:\n  ${t.consoleErrors.join('\n  ')}`);

  // No worker script: the app runs everything on the main thread.
  await page.evaluate(() => localStorage.clear());
  await page.route('**/mm-worker-loader.js*', (route) => route.fulfill({ status: 404, body: '' }));
  await page.reload({ waitUntil: 'load' });
  await page.locator('#violations').waitFor({ state: 'visible', timeout: 20_000 });
  await page.waitForFunction(() => window.pinlabWorker === false, null, { timeout: 20_000 });
  await page.locator('#editor').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.locator('#editor').fill(STORM);
  await waitFresh(page, 50_000);
  const idx2 = await page.locator('#step-index').textContent();
  assert(/\/ 4000\d\d$/.test(idx2 ?? ''), `fallback: storm did not run: ${idx2}`);
  t.log(`fallback without the worker: ${idx2}, run ${await page.evaluate(() => window.pinlabRunMs.toFixed(0))} ms on the main thread`);
}
