// Search in the browser: "/" and Ctrl+K open the dialog (never from inside a text field), results show their
// passage with the words marked, the arrow keys and Enter follow one to its chapter section, Escape closes and
// gives focus back, and axe finds nothing wrong with the dialog open, light or dark, desktop or phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { serve, launch, openPage } from './harness.mjs';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const activeId = (page) => page.evaluate(() => document.activeElement?.id);
const dialogOpen = (page) => page.evaluate(() => document.querySelector('dialog.search-dialog')?.open === true);
const status = (page) => page.locator('#search-status');

async function home(page) {
  await page.goto(server.base + '#/');
  await page.locator('.chapter-card').first().waitFor();
}

test('"/" opens the search; typing shows ranked passages; the arrow keys and Enter open a section', async () => {
  const { page, context, problems } = await openPage(browser);
  await home(page);
  assert.equal(await dialogOpen(page), false);
  await page.keyboard.press('/');
  await page.waitForFunction(() => document.querySelector('dialog.search-dialog')?.open);
  assert.equal(await activeId(page), 'search-input');
  // The "/" that opened the dialog is not typed into it.
  assert.equal(await page.locator('#search-input').inputValue(), '');
  assert.match(await status(page).textContent(), /Type a word/);

  await page.keyboard.type('quorum');
  await page.waitForFunction(() => /results? for “quorum”/.test(document.querySelector('#search-status').textContent));
  assert.match(await status(page).textContent(), /^\d+ results for “quorum”; the best 20 are shown\.$/);
  const results = page.locator('.search-results a');
  assert.equal(await results.count(), 20);
  // The glossary's own entry first, then passages with their place, heading and a snippet with the word marked.
  assert.equal(await results.first().getAttribute('href'), '#/glossary/quorum');
  const second = results.nth(1);
  assert.match(await second.locator('.search-place').textContent(), /^Chapter \d+ · /);
  assert.match(await second.locator('.search-title mark').first().textContent(), /^quorum/i);
  const snippets = await page.locator('.search-snippet').allTextContents();
  assert.ok(snippets.every((s) => s.length > 40 && s.length < 260), 'every result shows a passage');
  assert.ok(await page.locator('.search-snippet mark').count() >= 10, 'the matched words are marked');

  // Down moves into the list, Down again to the second result; Up, Up comes back to the field.
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '#/glossary/quorum');
  await page.keyboard.press('ArrowDown');
  const target = await second.getAttribute('href');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), target);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  assert.equal(await activeId(page), 'search-input');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');

  // Enter follows the focused result to its chapter section, and the dialog closes.
  await page.keyboard.press('Enter');
  const [slug, section] = target.slice(2).split('/');
  await page.waitForURL((url) => url.hash === target);
  await page.locator(`#${section}`).waitFor();
  assert.equal(await dialogOpen(page), false);
  assert.ok(slug.length > 0);
  const box = await page.locator(`#${section}`).boundingBox();
  assert.ok(box.y >= 0 && box.y < 400, `the section heading is scrolled into view (y=${box.y})`);
  assert.equal(await activeId(page), 'main');
  assert.deepEqual(problems, []);
  await context.close();
});

test('Enter in the field opens the first result; a chapter passage lands on its heading', async () => {
  const { page, context, problems } = await openPage(browser);
  await home(page);
  await page.keyboard.press('/');
  await page.locator('#search-input').fill('power supply');
  await page.locator('.search-results a').first().waitFor();
  assert.equal(await page.locator('.search-results a').first().getAttribute('href'), '#/the-problem/one-server-one-bad-night');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/the-problem\/one-server-one-bad-night$/);
  await page.locator('#one-server-one-bad-night').waitFor();
  assert.equal(await dialogOpen(page), false);
  // Following the same result again from further down the page brings its heading back into view.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.keyboard.press('/');
  await page.locator('.search-results a').first().waitFor();
  await page.keyboard.press('Enter');
  assert.equal(await dialogOpen(page), false);
  await page.waitForFunction(() => {
    const y = document.getElementById('one-server-one-bad-night').getBoundingClientRect().y;
    return y >= 0 && y < 400;
  });
  assert.deepEqual(problems, []);
  await context.close();
});

