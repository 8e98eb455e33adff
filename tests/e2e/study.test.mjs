// End-to-end tests of the study tools: flashcard review, checkpoints, the learn path, and saved progress
// (reloads, export and import, reset, and storage that is corrupt, old, disabled or full).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { serve, launch, openPage, settled } from './harness.mjs';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const KEY = 'replication-book/progress/v2';
const stored = (page) => page.evaluate((key) => JSON.parse(localStorage.getItem(key)), KEY);
const isoDay = (offsetDays) => {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
const countOf = async (page, name) =>
  Number(await page.locator('.review-counts div', { hasText: name }).locator('dd').textContent());

test('review: the keyboard flips and grades, and graded cards come back later', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/review');
  await page.getByLabel('Cards from').selectOption('the-problem');
  const region = page.locator('.review-region');
  const total = await countOf(page, 'New');
  assert.ok(total >= 3, `chapter 0 has cards (${total})`);
  assert.equal(await countOf(page, 'Due'), 0);

  // Keys do nothing while focus is elsewhere.
  await page.getByRole('heading', { level: 1, name: 'Review flashcards' }).click();
  await page.keyboard.press('Space');
  assert.equal(await page.locator('.flashcard-back').count(), 0);

  await region.focus();
  // Grading before the answer is shown is refused, with a hint.
  await page.keyboard.press('3');
  assert.match(await page.locator('.review-status').textContent(), /Show the answer first/);
  for (let i = 0; i < total; i += 1) {
    const front = await page.locator('.flashcard-front').textContent();
    await page.keyboard.press('Space');
    await page.locator('.flashcard-back').waitFor();
    await page.keyboard.press(i === 0 ? '1' : '3');
    assert.match(await page.locator('.review-status').textContent(), /you will see this card again tomorrow/);
    if (i + 1 < total) {
      assert.notEqual(await page.locator('.flashcard-front').textContent(), front, 'the next card is shown');
    }
  }
  assert.match(await page.locator('.review-done').textContent(),
    /Nothing is due in chapter 0 today\. The next card is due tomorrow/);
  assert.equal(await countOf(page, 'New'), 0);
  assert.equal(await countOf(page, 'Learned'), total - 1, 'Again leaves one card not learned');

  // The schedule is saved: SM-2's first interval is one day whatever the grade.
  const saved = await stored(page);
  assert.equal(saved.version, 2);
  const states = Object.values(saved.cards);
  assert.equal(states.length, total);
  assert.ok(states.every((c) => c.due === isoDay(1) && c.reviewed === isoDay(0)), JSON.stringify(states));
  await page.reload();
  await page.getByLabel('Cards from').selectOption('the-problem');
  await page.locator('.review-done').waitFor();
  assert.equal(await countOf(page, 'Learned'), total - 1, 'the schedule survives a reload');
  assert.deepEqual(problems, []);
  await context.close();
});

test('review: a card due yesterday is due today, and Easy pushes it days ahead', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base);
  // Once the app has started (and saved what it loaded), so the record written next is the one it reads.
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.evaluate(([key, yesterday, before]) => localStorage.setItem(key, JSON.stringify({
    version: 2,
    cards: { 'outage-budget': { repetitions: 1, interval_days: 1, ease: 2.5, due: yesterday, reviewed: before } },
  })), [KEY, isoDay(-1), isoDay(-2)]);
  // A hash change alone would keep the page (and the progress it loaded): reload to read the stored record.
  await page.goto(server.base + '#/review');
  await page.reload();
  await page.getByLabel('Cards from').selectOption('the-problem');
  assert.equal(await countOf(page, 'Due'), 1);
  assert.match(await page.locator('.flashcard-front').textContent(), /99\.99%/, 'the due card comes first');
  const region = page.locator('.review-region');
  await region.focus();
  await page.keyboard.press('Space');
  const easy = page.getByRole('button', { name: /Easy/ });
  assert.match(await easy.textContent(), /6 days/, 'the second success schedules six days out');
  await page.keyboard.press('4');
  assert.match(await page.locator('.review-status').textContent(), /Easy: you will see this card again in 6 days/);
  const card = (await stored(page)).cards['outage-budget'];
  assert.equal(card.interval_days, 6);
  assert.equal(card.due, isoDay(6));
  assert.ok(Math.abs(card.ease - 2.6) < 1e-9, `Easy adds 0.1 to the ease (${card.ease})`);
  await context.close();
});

