// Share, mail and present: a link restores script, scheme, view, step and overrides; the CLI's
// `pinlab link` prints the same link; damaged and hostile links show a notice or plain text;
// the email text is `pinlab run`'s output plus the link; the browser's own inflater reads our
// links; presentation mode steps by keyboard; ?embed is read-only; the page reloads offline.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const out = process.env.E2E_OUT_DIR ?? 'target/e2e';

// The offline check needs the service worker (the runner blocks them by default).
export const contextOptions = { serviceWorkers: 'allow' };
const bin = process.env.PINLAB_BIN;

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function text(page, sel) {
  return (await page.locator(sel).first().textContent()) ?? '';
}

// A fresh load (a goto that only changes the fragment would not reload the page).
async function open(page, url) {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load' });
}

async function ready(page) {
  await page.locator('#verdict').waitFor({ state: 'visible', timeout: 20_000 });
  await page.waitForFunction(() => (document.querySelector('#run-status')?.textContent ?? '').includes('up to date'));
}

const SCRIPT = `# shared: the pin and the truncate
file   db  ext4  pages=2
mmap   mr  db  shared rw
write  mr
gup    io  mr  write longterm
truncate db 0
dma    io  write
put    io
expect violation dma-to-orphan
`;

export default async function share70(page, baseURL, t) {
  assert(bin, 'PINLAB_BIN is not set (scripts/e2e.sh builds the CLI)');
  const dir = mkdtempSync(path.join(tmpdir(), 'pinlab-share-'));
  writeFileSync(path.join(dir, 'script.pin'), SCRIPT);
  page.on('dialog', (d) => { throw new Error(`a dialog opened: ${d.message()}`); });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(baseURL).origin });

  await page.goto(baseURL, { waitUntil: 'load' });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await ready(page);

  // A view: the script, fake VMA followed, single view, step 4, kernel 5.19, a cost override.
  await page.locator('#editor').fill(SCRIPT);
  await ready(page);
  if ((await page.locator('#side-by-side').getAttribute('aria-pressed')) === 'true') await page.click('#side-by-side');
  await page.click('#scheme-fake-vma');
  await page.selectOption('#set-kernel', '5.19');
  await page.locator('#cost-atomic').fill('8ns');
  await ready(page);
  await page.locator('#steps tr[data-index="4"]').click();
  await page.click('#share');
  const url = await page.locator('#share-url').inputValue();
  assert(url.startsWith(`${baseURL}#v1.`), `share link: ${url}`);
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert(clip === url, `the clipboard holds ${clip.slice(0, 60)}, not the link`);

  // The CLI prints the same link for the same view.
  const cli = execFileSync(bin, ['link', 'script.pin', '--scheme', 'fake-vma', '--step', '4', '--kernel', '5.19', '--cost', 'atomic=8ns', '--base', baseURL], { cwd: dir, encoding: 'utf8' }).trim();
  assert(cli === url, `pinlab link and the page differ:\n  cli ${cli}\n  web ${url}`);

  // The email text is pinlab run's output for the same script, then the link.
  const email = await text(page, '#email-text');
  const run = execFileSync(bin, ['run', 'script.pin', '--kernel', '5.19', '--cost', 'atomic=8ns'], { cwd: dir, encoding: 'utf8' });
  assert(email === `${run}\nOpen it in pinlab:\n${url}\n`, `email text differs from pinlab run:\n${email.slice(0, 300)}\n---\n${run.slice(0, 300)}`);
  await page.click('#copy-email');
  assert((await page.evaluate(() => navigator.clipboard.readText())) === email, 'copy as email did not copy the email text');
  const dl = page.waitForEvent('download');
  await page.click('#download-pin');
  assert((await dl).suggestedFilename() === 'script.pin', 'the .pin download is misnamed');

  // The browser's own inflater reads the link (standard raw DEFLATE).
  const inflated = await page.evaluate(async (u) => {
    const b64 = u.split('#v1.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - b64.length % 4) % 4)), (c) => c.charCodeAt(0));
    const s = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Response(s).text();
  }, url);
  assert(inflated.endsWith(`\n\n${SCRIPT}`) && inflated.includes('scheme=fake-vma\n') && inflated.includes('kernel=5.19\n'), `DecompressionStream read: ${inflated.slice(0, 120)}`);

  // Open the link in a fresh page: everything is restored; the user's own script is kept.
  await page.evaluate(() => { localStorage.clear(); localStorage.setItem('pinlab.script', 'mmap mine anon pages=1 rw\n'); });
  await open(page, url);
  await ready(page);
  assert((await page.locator('#editor').inputValue()) === SCRIPT, 'the link did not restore the script');
  assert((await page.locator('#scheme-fake-vma').getAttribute('aria-pressed')) === 'true', 'the link did not restore the scheme');
  assert((await page.locator('#side-by-side').getAttribute('aria-pressed')) === 'false', 'the link did not restore the view');
  assert((await text(page, '#step-index')).startsWith('step 4 /'), `the link did not restore the step: ${await text(page, '#step-index')}`);
  assert((await page.locator('#set-kernel').inputValue()) === '5.19', 'the link did not restore the kernel override');
  assert((await page.locator('#cost-atomic').inputValue()) === '8ns', 'the link did not restore the cost override');
  assert(await page.evaluate(() => localStorage.getItem('pinlab.scratch') === 'mmap mine anon pages=1 rw\n'), 'the user\'s script was not kept');
  assert(!(await page.evaluate(() => location.hash)), 'the fragment stays after opening the link');
  await page.screenshot({ path: `${out}/70-link-opened.png` });

  // The state picture: the fake VMA in i_mmap, the pin counter's bias; side by side, one
  // picture per scheme.
  await page.click('#scheme-fake-vma');
  await page.locator('#steps tr[data-index="4"]').click();
  const pic = await text(page, '#state .picture');
  assert(pic.includes('FAKE F0') && pic.includes('io: fake F0'), `state picture under fake-vma: ${pic.slice(0, 200)}`);
  await page.click('#side-by-side');
  await page.click('#all-pictures');
  await page.waitForFunction(() => document.querySelectorAll('#state .pictures .picture').length === 3);
  const pics = await page.$$eval('#state .picture', (fs) => fs.map((f) => f.textContent));
  assert(pics[1].includes('ref 1026') || pics[1].includes('ref 2050') || /ref 10\d\d/.test(pics[1]), `pin counter picture: ${pics[1].slice(0, 200)}`);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.locator('#state').screenshot({ path: `${out}/70-picture-1280x720.png` });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.locator('#state').screenshot({ path: `${out}/70-picture-1920x1080.png` });

  // The sweep in the page: the same numbers as pinlab sweep.
  await page.click('#costs-title');
  await page.locator('#sweep summary').click();
  await page.locator('#sweep-table').waitFor();
  const sweepCli = execFileSync(bin, ['sweep'], { encoding: 'utf8' });
  // The page's sweep runs with the page's cost overrides: reset them first.
  await page.click('#overrides-chip-reset');
  await page.waitForFunction((t) => document.querySelector('#sweep-table')?.textContent === t, sweepCli, { timeout: 10_000 })
    .catch(async () => { throw new Error(`sweep table differs from pinlab sweep:\n${await text(page, '#sweep-table')}\n---\n${sweepCli}`); });
  assert(await page.locator('#sweep-chart').evaluate((i) => i.complete && i.naturalWidth > 0), 'the sweep chart did not render');
  assert(sweepCli.includes('crossover'), 'no crossover in the sweep');
  await page.locator('#sweep').screenshot({ path: `${out}/70-sweep-1920x1080.png` });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.locator('#sweep').screenshot({ path: `${out}/70-sweep-1280x720.png` });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Damaged links: a notice, and the user's script unchanged.
  for (const bad of ['#v1.AAAA', '#v1.not*base64', '#v7.abc', `#${url.split('#')[1].slice(0, -12)}`]) {
    await page.evaluate(() => localStorage.setItem('pinlab.script', 'mmap mine anon pages=1 rw\n'));
    await open(page, `${baseURL}${bad}`);
    await ready(page);
    const n = await text(page, '#notice');
    assert(/could not be opened: .+Your own script is unchanged/.test(n), `${bad}: notice ${n}`);
    assert((await page.locator('#editor').inputValue()) === 'mmap mine anon pages=1 rw\n', `${bad}: the editor changed`);
  }

  // Hostile scripts stay text.
  const evil = '# <script>alert(1)</script> <img src=x onerror="alert(2)">\nmmap m anon pages=1 rw\n';
  writeFileSync(path.join(dir, 'evil.pin'), evil);
  const evilUrl = execFileSync(bin, ['link', 'evil.pin', '--base', baseURL], { cwd: dir, encoding: 'utf8' }).trim();
  await open(page, evilUrl);
  await ready(page);
  assert((await page.locator('#editor').inputValue()) === evil, 'the hostile script was not restored as text');
  assert((await page.locator('img').count()) === 0 && (await page.locator('.app script').count()) === 0, 'markup from a link reached the DOM');
  assert((await text(page, '#lead')).includes('<img src=x onerror='), 'the lead does not show the text as text');

  // A link pasted into the address bar of the open page (same document: hashchange).
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction((s) => document.querySelector('#editor')?.value === s, SCRIPT);
  assert((await text(page, '#step-index')).startsWith('step 4 /'), 'a pasted link did not open');

  // Presentation mode: large type, PageDown / PageUp step, Escape leaves.
  await open(page, url);
  await ready(page);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.locator('h1').click();
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.querySelector('.app')?.classList.contains('present'));
  const size = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.app')).fontSize));
  assert(size >= 19, `presentation font ${size}px`);
  assert(!(await page.locator('#editor').isVisible()), 'the editor shows in presentation mode');
  const v = await page.locator('#verdict').boundingBox();
  assert(v.y + v.height <= 720, 'the verdict does not fit the 1280x720 screen');
  const s0 = await text(page, '#step-index');
  await page.keyboard.press('PageDown');
  const s1 = await text(page, '#step-index');
  assert(s1 !== s0, `PageDown did not step: ${s0}`);
  await page.keyboard.press('PageUp');
  assert((await text(page, '#step-index')) === s0, 'PageUp did not step back');
  await page.screenshot({ path: `${out}/70-present-1280x720.png` });
  // The presenter chooses the panels: hiding the state, kept after a reload.
  await page.click('#present-state');
  assert(!(await page.locator('#state').isVisible()), 'the state panel did not hide');
  assert(await page.locator('#violations').isVisible(), 'hiding the state hid the invariants');
  assert(await page.evaluate(() => localStorage.getItem('pinlab.present') === 'state'), 'the choice was not kept');
  await page.click('#present-state');
  assert(await page.locator('#state').isVisible(), 'the state panel did not come back');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('.app')?.classList.contains('present'));

  // Embed: read-only, with a way to the full page.
  const embedUrl = url.replace('#', '?embed#');
  await page.evaluate(() => localStorage.setItem('pinlab.script', 'mmap mine anon pages=1 rw\n'));
  await open(page, embedUrl);
  await ready(page);
  assert(!(await page.locator('#editor').isVisible()), 'the embed view shows the editor');
  assert(await page.locator('#verdict').isVisible(), 'the embed view has no verdict');
  const full = await page.locator('#open-full').getAttribute('href');
  assert(full.startsWith(`${baseURL}#v1.`), `open-in-pinlab link: ${full}`);
  assert(await page.evaluate(() => localStorage.getItem('pinlab.script') === 'mmap mine anon pages=1 rw\n'), 'the embed view overwrote the user\'s script');
  await page.screenshot({ path: `${out}/70-embed.png` });

  // Offline: once loaded (and the service worker has cached it), a reload needs no network.
  await page.goto(baseURL, { waitUntil: 'load' });
  await ready(page);
  await page.waitForFunction(() => document.documentElement.dataset.offline === 'ready', null, { timeout: 20_000 });
  await page.context().setOffline(true);
  await page.reload({ waitUntil: 'load' });
  await ready(page);
  await page.waitForFunction(() => (document.querySelector('#offline-status')?.textContent ?? '').includes('offline'));
  await page.screenshot({ path: `${out}/70-offline.png` });
  await page.context().setOffline(false);
  t.log(`link ${url.length} chars for a ${SCRIPT.length}-byte script`);
  if (t.consoleErrors.length) throw new Error(`console errors:\n  ${t.consoleErrors.join('\n  ')}`);
}
