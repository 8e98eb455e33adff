// Every page of the book at phone size (390×844, touch): nothing scrolls sideways, and every simulation's
// figure and controls fit the screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { serve, launch, openPage, settled } from './harness.mjs';

const SUMMARY = fs.readFileSync(new URL('../../chapters/SUMMARY.md', import.meta.url), 'utf8');
const SLUGS = [...SUMMARY.matchAll(/^- \[[^\]]+\]\(([a-z0-9-]+)\.md\)/gm)].map((m) => m[1]);
const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true };

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('every page fits a 390 px wide phone, simulations included', async () => {
  assert.equal(SLUGS.length, 11);
  const { page, context, problems } = await openPage(browser, PHONE);
  const overflowing = [];
  let controls = 0;
  for (const route of ['#/', ...SLUGS.map((s) => `#/${s}`), '#/glossary', '#/review', '#/learn']) {
    await page.goto(server.base + route);
    await page.locator('main h1').first().waitFor();
    await settled(page);
    await page.waitForTimeout(200);
    const found = await page.evaluate(() => {
      const out = [];
      let checked = 0;
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth > width) out.push(`page is ${document.documentElement.scrollWidth}px wide`);
      // Wide tables may scroll inside their own frame; anything else must end inside the screen.
      for (const el of document.querySelectorAll('main .sim button, main .sim input, main .sim select, main .sim canvas')) {
        if (el.closest('.table-wrap, .table-view, [data-scrolls]')) continue;
        const box = el.getBoundingClientRect();
        checked += 1;
        if (box.width > 0 && box.right > width + 0.5) {
          out.push(`${el.tagName.toLowerCase()} "${el.getAttribute('aria-label') ?? el.textContent.trim().slice(0, 30)}" ends at ${Math.round(box.right)}px`);
        }
      }
      return { out, checked };
    });
    controls += found.checked;
    for (const f of found.out) overflowing.push(`${route}: ${f}`);
  }
  assert.deepEqual(overflowing, []);
  // The check saw the simulations' controls, not an empty page.
  assert.ok(controls > 100, `only ${controls} controls checked`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a touch screen a simulation answers taps and the timeline slides under a finger', async () => {
  const { page, context, problems } = await openPage(browser, PHONE);
  await page.goto(server.base + '#/the-problem');
  const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
  await figure.waitFor();
  const kill = figure.getByRole('button', { name: 'Kill Primary' });
  await kill.tap();
  assert.equal(await kill.isDisabled(), true, 'the tap killed the primary');
  await figure.getByRole('button', { name: 'Step back' }).tap();
  assert.equal(await kill.isDisabled(), false, 'the tap stepped back');
  // A finger dragged along the timeline from its start to three quarters of the way moves time forward.
  const timeline = figure.getByLabel('Timeline');
  await timeline.scrollIntoViewIfNeeded();
  const box = await timeline.boundingBox();
  const session = await context.newCDPSession(page);
  const y = box.y + box.height / 2;
  const touch = (type, x) => session.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
  assert.match(await figure.locator('.clock').textContent(), /^0\.00 s/);
  await touch('touchStart', box.x + 2);
  for (let i = 1; i <= 10; i += 1) await touch('touchMove', box.x + 2 + (box.width * 0.75 * i) / 10);
  await touch('touchEnd');
  await page.waitForFunction(() => !/^0\.00 s/.test(document.querySelector('.clock').textContent));
  assert.doesNotMatch(await figure.locator('.clock').textContent(), /^0\.00 s/);
  assert.deepEqual(problems, []);
  await context.close();
});
