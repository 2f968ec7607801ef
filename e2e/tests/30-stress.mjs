// Stress: the 100,000-iteration small-I/O storm (400,003 statements, the criterion bench's
// `storm-100k`) typed into the editor. Measures the model run time (in the model worker), the
// edit-to-panels latency of single edits (a single edit runs at once; only a burst of keys
// waits for the 250 ms quiet period once a run took > 30 ms), and, while a re-run is in flight in the worker, the keystroke-to-frame time
// and the main thread's long tasks (asserted: keystrokes reach a frame within 50 ms at the
// median and 150 ms at worst, no task over 100 ms before the worker replies). The state
// view's time-travel replays of the storm run in the worker too: once the results arrive,
// filling the state view and stepping (prev/next) must not block the main thread over 100 ms
// (asserted, PerformanceObserver longtask). Adds "stress-storm-100k" to
// target/e2e/latency.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { edit, summarize, waitFresh } from './20-latency.mjs';

const outDir = process.env.E2E_OUT_DIR ?? path.resolve('target', 'e2e');
// crate/benches/model.rs's `HUGE_RANGE`.
const RANGE = 'mmap big anon pages=262144 rw\nwrite big\ngup mr big write longterm\ndma mr write\nput mr dirty\nexpect ok\n';
const STORM = 'file F ext4 pages=1\nmmap buf F shared rw\nwrite buf\nrepeat 100000 {\n  gup io buf 0 write fast\n  dma io write\n  complete io dirty\n  workqueue\n}\nexpect ok\n';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// The state view is filled (no worker replay pending).
async function waitState(page, timeout = 50_000) {
  await page.waitForFunction(() => !document.querySelector('#state-loading'), null, { timeout, polling: 10 });
}

const longestSince = (page, t) => page.evaluate((t) =>
  Math.max(0, ...window.__longTasks.filter((e) => e.start >= t).map((e) => e.dur)), t);

