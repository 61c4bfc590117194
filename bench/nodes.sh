#!/usr/bin/env bash
# Scale-out against the embedded default, in the same run: one `broadsheet serve` on SQLite
# (tantivy search) against two nodes on one PostgreSQL database (PostgreSQL search), both
# holding the 21,578 Reuters stories (moved up with `broadsheet migrate-to`). Measures the hot
# article page and search requests (a rotating list of reader queries), with wrk on loopback.
#
#   bash bench/nodes.sh                       # 32 connections, 15 s per measurement
#   DURATION=5s CONNECTIONS=16 bash bench/nodes.sh
#   PG_URL=postgres://postgres@127.0.0.1:5432/test bash bench/nodes.sh
#
# Needs wrk (installed if missing), a PostgreSQL the bench may create a schema in, and
# ../shared/data. Every process runs on this machine: two nodes share its cores, so the figure
# shows what a second node costs and gives on one box, not what two boxes would give.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${BROADSHEET_SHARED_DATA:-$root/../shared/data}
corpus=$data/news-reuters21578/reuters21578.jsonl
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
pg_url=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
schema=bs_bench_$$
ports=(18280 18281 18282)

[ -f "$corpus" ] || { echo "bench: $corpus not found (set BROADSHEET_SHARED_DATA)" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked -p broadsheet >&2
bin=$root/target/release/broadsheet
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

psql "$pg_url" -qc "CREATE SCHEMA $schema" >/dev/null
db="$pg_url?options=-c%20search_path%3D$schema"
# Search and API rate limits are per client; every request here comes from 127.0.0.1.
cat >"$work/broadsheet.toml" <<TOML
[limits]
search_per_second = 1000000
search_burst = 1000000
TOML

echo "== import the Reuters corpus into SQLite, then move it up to PostgreSQL"
"$bin" import "$corpus" --data "$work/sqlite" 2>/dev/null || true   # exit 3: lines without a title or body
"$bin" search reindex --data "$work/sqlite" >/dev/null 2>&1
"$bin" migrate-to "$db" --data "$work/sqlite" | tail -3
"$bin" --database "$db" search reindex --data "$work/pg-cli" | tail -1

start_node() { # name port extra-args...
  local name=$1 port=$2; shift 2
  "$bin" --config "$work/broadsheet.toml" serve --listen "127.0.0.1:$port" "$@" >/dev/null 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
  echo "node $name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}
start_node sqlite "${ports[0]}" --data "$work/sqlite"
start_node pg-a "${ports[1]}" --data "$work/pg-a" --database "$db"
start_node pg-b "${ports[2]}" --data "$work/pg-b" --database "$db"

# The page: the longest of the newest stories in "crude" (as bench/article-page.sh).
path=$(for p in $(curl -fs "http://127.0.0.1:${ports[0]}/section/crude" | grep -o 'href="/article/[^"]*"' | cut -d'"' -f2 | sort -u); do
  echo "$(curl -fs "http://127.0.0.1:${ports[0]}$p" | wc -c) $p"
done | sort -n | tail -1 | cut -d' ' -f2)
for port in "${ports[@]}"; do curl -fs "http://127.0.0.1:$port$path" >/dev/null; done

cat >"$work/search.lua" <<'LUA'
local queries = { "oil+prices", "crude", "opec+output", "wheat+exports", "interest+rates",
  "central+bank", "dollar+yen", "coffee", "gold+price", "trade+deficit", "%22money+supply%22",
  "bank+-rates", "takeover+bid", "sugar", "grain+shipments", "inflaton", "soybeans", "tin",
  "copper+mine", "earnings+quarter" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/search?q=" .. queries[(i % #queries) + 1])
end
LUA

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() {
  awk '$1 == "99%" { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.1f", v }' "$1"
}
one() { # out url [lua]
  local out=$1 url=$2 lua=${3:-}
  wrk -t2 -c"$connections" -d"$duration" --latency ${lua:+-s "$lua"} "$url" >"$out"
}
two() { # out-prefix path [lua]: half the connections on each PostgreSQL node, at once
  local out=$1 p=$2 lua=${3:-} half=$((connections / 2))
  wrk -t1 -c"$half" -d"$duration" --latency ${lua:+-s "$lua"} "http://127.0.0.1:${ports[1]}$p" >"$out-a" &
  local first=$!
  wrk -t1 -c"$half" -d"$duration" --latency ${lua:+-s "$lua"} "http://127.0.0.1:${ports[2]}$p" >"$out-b"
  wait "$first"   # not a bare wait: the nodes are background jobs too
}

echo "== article page $path, $connections connections, $duration"
one "$work/page-sqlite" "http://127.0.0.1:${ports[0]}$path"
two "$work/page-pg" "$path"
echo "== search (20 rotating queries), $connections connections, $duration"
one "$work/search-sqlite" "http://127.0.0.1:${ports[0]}/search" "$work/search.lua"
two "$work/search-pg" "/search" "$work/search.lua"

sum() { awk -v a="$(rps "$1")" -v b="$(rps "$2")" 'BEGIN { printf "%.0f", a + b }'; }
page_s=$(rps "$work/page-sqlite"); page_p=$(sum "$work/page-pg-a" "$work/page-pg-b")
search_s=$(rps "$work/search-sqlite"); search_p=$(sum "$work/search-pg-a" "$work/search-pg-b")
printf '\n%-34s %12s %12s %8s\n' "" "1 on SQLite" "2 on PG" "ratio"
printf '%-34s %12.0f %12s %8s\n' "article page (hot), req/s" "$page_s" "$page_p" \
  "$(awk -v a="$page_p" -v b="$page_s" 'BEGIN { printf "%.2f", a / b }')"
printf '%-34s %12.0f %12s %8s\n' "search, req/s" "$search_s" "$search_p" \
  "$(awk -v a="$search_p" -v b="$search_s" 'BEGIN { printf "%.2f", a / b }')"
printf '%-34s %12s %12s\n' "search p99 ms (node A on PG)" "$(p99 "$work/search-sqlite")" "$(p99 "$work/search-pg-a")"
grep -h "Non-2xx\|Socket errors" "$work"/page-* "$work"/search-* || true
