/*
 * Search worker wrapper: material's search worker, with Vietnamese tones folded away, so that
 * "xam hai tre em" finds "xâm hại trẻ em" and "danh gia" finds "đánh giá".
 *
 * Started by theme/assets/js/search-lazy.js as workers/search-fold.js?worker=<path of material's
 * worker>. It lives next to material's worker because that worker loads its language files with
 * importScripts("../lunr/..."), relative to the worker's own address.
 *
 * Folding = functions.core.text.fold step for step: lower case, NFD, đ→d, every nonspacing mark
 * (Unicode Mn) removed, NFC (tests/test_form_rules_browser.py compares the two in Chromium):
 * - queries: our message listener is registered before material's, and rewrites the query string
 *   of every query message ({type: 2, data: "<query>"}) in place; listeners share one event.data;
 * - the index: every token goes through lunr.Pipeline#run (at indexing and for query terms that
 *   use the pipeline); we fold the tokens before the language pipeline runs. Highlighting is not
 *   affected: material keeps the positions of each token in the original text.
 */
"use strict";

var QUERY = 2;

// Built at run time: a \p{} class in a regular expression literal would stop older parsers
// reading this file at all; they get the common combining marks instead.
var MARKS = (function () {
  try { return new RegExp("\\p{Mn}", "gu"); } catch (e) { return /[\u0300-\u036f]/g; }
})();

function fold(text) {
  return text.toLowerCase().normalize("NFD").replace(/\u0111/g, "d").replace(MARKS, "").normalize("NFC");
}

self.addEventListener("message", function (event) {
  var message = event.data;
  if (message && message.type === QUERY && typeof message.data === "string") {
    message.data = fold(message.data);
  }
});

(function () {
  var path = new URL(self.location.href).searchParams.get("worker") || "";
  var original = new URL(path, self.location.href);
  var here = new URL("./", self.location.href);
  // Only material's search worker from this same folder: never a script named by someone else.
  if (original.origin !== here.origin || original.href.indexOf(here.href) !== 0 ||
      !/\/search\.[0-9a-f]+\.min\.js$/.test(original.pathname)) {
    throw new Error("search-fold: unexpected worker " + path);
  }
  importScripts(original.href);
})();

(function (lunr) {
  var run = lunr.Pipeline.prototype.run;
  lunr.Pipeline.prototype.run = function (tokens) {
    for (var i = 0; i < tokens.length; i++) tokens[i].update(fold);
    return run.call(this, tokens);
  };
})(self.lunr);
