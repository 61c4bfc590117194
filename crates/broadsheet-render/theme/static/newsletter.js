// The sign-up dialog: shown once to a visitor after a delay or a scroll depth, never again
// after Close or a sign-up (remembered in this browser only: no cookie, nothing sent).
// Focus stays inside while it is open, Esc closes it, and focus returns where it was.
// Without JavaScript the dialog never shows; the footer and /subscribe forms do the same job.
(function () {
  "use strict";
  var dialog = document.getElementById("signup-dialog");
  if (!dialog || location.pathname.indexOf("/subscribe") === 0 || location.pathname.indexOf("/newsletter") === 0) { return; }
  var KEY = "broadsheet-newsletter";
  try { if (localStorage.getItem(KEY)) { return; } } catch (e) { return; }
  var before = null;
  var shown = false;
  function remember(v) { try { localStorage.setItem(KEY, v); } catch (e) { /* private mode */ } }
  function focusables() {
    return Array.prototype.slice.call(dialog.querySelectorAll("button, input:not([tabindex='-1']), a[href]"))
      .filter(function (el) { return !el.closest(".hp"); });
  }
  function close() {
    dialog.hidden = true;
    remember("closed");
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
    shown = true;
    before = document.activeElement;
    dialog.hidden = false;
    document.addEventListener("keydown", onKey, true);
    var email = dialog.querySelector("input[type=email]");
    (email || dialog).focus();
  }
  dialog.querySelector("[data-close]").addEventListener("click", close);
  dialog.addEventListener("click", function (e) { if (e.target === dialog) { close(); } });
  dialog.querySelector("form").addEventListener("submit", function () { remember("subscribed"); });
  var delay = parseInt(dialog.getAttribute("data-delay"), 10);
  var depth = parseInt(dialog.getAttribute("data-scroll"), 10);
  if (delay >= 0) { setTimeout(show, delay * 1000); }
  if (depth > 0) {
    window.addEventListener("scroll", function onScroll() {
      var h = document.documentElement;
      var seen = (h.scrollTop + h.clientHeight) / Math.max(h.scrollHeight, 1) * 100;
      if (seen >= depth) { window.removeEventListener("scroll", onScroll); show(); }
    }, { passive: true });
  }
}());
