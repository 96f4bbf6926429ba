/* Public report form: proof of work, district suggestions. The form works without it.
   (The quick exit is web/quickexit.js, shared by every public page.) */
(function () {
  "use strict";
  var d = document;
  var dep = d.getElementById("id_department"), list = d.getElementById("districts");
  if (dep && list && window.fetch) {
    var load = function () {
      list.innerHTML = "";
      if (!/^\d\d$/.test(dep.value)) return;
      fetch(dep.getAttribute("data-url") + "?department=" + dep.value)
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (rows) {
          rows.forEach(function (row) {
            var o = d.createElement("option");
            o.value = row.label;
            list.appendChild(o);
          });
        })
        .catch(function () {});
    };
    dep.addEventListener("change", load);
    load();
  }

  var form = d.querySelector("form[data-pow]");
  var subtle = window.crypto && crypto.subtle;
  if (!form || !subtle || !window.TextEncoder || !window.Promise) return;
  var ch = JSON.parse(form.getAttribute("data-pow"));
  var out = form.querySelector("input[name=pow]");
  var note = d.getElementById("pow-note");
  var enc = new TextEncoder();
  var solving = null;

  function hex(buf) {
    var a = new Uint8Array(buf), s = "";
    for (var i = 0; i < a.length; i++) s += (a[i] < 16 ? "0" : "") + a[i].toString(16);
    return s;
  }
  function batch(start) {
    /* 200 hashes at a time keeps the page responsive on slow phones. */
    var jobs = [];
    for (var n = start; n < start + 200 && n <= ch.maxnumber; n++) {
      jobs.push(subtle.digest("SHA-256", enc.encode(ch.salt + n)));
    }
    return Promise.all(jobs).then(function (hashes) {
      for (var i = 0; i < hashes.length; i++) {
        if (hex(hashes[i]) === ch.challenge) return start + i;
      }
      return start + 200 > ch.maxnumber ? null : batch(start + 200);
    });
  }
  function solve() {
    if (!solving) {
      solving = batch(0).then(function (n) {
        if (n === null) return;
        out.value = btoa(JSON.stringify({
          algorithm: ch.algorithm, challenge: ch.challenge, number: n, salt: ch.salt, signature: ch.signature
        }));
      });
    }
    return solving;
  }
  solve();
  var sent = false;
  form.addEventListener("submit", function (e) {
    /* One report per tap: a second tap would replace the receipt page with a refusal. */
    if (sent) { e.preventDefault(); return; }
    if (out.value) { sent = true; return; }
    e.preventDefault();
    if (note) note.hidden = false;
    solve().then(function () { if (!sent) { sent = true; form.submit(); } });
  });
})();
