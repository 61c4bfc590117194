// Search suggestions under the search box, as the reader types. Progressive enhancement:
// without this script the box is a plain GET form to /search. Keyboard: Up/Down move through
// the list, Enter opens the selected suggestion (or searches), Escape closes the list.
(() => {
  "use strict";
  for (const form of document.querySelectorAll("form[data-suggest]")) {
    const input = form.querySelector("input[type=search]");
    if (!input) continue;
    const endpoint = form.getAttribute("data-suggest");
    const list = document.createElement("ul");
    list.id = `${input.id}-suggestions`;
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    form.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    let items = [];
    let active = -1;
    let timer = 0;
    let last = "";
    let controller = null;

    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };
    const highlight = (i) => {
      active = i;
      [...list.children].forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
      if (i >= 0) input.setAttribute("aria-activedescendant", list.children[i].id);
      else input.removeAttribute("aria-activedescendant");
    };
    const render = (suggestions) => {
      items = suggestions;
      list.replaceChildren();
      suggestions.forEach((s, i) => {
        const li = document.createElement("li");
        li.id = `${list.id}-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = s.kind === "section" ? "Section" : "Story";
        li.append(kind, document.createTextNode(s.label));
        li.addEventListener("mousedown", (e) => { e.preventDefault(); window.location.href = s.url; });
        list.appendChild(li);
      });
      if (suggestions.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight(-1);
      } else {
        close();
      }
    };
    const fetchSuggestions = async () => {
      const q = input.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 2) { render([]); return; }
      controller?.abort();
      controller = new AbortController();
      try {
        const r = await fetch(`${endpoint}?q=${encodeURIComponent(q)}`, { signal: controller.signal });
        if (!r.ok) return;
        const body = await r.json();
        if (body.query === input.value.trim()) render(body.suggestions || []);
      } catch (_) { /* offline or aborted: the plain form still works */ }
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 120); });
    input.addEventListener("keydown", (e) => {
      if (list.hidden && e.key !== "ArrowDown") return;
      if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden && items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); } highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, -1)); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location.href = items[active].url; }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
  }
})();
