#!/usr/bin/env python3
"""The outside-in hostile suite: starts the real `broadsheet` binary on a demo site and attacks
it over loopback the way a hostile afternoon does, then soaks it.

    python3 tools/hostile.py [--bin target/debug/broadsheet] [--soak SECONDS] [--connections 32]

1. At least 2,000 malformed or hostile requests across every route family (pages, search,
   suggest, media, feeds, forms signed in and not, the Content and Admin APIs, the market and
   wire pushes, uploads, and raw malformed HTTP). It fails on any 5xx, any panic in the
   server's log, any request slower than --slow seconds, and RSS growth over --max-growth-mb.
2. A soak: --connections keep-alive connections reading pages, searches, suggestions, feeds
   and the API for --soak seconds, RSS sampled every second and printed every ten. It fails
   when memory keeps growing: the last quarter's mean RSS above the second quarter's by more
   than --soak-growth-mb.

Prints the figures (requests per family, 5xx, panics, slowest request, RSS) and exits 1 on any
failure. Needs only Python's standard library and the binary.
"""

import argparse
import asyncio
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "</script><script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    "' OR '1'='1' --",
    "1; DROP TABLE articles;",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%00",
    "\x00",
    "a\r\nSet-Cookie: x=1",
    "\u202egnp.exe",
    "İstanbul",
    "\U0001F4A5" * 50,
    "\udcff",
    "%ff%fe%fd",
    "=1+2@SUM(A1)",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    "a" * 5000,
    "\"unclosed",
    "-\"\"",
    "*?~^:[](){}",
    "\\",
    "//evil.example.com/",
    "https://evil.example.com/",
    " ",
    "",
    "%",
    "%%%",
    "+",
    "AAAA%n%s%x",
    "\t\v\f",
]


def enc(s):
    """Percent-encoded; a lone surrogate becomes the invalid UTF-8 byte it stands for."""
    return urllib.parse.quote(s.encode("utf-8", "surrogateescape"), safe="")


