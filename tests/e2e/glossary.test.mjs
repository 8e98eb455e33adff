// The glossary in the browser: term links in chapters lead to their entry, deep links survive a reload, and an
// unknown term says so above the whole glossary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { serve, launch, openPage } from './harness.mjs';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('a term link in a chapter opens its glossary entry, highlighted and focused', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/node-outages');
  const link = page.getByRole('link', { name: 'STONITH: see the glossary' });
  await link.waitFor();
  // Unobtrusive: the text's own colour with a dotted underline.
  const style = await link.evaluate((a) => {
    const s = getComputedStyle(a);
    return { line: s.textDecorationLine, dotted: s.textDecorationStyle, colour: s.color, parent: getComputedStyle(a.parentElement).color };
  });
  assert.equal(style.line, 'underline');
  assert.equal(style.dotted, 'dotted');
  assert.equal(style.colour, style.parent);
  await link.click();
  await page.waitForURL(/#\/glossary\/stonith$/);
  const entry = page.locator('#glossary-stonith');
  await entry.waitFor();
  assert.equal(await page.title(), 'Glossary — Replication');
  assert.match(await entry.getAttribute('class'), /\btarget\b/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'glossary-stonith');
  assert.match(await entry.getByRole('heading', { level: 2 }).textContent(), /STONITH/);
  assert.match(await entry.textContent(), /Shoot the other node in the head/i);
  // The entry links back to where the book teaches it, and the link works.
  await entry.getByRole('link', { name: /Handling Node Outages: Split brain/ }).click();
  await page.waitForURL(/#\/node-outages\/split-brain$/);
  await page.locator('h2#split-brain, h3#split-brain').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a glossary deep link survives a reload; see-also moves the highlight', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/glossary/sloppy-quorum');
  await page.locator('#glossary-sloppy-quorum.target').waitFor();
  await page.reload();
  const entry = page.locator('#glossary-sloppy-quorum');
  await entry.waitFor();
  assert.match(await entry.getAttribute('class'), /\btarget\b/);
  await page.waitForFunction(() => document.activeElement?.id === 'glossary-sloppy-quorum');
  const box = await entry.boundingBox();
  assert.ok(box.y >= 0 && box.y < 844, `the entry is in view (y=${box.y})`);
  await entry.getByRole('link', { name: 'Hinted handoff', exact: true }).click();
  await page.locator('#glossary-hinted-handoff.target').waitFor();
  assert.equal(await page.locator('.glossary-entry.target').count(), 1);
  // The sidebar names the page.
  assert.equal(await page.locator('#toc .toc-study [aria-current=page]').textContent(), 'Glossary');
  assert.deepEqual(problems, []);
  await context.close();
});

test('an unknown term gets a clear message and the whole glossary', async () => {
  const { page, context, problems } = await openPage(browser);
  await page.goto(server.base + '#/glossary/no-such-term');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /no entry “no-such-term”/);
  await page.locator('.glossary-entry').first().waitFor();
  const count = await page.locator('.glossary-entry').count();
  assert.ok(count >= 60, `all entries listed (${count})`);
  assert.equal(await page.locator('.glossary-entry.target').count(), 0);
  // The plain glossary route has no message.
  await page.goto(server.base + '#/glossary');
  await page.locator('.glossary-entry').first().waitFor();
  assert.equal(await page.getByRole('alert').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('axe finds no violations on the glossary page, light and dark', async () => {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    const { page, context } = await openPage(browser, { colorScheme });
    await page.goto(server.base + '#/glossary/sloppy-quorum');
    await page.locator('#glossary-sloppy-quorum.target').waitFor();
    // Evaluated through the DevTools protocol: a script element would be refused by the page's CSP.
    await page.evaluate(AXE);
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.length}× ${v.nodes[0]?.target?.join(' ')} — ${v.help}`);
    });
    for (const v of result) found.push(`${colorScheme}: ${v}`);
    await context.close();
  }
  assert.deepEqual(found, []);
});
