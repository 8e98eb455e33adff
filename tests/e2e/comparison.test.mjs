// End-to-end tests of chapter 8's strategy comparison, the simulation presets it links to, and the two decision
// walks (chapter 8's PostgreSQL or Cassandra, chapter 9's replication decision tree).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { serve, launch, openPage } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const COMPARISON = 'Replication strategy comparison';
const setRange = (locator, value) =>
  locator.evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, value);

async function openComparison(options = {}) {
  const opened = await openPage(browser, options);
  await opened.page.goto(server.base + '#/in-practice');
  const figure = opened.page.getByRole('figure', { name: COMPARISON });
  await figure.waitFor();
  return { ...opened, figure };
}

const columns = (figure) => figure.locator('table thead th').allTextContents();
const rows = (figure) => figure.locator('table tbody th[scope=row]').allTextContents();
const status = (figure) => figure.locator('.narration[role=status]').textContent();

test('S8: ticking databases and dimensions changes the table and says so', async () => {
  const { context, problems, figure } = await openComparison();
  const table = figure.getByRole('table');
  assert.match(await table.locator('caption').textContent(), /^How PostgreSQL and MySQL replicate$/);
  assert.deepEqual(await columns(figure), ['Dimension', 'PostgreSQL', 'MySQL']);
  assert.deepEqual(await rows(figure), ['Topology', 'Log format', 'Sync mode', 'Failover', 'Data lost in a failover',
    'Reads from followers', 'Write conflicts', 'Gotcha', 'See it in a simulation']);
  assert.equal(await status(figure), 'Comparing PostgreSQL and MySQL on 8 of 8 dimensions.');
  // The facts are the databases' own: MySQL's sync mode is the semi-synchronous plugin.
  const syncRow = table.locator('tr[data-dimension=sync-mode]');
  assert.match(await syncRow.locator('td[data-db=mysql]').textContent(), /semi-synchronous plugin/);

  const databases = figure.getByRole('group', { name: 'Databases' });
  const dimensions = figure.getByRole('group', { name: 'Dimensions' });
  await databases.getByLabel('Cassandra').check();
  await databases.getByLabel('MySQL').uncheck();
  assert.deepEqual(await columns(figure), ['Dimension', 'PostgreSQL', 'Cassandra']);
  assert.match(await table.locator('tr[data-dimension=conflicts] td[data-db=cassandra]').textContent(), /Last write wins/);
  await dimensions.getByLabel('Gotcha').uncheck();
  await dimensions.getByLabel('Log format').uncheck();
  assert.deepEqual(await rows(figure), ['Topology', 'Sync mode', 'Failover', 'Data lost in a failover',
    'Reads from followers', 'Write conflicts', 'See it in a simulation']);
  assert.equal(await status(figure), 'Comparing PostgreSQL and Cassandra on 6 of 8 dimensions.');

  await figure.getByRole('button', { name: 'Tick all databases' }).click();
  assert.deepEqual(await columns(figure), ['Dimension', 'PostgreSQL', 'MySQL', 'MongoDB', 'Cassandra', 'CockroachDB']);
  await figure.getByRole('button', { name: 'Tick all dimensions' }).click();
  assert.equal(await status(figure), 'Comparing PostgreSQL, MySQL, MongoDB, Cassandra and CockroachDB on 8 of 8 dimensions.');
  // Every database links to at least one simulation preset.
  for (const db of ['postgresql', 'mysql', 'mongodb', 'cassandra', 'cockroachdb']) {
    const links = table.locator(`tr[data-dimension=watch] td[data-db=${db}] a`);
    assert.ok(await links.count() >= 1, db);
    assert.match(await links.first().getAttribute('href'), /^#\/[a-z-]+\/[a-z-]+\?preset=[a-z0-9-]+$/);
  }

  for (const name of ['PostgreSQL', 'MySQL', 'MongoDB', 'Cassandra', 'CockroachDB']) await databases.getByLabel(name).uncheck();
  assert.equal(await figure.getByRole('table').count(), 0);
  assert.equal(await status(figure), 'No database ticked: tick at least one to fill the table.');
  assert.deepEqual(problems, []);
  await context.close();
});

test('S8: a preset link opens the failover widget in MongoDB w:1, and w:majority loses nothing', async () => {
  const { page, context, problems, figure } = await openComparison();
  await figure.getByRole('group', { name: 'Databases' }).getByLabel('MongoDB').check();
  await figure.getByRole('link', { name: /MongoDB: write concern w:1/ }).click();
  const failover = page.getByRole('figure', { name: 'Failover timeline' });
  await failover.waitFor();
  assert.match(page.url(), /#\/node-outages\/try-it-failover-simulation\?preset=mongodb-w1$/);
  assert.match(await page.locator('.preset-notice').textContent(), /^Preset 'mongodb-w1': MongoDB, write concern w:1/);
  assert.equal(await failover.getByLabel('Replication').inputValue(), 'async');
  assert.equal(await failover.getByLabel('Detection timeout').inputValue(), '10');
  await setRange(failover.getByLabel('Timeline'), 30000);
  const lostW1 = Number((await failover.locator('.sim-panel').textContent()).match(/(\d+) acknowledged write\(s\) lost/)[1]);
  assert.ok(lostW1 > 0, `w:1 loses acknowledged writes (${lostW1})`);

  // Another preset in the address (a hash change, no reload) restarts the widget in that state.
  await page.evaluate(() => { location.hash = '#/node-outages/try-it-failover-simulation?preset=mongodb-majority'; });
  await page.locator('.preset-notice', { hasText: "Preset 'mongodb-majority'" }).waitFor();
  assert.equal(await failover.getByLabel('Replication').inputValue(), 'sync');
  await setRange(failover.getByLabel('Timeline'), 30000);
  assert.match(await failover.locator('.sim-panel').textContent(), /\b0 acknowledged write\(s\) lost/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('presets for the leader-follower, multi-leader and quorum widgets set their state', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/leaders-and-followers/watch-a-write-flow-through-the-cluster?preset=mysql-semisync');
  const lf = page.getByRole('figure', { name: 'Leader-follower replication' });
  await lf.waitFor();
  assert.equal(await lf.getByLabel('Mode').inputValue(), 'semi');
  await page.goto(server.base + '#/leaders-and-followers/watch-a-write-flow-through-the-cluster?preset=postgres-sync');
  await page.locator('.preset-notice', { hasText: 'postgres-sync' }).waitFor();
  assert.equal(await lf.getByLabel('Mode').inputValue(), 'sync');

  await page.goto(server.base + '#/multi-leader/try-it-a-multi-leader-conflict?preset=cassandra-lww');
  const ml = page.getByRole('figure', { name: 'Multi-leader write conflict' });
  await ml.waitFor();
  assert.match(await page.locator('.preset-notice').textContent(), /Cassandra, last-write-wins by timestamp/);

  await page.goto(server.base + '#/leaderless/try-it-the-quorum-calculator?preset=cockroach-raft');
  const q = page.getByRole('figure', { name: 'Interactive quorum calculator' });
  await q.waitFor();
  assert.match(await q.locator('[role=status]').first().textContent(), /N=5, W=3, R=3/);
  // The link lands on the simulation's section: its heading is in view.
  assert.ok(await page.evaluate(() => {
    const r = document.getElementById('try-it-the-quorum-calculator').getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight;
  }));
  assert.deepEqual(problems, []);
  await context.close();
});

test('an unknown preset shows a notice and the default state, never a blank page', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/leaderless?preset=bogus');
  const q = page.getByRole('figure', { name: 'Interactive quorum calculator' });
  await q.waitFor();
  assert.equal(await page.locator('.preset-notice').textContent(), "Unknown preset 'bogus'; showing the default.");
  assert.match(await q.locator('[role=status]').first().textContent(), /N=3, W=2, R=2/);
  // A real preset for another simulation is not applied either.
  await page.goto(server.base + '#/leaders-and-followers?preset=cassandra-quorum');
  await page.locator('.preset-notice', { hasText: 'belongs to the quorum simulation in chapter 6' }).waitFor();
  assert.equal(await page.getByRole('figure', { name: 'Leader-follower replication' }).getByLabel('Mode').inputValue(), 'semi');
  assert.deepEqual(problems, []);
  await context.close();
});

async function answer(walk, label) {
  await walk.locator('.walk-answers').getByRole('button', { name: label, exact: true }).click();
}
const focusedText = (page) => page.evaluate(() => document.activeElement?.textContent ?? '');

test('chapter 8 walk: five answers to a recommendation, back, and start over', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/in-practice');
  const walk = page.getByRole('figure', { name: 'PostgreSQL or Cassandra? Five questions' });
  await walk.waitFor();
  assert.equal(await walk.locator('h3.walk-question').textContent(), 'Question 1: Do you need strong consistency and ACID transactions?');
  assert.ok(await walk.getByRole('button', { name: 'Back' }).isDisabled());
  for (const label of ['No', 'No', 'No', 'Yes']) await answer(walk, label);
  assert.equal(await focusedText(page), 'Question 5: Can the application live with eventual consistency?');
  await answer(walk, 'Yes');
  assert.equal(await walk.locator('h3.walk-question').textContent(), 'Recommendation: Cassandra, with a consistency level per query');
  assert.equal(await focusedText(page), 'Recommendation: Cassandra, with a consistency level per query');
  assert.equal(await walk.locator('[role=status]').textContent(), 'You answered Yes. Recommendation: Cassandra, with a consistency level per query.');
  assert.equal(await walk.locator('.walk-path li').count(), 5);
  assert.match(await walk.locator('.walk-path li').nth(1).textContent(), /50,000 writes per second\? No — A write rate one PostgreSQL leader handles/);
  // The recommendation links to the simulations that show it.
  assert.match(await walk.getByRole('link', { name: /Cassandra: consistency level ONE/ }).getAttribute('href'), /\?preset=cassandra-one$/);

  await walk.getByRole('button', { name: 'Back' }).click();
  assert.equal(await focusedText(page), 'Question 5: Can the application live with eventual consistency?');
  await answer(walk, 'No');
  assert.equal(await walk.locator('h3.walk-question').textContent(), 'Recommendation: PostgreSQL with synchronous replication');
  await walk.getByRole('button', { name: 'Start over' }).click();
  assert.equal(await focusedText(page), 'Question 1: Do you need strong consistency and ACID transactions?');
  assert.equal(await walk.locator('.walk-path').count(), 0);
  await answer(walk, 'Yes');
  assert.match(await walk.locator('h3.walk-question').textContent(), /^Recommendation: PostgreSQL, or CockroachDB/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('chapter 9 decision tree: topology, conflicts and read path, to a recommendation', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/interview-arsenal');
  const walk = page.getByRole('figure', { name: 'The replication decision tree', exact: true });
  await walk.waitFor();
  for (const label of ['Yes', 'Yes', 'Mutable rows']) await answer(walk, label);
  assert.equal(await focusedText(page), 'Question 4: What consistency do reads need?');
  await answer(walk, 'Strong');
  assert.equal(await walk.locator('h3.walk-question').textContent(), 'Recommendation: Synchronous replication or consensus');
  assert.match(await walk.locator('.walk-path').textContent(), /use CRDTs or application-level resolution/);
  await walk.getByRole('button', { name: 'Start over' }).click();
  await answer(walk, 'No');
  assert.equal(await walk.locator('h3.walk-question').textContent(), 'Question 2: What consistency do reads need?');
  await answer(walk, 'Read-your-writes');
  assert.match(await walk.locator('.walk-path').textContent(), /Topology: leader-follower/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('back to chapter 8 from chapter 9: the body is chapter 8 and its widgets are mounted again', async () => {
  const { page, context, problems, figure } = await openComparison();
  await figure.getByRole('group', { name: 'Databases' }).getByLabel('CockroachDB').check();
  await page.locator('.chapter-nav a.next').click();
  await page.getByRole('figure', { name: 'The replication decision tree', exact: true }).waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Interview Arsenal');
  await page.goBack();
  await page.getByRole('figure', { name: COMPARISON }).waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Replication in Practice');
  assert.equal(await page.getByRole('figure', { name: 'The replication decision tree', exact: true }).count(), 0);
  assert.equal(await page.locator('.sim-slot').count(), await page.locator('.sim-slot[data-mounted]').count());
  assert.deepEqual(await columns(page.getByRole('figure', { name: COMPARISON })), ['Dimension', 'PostgreSQL', 'MySQL']);
  // And forward again: chapter 9's walk, fresh.
  await page.goForward();
  await page.getByRole('figure', { name: 'The replication decision tree', exact: true }).waitFor();
  assert.equal(await page.getByRole('figure', { name: COMPARISON }).count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('390×844: the comparison and the walks never scroll the page sideways, light and dark pass axe', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, context, problems, figure } = await openComparison({ viewport: { width: 390, height: 844 }, colorScheme });
    await figure.getByRole('button', { name: 'Tick all databases' }).click();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(await overflow(), 0);
    // Stacked on a phone: each fact carries its database's name.
    assert.ok(await figure.locator('td[data-db=cassandra] .cell-db').first().isVisible());
    const box = await figure.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
    const walk = page.getByRole('figure', { name: 'PostgreSQL or Cassandra? Five questions' });
    for (const label of ['No', 'Yes']) await answer(walk, label);
    assert.equal(await overflow(), 0);
    // Evaluated through the DevTools protocol: a script element would be refused by the page's CSP.
    await page.evaluate(AXE);
    const found = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.length}× ${v.nodes[0]?.target?.join(' ')} — ${v.help}`);
    });
    assert.deepEqual(found, [], colorScheme);
    await page.goto(server.base + '#/interview-arsenal');
    await page.getByRole('figure', { name: 'The replication decision tree', exact: true }).waitFor();
    assert.equal(await overflow(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  }
});
