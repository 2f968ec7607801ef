// Exercise mode: open an exercise from the scenario menu, submit a wrong script (failures
// shown), reveal a hint, submit the model answer (pass shown), reload (progress kept); open one
// by link; a corrupt progress store gives a notice, not a blank page.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = process.env.E2E_OUT_DIR ?? 'target/e2e';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function text(page, sel) {
  return (await page.locator(sel).first().textContent()) ?? '';
}

// The `answer:` block of an exercise file.
function answerOf(name) {
  const lines = readFileSync(path.join(root, 'exercises', `${name}.ex`), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith('answer:'));
  const body = [];
  for (const l of lines.slice(i + 1)) {
    if (!l.startsWith('  ') && l.trim() !== '') break;
    body.push(l.slice(2));
  }
  return `${body.join('\n').trimEnd()}\n`;
}

async function setEditor(page, value) {
  await page.locator('#editor').fill(value);
}

export default async function exercise80(page, baseURL, t) {
  await page.goto(baseURL, { waitUntil: 'load' });
  await page.evaluate(() => localStorage.clear());
  await page.reload({ waitUntil: 'load' });
  await page.locator('#verdict').waitFor({ timeout: 20_000 });
  const mine = 'mmap mine anon pages=1 rw\n';
  await setEditor(page, mine);

  // Open exercise 1 from the scenario menu.
  const options = await page.$$eval('#gallery optgroup option', (os) => os.map((o) => o.value));
  assert(options.length >= 12 && options[0] === 'ex:01-first-pin', `exercise options: ${options}`);
  await page.selectOption('#gallery', 'ex:01-first-pin');
  await page.locator('#exercise').waitFor();
  assert((await text(page, '#exercise-title')).includes('Pin a page'), 'exercise title');
  assert(!(await text(page, '#exercise')).includes('ends with no pins'), 'a hidden check is shown');
  assert(await page.evaluate((m) => localStorage.getItem('pinlab.scratch') === m, mine), 'the user\'s script was not kept');

  // A wrong script: failures shown, with what was observed.
  await setEditor(page, 'mmap buf anon pages=1 rw\nwrite buf 0\ngup io buf 0 write\n');
  await page.click('#ex-check');
  const r1 = await text(page, '#ex-results');
  assert(r1.includes('not yet') && /hidden checks: \d of \d pass/.test(r1), `results: ${r1}`);
  assert((await page.locator('#ex-checks li.fail').count()) >= 1, 'no failed check shown');
  assert((await text(page, '#ex-checks li.fail')).includes('observed:'), 'a failed check does not say what was observed');
  await t.screenshot('80-exercise-fail');

  // A hint.
  await page.click('#ex-hint');
  assert((await page.locator('#ex-hints li').count()) === 1, 'the hint did not show');

  // The model answer passes.
  await setEditor(page, answerOf('01-first-pin'));
  await page.click('#ex-check');
  const r2 = await text(page, '#ex-results');
  assert(r2.startsWith('✔ PASS'), `answer: ${r2}`);
  await page.locator('#ex-passed').waitFor();
  await t.screenshot('80-exercise-pass');

  // Reload: the exercise, its script, the hint and the pass are kept.
  await page.reload({ waitUntil: 'load' });
  await page.locator('#exercise').waitFor({ timeout: 20_000 });
  assert((await page.locator('#editor').inputValue()) === answerOf('01-first-pin'), 'the script was not kept');
  assert((await page.locator('#ex-hints li').count()) === 1, 'the hint was not kept');
  assert((await page.locator('#ex-passed').count()) === 1, 'the pass was not kept');

  // Leaving goes back to the playground; the user's own script is one menu entry away.
  await page.click('#ex-leave');
  assert((await page.locator('#exercise').count()) === 0, 'leave did not close the exercise');
  await page.selectOption('#gallery', 'scratch');
  assert((await page.locator('#editor').inputValue()) === mine, 'the user\'s script is gone');

  // By link: ?exercise=NAME (the number may be left out) opens the exercise.
  await page.goto(`${baseURL}?exercise=first-pin`, { waitUntil: 'load' });
  await page.locator('#exercise').waitFor({ timeout: 20_000 });

  // A share link opened during an exercise closes it and leaves its progress alone (the
  // fragment is the pinned format-1 link of `write m` under legacy).
  const before = await page.evaluate(() => localStorage.getItem('pinlab.exercises'));
  await page.goto('about:blank');
  await page.goto(`${baseURL}#v1.K07OSM1Ntc1JTU9MruTiKi_KLElVyOUCAA`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('#editor')?.value === 'write m\n');
  assert((await page.locator('#exercise').count()) === 0, 'the exercise stayed open under a share link');
  assert(await page.evaluate((b) => localStorage.getItem('pinlab.exercises') === b, before), 'the link overwrote the exercise progress');

  // A corrupt store: a notice, the page works.
  await page.evaluate(() => localStorage.setItem('pinlab.exercises', '{"01-first-pin":[1,2'));
  await page.reload({ waitUntil: 'load' });
  await page.locator('#verdict').waitFor({ timeout: 20_000 });
  assert((await text(page, '#notice')).includes('could not be read'), 'no notice for a corrupt store');
  await page.screenshot({ path: `${out}/80-corrupt-store.png` });
  t.log(`${options.length} exercises in the menu`);
  if (t.consoleErrors.length) throw new Error(`console errors:\n  ${t.consoleErrors.join('\n  ')}`);
}
