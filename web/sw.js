// pinlab's service worker: the page keeps working offline once it has loaded. Network first
// (a new build is picked up at once), the cache when the network fails. offline.js fills the
// cache with what the page loaded before this worker controlled it.
const CACHE = 'pinlab-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  e.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          e.waitUntil(caches.open(CACHE).then((c) => c.put(req, copy)));
        }
        return res;
      })
      .catch(() =>
        caches.match(req, { ignoreSearch: true })
          .then((hit) => hit ?? (req.mode === 'navigate' ? caches.match('./', { ignoreSearch: true }) : undefined))
          .then((hit) => hit ?? Response.error()),
      ),
  );
});
