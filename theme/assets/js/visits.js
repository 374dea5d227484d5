/* Visitor counter in the footer.
 * Runs only after the page has loaded and the browser is idle, so it never delays reading.
 * Sends one beacon (POST, no body, no cookie) and shows the figures; if the function cannot be
 * reached the widget simply stays hidden: no error is shown and nothing else on the page depends on it. */
(function () {
  "use strict";
  var box = document.getElementById("bvte-visits");
  if (!box || !window.fetch) return;
  var endpoint = box.getAttribute("data-endpoint") || "/api/visits";

  function idle(fn) {
    if ("requestIdleCallback" in window) window.requestIdleCallback(fn, { timeout: 4000 });
    else window.setTimeout(fn, 200);
  }

  function format(n) {
    try { return new Intl.NumberFormat("vi-VN").format(n); } catch (e) { return String(n); }
  }

  function show(data) {
    if (!data || typeof data.total !== "number") return;
    var cells = box.querySelectorAll("[data-visits]");
    for (var i = 0; i < cells.length; i++) {
      var value = data[cells[i].getAttribute("data-visits")];
      if (typeof value !== "number") return; // unexpected answer: keep the widget hidden
      cells[i].textContent = format(value);
    }
    box.hidden = false;
  }

  function beacon() {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint)) return;
      fetch(endpoint, { method: "POST", keepalive: true, credentials: "omit" }).catch(function () {});
    } catch (e) { /* counting is best effort */ }
  }

  function run() {
    idle(function () {
      beacon();
      fetch(endpoint, { credentials: "omit", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(show)
        .catch(function () { /* function unreachable: stay hidden */ });
    });
  }

  function start() {
    if (document.readyState === "complete") run();
    else window.addEventListener("load", run);
  }

  // A page the browser prerenders may never be seen: count it only once it is shown.
  if (document.prerendering) document.addEventListener("prerenderingchange", start, { once: true });
  else start();
})();