test('"/" inside a text field is just a character; Escape closes and returns focus; Ctrl+K opens', async () => {
  const { page, context, problems } = await openPage(browser);
  await home(page);
  // The search button opens the dialog; "/" typed into the search field stays in the field.
  const button = page.getByRole('button', { name: 'Search' });
  await button.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('dialog.search-dialog')?.open);
  await page.keyboard.type('w/r');
  assert.equal(await page.locator('#search-input').inputValue(), 'w/r');
  assert.equal(await dialogOpen(page), true);
  // Escape closes it and gives focus back to the button.
  await page.keyboard.press('Escape');
  assert.equal(await dialogOpen(page), false);
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('search-open')), true);

  // In a checkpoint's answer field "/" is typed, not a shortcut.
  await page.goto(server.base + '#/the-problem');
  const answer = page.locator('.checkpoint textarea').first();
  await answer.waitFor();
  await answer.click();
  await page.keyboard.type('a/b');
  assert.equal(await answer.inputValue(), 'a/b');
  assert.equal(await dialogOpen(page), false);
  await page.keyboard.press('Control+k');
  assert.equal(await dialogOpen(page), false, 'Ctrl+K in a text field is left alone');

  // Outside a field, Ctrl+K opens the search, and Escape gives focus back to what had it.
  await page.locator('.chapter-nav a.next').focus();
  await page.keyboard.press('Control+k');
  await page.waitForFunction(() => document.querySelector('dialog.search-dialog')?.open);
  assert.equal(await activeId(page), 'search-input');
  // The earlier query is kept and selected, so typing replaces it.
  assert.equal(await page.locator('#search-input').inputValue(), 'w/r');
  await page.keyboard.type('zzqqx');
  await page.waitForFunction(() => /No results for “zzqqx”/.test(document.querySelector('#search-status').textContent));
  assert.equal(await page.locator('.search-results a').count(), 0);
  await page.keyboard.press('Escape');
  assert.equal(await dialogOpen(page), false);
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('next')), true);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a missing index says so in the dialog and the book keeps working', async () => {
  const { page, context } = await openPage(browser);
  await page.route(/\/chapters\/search-[0-9a-f]+\.json$/, (route) => route.fulfill({ status: 500, body: 'down' }));
  await home(page);
  await page.keyboard.press('/');
  await page.keyboard.type('lag');
  await page.waitForFunction(() => /could not be loaded/.test(document.querySelector('#search-status').textContent));
  assert.match(await status(page).textContent(), /The search index could not be loaded \(HTTP 500\)/);
  await page.keyboard.press('Escape');
  await page.locator('.chapter-card a').first().click();
  await page.locator('.chapter-nav').waitFor();
  await context.close();
});

for (const [name, options] of [
  ['light, desktop', { colorScheme: 'light' }],
  ['dark, phone 390×844', { colorScheme: 'dark', viewport: { width: 390, height: 844 } }],
]) {
  test(`axe finds no violations with the search open and showing results (${name})`, async () => {
    const { page, context, problems } = await openPage(browser, options);
    await home(page);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.keyboard.type('replication lag');
    await page.locator('.search-results a').first().waitFor();
    // The dialog fits the screen.
    const box = await page.locator('dialog.search-dialog').boundingBox();
    const viewport = page.viewportSize();
    assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `the dialog fits the width (${JSON.stringify(box)})`);
    // Evaluated through the DevTools protocol: a script element would be refused by the page's CSP.
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.length}× ${v.nodes[0]?.target?.join(' ')} — ${v.help}`);
    });
    assert.deepEqual(violations, []);
    if (process.env.SCREENSHOTS) await page.screenshot({ path: `${process.env.SCREENSHOTS}/search-${options.colorScheme}.png` });
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('under a subpath the index is found and a result opens its section', async () => {
  const sub = await serve('/replication/');
  const { page, context, problems } = await openPage(browser);
  try {
    await page.goto(sub.base + '#/');
    await page.locator('.chapter-card').first().waitFor();
    await page.keyboard.press('/');
    await page.keyboard.type('hinted handoff');
    await page.locator('.search-results a').first().waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/replication\/#\/glossary\/hinted-handoff$/);
    await page.locator('#glossary-hinted-handoff').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await sub.close();
  }
});
