// The book under its Content-Security-Policy: no inline script or style, no eval, nothing from another origin.
// Every page is visited and its simulations run; any refusal by the policy or request elsewhere fails the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { serve, launch, openPage, DIST, settled } from './harness.mjs';

const SUMMARY = fs.readFileSync(new URL('../../chapters/SUMMARY.md', import.meta.url), 'utf8');
const SLUGS = [...SUMMARY.matchAll(/^- \[[^\]]+\]\(([a-z0-9-]+)\.md\)/gm)].map((m) => m[1]);

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('the built page carries a strict policy and no inline script', () => {
  const html = fs.readFileSync(`${DIST}/index.html`, 'utf8');
  const policy = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  assert.ok(policy, 'index.html has a Content-Security-Policy');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(policy, /unsafe-inline|'unsafe-eval'|\*/);
  for (const [, open, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(open, /src="/, 'every script is a file');
    assert.equal(body.trim(), '');
  }
});

test('every page runs under the policy, simulations included, and asks only its own origin', async () => {
  const { page, context, problems } = await openPage(browser);
  const elsewhere = [];
  const origin = new URL(server.base).origin;
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) elsewhere.push(r.url()); });
  await page.addInitScript(() => {
    window.refusals = [];
    document.addEventListener('securitypolicyviolation', (e) => window.refusals.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample}`));
  });
  const refused = [];
  let canvases = 0;
  for (const route of ['#/', ...SLUGS.map((s) => `#/${s}`), '#/glossary', '#/review', '#/learn']) {
    await page.goto(server.base + route);
    await page.locator('main h1').first().waitFor();
    await settled(page);
    // Run every simulation a little and open its table, so their drawing and updates happen under the policy.
    for (const play of await page.getByRole('button', { name: 'Play' }).all()) await play.click();
    for (const table of await page.getByRole('button', { name: 'Table view' }).all()) await table.click();
    await page.waitForTimeout(300);
    canvases += await page.locator('canvas.sim-canvas').count();
    for (const r of await page.evaluate(() => window.refusals)) refused.push(`${route}: ${r}`);
  }
  assert.deepEqual(refused, []);
  assert.deepEqual(elsewhere, []);
  assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused/.test(p)), []);
  assert.deepEqual(problems, []);
  // The simulations module is a second wasm instance, and it was allowed to start.
  assert.ok(canvases >= 8, `${canvases} simulation canvases drawn`);
  // And the watch works: a style attribute set from script is refused and reported.
  await page.evaluate(() => { const p = document.createElement('p'); p.setAttribute('style', 'color: red'); document.body.append(p); });
  await page.waitForFunction(() => window.refusals.length > 0);
  assert.match((await page.evaluate(() => window.refusals))[0], /^style-src/);
  await context.close();
});

test('a canvas keeps its shape without a style attribute', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(server.base + '#/the-problem');
  const canvas = page.locator('canvas.sim-canvas').first();
  await canvas.waitFor();
  const box = await canvas.boundingBox();
  assert.ok(box.width > 200 && box.height > 60, JSON.stringify(box));
  // Its aspect ratio was set through the CSS object model, which the policy allows, and matches its backing store.
  const ratio = await canvas.evaluate((c) => [getComputedStyle(c).aspectRatio, c.width / c.height]);
  assert.notEqual(ratio[0], 'auto', 'an aspect ratio is in effect');
  assert.ok(Math.abs(box.width / box.height - ratio[1]) < 0.02, JSON.stringify({ box, ratio }));
  await context.close();
});
