/* The trainer's service worker (served as /trainer/sw.js: its scope is the trainer's pages).
 *
 * Network first, so the trainer always sees what the server knows; when the network is away,
 * the copy kept by the pages (offline.js keeps a session's learners when it is opened) or by an
 * earlier visit. Only same-origin GETs of the trainer's pages and of the static files are
 * kept; never a redirect (a log-in page in place of a learner's), never the queue's token.
 */
"use strict";

var CACHE = "sky-trainer-pages";
var KEPT = /\/(trainer\/(sessions\/\d+(\/learners\/(\d+|new))?)?|static\/.+\.(css|js|png))$/;
var NETWORK_WAIT_MS = 6000;

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !KEPT.test(url.pathname)) {
    return;
  }
  event.respondWith(networkFirst(request));
});

function networkFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    var network = fetch(request).then(function (response) {
      if (response.ok && !response.redirected && response.type === "basic") {
        cache.put(request, response.clone());
      }
      return response;
    });
    // A network that hangs (one bar on a building site) is no network: the kept copy, if any.
    var patience = new Promise(function (resolve) {
      setTimeout(resolve, NETWORK_WAIT_MS);
    }).then(function () {
      return cache.match(request, { ignoreVary: true });
    });
    return Promise.race([network, patience.then(function (kept) {
      return kept || network;
    })]).catch(function () {
      return cache.match(request, { ignoreVary: true }).then(function (kept) {
        return kept || Response.error();
      });
    });
  });
}
