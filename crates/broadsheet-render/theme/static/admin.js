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
