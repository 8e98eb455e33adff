// Offline reading (src/offline.rs, crates/precache): the first visit keeps the whole book in a cache named after
// its version; a later visit works with the network off and the server gone, simulations included; and a new
// deployment installs beside the old one, is offered to the reader, and replaces it cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { DIST, serve, launch, openPage } from './harness.mjs';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Every file of a built book, relative to its root, as the worker names them. */
function filesUnder(root, dir = root) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(root, full) : [path.relative(root, full).split(path.sep).join('/')];
  });
}

/** The version and the file list that a build's sw.js carries. */
function workerManifest(root) {
  const source = fs.readFileSync(path.join(root, 'sw.js'), 'utf8');
  const version = source.match(/^const VERSION = "([0-9a-f]{16})";$/m)?.[1];
  const files = [...source.matchAll(/^ {2}\["([^"]+)", "(sha256-[A-Za-z0-9+/=]+)"\],$/gm)].map((m) => ({ path: m[1], integrity: m[2] }));
  return { source, version, files };
}

/** Polls `predicate` in the page until it resolves truthy. (`page.waitForFunction` does not await a promise: an
 *  async predicate would count as true at once.) */
async function waitInPage(page, predicate, arg, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  // A navigation in the middle of a check destroys its context: that check counts as not yet.
  while (!(await page.evaluate(predicate, arg).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${predicate}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until a worker controls the page and the version's cache holds every file, then lists the caches. */
async function waitForOfflineCopy(page, version, count) {
  await waitInPage(page, async ([name, count]) => {
    if (!navigator.serviceWorker.controller || !(await caches.has(name))) return false;
    return (await (await caches.open(name)).keys()).length === count;
  }, [`replication-book-${version}`, count]);
  return page.evaluate(() => caches.keys());
}

const CHAPTERS = fs.readFileSync(path.resolve(DIST, '../chapters/SUMMARY.md'), 'utf8')
  .split('\n').map((line) => line.match(/^- \[(.+)\]\((.+)\.md\)/)).filter(Boolean).map((m) => ({ title: m[1], slug: m[2] }));

test('the worker lists every file of the build, and nothing else, with its digest', () => {
  const { version, files } = workerManifest(DIST);
  assert.ok(version, 'sw.js names its version');
  const listed = files.map((f) => f.path);
  assert.deepEqual(listed, filesUnder(DIST).filter((f) => f !== 'sw.js').sort());
  for (const must of ['index.html', 'sims.js', 'sims_bg.wasm', 'sims-loader.js']) assert.ok(listed.includes(must), must);
  assert.ok(listed.some((f) => /^replication-book-.*_bg\.wasm$/.test(f)), 'the book wasm');
  assert.ok(listed.some((f) => f.endsWith('.css')), 'the styles');
  for (const { slug } of CHAPTERS) assert.ok(listed.some((f) => f.startsWith(`chapters/${slug}-`)), `chapter ${slug}`);
  for (const { path: file, integrity } of files) {
    const digest = crypto.createHash('sha256').update(fs.readFileSync(path.join(DIST, file))).digest('base64');
    assert.equal(integrity, `sha256-${digest}`, file);
  }
  const bytes = files.reduce((sum, f) => sum + fs.statSync(path.join(DIST, f.path)).size, 0);
  console.log(`precache: ${files.length} files, ${bytes} bytes, version ${version}`);
});

for (const prefix of ['/', '/replication/']) {
  test(`a second visit under ${prefix} works with the network off, simulations included`, async () => {
    const { version, files } = workerManifest(DIST);
    const server = await serve(prefix);
    const browser = await launch();
    try {
      const { page, context, problems } = await openPage(browser);
      const failed = [];
      page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
      await page.goto(server.base);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      const caches = await waitForOfflineCopy(page, version, files.length);
      assert.deepEqual(caches, [`replication-book-${version}`]);
      const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).scope);
      assert.equal(scope, server.base, "the worker's scope is the book's folder");

      await context.setOffline(true);
      await server.close();
      await page.goto(server.base + '#/the-problem');
      await page.reload();
      await page.getByRole('heading', { level: 1, name: CHAPTERS[0].title }).waitFor();
      const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
      await figure.waitFor();
      const canvas = figure.locator('canvas').first();
      await canvas.waitFor();
      await page.waitForFunction((c) => {
        if (c.width === 0 || c.height === 0) return false;
        // Painted: more than one colour on the canvas.
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 4; i < pixels.length; i += 4) {
          if (pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1] || pixels[i + 2] !== pixels[2]) return true;
        }
        return false;
      }, await canvas.elementHandle());
      await figure.getByRole('button', { name: 'Kill Primary' }).click();
      assert.match(await figure.locator('[role=status]').first().textContent(), /crashes/);

      // Every chapter's text is in the copy, not only the one read online.
      for (const { slug, title } of CHAPTERS) {
        await page.goto(`${server.base}#/${slug}`);
        await page.getByRole('heading', { level: 1, name: title }).waitFor();
      }
      assert.deepEqual(problems, []);
      assert.deepEqual(failed, [], 'nothing was asked of the network');
    } finally {
      await browser.close();
      await server.close();
    }
  });
}

/** A copy of dist/ as the next deployment: index.html changed, sw.js rewritten as precache would (new digest,
 *  new version). With `corrupt`, the worker lists a digest no file has, as a half-finished upload would. */
