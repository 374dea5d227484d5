// The console's only script: when the key is dropped for idleness, the page forgets what it showed.
(function () {
  "use strict";
  var seconds = Number(document.body.getAttribute("data-idle-seconds")) || 0;
  function forget() {
    var main = document.getElementById("noi-dung");
    if (main) { main.replaceChildren(); }
    window.location.replace("/mo-khoa");
  }
  if (seconds > 0) {
    window.setTimeout(forget, seconds * 1000);
  }
  // A page restored from the back/forward cache may show a case after locking: ask the server again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print]");
    if (target) { event.preventDefault(); window.print(); }
  });
}());
