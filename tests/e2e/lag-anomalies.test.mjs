// End-to-end tests of the chapter 4 simulation, "Replication lag anomalies": driven by its labels, checked against
// the course's stories and numbers (Alice's comment at LSN 3 missing on her reload 100 ms later; Bob's count
// 10 → 9 → 10; Carol's "It's $42." before "How much is the item?"), the checker's findings in the narration, the
// same seed re-run with each fix, and the chapter's "How much lag is dangerous?" table beside the lag slider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const TITLE = 'Replication lag anomalies';
const STOPS = [0, 20, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 20000, 30000, 60000];
const setRange = (locator, value) =>
  locator.evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, value);

async function open(options = {}) {
  const opened = await openPage(browser, options);
  await opened.page.goto(server.base + '#/replication-lag');
  const figure = opened.page.getByRole('figure', { name: TITLE });
  await figure.waitFor();
  return { ...opened, figure };
}

const narration = (figure) => figure.locator('[role=status]').textContent();
const seek = (figure, ms) => setRange(figure.getByLabel('Timeline', { exact: true }), ms);
const setLag = (figure, ms) => setRange(figure.getByLabel('Replication lag', { exact: true }), STOPS.indexOf(ms));
const outcomes = (figure) => figure.locator('.lag-outcomes li').allTextContents();
const currentRow = (figure) => figure.locator('.lag-scale li[aria-current="true"]').textContent();
/** Column `n` (from 1) of the table whose caption starts with `caption`. */
const column = (figure, caption, n) =>
  figure.locator('.state-table', { has: figure.page().locator('caption', { hasText: new RegExp(`^${caption}`) }) })
    .locator(`tbody tr > :nth-child(${n})`).allTextContents();

