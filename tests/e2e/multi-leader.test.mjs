// End-to-end tests of the chapter 5 simulation, "Multi-leader write conflict": driven by its labels, checked
// against the course's numbers (VA LSN 8001 stamped .001, EU LSN 5501 stamped .003, 150 ms apart; the create at
// t=100 and the delete at t=99; HELLO → HXELO / HXELL) and the narration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const TITLE = 'Multi-leader write conflict';
const setRange = (locator, value) =>
  locator.evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, value);

async function open(options = {}) {
  const opened = await openPage(browser, options);
  await opened.page.goto(server.base + '#/multi-leader');
  const figure = opened.page.getByRole('figure', { name: TITLE });
  await figure.waitFor();
  return { ...opened, figure };
}

const narration = (figure) => figure.locator('[role=status]').textContent();
const summary = (figure) => figure.locator('.sim-panel').first().textContent();
const seek = (figure, ms) => setRange(figure.getByLabel('Timeline', { exact: true }), ms);
/** Column `n` (from 1, the leader's name is column 1) of the Leaders table, one entry per leader. */
const leaderColumn = (figure, n) =>
  figure.locator('.state-table').first().locator(`tbody tr > :nth-child(${n})`).allTextContents();
const metric = (figure, name) =>
  figure.locator('.sim-metrics div', { hasText: name }).locator('dd').textContent();

test('S5: the course address conflict, replicated 150 ms later, under each resolution', async () => {
  const { context, problems, figure } = await open();
  // The course's two datacenters.
  await setRange(figure.getByLabel('Leaders', { exact: true }), 2);
  await figure.getByRole('button', { name: 'Trigger Conflict' }).click();
  assert.match(await narration(figure),
    /^t=0\.000 s: Frankfurt accepts "123 Main Street, NYC" for customer_42\.address at LSN 5501, stamped 1705312000\.003\.$/);
  await figure.getByRole('button', { name: 'Table view' }).click();
  assert.deepEqual(await leaderColumn(figure, 3), ['"456 Oak Ave, NYC"', '"123 Main Street, NYC"']);
  const logs = figure.locator('.state-table').nth(1);
  assert.match(await logs.textContent(), /VirginiaVA LSN 8001"456 Oak Ave, NYC"1705312000\.001t=0\.000 s/);
  assert.match(await logs.textContent(), /FrankfurtEU LSN 5501"123 Main Street, NYC"1705312000\.003t=0\.000 s/);

  // 149 ms: still in flight. 150 ms: Virginia's change reaches Frankfurt and last-write-wins discards it.
  await seek(figure, 149);
  assert.equal(await metric(figure, 'Writes silently lost'), '0');
  await seek(figure, 150);
  assert.match(await narration(figure),
    /^t=0\.150 s: Last-write-wins keeps "123 Main Street, NYC" \(1705312000\.003 > 1705312000\.001\) and silently discards "456 Oak Ave, NYC" \(VA LSN 8001\)\.$/);
  assert.match(await logs.textContent(), /FrankfurtVA LSN 8001"456 Oak Ave, NYC"1705312000\.001t=0\.150 s/);
  assert.match(await summary(figure), /All 2 leaders show customer_42\.address = "123 Main Street, NYC"\./);
  assert.equal(await metric(figure, 'Writes silently lost'), '1');
  assert.equal(await metric(figure, 'Conflicts detected'), '2');
  assert.deepEqual(await leaderColumn(figure, 7), ['VA:8001 EU:5501', 'VA:8001 EU:5501']);

  // Step back before the change arrived: exactly the earlier state.
  while (/t=0\.150 s/.test(await narration(figure))) {
    await figure.getByRole('button', { name: 'Step back' }).click();
  }
  assert.deepEqual(await leaderColumn(figure, 3), ['"456 Oak Ave, NYC"', '"123 Main Street, NYC"']);
  assert.equal(await metric(figure, 'Writes silently lost'), '0');

  // The course's table: what one conflict becomes under each resolution.
  const outcomes = await figure.locator('ul.outcomes li').allTextContents();
  assert.deepEqual(outcomes, [
    'Last write wins (timestamp): every leader shows "123 Main Street, NYC"; 1 write(s) silently lost.',
    'Last write wins (replica priority): every leader shows "456 Oak Ave, NYC"; 1 write(s) silently lost.',
    'Merge values: every leader shows "456 Oak Ave, NYC/123 Main Street, NYC"; nothing lost.',
    'On-read resolution (keep siblings): every leader shows siblings "456 Oak Ave, NYC" | "123 Main Street, NYC"; nothing lost.',
    'CRDT (G-Counter): every leader shows [5, 3] = 8; nothing lost.',
  ]);

  // On-read resolution: both versions survive until a reader on Virginia picks one, which replicates.
  await figure.getByLabel('Resolution', { exact: true }).selectOption('siblings');
  await figure.getByRole('button', { name: 'Trigger Conflict' }).click();
  await seek(figure, 1000);
  assert.match(await summary(figure), /siblings "456 Oak Ave, NYC" \| "123 Main Street, NYC"/);
  assert.equal(await metric(figure, 'Writes silently lost'), '0');
  await figure.getByRole('button', { name: 'Keep "456 Oak Ave, NYC" on Virginia' }).click();
  assert.match(await narration(figure), /t=1\.000 s: Virginia accepts "456 Oak Ave, NYC" for customer_42\.address at LSN 8002/);
  await seek(figure, 2000);
  assert.match(await summary(figure), /All 2 leaders show customer_42\.address = "456 Oak Ave, NYC"\./);

  // The G-Counter: 5 views in Virginia and 3 in Frankfurt merge into 8 on both.
  await figure.getByLabel('Resolution', { exact: true }).selectOption('g-counter');
  await figure.getByRole('button', { name: 'Trigger Conflict' }).click();
  await seek(figure, 1000);
  assert.match(await summary(figure), /All 2 leaders show page_views = \[5, 3\] = 8\./);
  assert.deepEqual(problems, []);
  await context.close();
});

