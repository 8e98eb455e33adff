// The book's service worker. Template: crates/precache/src/worker.js; crates/precache writes the constants above
// from the built book, so every deployment has its own version and its own cache.
//
// One cache per version, named after it. Installing fetches every file of this version into its own cache, each
// checked against its digest; the page, its JS and both wasm modules are then all answered from that one cache,
// so an open page never mixes two versions. A new version waits until the reader accepts it (the page posts
// 'skip-waiting' from its "Reload" button) or until every tab of the book has closed; on activation it deletes the
// other versions' caches and takes over the open pages, which reload themselves (src/offline.rs).

const CACHE = CACHE_PREFIX + VERSION;
const PRECACHED = new Set(FILES.map(([path]) => path));

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

// Two downloads at a time: the worker fills its cache in the background while the reader's page, which may
// still be fetching a chapter over the same (often six-connection) link, keeps a free lane.
const PARALLEL_DOWNLOADS = 2;

async function precache() {
  const cache = await caches.open(CACHE);
  const queue = [...FILES];
  const download = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [path, integrity] = next;
      // 'no-cache' revalidates with the server instead of trusting the HTTP cache (index.html and the simulations
      // module keep their names from one version to the next), and the integrity check rejects any byte that is
      // not this version's: a half-deployed server fails the install, and the previous version stays in charge.
      const response = await fetch(new Request(path, { cache: 'no-cache', integrity }));
      if (!response.ok) throw new Error(`precache: ${path} answered ${response.status}`);
      // Some hosts redirect index.html to the folder; a redirected response may not answer a navigation, so keep
      // its body under a plain response.
      await cache.put(path, response.redirected
        ? new Response(await response.blob(), { status: response.status, headers: response.headers })
        : response);
    }
  };
  try {
    await Promise.all(Array.from({ length: PARALLEL_DOWNLOADS }, download));
  } catch (error) {
    // An incomplete copy is worse than none: the next visit starts again from scratch.
    await caches.delete(CACHE);
    throw error;
  }
}

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  // The book routes by the hash, so the only page it navigates to is its folder (or index.html in it).
  let path = url.pathname.slice(scope.pathname.length);
  if (path === '' && request.mode === 'navigate') path = 'index.html';
  // Anything else (another page on the host, a file of some other version) goes to the network untouched.
  if (!PRECACHED.has(path)) return;
  event.respondWith(fromCache(path, request));
});

async function fromCache(path, request) {
  const cache = await caches.open(CACHE);
  // A miss means the browser evicted the copy; the network is the only place left to look.
  return (await cache.match(path)) ?? fetch(request);
}