test('a checkpoint: answer first, reveal the model answer, grade yourself, and it survives a reload', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/leaderless');
  const quorum = page.locator('.checkpoint', { hasText: 'what is the smallest R' });
  await quorum.getByLabel(/Your answer/).fill('3');
  await quorum.getByRole('button', { name: 'Check my answer' }).click();
  await quorum.getByText(/Not quite/).waitFor();
  assert.match(await quorum.locator('.model-answer').textContent(), /R = 4/);

  await page.goto(server.base + '#/the-problem');
  const free = page.locator('.checkpoint', { hasText: 'same data center' }).first();
  await free.waitFor();
  assert.equal(await free.locator('.model-answer').count(), 0, 'the model answer waits for the reader');
  await free.locator('textarea').fill('Backups in the same building burn with it; agree RPO and RTO.');
  await free.getByRole('button', { name: 'Reveal the model answer' }).click();
  await free.locator('.model-answer').waitFor();
  await free.getByRole('button', { name: 'I had it' }).click();
  await free.getByText('answered ✓').waitFor();

  await page.goto(server.base + '#/');
  await page.reload();
  const cards = page.locator('.chapter-card');
  await cards.first().waitFor();
  assert.match(await cards.nth(0).textContent(), /1 of \d+ checkpoints answered/);
  assert.match(await cards.nth(6).textContent(), /1 of \d+ checkpoints answered/);
  assert.match(await page.locator('.stat', { hasText: 'Checkpoints answered' }).textContent(), /2 of \d+/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('progress: export, reset and import round-trip; a bad file changes nothing', async () => {
  const { page, context, problems } = await openPage(browser, { acceptDownloads: true });
  await page.goto(server.base + '#/leaders-and-followers');
  await page.locator('.checkpoint').first().waitFor();
  await page.goto(server.base + '#/review');
  await page.locator('.review-region').focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('3');
  await page.goto(server.base + '#/');
  const opened = page.locator('.stat', { hasText: 'Chapters opened' });
  await opened.waitFor();
  assert.match(await opened.textContent(), /1 of 11/);
  const before = await stored(page);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export progress' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^replication-progress-\d{4}-\d{2}-\d{2}\.json$/);
  const file = await download.path();
  const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(exported.format, 'replication-book-progress');
  assert.deepEqual(exported.cards, before.cards);

  await page.getByRole('button', { name: 'Reset all progress…' }).click();
  await page.getByRole('button', { name: 'Yes, reset all' }).click();
  await page.getByText('All progress was reset.').waitFor();
  assert.match(await opened.textContent(), /0 of 11/);
  assert.deepEqual((await stored(page)).cards, {});

  // A file that is not an export is refused and nothing changes.
  await page.getByLabel('Import a progress file:').setInputFiles({
    name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": "world"}'),
  });
  await page.getByText(/not a progress export.*Nothing was changed/).waitFor();
  assert.match(await opened.textContent(), /0 of 11/);

  await page.getByLabel('Import a progress file:').setInputFiles(file);
  await page.getByText(/Progress imported from/).waitFor();
  assert.match(await opened.textContent(), /1 of 11/);
  const after = await stored(page);
  assert.deepEqual(after.cards, before.cards);
  assert.deepEqual(after.chapters, before.chapters);

  // Resetting one chapter forgets only that chapter.
  const card = page.locator('.chapter-card').nth(1);
  await card.getByRole('button', { name: /Reset progress in Leaders and Followers/ }).click();
  await card.getByRole('button', { name: 'Yes, reset' }).click();
  assert.match(await opened.textContent(), /0 of 11/);
  assert.equal((await stored(page)).chapters['leaders-and-followers'], undefined);
  assert.deepEqual(problems, []);
  await context.close();
});

test('corrupt storage loads with a notice, keeps the original, and the book still reads', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base);
  await page.evaluate((key) => localStorage.setItem(key, '{"version": 2, "chapters": {"the-problem": {"visited": tru'), KEY);
  await page.reload();
  const notice = page.getByRole('alert').filter({ hasText: 'could not be read' });
  await notice.waitFor();
  assert.equal(await page.locator('.chapter-card').count(), 11);
  assert.equal(await page.evaluate(() => localStorage.getItem('replication-book/progress/unreadable')),
    '{"version": 2, "chapters": {"the-problem": {"visited": tru');
  await page.locator('.chapter-card a').first().click();
  await page.getByRole('heading', { level: 1, name: 'The Problem' }).waitFor();
  // Reading on writes a fresh, valid record.
  assert.equal((await stored(page)).chapters['the-problem'].visited, true);
  await context.close();
});

