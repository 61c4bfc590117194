// The newsroom's rich-text editing mode: ProseMirror over the same Markdown the Markdown mode
// edits. The story's <textarea name="body"> stays the form field in both modes; in rich mode it
// is hidden and rewritten from the document on every change, so saving, the live preview, the
// word count and the browser's copy of unsaved changes work as they do in Markdown mode, and
// the server renders and sanitises the Markdown as it always has.
//
// Round trip: Markdown is parsed block by block (markdown-it, as CommonMark). A top-level block
// the rich mode cannot show exactly (a table, raw HTML such as a photo's <figure>, footnotes,
// strikethrough, or lines markdown-it consumed such as reference definitions) is kept as a
// "source block": its Markdown verbatim, shown read-only (a figure as its picture), written
// back unchanged. So switching modes never loses or changes what a story renders to.
//
// Paste: only what the schema knows survives (paragraphs, headings, bold, italic, links, lists,
// quotes); Word's list paragraphs become lists, Google Docs' bold wrapper is not bold, scripts
// and styles are dropped, and pictures are kept only from this site's media library (no
// tracking pixels, no base64 images).

import MarkdownIt from 'markdown-it';
import { Schema } from 'prosemirror-model';
import { EditorState, Plugin } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { MarkdownParser, MarkdownSerializer, schema as baseSchema, defaultMarkdownParser, defaultMarkdownSerializer } from 'prosemirror-markdown';
import { keymap } from 'prosemirror-keymap';
import { history, undo, redo } from 'prosemirror-history';
import { baseKeymap, toggleMark, setBlockType, wrapIn, lift, chainCommands, exitCode } from 'prosemirror-commands';
import { wrapInList, splitListItem, liftListItem, sinkListItem } from 'prosemirror-schema-list';
import { inputRules, wrappingInputRule, textblockTypeInputRule, smartQuotes, emDash, ellipsis } from 'prosemirror-inputrules';

const local = (src) => typeof src === 'string' && src.startsWith('/') && !src.startsWith('//') && !src.startsWith('/\\');

// The Markdown schema, with pictures only from this site and one more node: a source block.
// A pasted list is tight (its items are lines, not paragraphs), as writers expect.
const tightList = (spec, tag) => ({
  ...spec,
  parseDOM: [{ tag, getAttrs: (dom) => ({ tight: true, ...(tag === 'ol' ? { order: dom.hasAttribute('start') ? +dom.getAttribute('start') : 1 } : {}) }) }],
});
const nodes = baseSchema.spec.nodes
  .update('bullet_list', tightList(baseSchema.spec.nodes.get('bullet_list'), 'ul'))
  .update('ordered_list', tightList(baseSchema.spec.nodes.get('ordered_list'), 'ol'))
  .update('image', {
    ...baseSchema.spec.nodes.get('image'),
    parseDOM: [{
      tag: 'img[src]',
      getAttrs(dom) {
        const src = dom.getAttribute('src');
        return local(src) ? { src, title: dom.getAttribute('title'), alt: dom.getAttribute('alt') } : false;
      },
    }],
  })
  .addToEnd('source', {
    group: 'block',
    atom: true,
    selectable: true,
    draggable: true,
    attrs: { markdown: {} },
    // Never made from pasted HTML: only from the story's own Markdown, or a picture inserted.
    parseDOM: [],
    toDOM: (node) => ['div', { class: 'source-block' }, node.attrs.markdown],
  });
