/*
 * Search that costs nothing until it is used, and finds words typed without tones.
 *
 * Loaded before mkdocs-material's bundle (theme/main.html), it wraps two browser objects the bundle
 * uses (checked against material 9.8.1):
 *
 * 1. XMLHttpRequest: the bundle requests search/search_index.json with XHR as soon as the page loads.
 *    A request for that file is held back until the reader starts to search (opens or focuses the
 *    search box, or types in it), then sent unchanged. Readers who never search never download it.
 *    fetch() is wrapped the same way, should a later bundle use it.
 * 2. Worker: the bundle creates its search worker (workers/search.<hash>.min.js) at load. We hand it
 *    a stand-in that creates the real worker only when the bundle first talks to it (after the index
 *    arrived), and the real worker is our wrapper workers/search-fold.js, which folds tones (đ→d)
 *    in the index and in every query, then runs material's worker unchanged.
 */
(function () {
  "use strict";

  var INDEX = /\/search\/search_index\.json(?:[?#]|$)/;
  var SEARCH_WORKER = /\/workers\/search\.[0-9a-f]+\.min\.js(?:[?#]|$)/;
  var started = false;
  var held = [];

  function start() {
    if (started) return;
    started = true;
    held.splice(0).forEach(function (send) { send(); });
  }

  function isIndex(url) {
    try { return INDEX.test(new URL(String(url), document.baseURI).pathname); } catch (e) { return false; }
  }

  // The reader starts to search: the search toggle opens, or the search box gets focus or input.
  function isSearchBox(el) {
    return !!(el && el.closest && (el.id === "__search" || el.closest("[data-md-component=search]")));
  }
  document.addEventListener("focusin", function (e) { if (isSearchBox(e.target)) start(); }, true);
  document.addEventListener("input", function (e) { if (isSearchBox(e.target)) start(); }, true);
  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "__search" && e.target.checked) start();
  }, true);

  // Material's search dialog has no accessible name (axe: aria-dialog-name): give it the search box's.
  var dialog = document.querySelector(".md-search[role=dialog]");
  var query = document.querySelector("[data-md-component=search-query]");
  if (dialog && !dialog.hasAttribute("aria-label")) {
    dialog.setAttribute("aria-label", (query && query.getAttribute("aria-label")) || "Tìm kiếm");
  }

  // 1. Hold back the index request.
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.bvteHeld = isIndex(url);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var xhr = this;
    var args = arguments;
    if (xhr.bvteHeld && !started) {
      held.push(function () { send.apply(xhr, args); });
      return undefined;
    }
    return send.apply(xhr, args);
  };
  if (window.fetch) {
    var nativeFetch = window.fetch;
    window.fetch = function (input) {
      var self = this;
      var args = arguments;
      var url = input && typeof input === "object" && "url" in input ? input.url : input;
      if (!started && isIndex(url)) {
        return new Promise(function (resolve) { held.push(resolve); })
          .then(function () { return nativeFetch.apply(self, args); });
      }
      return nativeFetch.apply(self, args);
    };
  }

  // 2. The search worker: created on first use, and wrapped to fold tones.
  var NativeWorker = window.Worker;
  if (!NativeWorker || typeof EventTarget !== "function") return;

  function foldingUrl(url) {
    var original = new URL(String(url), document.baseURI);
    var wrapper = new URL("search-fold.js", original);
    wrapper.searchParams.set("worker", original.pathname);
    return wrapper.href;
  }

  function LazyWorker(url, options) {
    var target = new EventTarget();
    var real = null;
    function worker() {
      if (real) return real;
      real = new NativeWorker(foldingUrl(url), options);
      real.addEventListener("message", function (e) {
        target.dispatchEvent(new MessageEvent("message", { data: e.data }));
      });
      real.addEventListener("error", function (e) {
        // Material's own worker would fail the same way; say why in the console, not to the reader.
        if (window.console) console.warn("search worker:", e.message);
      });
      return real;
    }
    this.addEventListener = target.addEventListener.bind(target);
    this.removeEventListener = target.removeEventListener.bind(target);
    this.dispatchEvent = target.dispatchEvent.bind(target);
    this.postMessage = function (message, transfer) { worker().postMessage(message, transfer); };
    this.terminate = function () { if (real) real.terminate(); };
  }

  window.Worker = function (url, options) {
    var path = "";
    try { path = new URL(String(url), document.baseURI).pathname; } catch (e) { /* not ours */ }
    if (SEARCH_WORKER.test(path)) return new LazyWorker(url, options);
    return new NativeWorker(url, options);
  };
  window.Worker.prototype = NativeWorker.prototype;
})();
