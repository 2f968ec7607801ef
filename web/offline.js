// Registers the service worker (sw.js) and caches what this page loaded, so that the next
// visit works without the network; #offline-status says which it is.
(() => {
  // The app renders into <body> and replaces what it finds there: the status line is made
  // when there is something to say.
  const say = (t) => {
    let el = document.getElementById('offline-status');
    if (!el && t) {
      el = document.createElement('p');
      el.id = 'offline-status';
      el.setAttribute('role', 'status');
      document.body.append(el);
    }
    if (el) el.textContent = t;
  };
  if (!('serviceWorker' in navigator) || !('caches' in window)) return;
  const show = () => say(navigator.onLine ? '' : 'offline: running from the cached copy');
  window.addEventListener('online', show);
  window.addEventListener('offline', show);
  show();
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('sw.js').then(() => navigator.serviceWorker.ready).then(() => {
      const here = new URL('./', location.href).href;
      const urls = performance.getEntriesByType('resource')
        .map((e) => e.name)
        .filter((u) => u.startsWith(location.origin))
        .concat([here, 'mm-worker-loader.js', 'offline.js']);
      return caches.open('pinlab-v1').then((c) => c.addAll([...new Set(urls.map((u) => new URL(u, here).href))]));
    }).then(() => {
      document.documentElement.dataset.offline = 'ready';
      if (navigator.onLine) say('✓ works offline');
      setTimeout(show, 4000);
    }).catch((e) => console.warn('pinlab: offline copy not made:', e && e.message));
  });
})();
