// Chapter 9's code drills: Run executes each drill in the page and prints exactly what the core computes for
// the same seed (the fixture is written and checked by the native test `code_drills` in tests/it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { serve, launch, openPage } from './harness.mjs';

const expected = JSON.parse(fs.readFileSync(new URL('./fixtures/code-drills.json', import.meta.url), 'utf8'));

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function openDrills(page) {
  await page.goto(server.base + '#/interview-arsenal/code-drills');
  const figure = page.getByRole('figure', { name: 'Code drills, run on the simulation core' });
  await figure.waitFor();
  return figure;
}

test('Run prints what the core computes, for every drill', async () => {
  const { page, context, problems } = await openPage(browser);
  const figure = await openDrills(page);
  const select = figure.getByLabel('Drill', { exact: true });
  const ids = await select.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(ids.sort(), Object.keys(expected).sort());
  for (const id of Object.keys(expected)) {
    await select.selectOption(id);
    assert.match(await figure.locator('pre.drill-code').textContent(), /pub fn \w+\(seed: u64\)/, `${id}: its source is shown`);
    await figure.getByLabel(/^Seed/).fill('42');
    await figure.getByRole('button', { name: 'Run' }).click();
    const result = figure.locator('.drill-result');
    await result.waitFor();
    assert.equal(await result.textContent(), expected[id], `${id}: the page prints the core's output`);
    assert.match(await figure.locator('[role=status] .drill-status').textContent(), /with seed 42/);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('a different seed changes the run; bad seeds are clamped with a notice', async () => {
  const { page, context, problems } = await openPage(browser);
  const figure = await openDrills(page);
  await figure.getByLabel('Drill', { exact: true }).selectOption('hash-ring');
  const seed = figure.getByLabel(/^Seed/);
  await seed.fill('7');
  await seed.press('Enter'); // the controls are a form: Enter runs
  const result = figure.locator('.drill-result');
  await result.waitFor();
  assert.notEqual(await result.textContent(), expected['hash-ring']);
  await seed.fill('5000000');
  await figure.getByRole('button', { name: 'Run' }).click();
  await figure.locator('.notice', { hasText: 'Seeds go up to 999999' }).waitFor();
  assert.equal(await seed.inputValue(), '999999');
  await seed.fill('twelve');
  await figure.getByRole('button', { name: 'Run' }).click();
  await figure.locator('.notice', { hasText: '“twelve” is not a whole number' }).waitFor();
  assert.equal(await result.textContent(), expected['hash-ring'], 'ran with the default seed');
  assert.deepEqual(problems, []);
  await context.close();
});
