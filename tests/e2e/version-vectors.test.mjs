// End-to-end tests of the chapter 7 simulation, "Version vector simulation": the course's shopping cart step by
// step (siblings, the client merge, {A:1, B:2}), the butter case with and without tombstones, the comparison tool
// on the course's four exercises and on malformed input, and the happens-before diagram. Driven by labels and
// names, checked against the course's vectors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const TITLE = 'Version vector simulation';

async function open(options) {
  const { page, context, problems } = await openPage(browser, options);
  await page.goto(server.base + '#/concurrent-writes');
  const figure = page.getByRole('figure', { name: TITLE });
  await figure.waitFor();
  const narration = () => figure.getByRole('status').textContent();
  return { page, context, problems, figure, narration };
}

test('S7: Next and Previous Step walk the course cart: siblings, the merge, and {A:1, B:2}', async () => {
  const { context, problems, figure, narration } = await open();
  assert.match(await narration(), /^Step 0 of 16: Replicas A and B hold no cart yet/);
  const previous = figure.getByRole('button', { name: 'Previous Step' });
  const next = figure.getByRole('button', { name: 'Next Step' });
  assert.equal(await previous.isDisabled(), true);

  await next.click();
  assert.match(await narration(), /Step 1 of 16: X adds milk and writes \[milk\] to A with context \{A:0, B:0\}; A stamps it \{A:1, B:0\}\./);
  await next.click();
  assert.match(await narration(), /Step 2 of 16: Y adds eggs and writes \[eggs\] to B with context \{A:0, B:0\}; B stamps it \{A:0, B:1\}\./);
  await next.click();
  // Anti-entropy: B compares the two vectors, finds neither ahead, and keeps both.
  const three = await narration();
  assert.match(three, /Step 3 of 16: .*\{A:1, B:0\} vs \{A:0, B:1\}: neither dominates, so they are concurrent and B keeps both as siblings\./);
  assert.match(three, /Conflict: B holds 2 concurrent versions of the cart/);
  assert.match(three, /B holds 2 siblings, \[milk\] at \{A:1, B:0\} and \[eggs\] at \{A:0, B:1\}\./);
  await next.click();
  assert.match(await narration(), /Step 4 of 16: X reads 2 siblings from B .* merges them into \[milk, eggs\], and keeps the merged context \{A:1, B:1\}\./);
  // Why they are siblings, entry by entry.
  assert.match(await figure.locator('.sim-panel', { hasText: 'Why, entry by entry' }).textContent(),
    /sibling 1 and sibling 2 are concurrent: sibling 1 is ahead on A and sibling 2 on B.*A: 1 > 0 \(sibling 2 has no A entry, which counts as 0\), so sibling 1 has seen a write sibling 2 has not\./s);
  await next.click();
  const five = await narration();
  assert.match(five, /Step 5 of 16: X writes \[milk, eggs\] to B with context \{A:1, B:1\}; B stamps it \{A:1, B:2\}\. It dominates \{A:1, B:0\} and \{A:0, B:1\}, so the siblings are resolved\./);

  // The table view shows what each replica stores.
  await figure.getByRole('button', { name: 'Table view' }).click();
  const stored = figure.locator('.state-table').first();
  assert.match(await stored.locator('caption').textContent(), /after step 5 of 16/);
  const rows = await stored.locator('tbody tr').allTextContents();
  assert.deepEqual(rows, ['A[milk]{A:1, B:0}A:1', 'B[milk, eggs]{A:1, B:2}B:2']);
  const clients = await figure.locator('.state-table').nth(1).locator('tbody tr').allTextContents();
  assert.deepEqual(clients, ['X{A:1, B:2}[milk, eggs]', 'Y{A:0, B:1}[eggs]']);

  // Previous Step is exact: back to the siblings.
  await previous.click();
  await previous.click();
  assert.match(await narration(), /^Step 3 of 16/);
  assert.deepEqual(await stored.locator('tbody tr').allTextContents(),
    ['A[milk]{A:1, B:0}A:1', 'B (sibling 1 of 2)[milk]{A:1, B:0}A:1', 'B (sibling 2 of 2)[eggs]{A:0, B:1}B:1']);
  await figure.getByRole('button', { name: 'Start over' }).click();
  assert.match(await narration(), /^Step 0 of 16/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('S7: the butter case, with tombstones and without', async () => {
  const { context, problems, figure, narration } = await open();
  await figure.getByRole('button', { name: 'Skip to the butter case' }).click();
  assert.match(await narration(), /^Step 7 of 16: X reads \[milk, eggs\] from A and keeps its version \{A:1, B:2\}/);
  const next = figure.getByRole('button', { name: 'Next Step' });
  for (let i = 0; i < 7; i += 1) await next.click();
  const merged = await narration();
  assert.match(merged, /Step 14 of 16: Y reads 2 siblings from B \(\[milk, eggs, butter\] at \{A:3, B:2\} and \[milk, eggs, butter:tombstone\] at \{A:2, B:3\}\), merges them into \[milk, eggs, butter:tombstone\], and keeps the merged context \{A:3, B:3\}\./);
  assert.doesNotMatch(merged, /Resurrection/);

  // Same step without tombstones: the naive union brings the butter back.
  await figure.getByLabel('When Y removes the butter').selectOption('erase');
  const resurrected = await narration();
  assert.match(resurrected, /^Step 14 of 16: .*merges them into \[milk, eggs, butter\]/);
  assert.match(resurrected, /Resurrection: butter is back in Y's merged cart although Y removed it at \{A:2, B:3\}\./);
  await next.click();
  await next.click();
  assert.match(await narration(), /^Step 16 of 16: .*A holds \[milk, eggs, butter\] at \{A:3, B:4\}; B holds \[milk, eggs, butter\] at \{A:3, B:4\}\./);
  assert.equal(await next.isDisabled(), true, 'the walk-through ends at step 16');

  await figure.getByLabel('When Y removes the butter').selectOption('tombstone');
  assert.match(await narration(), /^Step 16 of 16: .*A holds \[milk, eggs, butter:tombstone\] at \{A:3, B:4\}/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('S7: arrow keys step only while the figure itself has focus', async () => {
  const { page, context, figure, narration } = await open();
  await figure.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.match(await narration(), /^Step 2 of 16/);
  await page.keyboard.press('ArrowLeft');
  assert.match(await narration(), /^Step 1 of 16/);
  // In a text field the arrows move the caret; the walk-through stays put.
  await figure.getByLabel('Version A').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  assert.match(await narration(), /^Step 1 of 16/);
  await page.locator('h1').click();
  await page.keyboard.press('ArrowRight');
  assert.match(await narration(), /^Step 1 of 16/);
  await context.close();
});

test('S7: the comparison tool gives the four exercises their verdicts and points at malformed input', async () => {
  const { context, problems, figure } = await open();
  const panel = figure.locator('.sim-panel', { hasText: 'Compare two version vectors' });
  const verdict = () => panel.locator('[aria-live=polite]').textContent();
  // Exercise 1 is there from the start.
  assert.equal(await figure.getByLabel('Version A').inputValue(), '{X:3, Y:2, Z:1}');
  assert.equal(await figure.getByLabel('Version B').inputValue(), '{X:2, Y:2, Z:1}');
  assert.match(await verdict(), /^A happened after B\. A dominates B: no entry of A is lower and X is higher/);
  assert.match(await verdict(), /X: 3 > 2, so A has seen a write B has not\.Y: 2 = 2, so both have seen the same writes through Y\.Z: 1 = 1/);

  await panel.getByRole('button', { name: 'Exercise 2' }).click();
  assert.match(await verdict(), /^Concurrent\. A and B are concurrent: A is ahead on X and B on Y/);
  assert.match(await verdict(), /Y: 2 < 4, so B has seen 2 writes A has not\./);
  await panel.getByRole('button', { name: 'Exercise 3' }).click();
  assert.match(await verdict(), /^B happened after A\./);
  assert.match(await verdict(), /Z: 0 < 1 \(A has no Z entry, which counts as 0\), so B has seen a write A has not\./);
  await panel.getByRole('button', { name: 'Exercise 4' }).click();
  assert.match(await verdict(), /^Identical\. A and B are the same version/);

  // Typed vectors: the chapter's closing question, then a typo.
  await figure.getByLabel('Version A').fill('{A:3, B:2}');
  await figure.getByLabel('Version B').fill('{A:2, B:4}');
  assert.match(await verdict(), /^Concurrent\./);
  await figure.getByLabel('Version A').fill('{X:3 Y:2}');
  assert.match(await verdict(), /Version A, column 6: expected ',' or '\}' after an entry, found 'Y'\./);
  assert.equal(await panel.locator('pre').textContent(), '{X:3 Y:2}\n     ^');
  assert.equal(await figure.getByLabel('Version A').getAttribute('aria-invalid'), 'true');
  assert.equal(await figure.getByLabel('Version B').getAttribute('aria-invalid'), 'false');
  await figure.getByLabel('Version B').fill('X:1}');
  assert.match(await verdict(), /Version B, column 1: expected '\{' to start the vector, found 'X'\./);
  await panel.getByRole('button', { name: 'Exercise 1' }).click();
  assert.equal(await figure.getByLabel('Version A').getAttribute('aria-invalid'), 'false');
  assert.match(await verdict(), /^A happened after B\./);
  assert.deepEqual(problems, []);
  await context.close();
});

test('S7: happens-before: a1 happened before a3; b3 and c2 are concurrent, with their vector clocks', async () => {
  const { context, problems, figure } = await open();
  const panel = figure.locator('.sim-panel', { hasText: 'Happens-before with vector clocks' });
  const verdict = () => panel.locator('[aria-live=polite]').textContent();
  assert.match(await verdict(), /^a1 → a3: a1 happened before a3\. a1 has clock \{A:1\} and a3 has \{A:3, B:2, C:1\}\./);
  await figure.getByLabel('First event').selectOption('b3');
  await figure.getByLabel('Second event').selectOption('c2');
  const concurrent = await verdict();
  assert.match(concurrent, /^b3 ‖ c2: concurrent\. b3 has clock \{A:2, B:3, C:1\} and c2 has \{C:2\}\. b3 is ahead on A and B and c2 on C/);
  assert.match(concurrent, /C: 1 < 2, so c2 has seen 1 event on C that b3 has not\./);
  await figure.getByLabel('First event').selectOption('b5');
  await figure.getByLabel('Second event').selectOption('c3');
  assert.match(await verdict(), /^c3 → b5: c3 happened before b5\./);
  await panel.getByRole('button', { name: 'a1 and a3 (a causal chain)' }).click();
  assert.equal(await figure.getByLabel('First event').inputValue(), 'a1');
  assert.match(await verdict(), /^a1 → a3/);
  await figure.getByRole('button', { name: 'Table view' }).click();
  const events = figure.locator('.state-table', { hasText: 'Happens-before' });
  assert.match(await events.locator('tbody tr', { hasText: 'b3' }).textContent(), /b3B\{A:2, B:3, C:1\}—/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('S7: on a phone the chapter does not scroll sideways and the figure still steps', async () => {
  const { page, context, problems, figure, narration } = await open({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await page.waitForTimeout(300);
  await figure.getByRole('button', { name: 'Next Step' }).click();
  assert.match(await narration(), /^Step 1 of 16/);
  await figure.getByLabel('Version A').fill('{X:1, Y:1, Z:1, W:1, V:1, U:1, T:1, S:1, R:1, Q:1, P:1 O:1}');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the chapter is ${width}px wide`);
  assert.deepEqual(problems, []);
  await context.close();
});
