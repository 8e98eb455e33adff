// The start-up script's hand-over (crates/content/src/csp.rs, src/boot.rs): before the wasm runs, a chapter's
// opening is on screen in the app's own layout; when the app takes over, the text stays exactly where it was, the
// chapter's file is fetched once, and the reader's stored theme was in effect from the start.
import fs from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** A page whose book wasm is held back until `release()`: the moment a slow connection stretches out. */
async function openHeld(options) {
  const opened = await openPage(browser, options);
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  await opened.page.route('**/replication-book-*_bg.wasm', async (route) => { await gate; await route.continue(); });
  const chapterFetches = [];
  opened.page.on('request', (r) => { if (r.url().includes('/chapters/')) chapterFetches.push(r.url()); });
  await opened.page.addInitScript(() => {
    window.layoutShift = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  return { ...opened, release, chapterFetches };
}

/** Where the visible chapter's title, description and first paragraph are. */
const positions = (page) => page.evaluate(() => {
  const article = [...document.querySelectorAll('article.chapter')].find((a) => a.offsetParent !== null);
  const box = (el) => { const b = el.getBoundingClientRect(); return [b.x, b.y, b.width, b.height].map(Math.round); };
  return { title: box(article.querySelector('h1')), lede: box(article.querySelector('.lede')),
    paragraph: box(article.querySelector('.chapter-header ~ p')) };
});

for (const [width, height] of [[412, 823], [1200, 800]]) {
  test(`at ${width} px the chapter's opening shows before the app and stays put when the app takes over`, async () => {
    const { page, context, problems, release, chapterFetches } = await openHeld({ viewport: { width, height } });
    await page.goto(server.base + '#/leaders-and-followers');
    const opening = page.locator('#boot[data-chapter="leaders-and-followers"]');
    await opening.locator('h1', { hasText: 'Leaders and Followers' }).waitFor();
    assert.match(await opening.locator('.chapter-number').textContent(), /^Chapter 1$/);
    assert.match(await opening.locator('.chapter-header ~ p').first().textContent(), /simplest way to keep copies/);
    // A copy to read, not to use: inert, with the loading status for assistive technology.
    assert.equal(await opening.locator('[inert] h1').count(), 1);
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 0, 'the inert copy offers no heading to land on');
    assert.match(await opening.getByRole('status').textContent(), /Loading the book/);
    const early = await positions(page);
    release();
    // The app's page replaces the opening once its body is in place: the simulation's slot is a sign of that.
    await page.locator('main#main .sim-slot').waitFor({ state: 'attached' });
    await page.waitForFunction(() => !document.getElementById('boot'));
    assert.deepEqual(await positions(page), early, 'the title, description and first paragraph did not move');
    assert.equal(await page.evaluate(() => window.layoutShift), 0, 'no layout shift');
    assert.equal(chapterFetches.length, 1, `the chapter's file is fetched once: ${chapterFetches}`);
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1, 'one title on the page');
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('the home page\'s title and lede show before the app and stay put when the app takes over', async () => {
  const { page, context, problems, release } = await openHeld({ viewport: { width: 412, height: 823 } });
  await page.goto(server.base + '#/');
  const opening = page.locator('#boot[data-opening="home"]');
  await opening.locator('h1', { hasText: 'Replication' }).waitFor();
  assert.match(await opening.locator('.lede').textContent(), /^Keeping copies of the same data/);
  assert.equal(await opening.locator('[inert] .lede').count(), 1);
  const where = () => page.evaluate(() => {
    const article = [...document.querySelectorAll('article.home')].find((a) => a.offsetParent !== null);
    const box = (el) => { const b = el.getBoundingClientRect(); return [b.x, b.y, b.width, b.height].map(Math.round); };
    return { title: box(article.querySelector('h1')), lede: box(article.querySelector('.lede')) };
  });
  const early = await where();
  release();
  await page.waitForFunction(() => !document.getElementById('boot'));
  await page.getByRole('heading', { name: 'Your progress', exact: true }).waitFor();
  assert.deepEqual(await where(), early, 'the title and lede did not move');
  assert.equal(await page.evaluate(() => window.layoutShift), 0, 'no layout shift');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the stored theme is in effect before the app runs, and a page other than a chapter shows only the line', async () => {
  const { page, context, problems, release } = await openHeld({ colorScheme: 'light' });
  await page.addInitScript(() => localStorage.setItem('replication-book/theme', 'dark'));
  await page.goto(server.base + '#/glossary');
  await page.locator('#boot.boot').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.equal(await page.locator('#boot[data-chapter]').count(), 0, 'the glossary has no opening to show');
  release();
  await page.getByRole('heading', { level: 1, name: 'Glossary' }).waitFor();
  assert.equal(await page.locator('#boot').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('when the chapter file cannot be fetched, the app says so in place of the opening', async () => {
  const { page, context, release } = await openHeld();
  await page.route('**/chapters/leaderless-*.json', (route) => route.abort());
  await page.goto(server.base + '#/leaderless');
  await page.locator('#boot.boot').waitFor();
  release();
  await page.getByRole('alert').filter({ hasText: 'The chapter could not be loaded' }).waitFor();
  assert.equal(await page.locator('#boot').count(), 0, 'nothing of the start-up script is left to hide the message');
  await context.close();
});

test('on every chapter the app is fetched soon after the opening is painted, never at the 1.5 s fallback', async () => {
  // The start-up script waits for the browser's largest-paint report of the opening's largest text block; if its
  // guess of that block were wrong, each chapter would wait for the fallback before the app even started.
  const summary = fs.readFileSync(new URL('../../chapters/SUMMARY.md', import.meta.url), 'utf8');
  const slugs = [...summary.matchAll(/^- \[[^\]]+\]\(([a-z0-9-]+)\.md\)/gm)].map((m) => m[1]);
  assert.equal(slugs.length, 11);
  for (const slug of slugs) {
    const { page, context, problems } = await openPage(browser, { viewport: { width: 412, height: 823 } });
    await page.goto(server.base + '#/' + slug);
    await page.waitForFunction(() => !document.getElementById('boot'));
    const gap = await page.evaluate(() => {
      const requests = performance.getEntriesByType('resource');
      const body = requests.find((e) => e.name.includes('/chapters/'));
      const wasm = requests.find((e) => /replication-book-[0-9a-f]+_bg\.wasm$/.test(e.name));
      return wasm.startTime - body.responseEnd;
    });
    assert.ok(gap < 1000, `${slug}: the wasm was requested ${Math.round(gap)} ms after the body arrived`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('a chapter\'s body goes into the page a block per task, in order, keeping the blocks already there', async () => {
  // In one task, the body was 85 ms of work here in which the page could not answer the reader.
  const file = fs.readdirSync(new URL('../../dist/chapters/', import.meta.url)).find((f) => /^leaderless-[0-9a-f]+\.json$/.test(f));
  const blocks = JSON.parse(fs.readFileSync(new URL(`../../dist/chapters/${file}`, import.meta.url), 'utf8'));
  const expectedIds = blocks.flatMap((b) => [...(b.Html ?? '').matchAll(/<h2 id="([^"]+)"/g)].map((m) => m[1]));
  assert.ok(blocks.length >= 5 && expectedIds.length >= 5, `leaderless has ${blocks.length} blocks`);
  const { page, context, problems } = await openPage(browser, { viewport: { width: 412, height: 823 } });
  await page.addInitScript(() => {
    // Each MutationObserver callback reports the changes of one microtask checkpoint: blocks added in different
    // tasks arrive in different callbacks.
    window.bodyBatches = 0;
    new MutationObserver((records) => {
      const article = document.querySelector('main#main article.chapter');
      if (!article) return;
      if (records.some((r) => r.target === article && r.addedNodes.length > 0)) window.bodyBatches += 1;
      window.firstParagraph ??= article.querySelector(':scope > .chapter-header ~ p:not(.loading)');
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(server.base + '#/leaderless');
  await page.locator('main#main figure.sim').waitFor();
  const seen = await page.evaluate(() => ({
    batches: window.bodyBatches,
    ids: [...document.querySelectorAll('main#main article.chapter > h2')].map((h) => h.id),
    firstKept: window.firstParagraph?.isConnected === true,
  }));
  assert.deepEqual(seen.ids, expectedIds, 'every section, in order');
  assert.ok(seen.batches >= blocks.length - 1, `the body arrived in ${seen.batches} batches for ${blocks.length} blocks`);
  assert.ok(seen.firstKept, 'the first block\'s nodes were kept as later blocks arrived, not rebuilt');
  assert.deepEqual(problems, []);
  await context.close();
});
