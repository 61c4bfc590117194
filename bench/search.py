#!/usr/bin/env python3
"""Search benchmark: Broadsheet's HTTP search endpoint against SQLite FTS5, same data, same
queries, same run. Loopback only; stdlib only.

    python3 bench/search.py                 # the 21,578 Reuters stories
    python3 bench/search.py --copies 26     # ~500k articles: Reuters replicated with varied
                                            # titles and dates

Prints indexing rate, index size, and p50/p99 latency over 1,000 mixed queries (words, pairs,
"phrases", -exclusions, typos) for both, with the ratio. Broadsheet is measured end to end over
HTTP (the full results page: ranking, total, facets, snippets, HTML); FTS5 in process
(top 10 by bm25 with snippets, plus the total count), which flatters FTS5.
"""

import argparse
import http.client
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("BROADSHEET_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
CORPUS = os.path.join(DATA, "news-reuters21578", "reuters21578.jsonl")
WORD = re.compile(r"[A-Za-z]{3,}")


def valid_records(copies):
    """The corpus lines the import accepts, replicated `copies` times with varied ids, titles
    and dates so that each copy is a distinct story."""
    base = []
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if (r.get("title") or "").strip() and (r.get("body") or "").strip():
                base.append(r)
    variants = ["", "UPDATE: ", "ANALYSIS: ", "WRAPUP: ", "FOCUS: ", "REFILE: ", "CORRECTED: "]
    for c in range(copies):
        for r in base:
            out = dict(r)
            if c:
                out["id"] = f"{r['id']}-copy{c}"
                out["title"] = f"{variants[c % len(variants)]}{r['title']} ({1987 + c})"
                if r.get("published_at"):
                    out["published_at"] = f"{1987 + c}{r['published_at'][4:]}"
            yield out


def make_queries(records, n, seed=7):
    rng = random.Random(seed)
    titles = [r["title"] for r in records[:20000]]
    words = [w.lower() for t in titles for w in WORD.findall(t)]
    common = [w for w in set(words) if words.count(w) > 20] if len(words) < 300000 else list(set(words))[:2000]
    rare = list(set(words))
    queries = []
    while len(queries) < n:
        kind = rng.randrange(6)
        if kind == 0:
            queries.append(rng.choice(common))
        elif kind == 1:
            queries.append(rng.choice(rare))
        elif kind == 2:
            queries.append(f"{rng.choice(common)} {rng.choice(common)}")
        elif kind == 3:
            ws = WORD.findall(rng.choice(titles).lower())
            if len(ws) >= 2:
                i = rng.randrange(len(ws) - 1)
                queries.append(f'"{ws[i]} {ws[i + 1]}"')
        elif kind == 4:
            queries.append(f"{rng.choice(common)} -{rng.choice(common)}")
        else:
            w = rng.choice([w for w in rare if len(w) >= 6] or ["dollar"])
            i = rng.randrange(len(w) - 1)
            queries.append(w[:i] + w[i + 1] + w[i] + w[i + 2:])
    return queries


def fts5_query(q):
    """The same query in FTS5 syntax (FTS5 has no typo tolerance: typos are searched as typed)."""
    parts = re.findall(r'-?"[^"]*"|-?\S+', q)
    pos, neg = [], []
    for p in parts:
        target = neg if p.startswith("-") else pos
        p = p.lstrip("-").strip('"')
        toks = WORD.findall(p) or re.findall(r"\w+", p)
        if toks:
            target.append('"' + " ".join(toks) + '"')
    if not pos:
        return None
    expr = " AND ".join(pos)
    for n in neg:
        expr += f" NOT {n}"
    return expr


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--port", type=int, default=18090)
    args = ap.parse_args()
    if not os.path.exists(CORPUS):
        sys.exit(f"bench: {CORPUS} not found (set BROADSHEET_SHARED_DATA)")

    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "broadsheet"], cwd=ROOT, check=True, stdout=sys.stderr)
    binary = os.path.join(ROOT, "target", "release", "broadsheet")
    work = tempfile.mkdtemp(prefix="broadsheet-bench-")
    data = os.path.join(work, "data")
    jsonl = os.path.join(work, "corpus.jsonl")
    records = []
    with open(jsonl, "w", encoding="utf-8") as f:
        for r in valid_records(args.copies):
            f.write(json.dumps(r) + "\n")
            if len(records) < 25000:
                records.append(r)
    total = sum(1 for _ in open(jsonl, encoding="utf-8"))
    print(f"== corpus: {total} articles ({args.copies} x Reuters)")

    t = time.time()
    subprocess.run([binary, "import", jsonl, "--data", data], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"import: {time.time() - t:.1f} s")
    t = time.time()
    out = subprocess.run([binary, "search", "reindex", "--data", data], check=True, capture_output=True, text=True).stdout.strip()
    reindex_s = time.time() - t
    print(f"broadsheet reindex: {reindex_s:.1f} s, {total / reindex_s:.0f} articles/s ({out})")

    t = time.time()
    fts_path = os.path.join(work, "fts.db")
    db = sqlite3.connect(fts_path)
    db.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2')")
    with open(jsonl, encoding="utf-8") as f:
        db.executemany("INSERT INTO t(title, body) VALUES (?, ?)", ((r["title"], r["body"]) for r in map(json.loads, f)))
    db.commit()
    fts_s = time.time() - t
    print(f"fts5 build: {fts_s:.1f} s, {total / fts_s:.0f} articles/s, {os.path.getsize(fts_path) / 1e6:.0f} MB (with the text)")

    config = os.path.join(work, "bench.toml")
    with open(config, "w") as f:
        f.write("[limits]\nsearch_per_second = 1000000\nsearch_burst = 1000000\n")
    server = subprocess.Popen([binary, "--config", config, "serve", "--data", data, "--listen", f"127.0.0.1:{args.port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        queries = make_queries(records, args.queries)
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        for q in queries[:50]:  # warm up
            conn.request("GET", "/search?" + urllib.parse.urlencode({"q": q}))
            conn.getresponse().read()
        bs, statuses = [], {}
        for q in queries:
            path = "/search?" + urllib.parse.urlencode({"q": q})
            t = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            bs.append((time.perf_counter() - t) * 1000)
            statuses[r.status] = statuses.get(r.status, 0) + 1
        fts = []
        for q in queries:
            expr = fts5_query(q)
            t = time.perf_counter()
            if expr:
                try:
                    db.execute("SELECT rowid, title, snippet(t, 1, '<mark>', '</mark>', '…', 24) FROM t WHERE t MATCH ? "
                               "ORDER BY bm25(t, 3.0, 1.0) LIMIT 10", (expr,)).fetchall()
                    db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expr,)).fetchone()
                except sqlite3.OperationalError:
                    pass
            fts.append((time.perf_counter() - t) * 1000)
    finally:
        server.terminate()
        server.wait()

    print(f"\n{len(queries)} queries; HTTP statuses {statuses}")
    print(f"{'engine':28} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    print(f"{'broadsheet (HTTP page)':28} {pct(bs, 50):8.2f} {pct(bs, 99):8.2f} {statistics.mean(bs):8.2f}")
    print(f"{'sqlite fts5 (in process)':28} {pct(fts, 50):8.2f} {pct(fts, 99):8.2f} {statistics.mean(fts):8.2f}")
    print(f"ratio broadsheet/fts5: p50 {pct(bs, 50) / max(pct(fts, 50), 1e-6):.2f}, p99 {pct(bs, 99) / max(pct(fts, 99), 1e-6):.2f}")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
