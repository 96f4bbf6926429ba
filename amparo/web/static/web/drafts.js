// Drafts of long forms, kept on this phone only and encrypted (see amparo/lib/drafts.py, docs/records.md).
//
// A form opts in with data-draft-name and data-draft-key (the session's AES key, base64, given by the
// server in a no-store page and never written to the browser's storage). What is typed is saved as
// AES-GCM ciphertext in localStorage under "amparo.draft.<name>", with only the time it was saved in
// clear (to wipe it after 24 hours). A draft is wiped when the server says it was sent (a message
// tagged draft-sent), when nobody is signed in (after sign-out or the session's end), after 24 hours,
// and when it no longer opens with the session's key. Without WebCrypto nothing is stored at all.
(function () {
  "use strict";
  var PREFIX = "amparo.draft.";
  var MAX_AGE_MS = 24 * 3600 * 1000;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function draftKeys(store) {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var k = store.key(i);
      if (k && k.indexOf(PREFIX) === 0) { keys.push(k); }
    }
    return keys;
  }
  function wipe(store, name) {
    draftKeys(store).forEach(function (k) {
      if (!name || k === PREFIX + name) { store.removeItem(k); }
    });
  }
  function read(store, name) {
    try { return JSON.parse(store.getItem(PREFIX + name) || "null"); } catch (e) { return null; }
  }

  var store = storage();
  if (!store) { return; }
  var signedIn = document.body && document.body.hasAttribute("data-signed-in");

  // Signed out (or the session ended): the key is gone on the server, so are the drafts here.
  if (!signedIn) { wipe(store); return; }
  draftKeys(store).forEach(function (k) {
    var d = read(store, k.slice(PREFIX.length));
    if (!d || typeof d.t !== "number" || Date.now() - d.t > MAX_AGE_MS) { store.removeItem(k); }
  });
  // The server says a draft was sent: wipe it.
  Array.prototype.forEach.call(document.querySelectorAll(".messages li.draft-sent"), function (li) {
    li.className.split(/\s+/).forEach(function (c) {
      if (c.indexOf("draft-") === 0 && c !== "draft-sent") { wipe(store, c.slice(6)); }
    });
  });
  // Signing out wipes at once, before the next page.
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.matches && event.target.matches("form.sign-out")) { wipe(store); }
  });

  var subtle = window.crypto && window.crypto.subtle;
  var forms = document.querySelectorAll("form[data-draft-name][data-draft-key]");
  Array.prototype.forEach.call(forms, function (form) {
    if (!subtle || !window.isSecureContext) { form.setAttribute("data-draft-ready", ""); return; }
    setUp(form);
  });

  function b64(bytes) {
    var s = "";
    var a = new Uint8Array(bytes);
    for (var i = 0; i < a.length; i++) { s += String.fromCharCode(a[i]); }
    return btoa(s);
  }
  function unb64(text) {
    var s = atob(text);
    var a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { a[i] = s.charCodeAt(i); }
    return a;
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "submit" && el.type !== "button" && el.type !== "file" && el.type !== "password";
    });
  }
  function snapshot(form) {
    var values = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (!values[el.name]) { values[el.name] = []; }
        if (el.checked) { values[el.name].push(el.value); }
      } else if (el.tagName === "SELECT" && el.multiple) {
        values[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }
  function changedFromPage(el) {
    if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return el.value !== el.defaultValue;
  }
  function restore(form, values) {
    fields(form).forEach(function (el) {
      if (!(el.name in values)) { return; }
      var v = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(v) && v.indexOf(el.value) !== -1;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = Array.isArray(v) && v.indexOf(o.value) !== -1; });
      } else if (typeof v === "string") {
        el.value = v;
      }
      // What was typed inside a folded part is shown, not hidden behind its summary.
      var folded = el.closest("details:not([open])");
      if (folded && el.type !== "hidden" && changedFromPage(el)) {
        folded.open = true;
      }
    });
  }

  function setUp(form) {
    var name = form.getAttribute("data-draft-name");
    var dirty = false;
    var sending = false;
    var timer = null;
    var keyPromise = subtle.importKey("raw", unb64(form.getAttribute("data-draft-key")), "AES-GCM", false, ["encrypt", "decrypt"]);

    function save() {
      var iv = window.crypto.getRandomValues(new Uint8Array(12));
      var plain = new TextEncoder().encode(JSON.stringify(snapshot(form)));
      return keyPromise.then(function (key) {
        return subtle.encrypt({ name: "AES-GCM", iv: iv }, key, plain);
      }).then(function (ct) {
        store.setItem(PREFIX + name, JSON.stringify({ v: 1, t: Date.now(), iv: b64(iv), ct: b64(ct) }));
      }).catch(function () { /* storage full or crypto refused: the form still works, without a draft */ });
    }
    function changed() {
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(save, 300);
    }

    function note(text, discardText) {
      var p = document.createElement("p");
      p.className = "draft-note card";
      p.setAttribute("role", "status");
      p.appendChild(document.createTextNode(text + " "));
      var b = document.createElement("button");
      b.type = "button";
      b.className = "small secondary";
      b.textContent = discardText;
      b.addEventListener("click", function () {
        wipe(store, name);
        dirty = false;
        window.location.reload();
      });
      p.appendChild(b);
      form.insertBefore(p, form.firstChild);
    }

    var saved = read(store, name);
    var ready;
    if (saved && form.hasAttribute("data-draft-fresh")) {
      ready = keyPromise.then(function (key) {
        return subtle.decrypt({ name: "AES-GCM", iv: unb64(saved.iv) }, key, unb64(saved.ct));
      }).then(function (plain) {
        restore(form, JSON.parse(new TextDecoder().decode(plain)));
        dirty = true;
        form.setAttribute("data-draft-restored", "");
        note(form.getAttribute("data-draft-restored-text"), form.getAttribute("data-draft-discard-text"));
      }).catch(function () {
        // Made with another session's key (signed out since): it can never be read again.
        wipe(store, name);
      });
    } else {
      ready = Promise.resolve();
    }
    ready.then(function () {
      form.addEventListener("input", changed);
      form.addEventListener("change", changed);
      form.setAttribute("data-draft-ready", "");
    });

    form.addEventListener("submit", function (event) {
      if (sending) { return; }
      // Keep the latest text before it leaves: if the connection fails, "back" finds it.
      event.preventDefault();
      clearTimeout(timer);
      sending = true;
      save().then(function () { HTMLFormElement.prototype.submit.call(form); });
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !sending) {
        event.preventDefault();
        event.returnValue = form.getAttribute("data-draft-leave-text") || "";
        return event.returnValue;
      }
      return undefined;
    });
    // Coming back to this page from the history (bfcache): the form is being edited again.
    window.addEventListener("pageshow", function (event) { if (event.persisted) { sending = false; } });
  }
})();
