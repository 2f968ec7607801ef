// Smoke test: the app loads without console errors or warnings and shows its title, as a
// visitor's browser runs it (service worker included).
export const contextOptions = { serviceWorkers: 'allow' };

export default async function smoke(page, baseURL, t) {
  // Content-Security-Policy: the built page has one, no inline script, and nothing it does
  // violates it (violations are collected from the first moment).
  await page.addInitScript(() => {
    window.pinlabCsp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.pinlabCsp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
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
  const html = await (await page.request.get(baseURL)).text();
  if (!/http-equiv="?Content-Security-Policy/.test(html)) throw new Error('no CSP in index.html');
  if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) throw new Error('an inline script in index.html');
  // Use what needs the policy's exceptions: style attributes (the splitter), data: images
  // (the sweep chart), the worker, the share panel.
  await page.locator('#sweep summary').click();
  await page.locator('#sweep-chart').waitFor();
  await page.click('#share');
  await page.locator('#share-url').waitFor();
  await page.locator('#splitter').focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(300);
  const csp = await page.evaluate(() => window.pinlabCsp);
  if (csp.length) throw new Error(`CSP violations: ${csp.join('; ')}`);
  const noise = [...t.consoleErrors, ...t.consoleWarnings];
  if (noise.length) throw new Error(`console errors or warnings:\n  ${noise.join('\n  ')}`);
}
