#!/usr/bin/env python3
"""Reads a running site's RSS and Atom feeds with feedparser (the parser most feed readers and
aggregators in Python use), its JSON Feeds against the rules of JSON Feed 1.1 (feedparser
6 does not read JSON Feed) and its sitemaps with the standard library's XML parser.

    python3 tools/check_feeds.py http://127.0.0.1:8080 [URLSET_XSD]

With URLSET_XSD (the sitemaps.org urlset schema, shipped in the sitemap npm package that
e2e/ installs) and lxml, every sitemap is also validated against the sitemaps.org schemas:
the index against tools/siteindex.xsd, each urlset against URLSET_XSD once the Google image
and news extension elements (whose structure is checked here) are set aside.

Fails (exit 1) on any feed feedparser flags as malformed (bozo), any feed without entries,
entries without a title, link or date, relative links in entry content, and any sitemap that
is not well-formed or lists a URL outside the site. Prints one line per document read.
"""

import datetime
import json
import sys
import urllib.request
import xml.etree.ElementTree as ET

import feedparser

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
HERE = __import__("os").path.dirname(__file__)


class Schemas:
    """The sitemaps.org schemas, loaded with lxml."""

    def __init__(self, urlset_xsd):
        from lxml import etree

        self.etree = etree
        self.index = etree.XMLSchema(etree.parse(f"{HERE}/siteindex.xsd"))
        self.urlset = etree.XMLSchema(etree.parse(urlset_xsd))

    def check(self, name, body, problems):
        etree = self.etree
        doc = etree.fromstring(body)
        if doc.tag == SM + "sitemapindex":
            schema = self.index
        else:
            schema = self.urlset
            for url in doc.iter(SM + "url"):
                for ext in [c for c in url if not c.tag.startswith(SM)]:
                    check_extension(name, ext, problems)
                    url.remove(ext)
        if not schema.validate(doc):
            for err in schema.error_log:
                problems.append(f"{name}: schema: line {err.line}: {err.message}")
        else:
            print(f"{name}: valid against the sitemaps.org schema")


def check_extension(name, ext, problems):
    """Google's image and news sitemap extensions, as their documentation describes them."""
    if ext.tag == IMAGE + "image":
        loc = ext.find(IMAGE + "loc")
        if loc is None or not (loc.text or "").startswith("http"):
            problems.append(f"{name}: image:image without an absolute image:loc")
    elif ext.tag == NEWS + "news":
        pub = ext.find(NEWS + "publication")
        for path in (NEWS + "publication/" + NEWS + "name", NEWS + "publication/" + NEWS + "language",
                     NEWS + "publication_date", NEWS + "title"):
            el = ext.find(path)
            if el is None or not (el.text or "").strip():
                problems.append(f"{name}: news:news without {path.split('}')[-1]}")
        if pub is None:
            problems.append(f"{name}: news:news without news:publication")
        date = ext.find(NEWS + "publication_date")
        if date is not None:
            try:
                datetime.datetime.fromisoformat(date.text)
            except (TypeError, ValueError):
                problems.append(f"{name}: publication_date {date.text!r}")
    else:
        problems.append(f"{name}: unexpected extension element {ext.tag}")


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers.get("content-type", ""), r.read()


def check_feed(origin, path, problems):
    status, ctype, body = fetch(origin + path)
    feed = feedparser.parse(body, response_headers={"content-type": ctype})
    kind = feed.get("version") or "?"
    if status != 200:
        problems.append(f"{path}: HTTP {status}")
    if feed.bozo:
        problems.append(f"{path}: malformed: {feed.bozo_exception!r}")
    if not feed.entries:
        problems.append(f"{path}: no entries")
    for e in feed.entries:
        for field in ("title", "link", "published_parsed"):
            if not e.get(field):
                problems.append(f"{path}: entry {e.get('id')!r} has no {field}")
        if not e.get("link", "").startswith(origin + "/article/"):
            problems.append(f"{path}: entry link {e.get('link')!r} is not an article URL")
        for c in e.get("content", []):
            if ' href="/' in c.value or ' src="/' in c.value:
                problems.append(f"{path}: relative URL in the content of {e.get('id')!r}")
    print(f"{path}: {kind}, {len(feed.entries)} entries, bozo={int(bool(feed.bozo))}")
    return feed


def check_json_feed(origin, path, problems):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the required members and types."""
    status, ctype, body = fetch(origin + path)
    if status != 200 or not ctype.startswith("application/feed+json"):
        problems.append(f"{path}: HTTP {status}, {ctype}")
    feed = json.loads(body)
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append(f"{path}: version {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        problems.append(f"{path}: no title")
    if feed.get("feed_url") != origin + path:
        problems.append(f"{path}: feed_url {feed.get('feed_url')!r}")
    items = feed.get("items")
    if not isinstance(items, list) or not items:
        problems.append(f"{path}: no items")
        items = []
    for item in items:
        iid = item.get("id")
        if not isinstance(iid, str) or not iid:
            problems.append(f"{path}: an item without a string id")
        if not (isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)):
            problems.append(f"{path}: {iid!r} has neither content_html nor content_text")
        if not str(item.get("url", "")).startswith(origin + "/article/"):
            problems.append(f"{path}: {iid!r} url {item.get('url')!r}")
        for field in ("date_published", "date_modified"):
            try:
                datetime.datetime.fromisoformat(item[field])
            except (KeyError, TypeError, ValueError):
                problems.append(f"{path}: {iid!r} {field} {item.get(field)!r} is not RFC 3339")
        if ' href="/' in item.get("content_html", "") or ' src="/' in item.get("content_html", ""):
            problems.append(f"{path}: relative URL in the content of {iid!r}")
    print(f"{path}: json1.1, {len(items)} entries")


def check_sitemaps(origin, problems, schemas):
    _, _, body = fetch(origin + "/sitemap.xml")
    if schemas:
        schemas.check("/sitemap.xml", body, problems)
    index = ET.fromstring(body)
    files = [e.text for e in index.iter(SM + "loc")]
    print(f"/sitemap.xml: {len(files)} sitemaps")
    urls = 0
    for f in files:
        if not f.startswith(origin + "/"):
            problems.append(f"sitemap index lists {f!r}, outside the site")
            continue
        _, _, body = fetch(f)
        if schemas:
            schemas.check(f[len(origin):], body, problems)
        root = ET.fromstring(body)
        if root.tag != SM + "urlset":
            problems.append(f"{f}: root element {root.tag}")
        locs = [u.find(SM + "loc").text for u in root.iter(SM + "url")]
        urls += len(locs)
        for loc in locs:
            if not loc.startswith(origin + "/"):
                problems.append(f"{f}: {loc!r} is outside the site")
        print(f"{f[len(origin):]}: {len(locs)} URLs")
    if urls == 0:
        problems.append("the sitemaps list no URLs")


def main():
    origin = sys.argv[1].rstrip("/")
    problems = []
    for fmt in ("feed.xml", "feed.atom", "feed.json"):
        check = check_json_feed if fmt.endswith(".json") else check_feed
        # The site's feed, then scoped feeds of the demo site: sections, a tag, an author.
        for scope in ("", "/section/politics", "/section/markets", "/tag/copper", "/author/rafael-quintero"):
            check(origin, f"{scope}/{fmt}", problems)
    schemas = Schemas(sys.argv[2]) if len(sys.argv) > 2 else None
    check_sitemaps(origin, problems, schemas)
    for p in problems:
        print("PROBLEM:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
