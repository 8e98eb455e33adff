// Shareable state: "Copy link" writes a simulation's settings, seed, the reader's actions and the position into
// the address; opening that address shows exactly the same state. Bad links are clamped with a visible notice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

let server, sub, browser;
before(async () => { server = await serve('/'); sub = await serve('/replication/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); await sub?.close(); });

const setRange = (locator, value) =>
  locator.evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, value);

/** Everything a reader can see of a simulation's state, as text: narration, settings, clock, tables. */
async function snapshot(figure) {
  const table = figure.getByRole('button', { name: 'Table view' });
  if ((await table.getAttribute('aria-expanded')) !== 'true') await table.click();
  return figure.evaluate((el) => {
    const values = [...el.querySelectorAll('input, select')]
      .filter((i) => !i.closest('.copy-link'))
      .map((i) => `${i.labels?.[0]?.textContent ?? i.id}=${i.type === 'checkbox' ? i.checked : i.value}`);
    const tables = [...el.querySelectorAll('table')].map((t) => t.textContent);
    return { narration: el.querySelector('[role=status]').textContent, values, tables };
  });
}

/** A page allowed to write the clipboard, as a reader's click allows in a real browser. */
async function openSharing() {
  const opened = await openPage(browser);
  await opened.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.base).origin });
  return opened;
}

async function copyLink(page, figure) {
  await figure.getByRole('button', { name: 'Copy link' }).click();
  const field = figure.getByLabel('Link to this state');
  await field.waitFor();
  await page.waitForFunction(() => /copied|did not allow/.test(document.querySelector('.copy-link-status')?.textContent ?? ''));
  return field.inputValue();
}

/** Copies `figure`'s link on `page`, opens it in the tab `other`, and checks that the reopened figure shows
 *  exactly what `figure` showed. Playwright waits for animation frames before acting, and a background tab gets
 *  none, so each tab is brought to the front before it is driven. */
async function reopenElsewhere(page, other, figure) {
  const title = await figure.getAttribute('aria-label');
  const before = await snapshot(figure);
  const link = await copyLink(page, figure);
  await other.bringToFront();
  await other.goto(link);
  const reopened = other.getByRole('figure', { name: title });
  await reopened.waitFor();
  assert.deepEqual(await snapshot(reopened), before);
  await page.bringToFront();
  return { link, reopened };
}

