// A development build's worker (template: crates/precache/src/retiring-worker.js). `trunk serve` must always show
// the latest build, so this worker keeps nothing: if a release build of the book once installed its worker on this
// origin, the browser finds this one on its next update check, and it deletes the book's caches, unregisters and
// reloads the open pages from the network.

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX)).map((name) => caches.delete(name)));
    await self.registration.unregister();
    const pages = await self.clients.matchAll({ type: 'window' });
    await Promise.all(pages.map((page) => page.navigate(page.url)));
  })());
});
