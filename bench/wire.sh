#!/usr/bin/env bash
# Wire ingest: items per second from the shared agency samples (every format, through
# `broadsheet wire import`) and from a 10,000-item RSS feed polled over HTTP on loopback
# (`broadsheet wire poll`, the server's own poll path: fetch, parse, sanitise, store), with the
# peak memory of each; the reference in the same run is Python's feedparser (the parser most
# feed readers are measured against) parsing and sanitising the same feed file. Loopback only.
#
#   bash bench/wire.sh                 # 20 rounds of the samples, one 10,000-item poll
#   ROUNDS=5 ITEMS=2000 bash bench/wire.sh
#
# Needs ../shared/data (the samples; the feed's text comes from the Reuters corpus, read at run
# time) and feedparser from PyPI (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${BROADSHEET_SHARED_DATA:-$root/../shared/data}
rounds=${ROUNDS:-20}
items=${ITEMS:-10000}
port=${FEED_PORT:-18093}
[ -d "$data/wire-samples" ] || { echo "bench: $data/wire-samples not found (set BROADSHEET_SHARED_DATA)" >&2; exit 1; }
python3 -c "import feedparser" 2>/dev/null || python3 -m pip install --quiet feedparser 2>/dev/null \
  || python3 -m pip install --quiet --break-system-packages feedparser

cargo build --release --locked -p broadsheet >&2
cargo build --release --locked -p broadsheet-ingest --example wire_parse >&2
bin=$root/target/release/broadsheet
work=$(mktemp -d)
cleanup() {
  [ -n "${http_pid:-}" ] && kill "$http_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# `peak FILE CMD...` runs CMD (its output to $work/peak.out) and writes its peak resident memory
# in MB (the child's ru_maxrss) to FILE.
peak() {
  local out=$1
  shift
  python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1] + ".log", "w") as log:
    subprocess.run(sys.argv[2:], check=False, stdout=log, stderr=subprocess.STDOUT)
with open(sys.argv[1], "w") as f:
    f.write(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
PY
}

echo "== samples: every file in wire-samples, ninjs/examples, newsml-g2/examples, $rounds rounds"
mapfile -t files < <(find "$data/wire-samples" "$data/ninjs/examples" "$data/newsml-g2/examples" -type f \
  ! -name 'LICENSE*' ! -name MANIFEST.tsv ! -name '*.md' | sort)
total=0
inside=0
start=$(date +%s.%N)
for i in $(seq "$rounds"); do
  # A new source each round, so every round stores every item anew.
  out=$("$bin" wire import --source "round-$i" --data "$work/samples" "${files[@]}" 2>&1 >/dev/null || true)
  last=$(printf '%s\n' "$out" | tail -1)
  n=$(printf '%s\n' "$last" | sed -E 's/.*: ([0-9]+) items stored, ([0-9]+) unchanged.*/\1 \2/' | awk '{ print $1 + $2 }')
  s=$(printf '%s\n' "$last" | sed -E 's/.* in ([0-9.]+) s .*/\1/')
  total=$((total + n))
  inside=$(awk -v a="$inside" -v b="$s" 'BEGIN { print a + b }')
done
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
sample_rate=$(awk -v n="$total" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
inside_rate=$(awk -v n="$total" -v s="$inside" 'BEGIN { printf "%.0f", n / s }')
peak "$work/samples.rss" "$bin" wire import --source "peak" --data "$work/samples" "${files[@]}"
echo "${#files[@]} files x $rounds rounds: $total items; $inside_rate items/s reading and storing ($inside s), $sample_rate items/s with each round's process start ($secs s); peak RSS $(cat "$work/samples.rss") MB"
parse=$("$root/target/release/examples/wire_parse" "${files[@]}" 2>/dev/null | tail -1)
echo "parsing alone (wire::parse over the same files, once): $parse"

echo "== a $items-item RSS feed from the Reuters corpus"
mkdir -p "$work/www"
python3 - "$data/news-reuters21578/reuters21578.jsonl" "$items" "$work/www/feed.xml" <<'PY'
import json, sys
from xml.sax.saxutils import escape
from email.utils import formatdate
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stories = []
with open(src, encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        if r.get("title") and r.get("body"):
            stories.append(r)
        if len(stories) >= n:
            break
with open(out, "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Bench Wire</title>'
            '<link>http://127.0.0.1/</link><description>bench</description>\n')
    for i, r in enumerate(stories):
        body = "".join(f"<p>{escape(p)}</p>" for p in r["body"].split("\n\n"))
        f.write(f"<item><guid isPermaLink=\"false\">{escape(r['id'])}</guid><title>{escape(r['title'])}</title>"
                f"<pubDate>{formatdate(1e9 + i * 60, usegmt=True)}</pubDate>"
                f"<category>{escape(r.get('section') or 'news')}</category>"
                f"<description>{escape(body)}</description></item>\n")
    f.write("</channel></rss>\n")
print(f"{len(stories)} items, {sum(1 for _ in open(out, 'rb'))} lines", file=sys.stderr)
PY
feed_bytes=$(stat -c %s "$work/www/feed.xml")
(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
http_pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/feed.xml" && break; sleep 0.1; done
"$bin" wire source add bench --feed "http://127.0.0.1:$port/feed.xml" --allow-private --data "$work/poll" >/dev/null 2>&1
start=$(date +%s.%N)
peak "$work/poll.rss" "$bin" wire poll --data "$work/poll"
poll_secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
poll_rss=$(cat "$work/poll.rss")
cat "$work/poll.rss.log"
stored=$(grep -o '[0-9]* stored' "$work/poll.rss.log" | head -1 | cut -d' ' -f1)
poll_rate=$(awk -v n="${stored:-0}" -v s="$poll_secs" 'BEGIN { printf "%.0f", n / s }')
echo "broadsheet wire poll: $stored items ($feed_bytes bytes) fetched, parsed, sanitised and stored in ${poll_secs} s = $poll_rate items/s (process start included); peak RSS ${poll_rss} MB"
echo "parsing alone: $("$root/target/release/examples/wire_parse" "$work/www/feed.xml" | tail -1)"

ref=$(python3 - "$work/www/feed.xml" <<'PY'
import sys, time, resource, feedparser
t = time.perf_counter()
d = feedparser.parse(sys.argv[1])
s = time.perf_counter() - t
print(f"{len(d.entries)} {s:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
PY
)
read -r ref_n ref_s ref_rss <<<"$ref"
ref_rate=$(awk -v n="$ref_n" -v s="$ref_s" 'BEGIN { printf "%.0f", n / s }')
echo "feedparser $(python3 -c 'import feedparser; print(feedparser.__version__)'): $ref_n items parsed and sanitised in $ref_s s = $ref_rate items/s; peak RSS $ref_rss MB"
echo "ratio (Broadsheet poll, storing, / feedparser, parsing only): $(awk -v a="$poll_rate" -v b="$ref_rate" 'BEGIN { printf "%.2f", a / b }')"
