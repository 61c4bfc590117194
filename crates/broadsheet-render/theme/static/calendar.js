// The economic calendar remembers the reader's time zone in this browser's local storage (no
// cookie): a page shown with ?tz= stores its zone, and a later visit without one is sent to it.
// Choosing the site's own zone forgets it. Without JavaScript the zone travels in the links.
(function () {
  "use strict";
  var form = document.querySelector(".zone-form");
  if (!form) return;
  var KEY = "broadsheet-calendar-tz";
  var site = form.getAttribute("data-site-zone");
  var params = new URLSearchParams(window.location.search);
  var store = {
    get: function () { try { return window.localStorage.getItem(KEY); } catch (e) { return null; } },
    set: function (v) { try { window.localStorage.setItem(KEY, v); } catch (e) { /* private mode */ } },
    forget: function () { try { window.localStorage.removeItem(KEY); } catch (e) { /* private mode */ } }
  };
  var shown = params.get("tz");
  if (shown) {
    // The server answered this zone, so it is one it knows.
    if (shown === site) store.forget(); else store.set(shown);
  } else {
    var kept = store.get();
    if (kept && kept !== site) {
      params.set("tz", kept);
      window.location.replace(window.location.pathname + "?" + params.toString());
      return;
    }
  }
  var mine = form.querySelector(".zone-mine");
  var own = "";
  try { own = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { own = ""; }
  if (mine && own && own !== (shown || site)) {
    mine.hidden = false;
    mine.textContent = "Use my time zone (" + own + ")";
    mine.addEventListener("click", function () {
      params.set("tz", own);
      window.location.assign(window.location.pathname + "?" + params.toString());
    });
  }
})();
