/*
 * mkdocs-material's bundle (search, header title, back-to-top: 31 kB brotli) loaded after the first view.
 *
 * Its deferred <script> takes the place of the bundle's (theme/hooks/inline_assets.py), with the bundle's
 * address in data-src. Nothing on the first screen needs the bundle (111, quick exit, links, forms, the
 * drawer's and the search box's CSS-only toggles), so on a 2G link its bytes should not compete with the
 * page's: it is requested when the browser is idle after the load event, or at once on the reader's first
 * pointer, touch, key or focus, whichever comes first. Material starts on DOMContentLoaded, which has
 * long passed by then: its listener for that event is called as soon as the bundle has run. A search
 * shortcut key (/, s, f) that started the load is handed to the bundle again once it runs.
 */
(function () {
  "use strict";

  var url = document.currentScript && document.currentScript.getAttribute("data-src");
  if (!url) return;
  var TRIGGERS = ["pointerdown", "touchstart", "keydown", "focusin"];
  var SEARCH_KEYS = /^[/sSfF]$/;
  var contentLoaded = document.readyState !== "loading";
  var requested = false;
  document.addEventListener("DOMContentLoaded", function () { contentLoaded = true; });

  function isTyping(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function replay(trigger) {
    if (!trigger || trigger.type !== "keydown" || !SEARCH_KEYS.test(trigger.key) || isTyping(trigger.target)) return;
    trigger.target.dispatchEvent(new KeyboardEvent("keydown", {
      key: trigger.key, code: trigger.code, shiftKey: trigger.shiftKey, bubbles: true, cancelable: true,
    }));
  }

  function load(trigger) {
    if (requested) return;
    requested = true;
    TRIGGERS.forEach(function (type) { document.removeEventListener(type, load, true); });
    var add = document.addEventListener;
    var waiting = [];
    document.addEventListener = function (type, listener) {
      if (type === "DOMContentLoaded" && contentLoaded) { waiting.push(listener); return undefined; }
      return add.apply(this, arguments);
    };
    var script = document.createElement("script");
    script.src = url;
    script.onload = script.onerror = function () {
      document.addEventListener = add;
      var event = new Event("DOMContentLoaded");
      waiting.forEach(function (l) { if (typeof l === "function") l.call(document, event); else l.handleEvent(event); });
      replay(trigger && trigger.type ? trigger : null);
    };
    document.body.appendChild(script);
  }

  TRIGGERS.forEach(function (type) { document.addEventListener(type, load, true); });

  function whenIdle() {
    if (window.requestIdleCallback) window.requestIdleCallback(function () { load(null); }, { timeout: 2000 });
    else setTimeout(function () { load(null); }, 0);
  }
  if (document.readyState === "complete") whenIdle();
  else window.addEventListener("load", whenIdle);
})();
