// The theme switch: follows the system until the reader picks, remembers the pick, and the simulations' canvases
// repaint in the picked theme.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, settled } from './harness.mjs';

let server, browser;
before(async () => { server = await serve('/'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const LIGHT_SURFACE = [255, 255, 255];
const DARK_SURFACE = [0x1a, 0x1d, 0x22];

/** The colour of the canvas's corner pixel, which the painter fills with the theme's --surface. */
async function cornerPixel(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('canvas.sim-canvas');
    return [...canvas.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3)];
  });
}

async function openChapter(options) {
  const opened = await openPage(browser, options);
  await opened.page.goto(server.base + '#/the-problem');
  await opened.page.locator('canvas.sim-canvas').first().waitFor();
  return opened;
}

test('the book follows the system theme until the reader picks one, and keeps the pick', async () => {
  const { page, context, problems } = await openChapter({ colorScheme: 'dark' });
  const theme = page.getByLabel('Theme');
  assert.equal(await theme.inputValue(), 'system');
  assert.deepEqual(await cornerPixel(page), DARK_SURFACE);

  await theme.selectOption('light');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(251, 250, 247)');
  // The canvas repainted in the light palette without waiting for the simulation to move.
  assert.deepEqual(await cornerPixel(page), LIGHT_SURFACE);

  await page.reload();
  await page.locator('canvas.sim-canvas').first().waitFor();
  await settled(page);
  assert.equal(await page.getByLabel('Theme').inputValue(), 'light');
  assert.deepEqual(await cornerPixel(page), LIGHT_SURFACE);

  await page.getByLabel('Theme').selectOption('system');
  assert.equal(await page.evaluate(() => document.documentElement.hasAttribute('data-theme')), false);
  assert.equal(await page.evaluate(() => localStorage.getItem('replication-book/theme')), null);
  assert.deepEqual(await cornerPixel(page), DARK_SURFACE);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the dark pick overrides a light system, and the canvas follows system changes too', async () => {
  const { page, context, problems } = await openChapter({ colorScheme: 'light' });
  assert.deepEqual(await cornerPixel(page), LIGHT_SURFACE);
  await page.getByLabel('Theme').selectOption('dark');
  assert.deepEqual(await cornerPixel(page), DARK_SURFACE);
  await page.getByLabel('Theme').selectOption('system');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => {
    const canvas = document.querySelector('canvas.sim-canvas');
    return canvas.getContext('2d').getImageData(1, 1, 1, 1).data[0] === 0x1a;
  });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a garbled stored theme falls back to the system theme', async () => {
  const { page, context, problems } = await openPage(browser, { colorScheme: 'light' });
  await page.goto(server.base + '#/');
  await page.evaluate(() => localStorage.setItem('replication-book/theme', '{"purple": true}'));
  await page.reload();
  await page.locator('.chapter-card').first().waitFor();
  assert.equal(await page.getByLabel('Theme').inputValue(), 'system');
  assert.equal(await page.evaluate(() => document.documentElement.hasAttribute('data-theme')), false);
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a phone the switch fits in the top bar without horizontal scrolling', async () => {
  const { page, context } = await openChapter({ viewport: { width: 390, height: 844 }, hasTouch: true });
  const box = await page.getByLabel('Theme').boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, JSON.stringify(box));
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
  await context.close();
});

test('with storage blocked the switch still works for the visit', async () => {
  const { page, context, problems } = await openPage(browser, { colorScheme: 'light' });
  await page.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });
  });
  await page.goto(server.base + '#/the-problem');
  await page.locator('canvas.sim-canvas').first().waitFor();
  await page.getByLabel('Theme').selectOption('dark');
  assert.deepEqual(await cornerPixel(page), DARK_SURFACE);
  assert.deepEqual(problems, []);
  await context.close();
});

test('figures print light in the dark theme, and the screen goes back to dark after printing', async () => {
  for (const [options, pick] of [[{ colorScheme: 'dark' }, null], [{ colorScheme: 'light' }, 'dark']]) {
    const { page, context, problems } = await openChapter(options);
    if (pick) await page.getByLabel('Theme').selectOption(pick);
    await settled(page);
    assert.deepEqual(await cornerPixel(page), DARK_SURFACE);
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    assert.deepEqual(await cornerPixel(page), LIGHT_SURFACE, 'the canvas is repainted for paper');
    await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
    assert.deepEqual(await cornerPixel(page), DARK_SURFACE);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme ?? null), pick);
    assert.equal(await page.evaluate(() => document.documentElement.hasAttribute('data-theme-before-print')), false);
    assert.deepEqual(problems, []);
    await context.close();
  }
});
