#!/usr/bin/env bash
# The hot article page: Broadsheet serving it against nginx serving the same bytes as a static
# file, in the same run, with the 21,578 Reuters stories loaded. Loopback only.
#
#   bash bench/article-page.sh            # 32 connections, 20 s each
#   DURATION=5s CONNECTIONS=16 bash bench/article-page.sh
#
# Needs nginx and wrk (Debian packages; installed if missing) and ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${BROADSHEET_SHARED_DATA:-$root/../shared/data}
corpus=$data/news-reuters21578/reuters21578.jsonl
duration=${DURATION:-20s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
bs_port=${BS_PORT:-18080}
nginx_port=${NGINX_PORT:-18081}

[ -f "$corpus" ] || { echo "bench: $corpus not found (set BROADSHEET_SHARED_DATA)" >&2; exit 1; }
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi

cargo build --release --locked -p broadsheet >&2
bin=$root/target/release/broadsheet
work=$(mktemp -d)
chmod 755 "$work"   # nginx workers run as www-data
cleanup() {
  [ -n "${bs_pid:-}" ] && kill "$bs_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== import: $corpus"
start=$(date +%s.%N)
"$bin" import "$corpus" --data "$work/data" 2>/dev/null || true   # exit 3: the corpus has lines without a title or body
import_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
# Build the search index now, as a server does once on its first start: the figures below are
# for a server running as it does every day after that.
"$bin" search reindex --data "$work/data" >/dev/null 2>&1

"$bin" serve --data "$work/data" --listen "127.0.0.1:$bs_port" 2>"$work/broadsheet.log" &
bs_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$bs_port/healthz" >/dev/null && break; sleep 0.1; done

# The page under test: the longest of the newest 20 stories in the "crude" section, a typical
# full-length wire story rather than a one-paragraph brief.
path=$(for p in $(curl -fs "http://127.0.0.1:$bs_port/section/crude" | grep -o 'href="/article/[^"]*"' | cut -d'"' -f2 | sort -u); do
  echo "$(curl -fs "http://127.0.0.1:$bs_port$p" | wc -c) $p"
done | sort -n | tail -1 | cut -d' ' -f2)
mkdir -p "$work/www"
curl -fs "http://127.0.0.1:$bs_port$path" -o "$work/www/article.html"
bytes=$(stat -c %s "$work/www/article.html")

cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $work/nginx-access.log;
  sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 100000;
  types { text/html html; }
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
NGINX
nginx -c "$work/nginx.conf"
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$nginx_port/article.html" >/dev/null && break; sleep 0.1; done
cmp <(curl -fs "http://127.0.0.1:$nginx_port/article.html") "$work/www/article.html"

run_wrk() { wrk -t"$threads" -c"$connections" -d"$duration" --latency "$1"; }
# Pull "Requests/sec" and the 50% / 99% latency lines (in ms) out of wrk's report.
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() {
  awk -v p="$2" '$1 == p { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.2f", v }' "$1"
}

echo "== page: $path ($bytes bytes), $connections connections, $duration, wrk -t$threads"
curl -fs "http://127.0.0.1:$bs_port$path" >/dev/null   # warm the page cache
run_wrk "http://127.0.0.1:$bs_port$path" >"$work/wrk-bs.txt"
run_wrk "http://127.0.0.1:$nginx_port/article.html" >"$work/wrk-nginx.txt"
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$bs_pid/status")

bs_rps=$(rps "$work/wrk-bs.txt"); ng_rps=$(rps "$work/wrk-nginx.txt")
printf '\n%-12s %12s %10s %10s\n' "server" "req/s" "p50 ms" "p99 ms"
printf '%-12s %12s %10s %10s\n' broadsheet "$bs_rps" "$(pct "$work/wrk-bs.txt" 50%)" "$(pct "$work/wrk-bs.txt" 99%)"
printf '%-12s %12s %10s %10s\n' nginx "$ng_rps" "$(pct "$work/wrk-nginx.txt" 50%)" "$(pct "$work/wrk-nginx.txt" 99%)"
awk -v a="$bs_rps" -v b="$ng_rps" 'BEGIN { printf "\nratio broadsheet/nginx req/s: %.2f\n", a / b }'
awk -v k="$rss_kb" 'BEGIN { printf "broadsheet peak RSS: %.1f MB (Reuters corpus loaded, index built)\n", k / 1024 }'
printf 'import of the Reuters corpus: %.1f s\n' "$import_s"
grep -h "Non-2xx\|Socket errors" "$work/wrk-bs.txt" "$work/wrk-nginx.txt" || true