// Links keep only addresses a reader can follow safely (the server's sanitiser would drop the
// others anyway; dropping them here keeps them out of the stored Markdown).
const safeHref = (href) => typeof href === 'string' && /^(https?:\/\/|mailto:|\/(?![\/\\])|#)/i.test(href.trim());
const marks = baseSchema.spec.marks.update('link', {
  ...baseSchema.spec.marks.get('link'),
  parseDOM: [{
    tag: 'a[href]',
    getAttrs: (dom) => (safeHref(dom.getAttribute('href')) ? { href: dom.getAttribute('href'), title: dom.getAttribute('title') } : false),
  }],
});
export const schema = new Schema({ nodes, marks });

const tokenizer = MarkdownIt('commonmark', { html: true }).enable(['table', 'strikethrough']);
const parser = new MarkdownParser(schema, { parse: (src, env) => tokenizer.parse(src, env) }, defaultMarkdownParser.tokens);
const serializer = new MarkdownSerializer({
  ...defaultMarkdownSerializer.nodes,
  source(state, node) {
    state.text(node.attrs.markdown.replace(/\n+$/, ''), false);
    state.closeBlock(node);
  },
}, defaultMarkdownSerializer.marks);

/** Does this top-level block need to stay as Markdown source? */
function needsSource(tokens, text) {
  if (/\[\^/.test(text)) return true; // footnotes: CommonMark would read them as references
  return tokens.some((t) => ['table_open', 'html_block', 'html_inline', 's_open'].includes(t.type)
    || (t.children || []).some((c) => ['html_inline', 's_open'].includes(c.type)));
}

/** The story's Markdown as a document: supported blocks parsed, the rest kept as source. */
export function parseMarkdown(markdown) {
  const src = markdown.replace(/\r\n?/g, '\n');
  const lines = src.split('\n');
  const env = {};
  const tokens = tokenizer.parse(src, env);
  const chunks = []; // { from, to, source }
  for (let i = 0; i < tokens.length; i += 1) {
    const t = tokens[i];
    if (t.level !== 0 || !t.map) continue;
    let j = i;
    if (t.nesting === 1) {
      let depth = 0;
      for (j = i; j < tokens.length; j += 1) {
        depth += tokens[j].nesting;
        if (depth === 0) break;
      }
    }
    const [from, to] = t.map;
    const text = lines.slice(from, to).join('\n');
    chunks.push({ from, to, source: needsSource(tokens.slice(i, j + 1), text), text });
    i = j;
  }
  const content = [];
  let line = 0;
  const gap = (upTo) => {
    const text = lines.slice(line, upTo).join('\n');
    if (text.trim()) content.push(schema.nodes.source.create({ markdown: text.replace(/^\n+|\n+$/g, '') }));
  };
  for (const c of chunks) {
    gap(c.from);
    if (c.source) {
      content.push(schema.nodes.source.create({ markdown: c.text }));
    } else {
      const doc = parser.parse(c.text, env);
      doc.forEach((n) => content.push(n));
    }
    line = c.to;
  }
  gap(lines.length);
  if (!content.length) content.push(schema.nodes.paragraph.create());
  return schema.nodes.doc.create(null, content);
}

export function serializeMarkdown(doc) {
  return serializer.serialize(doc, { tightLists: true }).replace(/\n+$/, '') + '\n';
}

// ---- Paste ----------------------------------------------------------------------------------

/** Word's "list paragraphs" (MsoListParagraph with mso-list levels) as real nested lists. */
export function wordListsToLists(html) {
  if (!/mso-list|MsoList/i.test(html)) return html;
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const isItem = (el) => el && el.nodeType === 1 && el.tagName === 'P'
    && (/MsoListParagraph/i.test(el.className) || /mso-list:\s*l\d/i.test(el.getAttribute('style') || ''));
  const paragraphs = Array.from(doc.body.querySelectorAll('p')).filter(isItem);
  const done = new Set();
  for (const first of paragraphs) {
    if (done.has(first)) continue;
    // One run is one Word list (its mso-list id, l0, l1…).
    const listId = (el) => (/mso-list:\s*(l\d+)/i.exec(el.getAttribute('style') || '') || [])[1];
    const run = [];
    for (let el = first; isItem(el) && listId(el) === listId(first); el = el.nextElementSibling) { run.push(el); done.add(el); }
    const root = doc.createElement('div');
    const stack = []; // [{ level, list }]
    for (const p of run) {
      const style = p.getAttribute('style') || '';
      const level = Number((/level(\d+)/i.exec(style) || [0, 1])[1]);
      const marker = p.querySelector('[style*="mso-list:Ignore" i], [style*="mso-list: Ignore" i]');
      const markerText = marker ? marker.textContent.trim() : '';
      if (marker) marker.remove();
      const ordered = /^(\d+|[a-z]|[ivxlc]+)[.)]/i.test(markerText);
      while (stack.length && stack[stack.length - 1].level > level) stack.pop();
      let top = stack[stack.length - 1];
      // A level that changes between bullets and numbers starts a new list.
      if (top && top.level === level && (top.list.tagName === 'OL') !== ordered) { stack.pop(); top = stack[stack.length - 1]; }
      if (!top || top.level < level) {
        const list = doc.createElement(ordered ? 'ol' : 'ul');
        if (top) {
          const lastItem = top.list.lastElementChild || top.list.appendChild(doc.createElement('li'));
          lastItem.appendChild(list);
        } else {
          root.appendChild(list);
        }
        top = { level, list };
        stack.push(top);
      }
      const li = doc.createElement('li');
      li.innerHTML = p.innerHTML;
      top.list.appendChild(li);
    }
    first.parentNode.insertBefore(root, first);
    run.forEach((p) => p.remove());
  }
  return doc.body.innerHTML;
}

/** A pasted table's cells as paragraphs: the words stay, the grid (which the rich mode does
 * not edit) goes. */
function tablesToParagraphs(html) {
  if (!/<table/i.test(html)) return html;
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const table of Array.from(doc.querySelectorAll('table'))) {
    const out = doc.createElement('div');
    for (const cell of Array.from(table.querySelectorAll('th, td'))) {
      const p = doc.createElement('p');
      p.innerHTML = cell.innerHTML;
      out.appendChild(p);
    }
    table.replaceWith(out);
  }
  return doc.body.innerHTML;
}