test('progress saved by the first schema is migrated', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base);
  await page.evaluate(() => {
    localStorage.clear();
    localStorage.setItem('replication-book/progress/v1', JSON.stringify({
      chapters: { 'node-outages': { visited: true, checkpoints: { 'node-outages-wrong-follower': 'Right' }, simulations: [] } },
    }));
  });
  await page.reload();
  const card = page.locator('.chapter-card').nth(2);
  await card.waitFor();
  assert.match(await card.textContent(), /Opened · 1 of \d+ checkpoints answered/);
  assert.equal(await page.getByRole('alert').count(), 0, 'a migration needs no notice');
  const migrated = await stored(page);
  assert.equal(migrated.version, 2);
  assert.equal(migrated.chapters['node-outages'].checkpoints['node-outages-wrong-follower'], 'Right');
  await context.close();
});

test('storage that is disabled or full never breaks the book', async () => {
  {
    const { page, context, problems } = await openPage(browser);
    await page.addInitScript(() => {
      Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });
    });
    await page.goto(server.base);
    await page.getByRole('alert').filter({ hasText: 'does not allow the book to save progress' }).waitFor();
    await page.goto(server.base + '#/review');
    await page.locator('.review-region').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('3');
    assert.match(await page.locator('.review-status').textContent(), /Good/);
    assert.deepEqual(problems, []);
    await context.close();
  }
  {
    const { page, context } = await openPage(browser);
    await page.addInitScript(() => {
      Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
    });
    await page.goto(server.base + '#/the-problem');
    await page.getByRole('heading', { level: 1, name: 'The Problem' }).waitFor();
    await page.goto(server.base + '#/');
    await page.getByRole('alert').filter({ hasText: 'storage may be full' }).waitFor();
    assert.match(await page.locator('.stat', { hasText: 'Chapters opened' }).textContent(), /1 of 11/,
      'progress is kept in memory');
    await context.close();
  }
});