export default async function stress(page, baseURL, t) {
  await page.goto(baseURL, { waitUntil: 'load' });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await page.locator('#violations').waitFor({ state: 'visible', timeout: 20_000 });
  assert(await page.evaluate(() => window.pinlabWorker === true), 'the model worker did not start');
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, dur: e.duration });
    }).observe({ type: 'longtask' });
    window.__keyFrames = [];
    // Keystroke to the next animation frame, measured in the page (the event's own timestamp).
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.key === 'Control' || e.key === 'End') return;
      const t0 = e.timeStamp;
      requestAnimationFrame(() => window.__keyFrames.push(performance.now() - t0));
    }, true);
  });

  // First run: the previous script was fast, so the storm runs at once (no debounce yet).
  const t0 = Date.now();
  await page.locator('#editor').fill(STORM);
  await waitFresh(page, 50_000);
  await waitState(page);
  const firstWall = Date.now() - t0;
  const firstRun = await page.evaluate(() => window.pinlabRunMs);
  const firstState = await page.evaluate(() => window.pinlabStateMs);
  const idx = await page.locator('#step-index').textContent();
  assert(/\/ 4000\d\d$/.test(idx ?? ''), `storm did not run to the end: ${idx}`);
  t.log(`storm first run: model ${firstRun.toFixed(0)} ms (of which state view replay ${firstState.toFixed(0)} ms), fill-to-panels ${firstWall} ms`);
  await t.screenshot('30-storm');

  // Keystrokes while a re-run is in flight in the worker (Ctrl+Enter starts it at once): each
  // should reach the screen within a frame or two, and the main thread must not block.
  await page.locator('#editor').click();
  await page.keyboard.press('Control+End');
  const m0 = await page.evaluate(() => {
    window.__keyFrames.length = 0;
    return performance.now();
  });
  await page.keyboard.press('Control+Enter');
  const keyMs = [];
  for (const k of ['#', 'x', 'y', 'z', 'Backspace', 'Backspace', 'Backspace']) {
    const k0 = Date.now();
    await page.keyboard.press(k);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    keyMs.push(Date.now() - k0);
  }
  const stale = await page.locator('#run-status.stale').count();
  assert(stale === 1, 'no "running…" indicator while the storm re-run is pending');
  await t.screenshot('30-storm-stale');
  // The first reply after Ctrl+Enter ends the in-flight window; applying it (JSON decode, the
  // state view's replay of 400k statements) happens on the main thread afterwards.
  await page.waitForFunction((t) => (window.pinlabWorkerReplies ?? []).some((r) => r > t), m0, { timeout: 50_000 });
  await waitFresh(page, 50_000);
  await waitState(page);
  const probe = await page.evaluate((t) => ({
    reply: (window.pinlabWorkerReplies ?? []).find((r) => r > t),
    fresh: performance.now(),
    tasks: window.__longTasks.filter((e) => e.start >= t),
    keys: window.__keyFrames.slice(),
  }), m0);
  // Tasks that ended before the reply was handled (the handler's own task starts just before
  // the reply's timestamp and is the "applying" part).
  const inFlight = probe.tasks.filter((e) => e.start + e.dur <= probe.reply);
  const longestInFlight = Math.max(0, ...inFlight.map((e) => e.dur));
  const longestAll = Math.max(0, ...probe.tasks.map((e) => e.dur));
  const keyFrameMax = Math.max(...probe.keys);
  t.log(`storm re-run in flight ${(probe.reply - m0).toFixed(0)} ms: longest main-thread task ${longestInFlight.toFixed(0)} ms `
    + `(${inFlight.length} long tasks); applying the results: longest task ${longestAll.toFixed(0)} ms; `
    + `keystroke-to-frame in page max ${keyFrameMax.toFixed(1)} ms (n=${probe.keys.length}), from the driver max ${Math.max(...keyMs)} ms`);
  assert(probe.keys.length === 7, `expected 7 keystroke frames, got ${probe.keys.length}`);
  // The storm's run in the worker takes 0.5-0.9 s: were it on the main thread, every keystroke
  // would wait that long. The median keeps the 50 ms budget; one frame may be late by what the
  // OS does on a loaded 2-core machine (76 ms seen with a fuzzer on the other core), not more.
  const keyFrameMedian = [...probe.keys].sort((x, y) => x - y)[Math.floor(probe.keys.length / 2)];
  assert(keyFrameMedian <= 50, `keystrokes took a median ${keyFrameMedian.toFixed(1)} ms to reach a frame during the storm re-run`);
  assert(keyFrameMax <= 150, `a keystroke took ${keyFrameMax.toFixed(1)} ms to reach a frame during the storm re-run`);
  assert(longestInFlight <= 100, `main thread blocked ${longestInFlight.toFixed(0)} ms while the storm ran in the worker`);
  assert(longestAll <= 100, `main thread blocked ${longestAll.toFixed(0)} ms applying the storm's results (state view)`);
  const applyState = await page.evaluate(() => window.pinlabStateMs);

  // Edit-to-panels latency, one edit at a time.
  const before = await page.evaluate(() => (window.pinlabLatencies ?? []).length);
  const runs = [];
  for (let i = 0; i < 6; i += 1) {
    await edit(page, i % 2 === 0 ? 'x' : 'Backspace', 50_000);
    await waitState(page);
    runs.push(await page.evaluate(() => window.pinlabRunMs));
  }
  const all = await page.evaluate(() => Array.from(window.pinlabLatencies ?? []));
  assert(all.length > before || all.length === 200, 'no latency samples for the storm');
  const r = summarize(all.slice(-6));
  const run = summarize(runs);
  const keys = summarize(keyMs);
  const line = `latency stress-storm-100k: p50=${r.p50.toFixed(0)}ms p95=${r.p95.toFixed(0)}ms (n=${r.n}; `
    + `model run p50=${run.p50.toFixed(0)}ms; keystroke-to-frame while in flight p50=${keys.p50}ms max=${Math.max(...keyMs)}ms; `
    + `longest main-thread task in flight ${longestInFlight.toFixed(0)}ms, applying ${longestAll.toFixed(0)}ms, state in worker ${applyState.toFixed(0)}ms)`;
  console.log(line);
  t.log(line);

  // Stepping must not re-run the model: one replay to the chosen step at most.
  // The replays run in the worker: the page stays responsive and the state view catches up.
  const atEnd = await page.locator('#step-index').textContent();
  const last = Number(/\/ (\d+)$/.exec(atEnd ?? '')?.[1]);
  assert(atEnd === `step ${last} / ${last}`, `not at the storm's end: ${atEnd}`);
  const stepIs = (want, eq) => page.waitForFunction(([w, e]) =>
    (document.querySelector('#step-index')?.textContent === w) === e, [want, eq]);
  const st0 = await page.evaluate(() => performance.now());
  const s0 = Date.now();
  await page.click('#step-prev');
  await stepIs(atEnd, false);
  await waitState(page);
  const stepMs = Date.now() - s0;
  // The previous row (the storm's repeat summary row is named by its first step).
  const prevIdx = await page.locator('#step-index').textContent();
  const prevN = Number(/^step (\d+) \//.exec(prevIdx ?? '')?.[1]);
  assert(prevN < last, `step prev showed ${prevIdx}`);
  const stateHead = await page.locator('#state h2').textContent();
  assert(stateHead?.startsWith(`State after step ${prevN} `), `state view after prev: ${stateHead}`);
  // Several steps in a row (faster than the replays): only the last one's states are shown.
  for (const b of ['#step-prev', '#step-prev', '#step-next', '#step-next']) await page.click(b);
  await stepIs(prevIdx, true);
  await waitState(page);
  const stateHead2 = await page.locator('#state h2').textContent();
  assert(stateHead2?.startsWith(`State after step ${prevN} `), `state view after stepping: ${stateHead2}`);
  const s1 = Date.now();
  await page.click('#step-next');
  await stepIs(atEnd, true);
  await waitState(page);
  const backMs = Date.now() - s1;
  const stepLongest = await longestSince(page, st0);
  t.log(`step prev ${stepMs} ms, step next (back to the end) ${backMs} ms; longest main-thread task while stepping ${stepLongest.toFixed(0)} ms`);
  assert(stepLongest <= 100, `main thread blocked ${stepLongest.toFixed(0)} ms while stepping through the storm`);

  // The model alone in the page's wasm (main thread, after everything above): the criterion
  // bench's storm and 1 GiB range, per scheme, fastest of 3 (bench_report.py sets them
  // beside the native medians).
  const model = await page.evaluate(([storm, range]) => {
    const out = {};
    for (const [name, text] of [['storm-100k', storm], ['range-1GiB', range]]) {
      for (const s of ['legacy', 'refcount', 'fake-vma']) out[`${name}/${s}`] = window.wasmBindings.model_ms(text, s, 3);
    }
    return out;
  }, [STORM, RANGE]);
  assert(Object.values(model).every((ms) => ms > 0), `model_ms: ${JSON.stringify(model)}`);
  t.log(`the model alone in wasm (ms): ${JSON.stringify(model)}`);

  const file = path.join(outDir, 'latency.json');
  const results = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  results['wasm-model'] = model;
  results['stress-storm-100k'] = {
    ...r,
    run_ms_p50: run.p50,
    first_run_ms: firstRun,
    first_run_state_replay_ms: firstState,
    keystroke_to_frame_ms_max: Math.max(...keyMs),
    keystroke_to_frame_in_page_ms_max: keyFrameMax,
    longest_task_in_flight_ms: longestInFlight,
    longest_task_applying_ms: longestAll,
    state_ms_applying: applyState,
    longest_task_stepping_ms: stepLongest,
    step_prev_ms: stepMs,
    step_next_ms: backMs,
  };
  writeFileSync(file, JSON.stringify(results, null, 2));
  if (t.consoleErrors.length) throw new Error(`console errors:\n  ${t.consoleErrors.join('\n  ')}`);
}
