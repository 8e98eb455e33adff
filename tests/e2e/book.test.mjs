// End-to-end tests of the built book (dist/) in headless Chromium: what a reader does, as a reader does it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const narration = (page) => page.locator('figure.sim [role=status]').textContent();

test('home lists the eleven chapters and opens chapter 0', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base);
  await page.locator('.chapter-card').first().waitFor();
  assert.equal(await page.locator('.chapter-card').count(), 11);
  assert.equal(await page.title(), 'Replication — an interactive course');
  await page.locator('.chapter-card a').first().click();
  await page.locator('figure.sim').waitFor();
  assert.equal(await page.title(), 'The Problem — Replication');
  assert.match(page.url(), /#\/the-problem$/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('chapter 0: Kill Primary is narrated, step back undoes it, the scrubber moves time', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/the-problem');
  const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
  await figure.waitFor();
  const kill = figure.getByRole('button', { name: 'Kill Primary' });
  await kill.click();
  assert.match(await narration(page), /n1, the primary, crashes/);
  assert.equal(await kill.isDisabled(), true);
  await figure.getByRole('button', { name: 'Step back' }).click();
  assert.equal(await kill.isDisabled(), false, 'the crash is undone');
  assert.doesNotMatch(await narration(page), /crashes/);

  // Reset forgets the reader's actions (stepping back only rewinds: playing forward would redo the crash).
  await figure.getByRole('button', { name: 'Reset' }).click();
  // Scrub forward to 6 s, then kill: requests start failing while the single node is down.
  const timeline = figure.getByLabel('Timeline');
  await timeline.evaluate((el) => { el.value = '6000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  assert.match(await figure.locator('.clock').textContent(), /^6\.00 s/);
  await kill.click();
  await timeline.evaluate((el) => { el.value = '9000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const failed = Number(await figure.locator('.sim-metrics dd').nth(1).textContent());
  assert.ok(failed >= 15, `requests fail while the only node is down (${failed})`);
  assert.match(await figure.locator('.sim-metrics dd').nth(4).textContent(), /^3\.00 s/, 'nothing was available for 3 s');
  // Scrub back before the crash: the run is exactly as it was.
  await timeline.evaluate((el) => { el.value = '2000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  assert.equal(await figure.locator('.sim-metrics dd').nth(1).textContent(), '0');
  assert.deepEqual(problems, []);
  await context.close();
});

test('chapter 0: with replicas the service survives the loss of the primary', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base + '#/the-problem');
  const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
  await figure.getByRole('button', { name: /Add Replica/ }).click();
  await figure.getByRole('button', { name: /Add Replica/ }).click();
  const timeline = figure.getByLabel('Timeline');
  await timeline.evaluate((el) => { el.value = '3000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await figure.getByRole('button', { name: 'Kill Primary' }).click();
  await timeline.evaluate((el) => { el.value = '8000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const nothing = await figure.locator('.sim-metrics dd').nth(4).textContent();
  assert.equal(nothing, '0.00 s', 'reads never stopped');
  await figure.getByRole('button', { name: 'Table view' }).click();
  const roles = await figure.locator('.state-table').first().locator('tbody tr td:nth-child(2)').allTextContents();
  assert.equal(roles.filter((r) => r === 'primary').length, 1, `one new primary: ${roles}`);
  await context.close();
});

test('keyboard: space plays and pauses only while the figure has focus', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base + '#/the-problem');
  const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
  await figure.focus();
  await page.keyboard.press('Space');
  await figure.getByRole('button', { name: 'Pause' }).waitFor();
  await page.waitForTimeout(400);
  await page.keyboard.press('Space');
  await figure.getByRole('button', { name: 'Play' }).waitFor();
  const clock = await figure.locator('.clock').textContent();
  assert.doesNotMatch(clock, /^0\.00 s/, 'time moved while playing');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  // Focus outside the figure: space scrolls the page and does not start the simulation.
  await page.locator('h1').click();
  await page.keyboard.press('Space');
  await page.waitForTimeout(200);
  assert.equal(await figure.getByRole('button', { name: 'Play' }).count(), 1);
  await context.close();
});

test('a deep link to a section survives a reload', async () => {
  const { page, context, problems } = await openPage(browser, { viewport: { width: 1280, height: 800 } });
  await page.goto(server.base + '#/the-problem');
  await page.locator('figure.sim').waitFor();
  const id = await page.locator('.chapter h2').nth(3).getAttribute('id');
  await page.goto(server.base + `#/the-problem/${id}`);
  await page.reload();
  // The chapter's body arrives a block per task and the page goes to the section once all of it is in, which is
  // also when the simulations module is asked for: wait for the simulation, not for the heading (it can be in
  // the start-up script's copy of the opening, before the app has the page).
  await page.locator('figure.sim').waitFor();
  await page.waitForTimeout(300);
  const top = await page.locator(`h2#${id}`).evaluate((h) => h.getBoundingClientRect().top);
  assert.ok(top >= 0 && top < 400, `the section is scrolled into view (top ${top})`);
  assert.equal(await page.title(), 'The Problem — Replication');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a checkpoint checks a numeric answer, and progress survives a reload', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base + '#/the-problem');
  const checkpoint = page.locator('.checkpoint', { hasText: 'Interview warm-up' });
  await checkpoint.getByLabel(/Your answer/).fill('150,000');
  await checkpoint.getByRole('button', { name: 'Check my answer' }).click();
  await checkpoint.getByText('✓ Right.').waitFor();
  assert.ok(await checkpoint.locator('.model-answer').isVisible());
  await page.goto(server.base + '#/');
  await page.reload();
  const card = page.locator('.chapter-card').first();
  await card.waitFor();
  assert.match(await card.textContent(), /Opened · 1 of \d+ checkpoints answered/);
  await context.close();
});

test('an unknown route shows a message and a way home', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base + '#/no-such-chapter');
  await page.getByText('This page is not in the book').waitFor();
  await page.getByRole('link', { name: 'Go to the table of contents' }).click();
  await page.locator('.chapter-card').first().waitFor();
  await context.close();
});

test('on a phone the pages do not scroll sideways and the contents open from a button', async () => {
  const { page, context } = await openPage(browser, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  for (const route of ['#/', '#/the-problem']) {
    await page.goto(server.base + route);
    await page.waitForTimeout(500);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${route} is ${width}px wide`);
  }
  const toggle = page.getByRole('button', { name: 'Contents' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  await page.getByRole('navigation', { name: 'Chapters' }).getByRole('link', { name: /Leaders and Followers/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Leaders and Followers' }).waitFor();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false', 'following a link closes the contents');
  await context.close();
});

test('with prefers-reduced-motion the run advances in discrete steps', async () => {
  const clockValues = async (reducedMotion) => {
    const { page, context } = await openPage(browser, { reducedMotion });
    await page.goto(server.base + '#/the-problem');
    const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
    await figure.getByRole('button', { name: 'Play' }).click();
    const seen = new Set();
    for (let i = 0; i < 20; i += 1) {
      seen.add(await figure.locator('.clock').textContent());
      await page.waitForTimeout(100);
    }
    await context.close();
    return seen.size;
  };
  const smooth = await clockValues('no-preference');
  const stepped = await clockValues('reduce');
  assert.ok(smooth >= 10, `animated: the clock changes every frame (${smooth} values in 2 s)`);
  assert.ok(stepped <= 5, `reduced motion: a few discrete jumps (${stepped} values in 2 s)`);
});
