/*
 * File inputs in Vietnamese whatever the browser's language.
 *
 * Chromium draws "Choose File" / "No file chosen" inside <input type="file"> in the browser's own language.
 * The forms (functions/templates/tips/form.html, assessments/form.html) wrap each file input in
 * <span class="bvte-file"> with a <label> "Chọn tệp…" styled as a button and a line for the chosen names.
 * This script shows the names in Vietnamese and marks the box ready; only then does the CSS (report.css)
 * hide the input visually. It stays focusable: Tab reaches it, Space or Enter opens the chooser, and the
 * label shows its focus. Without JavaScript the browser's own input is shown, as it alone can say which
 * files were chosen.
 */
(function () {
  "use strict";

  var NONE = "Chưa chọn tệp";

  function chosen(input) {
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    if (names.length === 0) return NONE;
    if (names.length === 1) return "Đã chọn: " + names[0];
    return "Đã chọn " + names.length + " tệp: " + names.join(", ");
  }

  function setUp(box) {
    var input = box.querySelector("input[type=file]");
    var line = box.querySelector(".bvte-file__names");
    if (!input || !line || box.classList.contains("bvte-file--ready")) return;
    var show = function () { line.textContent = chosen(input); };
    input.addEventListener("change", show);
    // A form reset empties the input without a change event; the reset happens after its event.
    if (input.form) input.form.addEventListener("reset", function () { window.setTimeout(show, 0); });
    var described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (line.id && described.indexOf(line.id) < 0) input.setAttribute("aria-describedby", described.concat(line.id).join(" "));
    show();
    box.classList.add("bvte-file--ready");
  }

  function init() { Array.prototype.forEach.call(document.querySelectorAll(".bvte-file"), setUp); }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
