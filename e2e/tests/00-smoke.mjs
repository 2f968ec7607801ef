// Smoke test: the app loads without console errors or warnings and shows its title, as a
// visitor's browser runs it (service worker included).
export const contextOptions = { serviceWorkers: 'allow' };

export default async function smoke(page, baseURL, t) {
  const response = await page.goto(baseURL, { waitUntil: 'load' });
  if (!response?.ok()) throw new Error(`GET ${baseURL} -> ${response?.status()}`);
  // Yew renders after the wasm module is fetched and instantiated.
  const h1 = page.locator('h1', { hasText: 'pinlab' }).first();
  await h1.waitFor({ state: 'visible', timeout: 20_000 });
  const text = await h1.textContent();
  if (!text?.includes('pinlab')) throw new Error(`<h1> text is ${JSON.stringify(text)}`);
  if (!(await page.title()).startsWith('pinlab')) throw new Error(`title is ${JSON.stringify(await page.title())}`);
  // Let any late errors (e.g. from the first scheduler tick) surface before checking.
  await page.waitForTimeout(250);
  await t.screenshot('00-smoke');
  // The model worker has started (its warnings, if any, have been logged by now).
  await page.waitForFunction(() => window.pinlabWorker === true, null, { timeout: 20_000 });
  await page.waitForTimeout(250);
  const noise = [...t.consoleErrors, ...t.consoleWarnings];
  if (noise.length) throw new Error(`console errors or warnings:\n  ${noise.join('\n  ')}`);
}