/** Bold and italic given by inline styles (Google Docs, Word) as <strong> and <em>, read from
 * the style attribute's text: the admin's Content-Security-Policy does not apply inline styles,
 * so the parsed style of a pasted element is empty. Google Docs' <b style="font-weight:normal">
 * wrapper is unwrapped. */
export function stylesToTags(html) {
  if (!/style=/i.test(html)) return html;
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const prop = (style, name) => (new RegExp(`(?:^|;)\\s*${name}\\s*:\\s*([^;]+)`, 'i').exec(style) || [])[1];
  for (const el of Array.from(doc.body.querySelectorAll('[style]'))) {
    const style = el.getAttribute('style') || '';
    el.removeAttribute('style');
    const weight = (prop(style, 'font-weight') || '').trim().toLowerCase();
    const italic = /^italic|^oblique/i.test((prop(style, 'font-style') || '').trim());
    const bold = /^(bold|bolder|[6-9]00)$/.test(weight);
    if (el.tagName === 'B' && (weight === 'normal' || weight === '400')) {
      el.replaceWith(...el.childNodes);
      continue;
    }
    const wrap = (tag) => {
      const w = doc.createElement(tag);
      w.append(...el.childNodes);
      el.appendChild(w);
    };
    if (bold && !['B', 'STRONG', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6'].includes(el.tagName)) wrap('strong');
    if (italic && !['I', 'EM'].includes(el.tagName)) wrap('em');
  }
  return doc.body.innerHTML;
}

function cleanPastedHTML(html) {
  const stripped = html
    .replace(/<!--\[if[\s\S]*?<!\[endif\]-->/gi, '')
    .replace(/<o:p>[\s\S]*?<\/o:p>/gi, '')
    .replace(/<(style|script|xml)[\s\S]*?<\/\1>/gi, '');
  return stylesToTags(tablesToParagraphs(wordListsToLists(stripped)));
}

// ---- Commands and the toolbar -----------------------------------------------------------------

const markActive = (state, type) => {
  const { from, $from, to, empty } = state.selection;
  if (empty) return !!type.isInSet(state.storedMarks || $from.marks());
  return state.doc.rangeHasMark(from, to, type);
};

function linkCommand(state, dispatch) {
  const type = schema.marks.link;
  if (markActive(state, type)) return toggleMark(type)(state, dispatch);
  if (state.selection.empty) return false;
  if (dispatch) {
    const href = window.prompt('Link address (https://…)');
    if (!href) return false;
    if (!/^(https?:\/\/|\/|mailto:)/i.test(href.trim())) { window.alert('Use an address that starts with https://, http://, / or mailto:.'); return false; }
    toggleMark(type, { href: href.trim() })(state, dispatch);
  }
  return true;
}

function insertBlock(node) {
  return (state, dispatch) => {
    if (dispatch) dispatch(state.tr.replaceSelectionWith(node).scrollIntoView());
    return true;
  };
}

const escapeHTML = (s) => String(s || '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/** The Markdown of a photo in the story: a <figure> with its caption and credit. */
export function figureMarkdown(photo) {
  const credit = [photo.photographer, photo.agency, photo.via].filter((s) => s && s.trim()).join(', ');
  const caption = [photo.caption, credit ? `Photo: ${credit}` : ''].filter(Boolean).join(' ');
  return `<figure><img src="${escapeHTML(photo.src)}" alt="${escapeHTML(photo.alt)}">${caption ? `<figcaption>${escapeHTML(caption)}</figcaption>` : ''}</figure>`;
}

// A source block as the writer sees it: a figure as its picture and caption; other Markdown
// as its text, read-only, with a hint.
class SourceView {
  constructor(node) {
    this.dom = document.createElement('div');
    this.dom.className = 'source-block';
    this.dom.contentEditable = 'false';
    const md = node.attrs.markdown;
    const figure = /^<figure>[\s\S]*<\/figure>$/.test(md.trim())
      ? new DOMParser().parseFromString(md, 'text/html').querySelector('figure') : null;
    const img = figure && figure.querySelector('img');
    if (img && local(img.getAttribute('src'))) {
      const shown = document.createElement('figure');
      const pic = document.createElement('img');
      pic.src = img.getAttribute('src');
      pic.alt = img.getAttribute('alt') || '';
      shown.appendChild(pic);
      const caption = figure.querySelector('figcaption');
      if (caption) {
        const fc = document.createElement('figcaption');
        fc.textContent = caption.textContent;
        shown.appendChild(fc);
      }
      this.dom.appendChild(shown);
    } else {
      const label = document.createElement('p');
      label.className = 'source-label';
      label.textContent = 'Kept as Markdown (a table, HTML or footnotes): edit it in Markdown mode.';
      const pre = document.createElement('pre');
      pre.textContent = md;
      this.dom.appendChild(label);
      this.dom.appendChild(pre);
    }
  }

  stopEvent() { return false; }

  ignoreMutation() { return true; }
}

function buildKeymap() {
  const s = schema;
  return {
    'Mod-z': undo,
    'Shift-Mod-z': redo,
    'Mod-y': redo,
    'Mod-b': toggleMark(s.marks.strong),
    'Mod-i': toggleMark(s.marks.em),
    'Mod-k': linkCommand,
    'Shift-Enter': chainCommands(exitCode, (state, dispatch) => {
      if (dispatch) dispatch(state.tr.replaceSelectionWith(s.nodes.hard_break.create()).scrollIntoView());
      return true;
    }),
    Enter: splitListItem(s.nodes.list_item),
    'Mod-[': liftListItem(s.nodes.list_item),
    'Mod-]': sinkListItem(s.nodes.list_item),
  };
}

function rules() {
  const s = schema;
  return inputRules({
    rules: smartQuotes.concat(ellipsis, emDash,
      wrappingInputRule(/^\s*>\s$/, s.nodes.blockquote),
      wrappingInputRule(/^(\d+)\.\s$/, s.nodes.ordered_list, (m) => ({ order: +m[1] }), (m, n) => n.childCount + n.attrs.order === +m[1]),
      wrappingInputRule(/^\s*([-+*])\s$/, s.nodes.bullet_list),
      textblockTypeInputRule(/^(#{2,3})\s$/, s.nodes.heading, (m) => ({ level: m[1].length }))),
  });
}

const TOOLS = [
  { label: 'Bold', key: 'Ctrl+B', mark: 'strong', run: () => toggleMark(schema.marks.strong) },
  { label: 'Italic', key: 'Ctrl+I', mark: 'em', run: () => toggleMark(schema.marks.em) },
  { label: 'Link', key: 'Ctrl+K', mark: 'link', run: () => linkCommand },
  { label: 'Heading', block: ['heading', 2], run: () => setBlockType(schema.nodes.heading, { level: 2 }) },
  { label: 'Subheading', block: ['heading', 3], run: () => setBlockType(schema.nodes.heading, { level: 3 }) },
  { label: 'Paragraph', block: ['paragraph'], run: () => setBlockType(schema.nodes.paragraph) },
  { label: 'Bulleted list', run: () => wrapInList(schema.nodes.bullet_list) },
  { label: 'Numbered list', run: () => wrapInList(schema.nodes.ordered_list) },
  { label: 'Quote', run: () => wrapIn(schema.nodes.blockquote) },
  { label: 'Lift out', run: () => lift },
  { label: 'Undo', key: 'Ctrl+Z', run: () => undo },
  { label: 'Redo', key: 'Ctrl+Shift+Z', run: () => redo },
];

/**
 * Turns the story's textarea into a two-mode editor. `hooks.pickPhoto(cb)` and
 * `hooks.pickMarket(cb)` open the pickers (the page's own dialogs).
 */
export function mount(textarea, hooks = {}) {
  const wrap = document.createElement('div');
  wrap.className = 'rich-editor';
  const modes = document.createElement('div');
  modes.className = 'mode-switch';
  modes.setAttribute('role', 'group');
  modes.setAttribute('aria-label', 'Editing mode');
  const richButton = document.createElement('button');
  richButton.type = 'button';
  richButton.textContent = 'Rich text';
  const mdButton = document.createElement('button');
  mdButton.type = 'button';
  mdButton.textContent = 'Markdown';
  modes.append(richButton, mdButton);

  const toolbar = document.createElement('div');
  toolbar.className = 'toolbar';
  toolbar.setAttribute('role', 'toolbar');
  toolbar.setAttribute('aria-label', 'Formatting');
  const host = document.createElement('div');
  host.className = 'rich-host';
  const notice = document.createElement('p');
  notice.className = 'problem rich-problem';
  notice.setAttribute('role', 'alert');
  notice.hidden = true;
  const say = (text) => { notice.textContent = text; notice.hidden = !text; };
  textarea.parentNode.insertBefore(modes, textarea);
  textarea.parentNode.insertBefore(wrap, textarea);
  wrap.append(toolbar, notice, host);

  // A file dropped or pasted into the story: a photo goes to the picker's upload form (for its
  // alt text, caption and credit), then into the story; anything else is refused, out loud.
  const PHOTO = /^image\/(jpeg|png|webp|gif)$/;
  function takeFiles(files) {
    if (!files || !files.length) return false;
    const file = files[0];
    if (!PHOTO.test(file.type) || !hooks.pickPhoto) {
      say(`“${file.name || 'That file'}” is not a photo the library takes (JPEG, PNG, WebP or GIF): nothing was added to the story.`);
      return true;
    }
    say('');
    hooks.pickPhoto((photo) => {
      insertBlock(schema.nodes.source.create({ markdown: figureMarkdown(photo) }))(view.state, view.dispatch);
      view.focus();
    }, host, file);
    return true;
  }

  let view = null;
  let syncing = false;
  const write = (doc) => {
    syncing = true;
    textarea.value = serializeMarkdown(doc);
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    syncing = false;
  };
  const buttons = [];
  function refreshToolbar(state) {
    for (const { tool, button } of buttons) {
      if (tool.mark) button.setAttribute('aria-pressed', String(markActive(state, schema.marks[tool.mark])));
      const cmd = tool.run();
      button.disabled = !cmd(state);
    }
  }
  for (const tool of TOOLS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = tool.label;
    if (tool.key) button.title = `${tool.label} (${tool.key})`;
    if (tool.mark) button.setAttribute('aria-pressed', 'false');
    button.addEventListener('mousedown', (e) => e.preventDefault());
    button.addEventListener('click', () => {
      tool.run()(view.state, view.dispatch, view);
      view.focus();
    });
    buttons.push({ tool, button });
    toolbar.appendChild(button);
  }
  const insert = (label, pick, apply) => {
    if (!pick) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.setAttribute('aria-haspopup', 'dialog');
    button.addEventListener('click', () => pick((chosen) => {
      apply(chosen);
      view.focus();
    }, button));
    toolbar.appendChild(button);
  };
  insert('Photo…', hooks.pickPhoto, (photo) => {
    insertBlock(schema.nodes.source.create({ markdown: figureMarkdown(photo) }))(view.state, view.dispatch);
  });
  // A quote goes into the sentence; a chart is a paragraph of its own.
  insert('Market data…', hooks.pickMarket, ({ tag, block }) => {
    if (block) insertBlock(schema.nodes.paragraph.create(null, schema.text(tag)))(view.state, view.dispatch);
    else view.dispatch(view.state.tr.insertText(tag).scrollIntoView());
  });

  function startRich() {
    const state = EditorState.create({
      doc: parseMarkdown(textarea.value),
      plugins: [
        rules(),
        keymap(buildKeymap()),
        keymap(baseKeymap),
        history(),
        new Plugin({ view: () => ({ update: (v) => refreshToolbar(v.state) }) }),
      ],
    });
    view = new EditorView(host, {
      state,
      nodeViews: { source: (node) => new SourceView(node) },
      transformPastedHTML: cleanPastedHTML,
      handleDrop: (v, event) => {
        if (!event.dataTransfer || !event.dataTransfer.files.length) return false;
        event.preventDefault();
        return takeFiles(event.dataTransfer.files);
      },
      handlePaste: (v, event) => {
        const data = event.clipboardData;
        if (!data || !data.files.length || data.getData('text/html')) return false;
        event.preventDefault();
        return takeFiles(data.files);
      },
      attributes: {
        class: 'rich-body article-body',
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-label': 'Story',
        spellcheck: 'true',
      },
      dispatchTransaction(tr) {
        const next = view.state.apply(tr);
        view.updateState(next);
        if (tr.docChanged) write(next.doc);
      },
    });
    refreshToolbar(view.state);
  }

  function setMode(mode) {
    const rich = mode === 'rich';
    richButton.setAttribute('aria-pressed', String(rich));
    mdButton.setAttribute('aria-pressed', String(!rich));
    wrap.hidden = !rich;
    textarea.hidden = rich;
    // A hidden field cannot show the browser's "fill this in"; the server says it instead.
    textarea.required = !rich;
    if (rich) {
      if (view) view.destroy();
      host.textContent = '';
      startRich();
    } else if (view) {
      write(view.state.doc);
      view.destroy();
      view = null;
      host.textContent = '';
    }
    try { localStorage.setItem('broadsheet-editor-mode', mode); } catch (e) { /* private mode */ }
  }
  // A restore of unsaved changes (or any script) that rewrites the textarea: follow it.
  textarea.addEventListener('input', () => {
    if (!syncing && view) {
      view.updateState(EditorState.create({ doc: parseMarkdown(textarea.value), plugins: view.state.plugins }));
    }
  });
  richButton.addEventListener('click', () => setMode('rich'));
  mdButton.addEventListener('click', () => setMode('markdown'));
  let initial = 'rich';
  try { initial = localStorage.getItem('broadsheet-editor-mode') || 'rich'; } catch (e) { /* private mode */ }
  setMode(initial);
  return { setMode, get view() { return view; } };
}

window.BroadsheetEditor = { mount, parseMarkdown, serializeMarkdown, wordListsToLists, figureMarkdown };

// The article editor's story field, with the page's pickers (admin.js) when they are there.
const body = document.querySelector('form.editor textarea#body');
if (body) {
  const pickers = window.BroadsheetPickers || {};
  window.BroadsheetEditor.instance = mount(body, { pickPhoto: pickers.photo, pickMarket: pickers.market });
}
