/* Quick exit on every public page: leave at once, blank the page, and keep it out of the back history.
   The link works without JavaScript too (it is a plain link to a neutral page). */
(function () {
  "use strict";
  var d = document;
  var qx = d.getElementById("qx");
  if (!qx) return;
  function leave(e) {
    if (e) e.preventDefault();
    d.title = "";
    d.body.innerHTML = "";
    /* replace(): the page we leave does not stay in the back history. */
    location.replace(qx.href);
  }
  qx.addEventListener("click", leave);
  d.addEventListener("keydown", function (e) { if (e.key === "Escape") leave(e); });
})();
