// District picker: a click on a suggestion fills the hidden ubigeo code and the search box.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var btn = event.target.closest ? event.target.closest(".pick-district") : null;
    if (!btn) { return; }
    var code = document.getElementById("id_district");
    var box = document.getElementById("district-q");
    var dept = document.getElementById("id_department");
    if (code) { code.value = btn.dataset.code; }
    if (box) { box.value = btn.dataset.label; }
    if (dept && !dept.value) { dept.value = btn.dataset.code.slice(0, 2); }
    var list = document.getElementById("district-options");
    if (list) { list.innerHTML = ""; }
  });
  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "district-q") {
      var code = document.getElementById("id_district");
      if (code) { code.value = ""; }
    }
  });
})();
