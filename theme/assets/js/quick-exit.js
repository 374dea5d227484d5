/*
 * Quick exit ("Thoát nhanh"): leave this site at once for a neutral one.
 *
 * - The control is a plain link to the neutral site (extra.quick_exit_url), so it works without
 *   JavaScript too. With JavaScript it also: hides the page at once (slow connections take seconds
 *   to load the next site), empties every form field of this page, clears this site's
 *   sessionStorage, tells other scripts of the site to forget their drafts (event "bvte:quick-exit"
 *   on document), then goes with location.replace(), which swaps the current history entry
 *   for the neutral site: Back does not return to this page.
 * - Keyboard: press Shift three times in a row (within 5 seconds, no other key in between), as
 *   GOV.UK's "Exit this page" does. Typing capitals never triggers it: any other key resets the count.
 *
 * Inline in <head> of every site page (theme/main.html), so it works from the first paint; also loaded
 * async as a file, for the functions' pages whose CSP forbids inline scripts (a second copy returns at once).
 * Everything is delegated to document, nothing waits for the DOM.
 * It cannot remove earlier pages of this site from the browser's history, downloads or the
 * browser's own records; content/an-toan-khi-truy-cap.md says so.
 */
(function () {
  "use strict";
  if (window.bvteQuickExit) return;

  var PRESSES = 3;
  var WINDOW_MS = 5000;

  function neutralUrl(link) {
    link = link || document.querySelector("[data-bvte-exit]");
    return link ? link.href : "about:blank";
  }

  function clearFields() {
    var fields = document.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      try {
        if (field.type === "checkbox" || field.type === "radio") field.checked = false;
        else if (field.tagName === "SELECT") field.selectedIndex = -1;
        else if (field.type !== "hidden" && field.type !== "submit" && field.type !== "button") field.value = "";
      } catch (e) { /* a field that refuses a value keeps nothing typed anyway */ }
    }
  }

  function exit(url) {
    try { document.documentElement.style.visibility = "hidden"; } catch (e) { /* keep going */ }
    try { document.title = ""; } catch (e) { /* keep going */ }
    clearFields();
    try { window.sessionStorage.clear(); } catch (e) { /* storage disabled */ }
    try { document.dispatchEvent(new CustomEvent("bvte:quick-exit")); } catch (e) { /* keep going */ }
    window.location.replace(url);
  }

  document.addEventListener("click", function (event) {
    if (event.button !== 0) return;
    var link = event.target && event.target.closest && event.target.closest("[data-bvte-exit]");
    if (!link) return;
    event.preventDefault();
    exit(neutralUrl(link));
  }, true);

  var count = 0;
  var first = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") { count = 0; return; }
    if (event.repeat) return;
    var now = Date.now();
    if (count === 0 || now - first > WINDOW_MS) { count = 0; first = now; }
    count += 1;
    if (count >= PRESSES) {
      count = 0;
      exit(neutralUrl());
    }
  }, true);

  window.bvteQuickExit = exit;
})();
