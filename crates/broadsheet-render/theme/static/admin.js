// Live preview for the article editor: the body is sent to /admin/preview as the user types
// (at most every 600 ms) and the sanitised HTML the server returns replaces the preview.
// Without this script the "Preview" button does the same with a page load.
(function () {
  "use strict";
  var form = document.querySelector("form.editor[data-preview]");
  if (!form) { return; }
  var body = form.querySelector("#body");
  var out = document.getElementById("preview");
  var csrf = form.querySelector("input[name=csrf]");
  if (!body || !out || !csrf) { return; }
  var timer = null;
  var last = null;
  function refresh() {
    if (body.value === last) { return; }
    last = body.value;
    var data = new URLSearchParams();
    data.set("csrf", csrf.value);
    data.set("body", body.value);
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: data.toString()
    }).then(function (r) {
      if (!r.ok) { throw new Error("preview " + r.status); }
      return r.text();
    }).then(function (html) {
      out.innerHTML = html;
    }).catch(function () { /* the Preview button still works */ });
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });
  refresh();
}());

// Word count under the story, as the writer types.
(function () {
  "use strict";
  var body = document.getElementById("body");
  var out = document.getElementById("word-count");
  if (!body || !out) { return; }
  function count() {
    // Markdown's own marks (#, *, >, -, links' addresses) are not words.
    var text = body.value.replace(/\]\([^)]*\)/g, "]").replace(/[#*_>`~\[\]|-]+/g, " ");
    var words = text.split(/\s+/).filter(function (w) { return /[\p{L}\p{N}]/u.test(w); }).length;
    out.textContent = words === 1 ? "1 word" : words.toLocaleString("en") + " words";
  }
  out.hidden = false;
  body.addEventListener("input", count);
  count();
}());

// A copy of the editor's fields in this browser, so a closed tab, a crash or a lost connection
// loses nothing: kept as the writer types, offered back ("Restore") when the editor opens with
// different text, and dropped once a save has gone through. The copy carries the version it
// was based on, so restoring it over a newer version still meets the conflict rule on save.
(function () {
  "use strict";
  var form = document.querySelector("form.editor");
  if (!form || !window.localStorage) { return; }
  var key = "broadsheet-editor:" + form.getAttribute("action");
  var NEW_KEY = "broadsheet-editor:/admin/articles/new";
  function fields() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf" || el.type === "submit" || el.type === "button") { return; }
      out[el.name] = el.type === "checkbox" ? (el.checked ? el.value : "") : el.value;
    });
    return out;
  }
  function same(a, b) {
    return Object.keys(a).every(function (k) { return k === "base_version" || (b[k] || "") === (a[k] || ""); });
  }
  function read(k) { try { return JSON.parse(localStorage.getItem(k) || "null"); } catch (e) { return null; } }
  function write(copy) { try { localStorage.setItem(key, JSON.stringify(copy)); } catch (e) { /* full or private */ } }
  var saved = /[?&]saved=/.test(location.search);
  if (saved) {
    localStorage.removeItem(key);
    var fresh = read(NEW_KEY);
    if (fresh && fresh.submitted && Date.now() - fresh.submitted < 10 * 60 * 1000) { localStorage.removeItem(NEW_KEY); }
  }
  var copy = read(key);
  var start = fields();
  if (copy && copy.fields && !same(copy.fields, start)) {
    var offer = document.createElement("div");
    offer.className = "restore-offer";
    offer.setAttribute("role", "region");
    offer.setAttribute("aria-label", "Unsaved changes");
    var when = new Date(copy.at).toLocaleString();
    offer.innerHTML = "<p>This browser kept a copy of changes that were not saved (" + when.replace(/[<>&]/g, "") +
      "). <button type=\"button\" data-restore>Restore them</button><button type=\"button\" class=\"secondary\" data-discard>Discard the copy</button></p>";
    form.parentNode.insertBefore(offer, form);
    offer.querySelector("[data-restore]").addEventListener("click", function () {
      Object.keys(copy.fields).forEach(function (name) {
        var el = form.elements[name];
        if (!el || el.name === undefined) { return; }
        if (el.type === "checkbox") { el.checked = copy.fields[name] !== ""; } else { el.value = copy.fields[name]; }
        el.dispatchEvent(new Event("input", { bubbles: true }));
      });
      offer.remove();
      form.elements.headline.focus();
    });
    offer.querySelector("[data-discard]").addEventListener("click", function () {
      localStorage.removeItem(key);
      offer.remove();
    });
  }
  var timer = null;
  var submitting = false;
  function keep() {
    // Leaving the page to save: the copy marked at submit stays as it is.
    if (submitting) { return; }
    var now = fields();
    if (same(now, start) && !read(key)) { return; }
    write({ at: Date.now(), fields: now });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(keep, 1000); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(keep, 1000); });
  window.addEventListener("pagehide", keep);
  form.addEventListener("submit", function () {
    clearTimeout(timer);
    submitting = true;
    // A save that never left the page (the connection dropped): keep copying again.
    setTimeout(function () { submitting = false; }, 5000);
    var c = read(key) || { at: Date.now(), fields: fields() };
    if (c) { c.submitted = Date.now(); write(c); }
  });
}());

