// The page explains itself: the verdict strip and the difference banners of the default
// scenario, every gallery entry opening on what it is about, keyboard use (rows, ?, splitter,
// diagnostics), the header at laptop widths, results first on a phone, dark mode, the
// overrides chip, sources without internal ids, links that resolve, and axe (no serious or
// critical violation) on the main views. Screenshots: target/e2e/60-*.png at 390, 1280x720
// and 1440 px.
import AxeBuilder from '@axe-core/playwright';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function text(page, sel) {
  return (await page.locator(sel).first().textContent()) ?? '';
}

async function fresh(page, baseURL) {
  await page.goto(baseURL, { waitUntil: 'load' });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await page.locator('#verdict').waitFor({ state: 'visible', timeout: 20_000 });
}

async function upToDate(page, timeout = 20_000) {
  await page.waitForFunction(() => (document.querySelector('#run-status')?.textContent ?? '').includes('up to date'), null, { timeout });
}

async function axe(page, t, what) {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = r.violations.filter((v) => !bad.includes(v)).map((v) => `${v.id}(${v.impact})`);
  t.log(`axe ${what}: ${bad.length} serious/critical, other: ${minor.join(' ') || 'none'}`);
  assert(bad.length === 0, `axe ${what}: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`).join('\n  ')}`);
}

// `expect violation NAME [under A, B]` lines of a script: [name, schemes or null].
function expectedViolations(script) {
  const out = [];
  for (const line of script.split('\n')) {
    const m = /^\s*expect\s+violation\s+([a-z-]+)(?:\s+under\s+([a-z, -]+?))?\s*(?:#.*)?$/.exec(line);
    if (m) out.push([m[1], m[2] ? m[2].split(',').map((s) => s.trim()).filter(Boolean) : null]);
  }
  return out;
}

function underSchemes(script) {
  const s = new Set();
  for (const line of script.split('\n')) {
    const m = /^\s*expect\s.*\sunder\s+([a-z, -]+?)\s*(?:#.*)?$/.exec(line);
    if (m) for (const k of m[1].split(',')) s.add(k.trim());
  }
  return s;
}

export default async function page60(page, baseURL, t) {
  await page.setViewportSize({ width: 1440, height: 900 });
  await fresh(page, baseURL);

  // The static loading text is in index.html (replaced when the app mounts).
  const raw = await (await page.request.get(baseURL)).text();
  assert(raw.includes('Loading pinlab') && /name="?description/.test(raw), 'index.html has no static loading text / description');
  assert((await page.locator('#loading').count()) === 0, 'the loading text stays after mount');

  // 1. Verdict first: the default race opens side by side, on the scheme its expect names.
  assert((await page.locator('#side-by-side').getAttribute('aria-pressed')) === 'true', 'default scenario does not open side by side');
  const vl = await text(page, '#verdict-legacy');
  const vr = await text(page, '#verdict-refcount');
  const vf = await text(page, '#verdict-fake-vma');
  assert(vl.includes('get_page (legacy)') && vl.includes('dirty-without-buffers') && /\d us/.test(vl), `legacy verdict: ${vl}`);
  assert(vr.includes('pin counter (FOLL_PIN)') && vr.includes('dirty-without-buffers'), `refcount verdict: ${vr}`);
  assert(vf.includes('fake VMA (2018 proposal)') && vf.includes('no violation') && !vf.includes('dirty-without-buffers'), `fake-vma verdict: ${vf}`);
  const outcome = await text(page, '#first-outcome');
  assert(/^step 9: get_page and pin counter raise dirty-without-buffers, fake VMA does not$/.test(outcome.trim()), `first outcome banner: ${outcome}`);
  const info = await text(page, '#first-info');
  assert(/^step 4: fake VMA raises gup-fast-lost/.test(info.trim()), `first informational banner: ${info}`);
  assert((await text(page, '#lead')).includes('Look at the workqueue step'), 'no sentence on what to look at');
  await page.click('#first-info');
  assert((await text(page, '#step-index')).startsWith('step 4 /'), 'the informational banner does not jump to step 4');
  await page.click('#first-outcome');
  assert((await text(page, '#step-index')).startsWith('step 9 /'), 'the outcome banner does not jump to step 9');
  // The grid: one row per statement, counter changes per scheme, the violation in red.
  const row4 = await text(page, '#grid tr[data-row="3"]');
  assert(row4.includes('ref 3→4') && row4.includes('ref 3→1027'), `grid row of the gup: ${row4}`);
  const viol = page.locator('#grid tr.selected .finding.viol').first();
  assert((await viol.textContent()).includes('dirty-without-buffers'), 'no red violation in the selected grid row');
  assert(/rgb\((1[5-9]\d|2\d\d), /.test(await viol.evaluate((e) => getComputedStyle(e).color)), 'violation is not red');
  // A verdict row selects its scheme; the panels follow.
  for (const [k, label] of [['refcount', 'pin counter'], ['fake-vma', 'fake VMA'], ['legacy', 'get_page']]) {
    await page.click(`#verdict-${k} button`);
    await page.waitForFunction((l) => document.querySelector('#violations h2')?.textContent.includes(l), label);
    assert((await page.locator(`#lane-${k}`).getAttribute('class')).includes('current'), `grid column ${k} not marked`);
  }
  // Costs: six category colours at most, the largest term named, sources without internal ids.
  const fills = await page.$$eval('svg.bars rect', (rs) => [...new Set(rs.map((r) => r.getAttribute('fill')))]);
  const legend = await page.locator('.legend .legend-item').count();
  assert(fills.length <= 6 && fills.length === legend, `cost colours ${fills} vs legend ${legend}`);
  assert((await text(page, '#cost-dominant')).startsWith('largest term: '), 'no dominant cost term');
  const body = await page.evaluate(() => document.body.innerText);
  assert(!/\[[RIBF]\d+[a-z]?\]|domain §|§\d/.test(body), `internal reference ids on the page: ${/.{30}(\[[RIBF]\d+[a-z]?\]|§).{30}/.exec(body)?.[0]}`);
  assert((await page.locator('#cost-table td.src a[href^="https://"]').count()) >= 3, 'cost sources have no links');
  assert((await page.locator('#violations .kpath a[href^="https://"]').count()) >= 1, 'violation has no source link');
  assert((await text(page, '#violations .kpath')).includes('set_page_dirty_lock (now folio_mark_dirty_lock)'), 'kernel path not named for 4.19');
  await axe(page, t, 'default, side by side');
  await t.screenshot('60-default-1440');
  await page.screenshot({ path: `${process.env.E2E_OUT_DIR ?? 'target/e2e'}/60-default-1440-viewport.png` });

  // 2. Every gallery entry opens on what it is about, its expected violations in the verdict.
  const ids = await page.$$eval('#gallery option', (os) => os.map((o) => o.value).filter((v) => v !== 'scratch'));
  for (const id of ids) {
    await page.selectOption('#gallery', id);
    await page.waitForFunction((i) => document.querySelector('#gallery')?.value === i, id);
    await upToDate(page, 30_000);
    const script = await page.locator('#editor').inputValue();
    const side = (await page.locator('#side-by-side').getAttribute('aria-pressed')) === 'true';
    const named = underSchemes(script);
    assert(side === (named.size >= 2), `${id}: side by side is ${side}, its expect lines name ${[...named]}`);
    for (const [name, under] of expectedViolations(script)) {
      for (const k of under ?? ['legacy', 'refcount', 'fake-vma']) {
        const v = await text(page, `#verdict-${k}`);
        assert(v.includes(name), `${id}: ${name} not in the ${k} verdict: ${v}`);
      }
    }
    const wanted = expectedViolations(script).find(([, u]) => u);
    if (wanted) {
      const pressed = await page.$$eval('.vrow.current', (rs) => rs.map((r) => r.id));
      assert(pressed.length === 1 && pressed[0] === `verdict-${wanted[1][0]}`, `${id}: follows ${pressed}, expected ${wanted[1][0]}`);
    }
    assert(!(await text(page, '#expectations')).includes('FAIL'), `${id}: an expectation fails in the browser`);
  }
  t.log(`gallery: ${ids.length} entries open on their point`);

  // 3. Keyboard: Enter / Space / arrows on step rows, ? help, the splitter, diagnostics.
  await page.selectOption('#gallery', 'default');
  await upToDate(page);
  await page.click('#side-by-side');
  await page.locator('#steps tr[data-index="3"]').focus();
  await page.keyboard.press('Enter');
  assert((await text(page, '#step-index')).startsWith('step 3 /'), 'Enter on a row does not select it');
  await page.keyboard.press('ArrowDown');
  assert((await text(page, '#step-index')).startsWith('step 4 /'), 'ArrowDown on a row does not step');
  assert(await page.evaluate(() => document.activeElement?.getAttribute('data-index') === '4'), 'the focus does not follow the selection');
  await page.locator('#steps tr[data-index="2"]').focus();
  await page.keyboard.press(' ');
  assert((await text(page, '#step-index')).startsWith('step 2 /'), 'Space on a row does not select it');
  await page.locator('h1').click();
  await page.keyboard.press('?');
  await page.locator('#help').waitFor({ state: 'visible' });
  assert((await text(page, '#help')).includes('GUP_PIN_COUNTING_BIAS'), 'help sheet lacks the scheme legend');
  await axe(page, t, 'help sheet');
  await page.keyboard.press('Escape');
  await page.locator('#help').waitFor({ state: 'detached' });
  const w0 = (await page.locator('section.left').boundingBox()).width;
  await page.locator('#splitter').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const w1 = (await page.locator('section.left').boundingBox()).width;
  assert(w1 > w0 + 40, `splitter by keys: ${w0} -> ${w1}`);
  await page.keyboard.press('Home');
  await axe(page, t, 'single scheme');
  // A diagnostic is a button that puts the caret at line:col; the underline covers the span.
  await page.locator('#editor').fill('file A ext4 pages=1\nmmap buf A shared rw\nwrte buf 0\n');
  await page.waitForFunction(() => (document.querySelector('#diagnostics')?.textContent ?? '').includes('3:1'));
  assert((await text(page, '.hl-line.err .err-span')) === 'wrte', `underline: ${await text(page, '.hl-line.err .err-span')}`);
  await page.locator('h1').click();
  await page.click('#diagnostics .goto-diag');
  const caret = await page.evaluate(() => [document.activeElement?.id, document.querySelector('#editor').selectionStart]);
  assert(caret[0] === 'editor' && caret[1] === 41, `diagnostic click: focus ${caret[0]}, caret ${caret[1]}`);
  await t.screenshot('60-diagnostic');

  // 4. Overrides are visible: a chip beside the verdict; the select shows the script's value.
  await page.selectOption('#gallery', 'default');
  await upToDate(page);
  assert((await page.locator('#overrides-chip').count()) === 0, 'chip without overrides');
  await page.selectOption('#set-kernel', '6.5');
  await page.locator('#overrides-chip').waitFor();
  assert((await page.locator('#set-kernel option').first().textContent()).includes('4.19'), 'the "script (...)" option does not show the script\'s own kernel');
  await page.click('#overrides-chip-reset');
  await page.locator('#overrides-chip').waitFor({ state: 'detached' });

  // 5. Header: one row at laptop and projector widths.
  for (const [w, h] of [[1024, 768], [1280, 720], [1440, 900], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    const hh = await page.evaluate(() => document.querySelector('header.top').getBoundingClientRect().height);
    assert(hh <= 50, `header is ${hh}px tall at ${w}px`);
    const intro = await page.locator('#intro').boundingBox();
    assert(intro && intro.height > 0, `no intro at ${w}px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `page scrolls sideways by ${overflow}px at ${w}px`);
    t.log(`header ${hh}px at ${w}px`);
  }
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.selectOption('#gallery', 'default');
  await upToDate(page);
  await page.screenshot({ path: `${process.env.E2E_OUT_DIR ?? 'target/e2e'}/60-projector-1280x720.png` });
  const vtop = (await page.locator('#verdict').boundingBox()).y;
  assert(vtop < 200, `verdict starts at ${vtop}px on a 1280x720 projector`);
  // 150% zoom on 1280x720 is a 853x480 CSS-pixel viewport: the results stay on screen.
  await page.setViewportSize({ width: 853, height: 480 });
  const z = await page.locator('#verdict').boundingBox();
  const zl = await page.locator('section.left').boundingBox();
  assert(z.y < 300 && z.x > zl.x, `at 150% zoom the verdict is at (${z.x}, ${z.y}), the editor at x=${zl.x}`);
  await page.screenshot({ path: `${process.env.E2E_OUT_DIR ?? 'target/e2e'}/60-zoom150-1280x720.png` });
  await page.setViewportSize({ width: 1280, height: 720 });

  // The documentation links resolve.
  const hrefs = await page.$$eval('.links a', (as) => as.map((a) => a.getAttribute('href')));
  assert(hrefs.length === 4, `header links: ${hrefs}`);
  for (const h of [...hrefs.filter((x) => !x.startsWith('http')), 'oracle.h']) {
    const r = await page.request.get(new URL(h, baseURL).href);
    assert(r.ok(), `${h}: HTTP ${r.status()}`);
  }

  // 6. Dark mode: the system preference, and a toggle that persists.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await page.locator('#verdict').waitFor();
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const lum = (bg.match(/\d+/g) ?? []).slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
  assert(lum < 150, `dark scheme background is ${bg}`);
  await axe(page, t, 'dark');
  await t.screenshot('60-dark-1280');
  await page.click('#theme-toggle');
  await page.reload({ waitUntil: 'load' });
  await page.locator('#verdict').waitFor();
  assert((await page.evaluate(() => document.documentElement.dataset.theme)) === 'light', 'the light choice did not persist');
  await page.emulateMedia({ colorScheme: 'light' });

  // 7. Phone: the results first, a Script / Results switch, no sideways scroll, no broken words.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await page.locator('#verdict').waitFor();
  const v = await page.locator('#verdict').boundingBox();
  assert(v.y < 844, `verdict at ${v.y}px on a phone`);
  assert(!(await page.locator('#editor').isVisible()), 'the editor shows before the results on a phone');
  const wrapped = await page.$$eval('header button', (bs) => bs.filter((b) => b.getBoundingClientRect().height > 40).map((b) => b.textContent));
  assert(wrapped.length === 0, `header buttons break over lines: ${wrapped}`);
  assert(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'phone page scrolls sideways');
  await axe(page, t, 'phone');
  await t.screenshot('60-phone-390');
  await page.click('#show-script');
  assert(await page.locator('#editor').isVisible(), 'Script switch does not show the editor');
  await page.click('#show-results');

  if (t.consoleErrors.length) throw new Error(`console errors:\n  ${t.consoleErrors.join('\n  ')}`);
}