test('S5: a clock one second slow lets a create stamped t=100 beat a delete stamped t=99', async () => {
  const { context, problems, figure } = await open();
  await setRange(figure.getByLabel('Leaders', { exact: true }), 2);
  await figure.getByLabel('Scenario', { exact: true }).selectOption('create-delete');
  assert.equal(await figure.getByLabel('Frankfurt clock skew').getAttribute('aria-valuetext'), '-1000 ms');
  assert.equal(await figure.getByLabel('Virginia clock skew').getAttribute('aria-valuetext'), '0 ms');
  assert.match(await narration(figure), /t=0\.000 s: Frankfurt accepts a delete of customer_7 at LSN 5501, stamped 99\.000\./);
  await seek(figure, 1000);
  const panel = await summary(figure);
  assert.match(panel, /All 2 leaders show customer_7 = "Customer 7"\./);
  assert.match(panel, /customer_7 comes back on Frankfurt: Virginia's "Customer 7" stamped 100\.000 beats the delete stamped 99\.000\./);
  assert.equal(await metric(figure, 'Deletes undone'), '2');
  // With Frankfurt's clock exact, the same two writes tie at 100.000 and the delete wins.
  await setRange(figure.getByLabel('Frankfurt clock skew'), 0);
  await seek(figure, 1000);
  assert.match(await summary(figure), /All 2 leaders show customer_7 = \(deleted\)\./);
  assert.equal(await metric(figure, 'Deletes undone'), '0');
  assert.deepEqual(problems, []);
  await context.close();
});

test('S5: a dead leader breaks a ring, a dead hub breaks a star, all-to-all carries on', async () => {
  const { context, problems, figure } = await open();
  const leader = figure.getByLabel('Leader', { exact: true });
  // Ring Virginia → Frankfurt → Tokyo → Virginia; Frankfurt dies, then Virginia and Tokyo write.
  await figure.getByLabel('Topology', { exact: true }).selectOption('circular');
  await leader.selectOption({ label: 'Frankfurt' });
  await figure.getByRole('button', { name: 'Kill Frankfurt' }).click();
  assert.match(await narration(figure), /Frankfurt crashes, losing nothing from its log; the ring is broken, so changes stop at it\./);
  await figure.getByRole('button', { name: 'Trigger Conflict' }).click();
  await seek(figure, 3000);
  await figure.getByRole('button', { name: 'Table view' }).click();
  assert.match(await summary(figure), /The leaders differ/);
  const [va, , tyo] = await leaderColumn(figure, 7);
  assert.equal(tyo, 'VA:8000 EU:5500 TYO:2701', 'Virginia\'s write would have to pass through Frankfurt');
  assert.equal(va, 'VA:8001 EU:5500 TYO:2701', 'Tokyo sends to Virginia directly');
  assert.ok(Number(await metric(figure, 'Messages lost at a down leader')) >= 1);
  // Frankfurt restarts and asks its neighbours for what it missed: the ring carries everything again.
  await figure.getByRole('button', { name: 'Restart Frankfurt' }).click();
  assert.match(await narration(figure), /t=3\.000 s: Frankfurt restarts with its log on disk and asks Virginia, Tokyo for what it missed\./);
  await seek(figure, 6000);
  assert.match(await summary(figure), /All 3 leaders show/);

  // All-to-all: the same failure leaves Virginia and Tokyo in agreement.
  await figure.getByLabel('Topology', { exact: true }).selectOption('all-to-all');
  await figure.getByRole('button', { name: 'Kill Frankfurt' }).click();
  assert.match(await narration(figure), /the others still exchange changes directly/);
  await figure.getByRole('button', { name: 'Trigger Conflict' }).click();
  await seek(figure, 3000);
  const shown = await leaderColumn(figure, 3);
  assert.equal(shown[0], shown[2], `Virginia and Tokyo agree: ${shown}`);
  assert.deepEqual(await leaderColumn(figure, 2), ['up', 'down', 'up']);

  // Star through Virginia: killing the hub cuts every leader off.
  await figure.getByLabel('Topology', { exact: true }).selectOption('star');
  await leader.selectOption({ label: 'Virginia' });
  await figure.getByRole('button', { name: 'Kill Virginia' }).click();
  assert.match(await narration(figure), /Virginia crashes, losing nothing from its log; it is the hub, so no leader hears from any other\./);
  await leader.selectOption({ label: 'Tokyo' });
  await figure.getByRole('button', { name: 'Write on Tokyo' }).click();
  await seek(figure, 3000);
  assert.equal((await leaderColumn(figure, 7))[1], 'VA:8000 EU:5500 TYO:2700', 'Frankfurt never hears of Tokyo\'s write');
  assert.deepEqual(problems, []);
  await context.close();
});

test('S5: HELLO edited twice, naively and with operational transformation, on a phone', async () => {
  const { page, context, problems, figure } = await open({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const lines = () => figure.locator('.ot-replica').allTextContents();
  const [atA, atB] = await lines();
  assert.equal(atA, 'A\'s site: HELLO → insert "X" at 1 → HXELLO → delete position 4 ("L") → HXELO');
  assert.equal(atB, 'B\'s site: HELLO → delete position 4 ("O") → HELL → insert "X" at 1 → HXELL');
  assert.match(await figure.locator('.ot-verdict').textContent(), /The replicas disagree: HXELO at A's site, HXELL at B's\. A's replica deleted "L" where B meant "O"\./);
  await figure.getByLabel('Transform the incoming edit (OT)').check();
  const [fixedA, fixedB] = await lines();
  assert.equal(fixedA, 'A\'s site: HELLO → insert "X" at 1 → HXELLO → delete position 5 ("O") → HXELL');
  assert.match(fixedB, /→ HXELL$/);
  assert.match(await figure.locator('.ot-verdict').textContent(), /^Both replicas end with HXELL/);
  // The figure fits a 390 px screen: nothing scrolls sideways, even with the table view open.
  await figure.getByRole('button', { name: 'Trigger Conflict' }).click();
  await figure.getByRole('button', { name: 'Table view' }).click();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width}px wide`);
  assert.deepEqual(problems, []);
  await context.close();
});
