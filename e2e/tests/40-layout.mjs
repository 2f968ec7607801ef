// Layout at 1280x800 (laptop) and 1920x1080 (projector), single-scheme and side-by-side: no
// horizontal page overflow, editor and results columns do not overlap, header controls do not
// overlap each other, the editor is wide enough, the grid's scheme columns keep a readable width.
// Screenshots: target/e2e/40-<width>[-side].png.
import path from 'node:path';

const outDir = process.env.E2E_OUT_DIR ?? path.resolve('target', 'e2e');

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function overlaps(a, b) {
  return a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5
    && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5;
}

async function box(page, sel) {
  const b = await page.locator(sel).first().boundingBox();
  assert(b, `${sel} has no box`);
  return b;
}

export default async function layout(page, baseURL, t) {
  await page.goto(baseURL, { waitUntil: 'load' });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await page.locator('#violations').waitFor({ state: 'visible', timeout: 20_000 });
  for (const [w, h] of [[1280, 800], [1920, 1080]]) {
    await page.setViewportSize({ width: w, height: h });
    for (const side of [false, true]) {
      const pressed = (await page.locator('#side-by-side').getAttribute('aria-pressed')) === 'true';
      if (pressed !== side) await page.click('#side-by-side');
      await page.waitForTimeout(100);
      const tag = `${w}${side ? '-side' : ''}`;
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `${tag}: page scrolls horizontally by ${overflow}px`);
      const left = await box(page, 'section.left');
      const right = await box(page, 'section.right');
      assert(left.x + left.width <= right.x, `${tag}: editor and results overlap`);
      const editor = await box(page, '.editor-wrap');
      assert(editor.width >= (side ? 380 : 540), `${tag}: editor only ${editor.width}px wide`);
      const header = await page.$$eval('header.top > *', (els) => els
        .filter((e) => getComputedStyle(e).display !== 'none')
        .map((e) => { const r = e.getBoundingClientRect(); return { n: e.className || e.tagName, x: r.x, y: r.y, width: r.width, height: r.height }; }));
      for (let i = 0; i < header.length; i += 1) {
        for (let j = i + 1; j < header.length; j += 1) {
          assert(!overlaps(header[i], header[j]), `${tag}: header ${header[i].n} overlaps ${header[j].n}`);
        }
      }
      if (side) {
        const cols = await page.$$eval('#grid th.lanehead', (els) => els.map((e) => e.getBoundingClientRect().width));
        assert(cols.length === 3 && cols.every((x) => x >= 120), `${tag}: grid column widths ${cols}`);
        // The step index never overlaps the statement.
        const o = await page.$$eval('#grid tr.step', (rs) => rs.filter((r) => {
          const [i, s] = r.querySelectorAll('td');
          return i.getBoundingClientRect().right > s.getBoundingClientRect().left + 0.5 || i.scrollWidth > i.clientWidth;
        }).length);
        assert(o === 0, `${tag}: ${o} grid rows with the index over the statement`);
      }
      t.log(`${tag}: editor ${editor.width.toFixed(0)}px, results ${right.width.toFixed(0)}px`);
      await t.screenshot(`40-${tag}`);
      await page.screenshot({ path: path.join(outDir, `40-${tag}-viewport.png`) });
    }
  }
  // The splitter widens the editor.
  await page.setViewportSize({ width: 1280, height: 800 });
  if ((await page.locator('#side-by-side').getAttribute('aria-pressed')) === 'true') await page.click('#side-by-side');
  const before = (await box(page, 'section.left')).width;
  const sp = await box(page, '#splitter');
  await page.mouse.move(sp.x + sp.width / 2, sp.y + 100);
  await page.mouse.down();
  await page.mouse.move(sp.x + 120, sp.y + 100, { steps: 4 });
  await page.mouse.up();
  const after = (await box(page, 'section.left')).width;
  assert(after > before + 60, `splitter drag: ${before} -> ${after}`);
  await page.locator('#splitter').dblclick();
  const reset = (await box(page, 'section.left')).width;
  assert(Math.abs(reset - before) < 2, `splitter reset: ${reset} vs ${before}`);
  t.log(`splitter: ${before.toFixed(0)}px -> ${after.toFixed(0)}px, double-click -> ${reset.toFixed(0)}px`);
  if (t.consoleErrors.length) throw new Error(`console errors:\n  ${t.consoleErrors.join('\n  ')}`);
}