test('learn from zero: think first, reveal the reasoning, step through a problem', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base);
  await page.getByRole('link', { name: /New to replication\? Start here/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Learn replication from zero' }).waitFor();
  assert.equal(await page.locator('.learn-question').count(), 7);
  assert.equal(await page.locator('.learn-problem').count(), 2);

  const first = page.locator('.learn-question').first();
  await first.getByLabel(/Your thinking/).fill('Disk dies, reads saturate, users are far away.');
  const reveal = first.getByRole('button', { name: 'Reveal the reasoning' });
  assert.equal(await reveal.getAttribute('aria-expanded'), 'false');
  assert.equal(await first.locator('.learn-reasoning').isVisible(), false);
  await reveal.click();
  assert.match(await first.locator('.learn-reasoning').textContent(), /more write capacity/);

  const problem = page.locator('.learn-problem').first();
  const steps = await problem.locator('.learn-step').count();
  assert.equal(steps, 1, 'only the first step question is shown');
  for (let i = 1; i <= 4; i += 1) {
    await problem.getByRole('button', { name: `Show step ${i}` }).click();
  }
  await problem.getByText('That is the whole solution.').waitFor();
  assert.match(await problem.locator('.learn-step').nth(3).textContent(), /read-your-writes/);
  assert.match(await page.locator('.learn-progress').textContent(), /worked through 5 of \d+ parts/);

  // Each step links to the chapter section that shows it.
  await problem.locator('.learn-step').nth(3).getByRole('link', { name: /Anomaly 1/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Replication Lag Problems' }).waitFor();
  assert.match(page.url(), /#\/replication-lag\/anomaly-1-reading-your-own-writes$/);
  await page.goto(server.base + '#/');
  assert.match(await page.locator('.stat', { hasText: 'Learn path' }).textContent(), /5 of \d+/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('axe finds no violations on the review and learn pages, opened up, light and dark', async () => {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    const { page, context } = await openPage(browser, { colorScheme });
    await page.goto(server.base + '#/review');
    // Space only flips a card that has loaded (the deck's text is fetched, and may queue behind the offline copy).
    await page.getByRole('button', { name: /Show the answer/ }).waitFor();
    await page.locator('.review-region').focus();
    await page.keyboard.press('Space');
    await page.locator('.grade-buttons').waitFor();
    // Evaluated through the DevTools protocol: a script element would be refused by the page's CSP.
    await page.evaluate(AXE);
    const check = () => page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length}× ${v.nodes[0]?.target?.join(' ')} — ${v.help}`);
    });
    for (const v of await check()) found.push(`${colorScheme} review: ${v}`);
    await page.goto(server.base + '#/learn');
    await page.locator('.learn-question').first().getByRole('button', { name: 'Reveal the reasoning' }).click();
    await page.locator('.learn-problem').first().getByRole('button', { name: 'Show step 1' }).click();
    for (const v of await check()) found.push(`${colorScheme} learn: ${v}`);
    await context.close();
  }
  assert.deepEqual(found, []);
});

test('what the simulations module and the book record, each in its own copy, both survive', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/the-problem');
  const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
  await figure.getByRole('button', { name: 'Kill Primary' }).click();
  // The book's copy of progress has not seen the simulation; its next change must not erase it.
  const checkpoint = page.locator('.checkpoint', { hasText: 'Interview warm-up' });
  await checkpoint.getByLabel(/Your answer/).fill('150K');
  await checkpoint.getByRole('button', { name: 'Check my answer' }).click();
  await checkpoint.getByText('✓ Right.').waitFor();
  const chapter = (await stored(page)).chapters['the-problem'];
  assert.deepEqual(chapter.simulations, ['single-node']);
  assert.equal(chapter.checkpoints['the-problem-warmup-read-throughput'], 'Right');
  await page.goto(server.base + '#/');
  const card = page.locator('.chapter-card').first();
  await card.waitFor();
  assert.match(await card.textContent(), /1 of \d+ checkpoints answered · 1 of 1 simulations tried/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('"Show me" sets the simulation to the checkpoint\'s numbers and brings it into view', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/leaderless');
  const figure = page.getByRole('figure', { name: 'Interactive quorum calculator' });
  await figure.waitFor();
  const quorum = page.locator('.checkpoint', { hasText: 'what is the smallest R' });
  await quorum.getByLabel(/Your answer/).fill('4');
  await quorum.getByRole('button', { name: 'Check my answer' }).click();
  await quorum.getByText('✓ Right.').waitFor();
  await quorum.getByRole('button', { name: 'Show me in the simulation' }).click();
  await quorum.getByText(/The simulation is set: N \(replicas\): 5, W \(write quorum\): 2, R \(read quorum\): 4/).waitFor();
  assert.match(await figure.locator('[role=status]').textContent(), /N=5, W=2, R=4/);
  assert.equal(await figure.evaluate((f) => f === document.activeElement), true, 'the simulation has focus');

  await page.goto(server.base + '#/replication-lag');
  const lag = page.getByRole('figure', { name: /lag anomalies/i });
  await lag.waitFor();
  const anomaly = page.locator('.checkpoint', { hasText: 'Name the anomaly' });
  await anomaly.getByLabel('Monotonic reads violation').check();
  await anomaly.getByRole('button', { name: 'Check my answer' }).click();
  await anomaly.getByRole('button', { name: 'Show me in the simulation' }).click();
  await anomaly.getByText(/The simulation is set: Anomaly: monotonic-reads/).waitFor();
  assert.equal(await lag.getByLabel('Anomaly').inputValue(), 'monotonic-reads');
  assert.deepEqual(problems, []);
  await context.close();
});

test('every "Show me" in the book finds the controls it names', async () => {
  const summary = fs.readFileSync(new URL('../../chapters/SUMMARY.md', import.meta.url), 'utf8');
  const slugs = [...summary.matchAll(/^- \[[^\]]+\]\(([a-z0-9-]+)\.md\)/gm)].map((m) => m[1]);
  const { page, context, problems } = await openPage(browser);
  let found = 0;
  for (const slug of slugs) {
    await page.goto(server.base + `#/${slug}`);
    await page.locator('.chapter-nav').waitFor();
    await settled(page);
    // Open every model answer: "Show me" sits beside it.
    // ("Just show me" leaves once clicked; "Reveal the model answer" stays.)
    const justShow = page.getByRole('button', { name: 'Just show me' });
    while (await justShow.count() > 0) await justShow.first().click();
    for (const button of await page.getByRole('button', { name: 'Reveal the model answer' }).all()) await button.click();
    for (const show of await page.getByRole('button', { name: 'Show me in the simulation' }).all()) {
      await show.click();
      const checkpoint = page.locator('.checkpoint', { has: show });
      await checkpoint.locator('.show-me .verdict').waitFor();
      assert.match(await checkpoint.locator('.show-me .verdict').textContent(), /^The simulation is set: /, slug);
      found += 1;
    }
  }
  assert.ok(found >= 2, `${found} checkpoints have a "Show me"`);
  assert.deepEqual(problems, []);
  await context.close();
});
