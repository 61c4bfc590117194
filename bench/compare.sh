#!/usr/bin/env bash
# Two builds of Broadsheet against each other and against nginx, in the same run, on the same
# data: the hot article page (nginx serving the same bytes is the reference) and the search
# results page, in alternating rounds so that drift on this machine falls on both sides.
# For a refactoring that must not cost speed: "before" and "after" binaries.
#
#   BASE_BIN=/tmp/bin-base HEAD_BIN=/tmp/bin-head bash bench/compare.sh
#   ROUNDS=5 DURATION=10s CONNECTIONS=32 ...
#
# Each round runs base, head and nginx on the article page, then base and head on search
# (32 connections cycling over 40 queries, the per-client search limit lifted for the run);
# the order of base and head alternates between rounds. Prints every round, then the median
# and range of each figure and of the ratios. Any non-2xx answer fails the run.
# Needs nginx and wrk (installed if missing) and ../shared/data. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${BROADSHEET_SHARED_DATA:-$root/../shared/data}
corpus=$data/news-reuters21578/reuters21578.jsonl
base=${BASE_BIN:?set BASE_BIN to the "before" binary}
head=${HEAD_BIN:?set HEAD_BIN to the "after" binary}
rounds=${ROUNDS:-5}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
bs_port=${BS_PORT:-18090}
nginx_port=${NGINX_PORT:-18091}

[ -f "$corpus" ] || { echo "bench: $corpus not found (set BROADSHEET_SHARED_DATA)" >&2; exit 1; }
if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ] || ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  [ -n "${bs_pid:-}" ] && kill "$bs_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== base: $base ($(sha256sum "$base" | cut -c1-12)), head: $head ($(sha256sum "$head" | cut -c1-12))"
echo "== import: $corpus (with head; both read the same database)"
"$head" import "$corpus" --data "$work/data" >/dev/null 2>&1 || true
"$head" search reindex --data "$work/data" >/dev/null 2>&1

start_bs() {
  BROADSHEET_LIMITS__SEARCH_PER_SECOND=1000000 BROADSHEET_LIMITS__SEARCH_BURST=1000000 \
    "$1" serve --data "$work/data" --listen "127.0.0.1:$bs_port" --no-jobs >/dev/null 2>>"$work/bs.log" &
  bs_pid=$!
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$bs_port/healthz" >/dev/null && return; sleep 0.1; done
  echo "bench: $1 did not start" >&2; exit 1
}
stop_bs() { kill "$bs_pid"; wait "$bs_pid" 2>/dev/null || true; bs_pid=; }

# The page under test: the longest of the newest stories in "crude", as bench/article-page.sh.
start_bs "$head"
path=$(for p in $(curl -fs "http://127.0.0.1:$bs_port/section/crude" | grep -o 'href="/article/[^"]*"' | cut -d'"' -f2 | sort -u); do
  echo "$(curl -fs "http://127.0.0.1:$bs_port$p" | wc -c) $p"
done | sort -n | tail -1 | cut -d' ' -f2)
mkdir -p "$work/www"
curl -fs "http://127.0.0.1:$bs_port$path" -o "$work/www/article.html"
stop_bs
cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 100000;
  types { text/html html; }
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
NGINX
"$nginx_bin" -c "$work/nginx.conf"
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$nginx_port/article.html" >/dev/null && break; sleep 0.1; done

# Forty queries of the kinds readers type, cycled by each connection.
cat >"$work/search.lua" <<'LUA'
local q = {"oil","crude prices","opec output","coffee","grain exports","wheat","interest rates",
  "bank of japan","dollar yen","trade deficit","gold","copper","sugar quota","cocoa",
  "merger","acquisition talks","earnings","dividend","bond yields","inflation","money supply",
  "tin council","rubber","soybeans","corn harvest","cattle","natural gas","gasoline stocks",
  "shipping strike","tanker","brazil debt","mexico oil","iran","kuwait","saudi arabia",
  "federal reserve","treasury","budget deficit","unemployment","retail sales"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/search?q=" .. q[(i % #q) + 1]:gsub(" ", "+"))
end
LUA

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() {
  awk '$1 == "99%" { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.1f", v }' "$1"
}
check() { if grep -q "Non-2xx\|Socket errors" "$1"; then echo "bench: errors in $2:" >&2; cat "$1" >&2; exit 1; fi; }
run() { # name url [script]
  local out="$work/wrk-$1.txt"
  if [ -n "${3:-}" ]; then wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$3" "$2" >"$out"
  else wrk -t"$threads" -c"$connections" -d"$duration" --latency "$2" >"$out"; fi
  check "$out" "$1"
  echo "$(rps "$out") $(p99 "$out")"
}

echo "== article $path ($(stat -c %s "$work/www/article.html") bytes); search over 40 queries"
echo "== $rounds rounds, $connections connections, $duration each, wrk -t$threads"
printf '%-6s %12s %12s %12s %8s %8s %12s %12s %8s\n' round base_page head_page nginx base/ng head/ng base_search head_search head/base
: >"$work/rows"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="base head"; else order="head base"; fi
  for which in $order; do
    bin=$base; [ "$which" = head ] && bin=$head
    start_bs "$bin"
    curl -fs "http://127.0.0.1:$bs_port$path" >/dev/null
    read -r page_rps page_p99 < <(run "$which-page" "http://127.0.0.1:$bs_port$path")
    read -r search_rps search_p99 < <(run "$which-search" "http://127.0.0.1:$bs_port" "$work/search.lua")
    stop_bs
    eval "${which}_page=$page_rps ${which}_search=$search_rps ${which}_search_p99=$search_p99"
  done
  read -r ng_rps ng_p99 < <(run nginx "http://127.0.0.1:$nginx_port/article.html")
  row=$(awk -v bp="$base_page" -v hp="$head_page" -v n="$ng_rps" -v bs="$base_search" -v hs="$head_search" \
    'BEGIN { printf "%.0f %.0f %.0f %.3f %.3f %.0f %.0f %.3f", bp, hp, n, bp/n, hp/n, bs, hs, hs/bs }')
  echo "$row" >>"$work/rows"
  printf '%-6s %12s %12s %12s %8s %8s %12s %12s %8s\n' "$r" $row
done
echo
echo "median (min-max) over $rounds rounds:"
for col in 1:base_page 2:head_page 3:nginx 4:base/nginx 5:head/nginx 6:base_search 7:head_search 8:search_head/base; do
  n=${col%%:*}; name=${col#*:}
  cut -d' ' -f"$n" "$work/rows" | sort -g | awk -v name="$name" '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "  %-18s %10s  (%s - %s)\n", name, m, v[1], v[NR] }'
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