class Server:
    """The binary on a demo site with an editor, keys and tokens, logging to a file."""

    def __init__(self, binary, data, config):
        self.binary = binary
        self.data = data
        log = open(data.parent / "server.log", "wb")
        self.log_path = data.parent / "server.log"
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data", str(data), "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            # As a service runs: without RUST_BACKTRACE. With it, the first panic (feed-rs's,
            # caught) makes the standard library load the debug binary's symbols to print a
            # backtrace, about 200 MB kept for the life of the process.
            env={k: v for k, v in os.environ.items() if k not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE")}
            | {"BROADSHEET_LOG": "info"},
        )
        deadline = time.time() + 120
        self.port = None
        while time.time() < deadline and self.port is None:
            time.sleep(0.2)
            m = re.search(rb"serving http://127\.0\.0\.1:(\d+)/", self.log_path.read_bytes())
            if m:
                self.port = int(m.group(1))
            if self.proc.poll() is not None:
                sys.exit(f"the server exited: {self.log_path.read_text(errors='replace')[-2000:]}")
        if self.port is None:
            sys.exit("the server did not start in 120 s")

    def rss_mb(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def panics(self):
        """Panic lines in the log, split into ours and feed-rs's. `wire::parse` runs feed-rs
        inside `catch_unwind` and answers its panic as a malformed feed (422), but the
        default hook still logs it: those are counted, not failures."""
        lines = [l for l in self.log_path.read_text(errors="replace").splitlines() if "panicked" in l]
        caught = [l for l in lines if "/feed-rs-" in l]
        return [l for l in lines if l not in caught], caught

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run(binary, *args, data, stdin=None):
    out = subprocess.run(
        [binary, *args, "--data", str(data)], input=stdin, capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(f"{args}: {out.stderr}")
    return out.stdout.strip()


def setup(binary, work):
    data = work / "site"
    run(binary, "demo", data=data)
    run(binary, "user", "add", "--role", "editor", "desk@example.com", "--password-stdin",
        data=data, stdin="hostile suite desk password\n")
    content_key = run(binary, "api-key", "add", "hostile", data=data)
    admin_key = run(binary, "api-key", "add", "--user", "desk@example.com", "hostile-admin", data=data)
    push = run(binary, "wire", "source", "add", "agency", "--push", data=data)
    wire_token = re.search(r"wire_[A-Za-z0-9_-]+", push).group(0)
    config = work / "broadsheet.toml"
    config.write_text(
        "[limits]\nsearch_per_second = 100000\nsearch_burst = 100000\n"
        "api_per_second = 100000\napi_burst = 100000\n"
        "[newsroom]\nsign_in_per_ip_per_minute = 100000\nsign_in_per_account_per_minute = 100000\n"
        "sign_in_account_ceiling_per_minute = 100000\n"
        "[market]\npush_token = \"hostile-market-token-0123456789\"\n"
        "[calendar]\npush_token = \"hostile-market-token-0123456789\"\n"
    )
    return data, config, content_key, admin_key, wire_token


async def exchange(port, raw, timeout, eof=False):
    """Sends raw bytes on a new connection (half-closing it after them when `eof`: hyper drops a
    connection whose client half-closes, so only a truncated request wants that); (status or
    None, head, body, seconds)."""
    start = time.perf_counter()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(raw)
        await writer.drain()
        if eof:
            try:
                writer.write_eof()
            except OSError:
                pass
        data = await asyncio.wait_for(reader.read(), timeout)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    finally:
        writer.close()
    elapsed = time.perf_counter() - start
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return (int(m.group(1)) if m else None), head, body, elapsed


def request(method, path, headers=None, body=b"", host="127.0.0.1"):
    headers = dict(headers or {})
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


def form(fields):
    return "&".join(f"{enc(k)}={enc(v) if isinstance(v, str) else v}" for k, v in fields)


def cases(ctx):
    """(family, raw request bytes) for every hostile input."""
    h = HOSTILE
    key, admin, wire, market = ctx["key"], ctx["admin"], ctx["wire"], ctx["market"]
    cookie, csrf = ctx["cookie"], ctx["csrf"]
    out = []
    get = lambda fam, path, **kw: out.append((fam, request("GET", path, **kw)))
    for x in h:
        e = enc(x)
        for p in ["/article/", "/section/", "/tag/", "/author/", "/markets/", "/newsletter/",
                  "/static/", "/sitemaps/", "/section/economy/", "/tag/rates/", "/"]:
            get("pages", p + e)
        get("pages", f"/markets/{e}/data.csv")
        get("pages", f"/calendar/{e}")
        get("pages", f"/calendar/{e}.ics")
        get("pages", f"/calendar/{e}/data.csv")
        get("pages", f"/calendar?view={e}&date={e}&country={e}&importance={e}&tz={e}")
        get("feeds", f"/calendar.ics?country={e}&importance={e}")
        get("api", f"/api/v1/calendar?from={e}&to={e}&country={e}&importance={e}&tz={e}&key={key}")
        get("api", f"/api/v1/calendar/{e}?key={key}")
        get("pages", f"/?page={e}")
        get("pages", f"/section/economy?page={e}&before={e}")
        get("search", f"/search?q={e}")
        get("search", f"/search?q=rates&page={e}&section={e}&sort={e}&from={e}&to={e}")
        get("search", f"/search?q={e}&q={e}&tag={e}&author={e}")
        get("suggest", f"/search/suggest?q={e}")
        get("suggest", f"/search/suggest?q={e[:3]}&limit={e}")
        get("media", f"/media/{e}")
        get("media", f"/media/{e}/{e}.webp")
        out.append(("media", request("HEAD", f"/media/{e}")))
        get("feeds", f"/feed.xml?{e}")
        get("feeds", f"/tag/{e}/feed.xml")
        get("feeds", f"/section/{e}/feed.json")
        get("feeds", f"/author/{e}/feed.atom")
        get("api", f"/api/v1/articles?limit={e}&cursor={e}&section={e}&key={key}")
        get("api", f"/api/v1/articles/{e}?key={key}")
        get("api", f"/api/v1/articles/{e}/ninjs?key={key}")
        get("api", f"/api/v1/search?q={e}&key={key}")
        get("api", f"/api/v1/markets/{e}?from={e}&to={e}&key={key}")
        get("api", f"/api/v1/articles?key={e}")
        get("api", f"/api/v1/{e}", headers={"Authorization": f"Bearer {x.encode('ascii', 'replace').decode()[:100]}"})
        get("newsletter", f"/subscribe/confirm/{e}")
        get("newsletter", f"/newsletter/preferences/{e}")
        get("newsletter", f"/newsletter/preferences/{e}/export")
        get("newsletter", f"/newsletter/unsubscribe/{e}")
        ff = {"Content-Type": "application/x-www-form-urlencoded"}
        same = {**ff, "Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}
        out.append(("forms", request("POST", "/subscribe", headers=same,
                                     body=form([("email", x), ("website", ""), ("t", x)]))))
        out.append(("forms", request("POST", "/subscribe", headers=ff, body=form([("email", x)]))))
        out.append(("forms", request("POST", f"/newsletter/unsubscribe/{e}", headers=same, body="List-Unsubscribe=One-Click")))
        out.append(("forms", request("POST", f"/newsletter/preferences/{e}", headers=same, body=form([("digest", x), ("alerts", x)]))))
        out.append(("forms", request("POST", "/admin/sign-in", headers=same,
                                     body=form([("email", x), ("password", x), ("next", x)]))))
        out.append(("forms", request("POST", "/admin/reset", headers=same, body=form([("email", x)]))))
        signed = {**same, "Cookie": cookie}
        fields = [("csrf", csrf), ("headline", x), ("standfirst", x), ("body", x), ("section", x),
                  ("slug", x), ("authors", x), ("tags", x), ("sources", x), ("instruments", x),
                  ("importance", x), ("publish_at", x), ("embargo_until", x), ("hero_media_id", x),
                  ("hero_alt", x), ("seo_title", x), ("action", random.choice(["draft", "publish", x]))]
        out.append(("forms", request("POST", "/admin/articles/new", headers=signed, body=form(fields))))
        out.append(("forms", request("POST", "/admin/preview", headers=signed, body=form([("csrf", csrf), ("body", x)]))))
        out.append(("forms", request("POST", f"/admin/articles/{e}", headers=signed, body=form(fields))))
        out.append(("forms", request("POST", "/admin/tags", headers=signed, body=form([("csrf", csrf), ("name", x), ("slug", x)]))))
        out.append(("forms", request("POST", "/admin/articles/new", headers=signed, body=form(fields[1:]))))
        get("forms", f"/admin/articles?q={e}&status={e}&page={e}", headers={"Cookie": cookie})
        get("forms", f"/admin/wire?q={e}&page={e}", headers={"Cookie": cookie})
        out.append(("forms", request("POST", "/admin/calendar", headers=signed, body=form(
            [("csrf", csrf), ("action", "release"), ("indicator", x), ("date", x), ("time", x), ("timing", x),
             ("period", x), ("consensus", x), ("previous", x)]))))
        out.append(("forms", request("POST", "/admin/calendar", headers=signed, body=form(
            [("csrf", csrf), ("action", "indicator"), ("country", x), ("title", x), ("importance", x),
             ("unit", x), ("scale", x), ("decimals", x), ("instrument", x)]))))
        out.append(("forms", request("POST", f"/admin/calendar/{e}", headers=signed, body=form(
            [("csrf", csrf), ("actual", x), ("date", x), ("time", x), ("timing", x), ("stories", x), ("alert", x)]))))
        auth = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
        bodies = [
            json.dumps({"headline": x, "body": x, "section": "economy"}),
            json.dumps({"headline": x, "body": x, "section": x, "tags": [x], "importance": 7}),
            json.dumps({"headline": "h", "body": "b", "section": "economy", "hero": {"media_id": -1, "alt": x}}),
            json.dumps({"headline": "h", "body": "b", "section": "economy", "publish_at": x}),
            '{"headline": ' + json.dumps(x),
            "[" * 200 + "]" * 200,
            x,
        ]
        for b in bodies:
            out.append(("admin-api", request("POST", "/api/v1/admin/articles", headers=auth, body=b)))
        out.append(("admin-api", request("PUT", f"/api/v1/admin/articles/{e}", headers=auth, body=bodies[0])))
        get("admin-api", f"/api/v1/admin/articles/{e}", headers=auth)
        mk = {"Authorization": f"Bearer {market}", "Content-Type": "application/json"}
        out.append(("pushes", request("POST", "/api/market/quotes", headers=mk, body=json.dumps(
            {"quotes": [{"symbol": x, "date": x, "close": x}, {"symbol": "BRENT", "date": "2026-11-30", "close": 1e308}]}))))
        out.append(("pushes", request("POST", "/api/market/quotes", headers=mk, body=x)))
        out.append(("pushes", request("POST", "/api/calendar/releases", headers=mk, body=json.dumps(
            {"releases": [{"indicator": x, "date": "2026-12-08", "time": x, "timezone": x, "actual": x},
                          {"id": x, "actual": 1e308}, {"indicator": "valdoria-cpi-y-y", "at": x}]}))))
        out.append(("pushes", request("POST", "/api/calendar/releases", headers=mk, body=x)))
        out.append(("pushes", request("POST", "/api/market/quotes", headers={"Authorization": f"Bearer {enc(x)[:50]}"}, body="{}")))
        wk = {"Authorization": f"Bearer {wire}", "Content-Type": "application/xml"}
        out.append(("pushes", request("POST", "/api/wire/agency", headers=wk,
                                      body=f"<rss><channel><item><title>{x}</title><description>{x}</description></item></channel></rss>")))
        out.append(("pushes", request("POST", f"/api/wire/{e}", headers=wk, body=x)))
        up = {"Authorization": f"Bearer {admin}", "Content-Type": random.choice(["image/jpeg", "image/png", x.encode("ascii", "replace").decode()[:40] or "x/y"])}
        out.append(("uploads", request("POST", f"/api/v1/admin/media?alt={e}&name={e}", headers=up, body=x)))
    # The inputs the fuzzers kept: every wire document to the push endpoint, every image upload.
    for f in sorted((ROOT / "fuzz/regressions/wire").glob("*")):
        doc = f.read_bytes()[1:]
        out.append(("pushes", request("POST", "/api/wire/agency", headers={"Authorization": f"Bearer {wire}"}, body=doc)))
    for f in sorted((ROOT / "fuzz/regressions/image").glob("*")):
        for ct in ["image/gif", "image/png", "image/jpeg"]:
            out.append(("uploads", request("POST", "/api/v1/admin/media?alt=a", headers={"Authorization": f"Bearer {admin}", "Content-Type": ct}, body=f.read_bytes())))
    rnd = random.Random(19)
    for i in range(60):
        junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 4096)))
        out.append(("uploads", request("POST", "/api/v1/admin/media?alt=a", headers={"Authorization": f"Bearer {admin}", "Content-Type": "image/jpeg"}, body=b"\xff\xd8\xff" + junk)))
        out.append(("pushes", request("POST", "/api/wire/agency", headers={"Authorization": f"Bearer {wire}"}, body=junk)))
    # Malformed HTTP on the wire.
    raw = [
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHeader\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 200_000 + b"\r\n\r\n",
        b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(2000)) + b"\r\n",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"POST /api/v1/admin/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200),
        b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://evil.example.com/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"TRACE / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"DELETE /admin HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + b"bs_session=" + b"\xff" * 100 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + b"gzip;q=" * 1000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + b"\"x\"," * 5000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,2-3,4-5\r\n\r\n",
        b"GET /search?q=" + b"%" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /?a=1&" + b"b=2&" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: " + b"1.2.3.4, " * 2000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \xff, [::1]:80, not-an-ip\r\n\r\n",
    ]
    for r in raw:
        out.append(("raw-http", r))
    for i in range(100):
        junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 512)))
        out.append(("raw-http", junk + b"\r\n\r\n"))
        cut = request("GET", "/search?q=rates")
        out.append(("raw-http", cut[: rnd.randint(1, len(cut) - 1)]))
    return out


