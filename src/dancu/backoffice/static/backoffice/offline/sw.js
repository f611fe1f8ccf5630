/* dancu offline workspace: the service worker. The page puts its shell and assets in the cache (app.js
 * cacheShell); here the shell is served network first (a fresh page and CSRF token when online, the cached one
 * offline) and the assets cache first. Nothing else is cached: personal data lives encrypted in IndexedDB only. */
"use strict";
const CACHE = "dancu-offline-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).catch(() =>
        caches.open(CACHE).then((cache) => cache.match(url.pathname)).then((hit) => hit || Response.error()),
      ),
    );
    return;
  }
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(request).then((hit) => hit || fetch(request))),
  );
});
