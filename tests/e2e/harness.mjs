// Shared set-up for the end-to-end tests: a static file server for dist/ (optionally under a subpath) and
// Debian's headless Chromium driven by playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

export const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
};

/** Text and wasm: what a static host compresses. */
const COMPRESSIBLE = new Set(['.html', '.js', '.wasm', '.css', '.json', '.svg']);

/** Serves dist/ (or `root`) at `prefix` (e.g. "/" or "/replication/") on 127.0.0.1 with a free port, like any
 *  static host: no rewrites, 404 for anything that is not a file. `deploy(dir)` swaps the files served, as a new
 *  deployment would; `close()` drops open connections too, so a page really loses the server. With
 *  `{ compress: true }` it answers `Accept-Encoding: br` with brotli, as production hosts do (the speed audit
 *  needs that; the other tests read the bytes as written). */
export async function serve(prefix = '/', root = DIST, { compress = false } = {}) {
  let current = root;
  const brotli = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.startsWith(prefix)) { res.writeHead(404); res.end(); return; }
    let rel = decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html';
    const file = path.join(current, rel);
    if (!file.startsWith(current) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404); res.end('not found'); return;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    if (compress && COMPRESSIBLE.has(path.extname(file)) && /\bbr\b/.test(req.headers['accept-encoding'] ?? '')) {
      const key = `${file}:${fs.statSync(file).mtimeMs}`;
      if (!brotli.has(key)) brotli.set(key, zlib.brotliCompressSync(fs.readFileSync(file)));
      res.writeHead(200, { 'content-type': type, 'content-encoding': 'br', vary: 'accept-encoding' });
      res.end(brotli.get(key));
      return;
    }
    res.writeHead(200, { 'content-type': type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}${prefix}`;
  return {
    base,
    deploy: (dir) => { current = dir; },
    close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }),
  };
}

export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A page that records console errors, page errors and failed requests, to assert there were none. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  return { page, context, problems };
}

/** Waits until the app's page is all in: a chapter's body arrives a block per task (its article is aria-busy until
 *  then), the simulations module fills every slot, and no widget is still working something out (aria-busy). */
export async function settled(page) {
  await page.waitForFunction(() => document.querySelector('main#main') !== null
    && !document.querySelector('main#main [aria-busy="true"]') && !document.querySelector('.sim-slot:empty'));
}