test('a leader-follower run with settings, actions and a position reopens exactly from its link', async () => {
  const { page, context, problems } = await openPage(browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.base).origin });
  await page.goto(server.base + '#/leaders-and-followers');
  const figure = page.getByRole('figure', { name: 'Leader-follower replication' });
  await figure.waitFor();
  await figure.getByLabel('Mode').selectOption('async');
  await setRange(figure.getByLabel('F2 latency'), 17);
  await setRange(figure.getByLabel('Timeline', { exact: true }), 4);
  await figure.getByRole('button', { name: 'Send Write' }).click();
  await setRange(figure.getByLabel('Timeline', { exact: true }), 9);
  await figure.getByRole('button', { name: 'Kill Leader' }).click();
  // Back before the kill: the link must keep the kill ahead of the position, as the player does.
  await figure.getByRole('button', { name: 'Step back' }).click();
  await figure.getByRole('button', { name: 'Step back' }).click();
  const { link, reopened } = await reopenElsewhere(page, await context.newPage(), figure);
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/#\/leaders-and-followers\/watch-a-write-flow-through-the-cluster\?sim=leader-follower&mode=async&/);
  assert.match(link, /&do=\d+\.4\.write&do=\d+\.9\.kill&/);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  assert.equal(await reopened.locator('.link-notice').count(), 0, 'a link the page wrote needs no correction');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a link made under a subpath keeps the subpath, and a lag-anomaly story reopens in the same state', async () => {
  // A browser that refuses the clipboard: the link is still made and shown, and the reader is told to copy it.
  const { page, context, problems } = await openPage(browser);
  await page.addInitScript(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
  });
  await page.goto(sub.base + '#/replication-lag');
  const figure = page.getByRole('figure', { name: 'Replication lag anomalies' });
  await figure.waitFor();
  await figure.getByLabel('Anomaly').selectOption('monotonic-reads');
  await figure.getByRole('checkbox').first().check();
  await setRange(figure.getByLabel('Timeline', { exact: true }), 1700);
  const { link } = await reopenElsewhere(page, await context.newPage(), figure);
  assert.ok(link.startsWith(sub.base + '#/replication-lag/'), link);
  assert.match(await figure.locator('.copy-link-status').textContent(), /did not allow copying; select the link below/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('out-of-range and unknown values in a link are clamped, and the page says what it changed', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/leaderless/try-it-the-quorum-calculator?sim=quorum&n=5&w=9&r=abc&latencies=warp');
  const quorum = page.getByRole('figure', { name: 'Interactive quorum calculator' });
  await quorum.waitFor();
  assert.equal(await quorum.getByLabel('N (replicas)').inputValue(), '5');
  assert.equal(await quorum.getByLabel('W (write quorum)').inputValue(), '5');
  const notices = await quorum.locator('.link-notice').allTextContents();
  assert.deepEqual(notices, [
    'W 9 is outside 1 to 5; using 5.',
    "R 'abc' is not a number; using 2.",
    "Unknown latencies 'warp'; showing the default.",
  ]);

  await page.goto(server.base + '#/leaders-and-followers/watch-a-write-flow-through-the-cluster?sim=leader-follower&mode=warp&lat=999.1&seed=7&do=0.0.write&do=1.2.fly&at=99999.99999');
  await page.reload();
  const lf = page.getByRole('figure', { name: 'Leader-follower replication' });
  await lf.waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.link-notice').length >= 3);
  const lfNotices = (await lf.locator('.link-notice').allTextContents()).join('\n');
  assert.match(lfNotices, /Unknown mode 'warp'/);
  assert.match(lfNotices, /latencies \(ms\) were outside 0 to 40/);
  assert.match(lfNotices, /Action 2 of the link \('1\.2\.fly'\) is not understood/);
  assert.equal(await lf.getByLabel('F1 latency').inputValue(), '40');
  assert.equal(await lf.getByLabel('Seed').inputValue(), '7');

  await page.goto(server.base + '#/the-problem?sim=no-such-thing');
  await page.reload();
  await page.getByRole('figure', { name: 'Single node vs replicated system' }).waitFor();
  assert.match(await page.locator('.preset-notice').first().textContent(), /simulation this book does not have, 'no-such-thing'/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('multi-leader and failover states, with the panels beside them, reopen exactly from their links', async () => {
  const { page, context, problems } = await openSharing();
  await page.goto(server.base + '#/multi-leader');
  let figure = page.getByRole('figure', { name: 'Multi-leader write conflict' });
  await figure.waitFor();
  await figure.getByLabel('Resolution', { exact: true }).selectOption('siblings');
  await figure.getByLabel('Topology', { exact: true }).selectOption('star');
  await setRange(figure.getByLabel('Leaders', { exact: true }), 4);
  await figure.getByRole('button', { name: 'Trigger Conflict' }).click();
  await figure.getByLabel('Leader', { exact: true }).selectOption('3');
  await setRange(figure.getByLabel('Timeline', { exact: true }), 640);
  await setRange(figure.getByLabel('A inserts X at position'), 3);
  await figure.getByLabel('Transform the incoming edit (OT)').check();
  const other = await context.newPage();
  await reopenElsewhere(page, other, figure);

  await page.goto(server.base + '#/node-outages');
  figure = page.getByRole('figure', { name: 'Failover timeline' });
  await figure.waitFor();
  await setRange(figure.getByLabel('Detection timeout'), 12);
  await figure.getByLabel('Fencing (STONITH): shoot the old leader when it returns').uncheck();
  await setRange(figure.getByLabel('Timeline', { exact: true }), 20000);
  await figure.getByRole('button', { name: 'Restart old leader' }).click();
  await setRange(figure.getByLabel('Timeline', { exact: true }), 26000);
  await reopenElsewhere(page, other, figure);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the log-format steps and the version-vector walk reopen exactly from their links', async () => {
  const { page, context, problems } = await openSharing();
  const other = await context.newPage();
  await page.bringToFront();
  await page.goto(server.base + '#/replication-logs');
  let figure = page.getByRole('figure', { name: 'Replication log methods compared' });
  await figure.waitFor();
  await figure.getByRole('button', { name: 'Run on the leader' }).click();
  await figure.getByLabel('Operation').selectOption('insert');
  await figure.getByRole('button', { name: 'Run on the leader' }).click();
  await figure.getByRole('button', { name: 'Run on the leader' }).click();
  await figure.getByRole('button', { name: 'Undo step' }).click();
  await setRange(figure.getByLabel("Follower's clock, relative to the leader"), -1300);
  const { reopened } = await reopenElsewhere(page, other, figure);
  assert.equal(await reopened.getByRole('button', { name: 'Redo step' }).isEnabled(), true, 'the undone step can be redone');

  await page.goto(server.base + '#/concurrent-writes');
  figure = page.getByRole('figure', { name: 'Version vector simulation' });
  await figure.waitFor();
  await figure.getByLabel('When Y removes the butter').selectOption('erase');
  for (let i = 0; i < 5; i++) await figure.getByRole('button', { name: 'Next Step' }).click();
  await reopenElsewhere(page, other, figure);
  assert.deepEqual(problems, []);
  await context.close();
});
