// The sign-up dialog, and what this browser remembers about it. It respects the reader:
// - never again after Close, or after a sign-up through any form on any page (the dialog, the
//   box under a story, the footer, /subscribe);
// - at most `data-max-shows` times in all (default once), whether or not the reader answered;
// - never while a sign-up box is on screen or being typed in (the reader is already there);
// - never on the /subscribe and preferences pages (they have no dialog at all).
// All of it lives in this browser's local storage: no cookie, nothing sent to the server.
// Focus stays inside while it is open, Esc closes it, and focus returns where it was.
// Without JavaScript the dialog never shows; the footer and /subscribe forms do the same job.
(function () {
  "use strict";
  var KEY = "broadsheet-newsletter";
  function load() {
    var raw = null;
    try { raw = localStorage.getItem(KEY); } catch (e) { return null; }
    if (raw === "closed" || raw === "subscribed") { return { done: raw, shown: 1 }; }
    try { var v = JSON.parse(raw || "{}"); return v && typeof v === "object" ? v : {}; } catch (e) { return {}; }
  }
  function save(v) { try { localStorage.setItem(KEY, JSON.stringify(v)); } catch (e) { /* private mode */ } }
  function remember(field, value) { var v = load() || {}; v[field] = value; save(v); }

  // Any sign-up form, dialog or not, marks this browser as subscribed.
  Array.prototype.forEach.call(document.querySelectorAll("form[action='/subscribe']"), function (form) {
    form.addEventListener("submit", function () { remember("done", "subscribed"); });
  });

  // A confirmation link or a preferences page opened in this browser: a subscriber.
  if (document.querySelector("[data-newsletter-subscribed]")) { remember("done", "subscribed"); }

  var dialog = document.getElementById("signup-dialog");
  if (!dialog || location.pathname.indexOf("/subscribe") === 0 || location.pathname.indexOf("/newsletter") === 0) { return; }
  var state = load();
  var max = parseInt(dialog.getAttribute("data-max-shows"), 10);
  if (isNaN(max)) { max = 1; }
  // No storage (some private modes): showing it on every page would nag, so never.
  if (state === null || state.done || (state.shown || 0) >= max) { return; }

  var boxes = Array.prototype.filter.call(document.querySelectorAll("form[action='/subscribe']"), function (f) {
    return !dialog.contains(f);
  });
  function atSignupBox() {
    var h = window.innerHeight || document.documentElement.clientHeight;
    return boxes.some(function (f) {
      if (f.contains(document.activeElement)) { return true; }
      var r = f.getBoundingClientRect();
      return r.bottom > 0 && r.top < h && r.height > 0;
    });
  }

  var before = null;
  var shown = false;
  var waiting = false;
  function focusables() {
    return Array.prototype.slice.call(dialog.querySelectorAll("button, input:not([tabindex='-1']), a[href]"))
      .filter(function (el) { return !el.closest(".hp"); });
  }
  function close() {
    dialog.hidden = true;
    remember("done", "closed");
    document.removeEventListener("keydown", onKey, true);
    if (before && before.focus) { before.focus(); }
  }
  function onKey(e) {
    if (e.key === "Escape") { e.preventDefault(); close(); return; }
    if (e.key !== "Tab") { return; }
    var items = focusables();
    if (!items.length) { return; }
    var first = items[0], last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  }
  function show() {
    if (shown) { return; }
    // The storage may have changed in another tab since this page loaded.
    var now = load() || {};
    if (now.done || (now.shown || 0) >= max) { return; }
    // At a sign-up box: not now; try again once the reader has moved on.
    if (atSignupBox()) { waiting = true; return; }
    waiting = false;
    shown = true;
    remember("shown", (now.shown || 0) + 1);
    before = document.activeElement;
    dialog.hidden = false;
    document.addEventListener("keydown", onKey, true);
    var email = dialog.querySelector("input[type=email]");
    (email || dialog).focus();
  }
  dialog.querySelector("[data-close]").addEventListener("click", close);
  dialog.addEventListener("click", function (e) { if (e.target === dialog) { close(); } });
  var delay = parseInt(dialog.getAttribute("data-delay"), 10);
  var depth = parseInt(dialog.getAttribute("data-scroll"), 10);
  if (delay >= 0) { setTimeout(show, delay * 1000); }
  window.addEventListener("scroll", function onScroll() {
    if (shown) { window.removeEventListener("scroll", onScroll); return; }
    var h = document.documentElement;
    var seen = (h.scrollTop + h.clientHeight) / Math.max(h.scrollHeight, 1) * 100;
    if (waiting || (depth > 0 && seen >= depth)) { show(); }
  }, { passive: true });
}());
