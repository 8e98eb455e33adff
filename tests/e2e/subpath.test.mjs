// The same dist/ served under a subpath, as on a project site: /replication/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage } from './harness.mjs';

test('the book works under /replication/ with no rewrite rules', async () => {
  const server = await serve('/replication/');
  const browser = await launch();
  try {
    const { page, problems } = await openPage(browser);
    await page.goto(server.base + '#/the-problem');
    const figure = page.getByRole('figure', { name: 'Single node vs replicated system' });
    await figure.waitFor();
    await figure.getByRole('button', { name: 'Kill Primary' }).click();
    assert.match(await figure.locator('[role=status]').textContent(), /crashes/);
    await page.reload();
    await figure.waitFor();
    assert.deepEqual(problems, [], 'every asset and chapter file loaded from the subpath');
  } finally {
    await browser.close();
    await server.close();
  }
});