test('S4: Alice\'s comment vanishes on her reload; LSN tracking and the leader window bring it back', async () => {
  const { context, problems, figure } = await open();
  assert.equal(await figure.getByLabel('Anomaly', { exact: true }).inputValue(), 'read-your-writes');
  assert.match(await narration(figure),
    /^t=0\.000 s: The database has one leader and two followers; follower lag: follower 1 300 ms, follower 2 500 ms\. No fix is on\.$/);
  // The chapter's table beside the slider: 300 ms is "100 ms – 1 s", read-your-writes failures in fast UIs.
  assert.equal(await figure.getByLabel('Replication lag', { exact: true }).getAttribute('aria-valuetext'), '300 ms');
  assert.equal(await figure.locator('.lag-scale li').count(), 5);
  assert.match(await currentRow(figure), /^100 ms – 1 s: follower under load, minor network trouble; read-your-writes failures in fast UIs\. Action: implement sticky sessions\. ← the lag now \(300 ms\)$/);
  assert.equal(await figure.locator('.lag-scale li[aria-current] strong').count(), 1, 'the current row is bold, not only coloured');

  // The reload 100 ms after posting reaches follower 1 at LSN 2; the checker finds the violation.
  await seek(figure, 120);
  assert.match(await narration(figure),
    /^t=0\.120 s: Alice's read #2 of post:7\/comment:alice at follower 1 returns nothing, although Alice's own write #1 \("Great write-up!", LSN 3\) was acknowledged at t=0\.020 s, before the read began at t=0\.100 s\.$/);
  assert.deepEqual(await outcomes(figure), [
    'Without a fix: Alice sees no comment → her comment; the checker finds 1 read-your-writes violation. (shown in the figure)',
    'With read from the leader after a write: Alice sees her comment → her comment; the checker finds no read-your-writes violation.',
    'With LSN-tracked reads: Alice sees her comment → her comment; the checker finds no read-your-writes violation.',
  ]);
  await figure.getByRole('button', { name: 'Table view' }).click();
  assert.deepEqual(await column(figure, 'What the users saw', 5), ['"Great write-up!"', 'nothing']);
  assert.deepEqual(await column(figure, 'What the users saw', 10), ['read-your-writes violation', 'read-your-writes violation']);
  assert.deepEqual(await column(figure, 'Nodes', 2), ['LSN 3', 'LSN 2', 'LSN 2']);

  // LSN-tracked reads: the same seed re-run, at the same moment; both followers are behind LSN 3, so the leader answers.
  await figure.getByLabel('Fix: LSN-tracked reads').check();
  assert.match(await figure.locator('.clock').textContent(), /^0\.12 s/);
  assert.match(await narration(figure), /^t=0\.120 s: Alice sees post:7\/comment:alice = "Great write-up!" from the leader \(at LSN 3, up to date\)\.$/);
  assert.match((await outcomes(figure))[2], /\(shown in the figure\)$/);
  assert.deepEqual(await column(figure, 'What the users saw', 6), ['the leader', 'the leader']);
  assert.equal(await figure.locator('.state-table', { hasText: 'The checker\'s findings' }).locator('tbody tr').count(), 0);

  // A lag spike past the 1000 ms window: the window alone lets the comment vanish again; LSN tracking adapts.
  await figure.getByLabel('Fix: LSN-tracked reads').uncheck();
  await setLag(figure, 2000);
  assert.match(await currentRow(figure), /^1 – 10 s: .*route time-sensitive reads to the leader\. ← the lag now \(2000 ms\)$/);
  assert.match(await figure.locator('.sim-panel .sim-note').first().textContent(), /follower 1 2000 ms \(± 667\), follower 2 3333 ms \(± 667\)/);
  const spiked = await outcomes(figure);
  assert.equal(spiked[1], 'With read from the leader after a write: Alice sees her comment → no comment; the checker finds 1 read-your-writes violation.');
  assert.equal(spiked[2], 'With LSN-tracked reads: Alice sees her comment → her comment; the checker finds no read-your-writes violation.');
  // Under 100 ms, nobody notices.
  await setLag(figure, 50);
  assert.match(await currentRow(figure), /^Under 100 ms: /);
  assert.match((await outcomes(figure))[0], /Alice sees her comment → her comment; the checker finds no read-your-writes violation\./);

  // Alice reloads once more at 2 s, after everything has caught up.
  await setLag(figure, 300);
  await seek(figure, 2000);
  await figure.getByRole('button', { name: 'Alice reloads the page' }).click();
  assert.match(await narration(figure), /^t=2\.000 s: Alice loads post:7\/comment:alice; the read goes to follower 1\.$/);
  await seek(figure, 2100);
  assert.match(await narration(figure), /^t=2\.020 s: Alice sees post:7\/comment:alice = "Great write-up!" from follower 1 \(at LSN 3, up to date\)\.$/);
  await seek(figure, 4000);
  assert.equal(await figure.getByRole('button', { name: 'Alice reloads the page' }).isDisabled(), true, 'no time left for an answer');
  assert.deepEqual(problems, []);
  await context.close();
});

test('S4: Bob\'s count goes 10 → 9 → 10, stepped; sticky sessions keep him on one follower', async () => {
  const { context, problems, figure } = await open();
  await figure.getByLabel('Anomaly', { exact: true }).selectOption('monotonic-reads');
  assert.equal(await figure.getByLabel('Replication lag', { exact: true }).getAttribute('aria-valuetext'), '3000 ms');
  assert.match(await currentRow(figure), /^1 – 10 s: /);
  const step = figure.getByRole('button', { name: 'Step', exact: true });
  const seen = [];
  while (!/time goes backwards/.test(await narration(figure))) {
    await step.click();
    seen.push(await narration(figure));
    assert.ok(seen.length < 30, `the anomaly comes within 30 steps: ${seen.join('\n')}`);
  }
  assert.ok(seen.some((t) => /^t=0\.520 s: Bob sees post:7\/comment-count = "10" from follower 1 \(at LSN 2, up to date\)\.$/.test(t)), seen.join('\n'));
  assert.match(seen.at(-1),
    /^t=1\.020 s: Bob's read #3 of post:7\/comment-count at follower 2 returns "9", older than the "10" that Bob's read #2 at follower 1 returned at t=0\.520 s: time goes backwards\.$/);
  await figure.getByRole('button', { name: 'Table view' }).click();
  assert.deepEqual(await column(figure, 'Nodes', 5), ['post:7/comment-count = "10"', 'post:7/comment-count = "10"', 'post:7/comment-count = "9"']);
  // One step back: Bob has not seen 9 yet, and the checker has nothing.
  await figure.getByRole('button', { name: 'Step back' }).click();
  assert.doesNotMatch(await narration(figure), /time goes backwards/);
  await seek(figure, 4000);
  assert.deepEqual(await column(figure, 'What the users saw', 5), ['"10"', '"10"', '"9"', '"10"']);
  assert.deepEqual(await outcomes(figure), [
    'Without a fix: Bob sees 10 → 9 → 10; the checker finds 1 monotonic-reads violation. (shown in the figure)',
    'With sticky sessions: Bob sees 10 → 10 → 10; the checker finds no monotonic-reads violation.',
  ]);
  await figure.getByLabel('Fix: sticky sessions').check();
  assert.deepEqual(await column(figure, 'What the users saw', 6), ['the leader', 'follower 1', 'follower 1', 'follower 1']);
  assert.deepEqual(await column(figure, 'Users', 4), ['follower 1', 'follower 2']);
  // With follower 2 only 200 ms behind, Bob never sees the count go back, fix or not.
  await figure.getByLabel('Fix: sticky sessions').uncheck();
  await setLag(figure, 200);
  assert.match(await currentRow(figure), /^100 ms – 1 s: /);
  assert.equal((await outcomes(figure))[0], 'Without a fix: Bob sees 10 → 10 → 10; the checker finds no monotonic-reads violation. (shown in the figure)');
  assert.deepEqual(problems, []);
  await context.close();
});

test('S4: Carol sees the answer before the question, on a phone; one partition per conversation fixes it', async () => {
  const { page, context, problems, figure } = await open({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await figure.getByLabel('Anomaly', { exact: true }).selectOption('consistent-prefix');
  assert.match(await narration(figure), /^t=0\.000 s: The database has 2 partitions, each with a leader and two followers; follower lag: follower A1 50 ms, follower A2 2000 ms, follower B1 50 ms, follower B2 50 ms\. No fix is on\.$/);
  // Keyboard: the figure itself has focus, → steps.
  await figure.focus();
  await page.keyboard.press('ArrowRight');
  assert.match(await narration(figure), /^t=0\.000 s: Alice writes chat:1\/question = "How much is the item\?"; the write goes to leader A\.$/);
  await seek(figure, 520);
  assert.match(await narration(figure),
    /^t=0\.520 s: Carol's read #5 of chat:1\/answer at follower B1 sees "It's \$42\." \(write #3 by Bob\), but Carol's read #4 of chat:1\/question at follower A2 at the same moment returns nothing instead of "How much is the item\?" \(write #1 by Alice\), which it depends on: the effect appears before its cause\.$/);
  assert.deepEqual(await outcomes(figure), [
    'Without a fix: Carol sees the answer without the question → question and answer; the checker finds 1 consistent-prefix violation. (shown in the figure)',
    'With causally related writes on one partition: Carol sees neither message → question and answer; the checker finds no consistent-prefix violation.',
  ]);
  await figure.getByLabel('Fix: causally related writes on one partition').check();
  await figure.getByRole('button', { name: 'Table view' }).click();
  // Bob's answer now goes to leader A, after the question: partition B stays empty.
  assert.deepEqual(await column(figure, 'What the users saw', 6), ['leader A', 'follower A1', 'leader A', 'follower A2', 'follower A2']);
  assert.deepEqual(await column(figure, 'Nodes', 3), ['0', '0', '2', '0', '0', '0'], 'follower A2 lacks both, in order');
  assert.match(await figure.locator('.lag-outcomes li').nth(1).textContent(), /\(shown in the figure\)$/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width}px wide`);
  assert.deepEqual(problems, []);
  await context.close();
});
