// Lighthouse (mobile: its default form factor and simulated throttling) on the built book: the home page and two
// chapters. Prints each page's four category scores, writes the JSON reports to target/lighthouse/, and fails when
// accessibility or best practices fall below 100 or SEO below 95 on any page, naming the audits that failed.
// Performance depends on the machine's load, so, like scripts/wars-budget.sh, it is reported against its budget
// (95) and fails the run only with LIGHTHOUSE_STRICT=1. The book is served with brotli, as any production static
// host serves it; the simulated slow-4G transfer of uncompressed wasm would measure a host nobody uses.
//
// Not a *.test.mjs file: `node --test tests/e2e/` leaves it out, and scripts/test.sh runs it as a step of its own.
//   node tests/e2e/lighthouse.mjs [DIST_DIR]    (default dist/; a copy can be audited to try a fix before a rebuild)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import lighthouse from 'lighthouse';
import { DIST, CHROMIUM_ARGS, serve } from './harness.mjs';

const ROUTES = process.env.LIGHTHOUSE_ROUTES?.split(',') ?? ['#/', '#/leaders-and-followers', '#/leaderless'];
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
/** Scores that fail the run. Performance is a budget instead (see above). */
const MINIMUM = { accessibility: 100, 'best-practices': 100, seo: 95 };
const PERFORMANCE_BUDGET = 95;
const REPORTS = path.resolve(DIST, '../target/lighthouse');

/** Debian's headless Chromium with the flags the other end-to-end tests use, and a DevTools port for Lighthouse
 *  (which drives it over the protocol rather than through playwright). Port 0 lets Chromium pick a free one and
 *  announce it on stderr. */
async function launchChromium() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'book-lighthouse-'));
  const child = spawn(process.env.CHROMIUM ?? '/usr/bin/chromium',
    [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const close = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    const port = await new Promise((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`Chromium announced no DevTools port:\n${stderr}`)), 30_000);
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        const match = stderr.match(/DevTools listening on ws:\/\/[^/]+:(\d+)\//);
        if (!match) return;
        clearTimeout(timer);
        child.stderr.removeAllListeners('data').resume(); // keep draining the pipe, without keeping the text
        resolve(Number(match[1]));
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Chromium exited (${code}):\n${stderr}`)); });
      child.once('error', (error) => { clearTimeout(timer); reject(error); });
    });
    return { port, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The weighted audits of a category that did not pass, e.g. "color-contrast (0)". One that could not run at all
 *  leaves the whole category without a score. */
function failedAudits(lhr, category) {
  return lhr.categories[category].auditRefs
    .filter((ref) => ref.weight > 0)
    .map((ref) => lhr.audits[ref.id])
    .filter((audit) => audit.scoreDisplayMode === 'error' || (audit.score !== null && audit.score < 1))
    .map((audit) => `${audit.id} (${audit.scoreDisplayMode === 'error' ? `error: ${audit.errorMessage}` : audit.score})`);
}

/** The performance metrics behind the score, e.g. "largest-contentful-paint 2.1 s (0.93)". */
function metrics(lhr) {
  return lhr.categories.performance.auditRefs
    .filter((ref) => ref.weight > 0)
    .map((ref) => lhr.audits[ref.id])
    .map((audit) => `${audit.id} ${audit.displayValue ?? '?'} (${audit.score ?? '?'})`);
}

const root = path.resolve(process.argv[2] ?? DIST);
if (!fs.existsSync(path.join(root, 'index.html'))) {
  console.error(`lighthouse: no ${root}/index.html: build the book first (scripts/build.sh)`);
  process.exit(1);
}
fs.mkdirSync(REPORTS, { recursive: true });
const server = await serve('/', root, { compress: true });
const chromium = await launchChromium();
let failed = false;
let over = false;
try {
  for (const route of ROUTES) {
    // Each audit starts cold: Lighthouse clears the origin's storage, caches and service worker first.
    const result = await lighthouse(server.base + route, {
      port: chromium.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES,
    });
    const { lhr } = result;
    const name = route === '#/' ? 'home' : route.slice(2);
    fs.writeFileSync(path.join(REPORTS, `${name}.json`), result.report);
    if (lhr.runtimeError) {
      console.log(`lighthouse: ${route} could not be audited: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      failed = true;
      continue;
    }
    const score = (category) => {
      const value = lhr.categories[category]?.score;
      return value === null || value === undefined ? null : Math.round(value * 100);
    };
    console.log(`lighthouse: ${route} ${CATEGORIES.map((c) => `${c}=${score(c) ?? '?'}`).join(' ')}`);
    for (const warning of lhr.runWarnings) console.log(`lighthouse: ${route} warning: ${warning}`);
    // Lighthouse 12.2.3 reads the traces of Debian's newer Chromium only in part: a few diagnostics (the LCP element,
    // the layout-shift culprits, …) error out. Those carry no weight, so the scores stand (a weighted one would leave
    // its category without a score, which fails below); they are named for whoever digs into a report.
    const broken = Object.values(lhr.audits).filter((a) => a.scoreDisplayMode === 'error').map((a) => a.id);
    if (broken.length) console.log(`lighthouse: ${route} audits that could not run: ${broken.join(', ')}`);
    for (const [category, minimum] of Object.entries(MINIMUM)) {
      if (score(category) === null || score(category) < minimum) {
        console.log(`lighthouse: FAIL — ${route} ${category} ${score(category) ?? '?'} (needs ${minimum}): `
          + (failedAudits(lhr, category).join(', ') || 'no score'));
        failed = true;
      }
    }
    // The benchmark index (Lighthouse's measure of this machine's CPU speed) helps read a low performance score.
    const detail = `performance ${score('performance') ?? '?'} (budget ${PERFORMANCE_BUDGET}; `
      + `machine benchmark index ${Math.round(lhr.environment.benchmarkIndex)})`;
    if (score('performance') !== null && score('performance') >= PERFORMANCE_BUDGET) {
      console.log(`lighthouse budget: within — ${route}: ${detail}`);
    } else {
      console.log(`lighthouse budget: OVER   — ${route}: ${detail}: ${metrics(lhr).join(', ')}`);
      over = true;
    }
  }
} finally {
  await chromium.close();
  await server.close();
}
console.log(`lighthouse: reports in ${path.relative(process.cwd(), REPORTS) || '.'}/`);
if (failed || (over && process.env.LIGHTHOUSE_STRICT === '1')) process.exit(1);