async def sign_in(port):
    body = form([("email", "desk@example.com"), ("password", "hostile suite desk password")])
    status, head, _, _ = await exchange(port, request("POST", "/admin/sign-in", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": "http://127.0.0.1",
        "Sec-Fetch-Site": "same-origin"}, body=body), 30)
    m = re.search(rb"(?im)^set-cookie: ([^;\r\n]+)", head)
    if status != 303 or not m:
        sys.exit(f"sign-in failed: {status} {head[:300]!r}")
    cookie = m.group(1).decode()
    _, _, page, _ = await exchange(port, request("GET", "/admin/articles/new", headers={"Cookie": cookie}), 30)
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page)
    if not csrf:
        sys.exit("no CSRF token on the editor page")
    return cookie, csrf.group(1).decode()


async def attack(server, ctx, slow):
    ctx["cookie"], ctx["csrf"] = await sign_in(server.port)
    all_cases = cases(ctx)
    stats = {}
    failures = []
    slowest = (0.0, "")
    sem = asyncio.Semaphore(4)
    peak = server.rss_mb()

    async def one(family, raw):
        nonlocal slowest, peak
        async with sem:
            try:
                status, head, body, elapsed = await exchange(
                    server.port, raw, slow * 3, eof=family == "raw-http"
                )
            except asyncio.TimeoutError:
                failures.append(f"{family}: no answer in {slow * 3} s: {raw[:120]!r}")
                return
            except OSError as e:
                status, elapsed = None, 0.0
            s = stats.setdefault(family, {"sent": 0, "5xx": 0, "statuses": {}})
            s["sent"] += 1
            s["statuses"][status] = s["statuses"].get(status, 0) + 1
            if status is not None and status >= 500:
                s["5xx"] += 1
                failures.append(f"{family}: {status} for {raw[:160]!r}: {body[:200]!r}")
            if elapsed > slow:
                failures.append(f"{family}: {elapsed:.1f} s for {raw[:120]!r}")
            if elapsed > slowest[0]:
                slowest = (elapsed, f"{family} {raw[:80]!r}")
            peak = max(peak, server.rss_mb())

    await asyncio.gather(*(one(f, r) for f, r in all_cases))
    return all_cases, stats, failures, slowest, peak