// The media picker: the library in a dialog, with thumbnails, search and upload, so choosing
// a photo never leaves the editor. Choosing one fills in its stored alt text, caption and
// credit. Without this script the list and the library page (a new tab) do the same.
(function () {
  "use strict";
  var dialog = document.getElementById("media-picker");
  var open = document.getElementById("open-picker");
  var select = document.getElementById("hero_media_id");
  if (!dialog || !open || !select || typeof dialog.showModal !== "function") { return; }
  var list = document.getElementById("picker-list");
  var status = document.getElementById("picker-status");
  var q = document.getElementById("picker-q");
  var upload = document.getElementById("picker-upload");
  var problem = document.getElementById("picker-problem");
  var thumb = document.getElementById("hero-thumb");
  var csrf = document.querySelector("form.editor input[name=csrf]");
  var items = [];
  // Who gets the chosen photo: the hero fields, or the story (a figure in the rich editor).
  var onChoose = null;
  var opener = open;
  open.hidden = false;
  function set(id, value) {
    var el = document.getElementById(id);
    if (el) { el.value = value || ""; el.dispatchEvent(new Event("input", { bubbles: true })); }
  }
  function showThumb(item) {
    if (!thumb) { return; }
    thumb.textContent = "";
    if (!item) { thumb.hidden = true; return; }
    var img = document.createElement("img");
    img.src = item.thumb;
    img.alt = "Chosen: " + (item.alt || item.name);
    thumb.appendChild(img);
    thumb.hidden = false;
  }
  function choose(item) {
    if (onChoose) {
      var take = onChoose;
      onChoose = null;
      dialog.close();
      take({ src: item.src, alt: item.alt, caption: item.caption, photographer: item.photographer, agency: item.agency, via: item.via });
      return;
    }
    var option = select.querySelector("option[value='" + item.id + "']");
    if (!option) {
      option = document.createElement("option");
      option.value = item.id;
      option.textContent = item.name + " (media " + item.id + ")";
      select.appendChild(option);
    }
    select.value = item.id;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    set("hero_alt", item.alt);
    set("hero_caption", item.caption);
    set("credit_photographer", item.photographer);
    set("credit_agency", item.agency);
    set("credit_via", item.via);
    showThumb(item);
    dialog.close();
    open.focus();
  }
  // `file`: a photo dropped or pasted into the story, ready in the upload form for its
  // alt text, caption and credit.
  function openPicker(callback, from, file) {
    onChoose = callback || null;
    opener = from || open;
    dialog.showModal();
    problem.hidden = true;
    if (file) {
      var transfer = new DataTransfer();
      transfer.items.add(file);
      document.getElementById("pu-file").files = transfer.files;
      upload.closest("details").open = true;
      document.getElementById("pu-alt").focus();
    } else {
      q.focus();
    }
    return load(q.value);
  }
  dialog.addEventListener("close", function () { onChoose = null; if (opener) { opener.focus(); } });
  window.BroadsheetPickers = window.BroadsheetPickers || {};
  window.BroadsheetPickers.photo = function (callback, from, file) { openPicker(callback, from, file); };
  function render() {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      var img = document.createElement("img");
      img.src = item.thumb;
      img.alt = "";
      img.loading = "lazy";
      // The visible words are the button's name, with "Choose" and the media number for
      // screen readers around them.
      var before = document.createElement("span");
      before.className = "visually-hidden";
      before.textContent = "Choose ";
      var label = document.createElement("span");
      label.textContent = (item.alt || item.name) + (item.photographer ? " · " + item.photographer : "");
      var after = document.createElement("span");
      after.className = "visually-hidden";
      after.textContent = " (media " + item.id + ")";
      b.appendChild(img);
      b.appendChild(before);
      b.appendChild(label);
      b.appendChild(after);
      b.title = item.caption || "";
      b.addEventListener("click", function () { choose(item); });
      li.appendChild(b);
      list.appendChild(li);
    });
    status.textContent = items.length ? items.length + " photos" : "No photo matches.";
  }
  function load(text) {
    status.textContent = "Loading…";
    return fetch("/admin/media?q=" + encodeURIComponent(text || ""), { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        items = Array.prototype.map.call(doc.querySelectorAll("ul.library > li[data-id]"), function (li) {
          var d = li.dataset;
          return { id: d.id, thumb: d.thumb, src: d.src, name: d.name, alt: d.alt, caption: d.caption, photographer: d.photographer, agency: d.agency, via: d.via };
        });
        render();
      })
      .catch(function () { status.textContent = "The library could not be loaded. Try again, or use the library page."; });
  }
  open.addEventListener("click", function () { openPicker(null, open); });
  document.getElementById("close-picker").addEventListener("click", function () { dialog.close(); });
  dialog.querySelector(".picker-search").addEventListener("submit", function (e) { e.preventDefault(); load(q.value); });
  upload.addEventListener("submit", function (e) {
    e.preventDefault();
    problem.hidden = true;
    var data = new FormData(upload);
    data.append("csrf", csrf ? csrf.value : "");
    status.textContent = "Uploading…";
    fetch("/admin/media", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) {
        var m = /[?&]uploaded=(\d+)/.exec(r.url);
        if (r.ok && m) {
          return load("").then(function () {
            var item = items.filter(function (i) { return i.id === m[1]; })[0];
            upload.reset();
            if (item) { choose(item); }
          });
        }
        return r.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var why = doc.querySelector(".problem, .form-problem");
          throw new Error(why ? why.textContent.trim() : "The upload failed (" + r.status + ").");
        });
      })
      .catch(function (err) {
        status.textContent = "";
        problem.textContent = err.message || "The upload failed.";
        problem.hidden = false;
      });
  });
  // The photo already chosen, shown small.
  if (select.value) {
    load("").then(function () {
      showThumb(items.filter(function (i) { return i.id === select.value; })[0]);
    });
  }
}());