function nextDeployment({ corrupt = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'book-next-'));
  fs.cpSync(DIST, dir, { recursive: true });
  const indexPath = path.join(dir, 'index.html');
  fs.writeFileSync(indexPath, fs.readFileSync(indexPath, 'utf8').replace('</head>', '<!-- next deployment -->\n</head>'));
  const { source, version, files } = workerManifest(dir);
  const before = files.find((f) => f.path === 'index.html').integrity;
  const after = corrupt ? `sha256-${crypto.createHash('sha256').update('not the page').digest('base64')}`
    : `sha256-${crypto.createHash('sha256').update(fs.readFileSync(indexPath)).digest('base64')}`;
  const next = crypto.createHash('sha256').update(version + after).digest('hex').slice(0, 16);
  fs.writeFileSync(path.join(dir, 'sw.js'), source.replace(before, after).replace(`const VERSION = "${version}"`, `const VERSION = "${next}"`));
  return { dir, version: next, count: files.length };
}

test('a new deployment installs beside the old one, is offered, and replaces it cleanly', async () => {
  const { version: old, files } = workerManifest(DIST);
  const next = nextDeployment();
  const server = await serve('/replication/');
  const browser = await launch();
  try {
    const { page, problems } = await openPage(browser);
    await page.goto(server.base + '#/the-problem');
    await waitForOfflineCopy(page, old, files.length);
    const hasMarker = () => page.evaluate(() => document.head.innerHTML.includes('next deployment'));

    server.deploy(next.dir);
    await page.reload();
    // The reload is answered by the old version, whole: its page and, lazily, its own simulations module.
    await page.getByRole('figure', { name: 'Single node vs replicated system' }).waitFor();
    assert.equal(await hasMarker(), false);
    const notice = page.getByRole('status').filter({ hasText: 'A new version of the book is available' });
    await notice.waitFor({ timeout: 60_000 });
    assert.deepEqual((await page.evaluate(() => caches.keys())).sort(),
      [`replication-book-${old}`, `replication-book-${next.version}`].sort(), 'both versions while the new one waits');

    // The notice passes axe in both themes.
    // Evaluated through the DevTools protocol: a script element would be refused by the page's CSP.
    await page.evaluate(AXE);
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      const violations = await page.evaluate(async () => (await window.axe.run({ include: ['.update-notice'] },
        { resultTypes: ['violations'] })).violations.map((v) => `${v.id}: ${v.help}`));
      assert.deepEqual(violations, [], colorScheme);
    }

    await Promise.all([page.waitForEvent('load'), notice.getByRole('button', { name: 'Reload' }).click()]);
    await page.getByRole('figure', { name: 'Single node vs replicated system' }).waitFor();
    assert.equal(await hasMarker(), true, 'the page now comes from the new version');
    assert.deepEqual(await waitForOfflineCopy(page, next.version, next.count), [`replication-book-${next.version}`],
      'the old version is deleted');
    assert.equal(await page.getByRole('button', { name: 'Reload' }).count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(next.dir, { recursive: true, force: true });
  }
});

test('a deployment whose files do not match its worker is never installed', async () => {
  const { version: old, files } = workerManifest(DIST);
  const broken = nextDeployment({ corrupt: true });
  const server = await serve('/');
  const browser = await launch();
  try {
    const { page } = await openPage(browser);
    await page.goto(server.base);
    await waitForOfflineCopy(page, old, files.length);
    server.deploy(broken.dir);
    await page.reload();
    // Ask for the update check ourselves (the navigation may have run one already) and follow the new worker.
    const outcome = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration.update();
      const worker = registration.installing ?? registration.waiting;
      if (!worker) return 'no new worker was found';
      if (worker.state !== 'redundant') {
        await new Promise((resolve) => worker.addEventListener('statechange', () => {
          if (worker.state === 'redundant' || worker.state === 'installed') resolve();
        }));
      }
      return worker.state;
    });
    assert.equal(outcome, 'redundant', 'the install failed its integrity check');
    assert.deepEqual(await page.evaluate(() => caches.keys()), [`replication-book-${old}`]);
    assert.equal(await page.getByRole('button', { name: 'Reload' }).count(), 0, 'no update is offered');
    assert.equal(await page.evaluate(() => document.head.innerHTML.includes('next deployment')), false);
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(broken.dir, { recursive: true, force: true });
  }
});

test('a development build retires the worker a release build left on the same origin', async () => {
  const { version, files } = workerManifest(DIST);
  // What `trunk serve` writes: the retiring worker (crates/precache: the prefix, then the template) beside a page
  // that registers nothing. A stand-in page is enough: the point is which copy the browser shows.
  const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'book-dev-'));
  const template = fs.readFileSync(path.resolve(DIST, '../crates/precache/src/retiring-worker.js'), 'utf8');
  fs.writeFileSync(path.join(dev, 'sw.js'), `const CACHE_PREFIX = "replication-book-";\n${template}`);
  fs.writeFileSync(path.join(dev, 'index.html'), '<!doctype html><title>development build</title><p>fresh build</p>');
  const server = await serve('/');
  const browser = await launch();
  try {
    const { page } = await openPage(browser);
    await page.goto(server.base);
    await waitForOfflineCopy(page, version, files.length);
    server.deploy(dev);
    await page.reload();
    await waitInPage(page, async () => document.title === 'development build'
      && (await caches.keys()).length === 0 && (await navigator.serviceWorker.getRegistration()) === undefined);
    assert.equal(await page.locator('p').textContent(), 'fresh build');
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(dev, { recursive: true, force: true });
  }
});