def big_png(side=7000):
    """A `side`×`side` 16-bit RGB PNG (49 megapixels at 7000, under the 50 MP cap) that
    compresses to a few hundred kilobytes: decoding it takes about 300 MB."""
    import zlib
    import struct

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    z = zlib.compressobj(9)
    row = b"\x00" + bytes(range(256)) * (side * 6 // 256) + bytes(side * 6 % 256)
    parts = [z.compress(row) for _ in range(side)] + [z.flush()]
    ihdr = struct.pack(">IIBBBBB", side, side, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


async def uploads(server, admin, n, timeout):
    """`n` concurrent uploads of `big_png()`; (statuses, peak RSS in MB, seconds)."""
    png = big_png()
    raw = request("POST", "/api/v1/admin/media?alt=A%20big%20picture&name=big.png",
                  headers={"Authorization": f"Bearer {admin}", "Content-Type": "image/png"}, body=png)
    peak = server.rss_mb()
    start = time.time()
    tasks = [asyncio.create_task(exchange(server.port, raw, timeout)) for _ in range(n)]
    while not all(t.done() for t in tasks):
        peak = max(peak, server.rss_mb())
        await asyncio.sleep(0.1)
    statuses = [t.result()[0] for t in tasks]
    return statuses, peak, time.time() - start


async def soak(server, seconds, connections, headlines):
    paths = ["/", "/markets", "/feed.xml", "/section/economy", "/sitemap.xml"]
    _, _, home, _ = await exchange(server.port, request("GET", "/"), 30)
    paths += sorted(set(m.decode() for m in re.findall(rb'href="(/article/[^"#?]+)"', home)))[:30]
    words = sorted(set(w.lower() for h in headlines for w in re.findall(r"[A-Za-z]{4,}", h)))
    rnd = random.Random(7)
    for _ in range(400):
        q = " ".join(rnd.sample(words, rnd.randint(1, 3)))
        paths.append(f"/search?q={enc(q)}")
        paths.append(f"/search/suggest?q={enc(q[:4])}")
        paths.append(f"/api/v1/search?q={enc(q)}&key={server.key}")
    done = {"n": 0, "bad": 0}
    end = time.time() + seconds

    async def worker(i):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        r = random.Random(i)
        while time.time() < end:
            path = r.choice(paths)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = re.search(rb"(?i)content-length: (\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            else:
                while True:
                    size = int((await reader.readline()).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            done["n"] += 1
            if status >= 500:
                done["bad"] += 1
        writer.close()

    samples = []

    async def sampler():
        start = time.time()
        while time.time() < end:
            samples.append((time.time() - start, server.rss_mb(), done["n"]))
            if len(samples) % 10 == 1:
                t, rss, n = samples[-1]
                print(f"  soak {t:5.0f} s  RSS {rss:6.1f} MB  {n} requests", flush=True)
            await asyncio.sleep(1)

    await asyncio.gather(sampler(), *(worker(i) for i in range(connections)))
    return samples, done


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(ROOT / "target/debug/broadsheet"))
    ap.add_argument("--slow", type=float, default=10.0, help="slowest answer allowed, seconds")
    ap.add_argument("--max-growth-mb", type=float, default=150.0)
    ap.add_argument("--soak", type=float, default=60.0, help="soak seconds (0: none)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--soak-growth-mb", type=float, default=25.0)
    ap.add_argument("--uploads", type=int, default=4, help="concurrent 49-megapixel uploads (0: none)")
    ap.add_argument("--max-upload-mb", type=float, default=900.0)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="broadsheet-hostile-"))
    data, config, key, admin, wire = setup(args.bin, work)
    server = Server(args.bin, data, config)
    server.key = key
    failed = []
    try:
        idle = server.rss_mb()
        ctx = {"key": key, "admin": admin, "wire": wire, "market": "hostile-market-token-0123456789"}
        t0 = time.time()
        all_cases, stats, failures, slowest, peak = asyncio.run(attack(server, ctx, args.slow))
        after = server.rss_mb()
        time.sleep(3)
        settled = server.rss_mb()
        print(f"hostile requests: {len(all_cases)} in {time.time() - t0:.0f} s")
        for fam in sorted(stats):
            s = stats[fam]
            shown = ", ".join(f"{k}: {v}" for k, v in sorted(s["statuses"].items(), key=lambda kv: str(kv[0])))
            print(f"  {fam:11} {s['sent']:5} sent, {s['5xx']} 5xx   ({shown})")
        print(f"  slowest answer {slowest[0]:.2f} s ({slowest[1]})")
        print(f"  RSS idle {idle:.0f} MB, peak {peak:.0f} MB, just after {after:.0f} MB, 3 s later {settled:.0f} MB")
        failed += failures
        if len(all_cases) < 2000:
            failed.append(f"only {len(all_cases)} hostile requests")
        if peak - idle > args.max_growth_mb:
            failed.append(f"RSS grew {peak - idle:.0f} MB (bound {args.max_growth_mb:.0f})")
        if args.uploads > 0:
            statuses, upeak, secs = asyncio.run(uploads(server, admin, args.uploads, 300))
            print(f"uploads: {args.uploads} concurrent 7000x7000 16-bit PNGs in {secs:.0f} s: "
                  f"statuses {statuses}, peak RSS {upeak:.0f} MB")
            if any(s != 201 for s in statuses):
                failed.append(f"concurrent large uploads answered {statuses}")
            if upeak > args.max_upload_mb:
                failed.append(f"concurrent large uploads took RSS to {upeak:.0f} MB (bound {args.max_upload_mb:.0f})")
        status, _, _, _ = asyncio.run(exchange(server.port, request("GET", "/healthz"), 10))
        if status != 200:
            failed.append(f"/healthz answered {status} after the attack")

        if args.soak > 0:
            headlines = re.findall(r'"headline":"([^"]+)"', asyncio.run(exchange(
                server.port, request("GET", f"/api/v1/articles?limit=50&key={key}"), 30))[2].decode())
            print(f"soak: {args.connections} connections for {args.soak:.0f} s")
            samples, done = asyncio.run(soak(server, args.soak, args.connections, headlines))
            q = max(1, len(samples) // 4)
            second = sum(s[1] for s in samples[q : 2 * q]) / q
            last = sum(s[1] for s in samples[-q:]) / q
            rate = done["n"] / args.soak
            print(f"  {done['n']} requests ({rate:.0f}/s), {done['bad']} 5xx; RSS start {samples[0][1]:.0f} MB, "
                  f"second quarter {second:.0f} MB, last quarter {last:.0f} MB, peak {max(s[1] for s in samples):.0f} MB")
            if done["bad"]:
                failed.append(f"{done['bad']} 5xx under the soak")
            if last - second > args.soak_growth_mb:
                failed.append(f"RSS kept growing under the soak: {second:.0f} -> {last:.0f} MB")
        panics, caught = server.panics()
        print(f"panics in the log: {len(panics)} (and {len(caught)} in feed-rs, caught and answered as malformed feeds)")
        failed += [f"panic: {p}" for p in panics[:10]]
    finally:
        server.stop()
    if failed:
        print("FAILED:")
        for f in failed[:60]:
            print("  " + f)
        print(f"(server log: {server.log_path})")
        sys.exit(1)
    print("hostile suite: every check held")


if __name__ == "__main__":
    main()