// The market data picker: an instrument from the markets page, as a quote in the sentence or a
// chart, inserted as the tag the story's Markdown uses ({{quote SYMBOL}}, {{chart SYMBOL 1Y}}).
(function () {
  "use strict";
  var dialog = document.getElementById("market-picker");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var select = document.getElementById("mp-instrument");
  var range = document.getElementById("mp-range");
  var form = document.getElementById("market-form");
  var callback = null;
  var opener = null;
  var loaded = null;
  function load() {
    if (loaded) { return loaded; }
    loaded = fetch("/markets", { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      Array.prototype.forEach.call(doc.querySelectorAll("table.market-table tbody tr"), function (tr) {
        var name = tr.querySelector("th a");
        var symbol = tr.querySelector("th .symbol");
        if (!name || !symbol) { return; }
        var o = document.createElement("option");
        o.value = symbol.textContent.trim();
        o.textContent = name.textContent.trim() + " (" + o.value + ")";
        select.appendChild(o);
      });
    });
    return loaded;
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var symbol = select.value;
    var chart = document.getElementById("mp-chart").checked;
    var take = callback;
    callback = null;
    dialog.close();
    if (take && symbol) {
      take(chart ? { tag: "{{chart " + symbol + " " + range.value + "}}", block: true } : { tag: "{{quote " + symbol + "}}", block: false });
    }
  });
  document.getElementById("mp-cancel").addEventListener("click", function () { callback = null; dialog.close(); });
  dialog.addEventListener("close", function () { if (opener) { opener.focus(); } });
  window.BroadsheetPickers = window.BroadsheetPickers || {};
  window.BroadsheetPickers.market = function (cb, from) {
    callback = cb;
    opener = from;
    load().then(function () { dialog.showModal(); select.focus(); });
  };
}());

// A story over the server's limit (2 MB of Markdown) is stopped here with the reason, before
// the browser sends it, so the text stays in the editor rather than meeting an error page.
(function () {
  "use strict";
  var form = document.querySelector("form.editor");
  var body = document.getElementById("body");
  if (!form || !body || !window.TextEncoder) { return; }
  var LIMIT = 2000000;
  var problem = document.createElement("p");
  problem.className = "problem";
  problem.setAttribute("role", "alert");
  problem.hidden = true;
  body.parentNode.insertBefore(problem, body);
  form.addEventListener("submit", function (e) {
    var bytes = new TextEncoder().encode(body.value).length;
    if (bytes > LIMIT) {
      e.preventDefault();
      e.stopImmediatePropagation();
      problem.textContent = "Not saved: the story is " + (bytes / 1e6).toFixed(1) + " MB, and a story can be at most 2 MB. Shorten it, or split it into two stories; your text is still here.";
      problem.hidden = false;
      problem.scrollIntoView({ block: "center" });
    } else {
      problem.hidden = true;
    }
  }, true);
}());
