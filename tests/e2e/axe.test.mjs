// axe-core on every chapter and the home page, in light and dark themes: no accessibility violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { serve, launch, openPage, settled } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SUMMARY = fs.readFileSync(new URL('../../chapters/SUMMARY.md', import.meta.url), 'utf8');
const SLUGS = [...SUMMARY.matchAll(/^- \[[^\]]+\]\(([a-z0-9-]+)\.md\)/gm)].map((m) => m[1]);

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

async function violations(route, colorScheme) {
  const { page, context } = await openPage(browser, { colorScheme });
  await page.goto(server.base + route);
  await page.locator(route === '#/' ? '.chapter-card' : '.chapter-nav').first().waitFor();
  // The body arrives a block per task and the simulations in their own module: wait until all is in.
  await settled(page);
  await page.waitForTimeout(300);
  // Open every table view so the tables are checked too.
  for (const button of await page.getByRole('button', { name: 'Table view' }).all()) await button.click();
  // Evaluated through the DevTools protocol: a script element would be refused by the page's CSP.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length}× ${v.nodes[0]?.target?.join(' ')} — ${v.help}`);
  });
  await context.close();
  return result;
}

test('axe finds no violations on the home page and every chapter, light and dark', async () => {
  assert.equal(SLUGS.length, 11);
  const found = [];
  for (const scheme of ['light', 'dark']) {
    for (const route of ['#/', ...SLUGS.map((s) => `#/${s}`)]) {
      for (const v of await violations(route, scheme)) found.push(`${scheme} ${route}: ${v}`);
    }
  }
  assert.deepEqual(found, []);
});
