#!/usr/bin/env bash
# Market data: (1) importing every shared market CSV (points per second), (2) drawing a 5-year
# chart, (3) what the market strip adds to a cached page: the same article served by two
# Broadsheets, one with instruments in the strip and one without, under wrk. Loopback only.
#
#   bash bench/market.sh          (DURATION=10s by default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${BROADSHEET_SHARED_DATA:-$root/../shared/data}/market
duration=${DURATION:-10s}
[ -d "$data" ] || { echo "bench: $data not found (set BROADSHEET_SHARED_DATA)" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -p broadsheet >&2
bin=$root/target/release/broadsheet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== 1. import of every shared market CSV"
total_points=0
start=$(date +%s.%N)
imp() { "$bin" market import "$data/$1" --data "$work/m" "${@:2}"; }
{
  for f in "$data"/commodities/*.csv; do n=$(basename "$f" .csv); imp "commodities/$n.csv" --kind commodity --symbol "${n^^}"; done
  for f in "$data"/equities/*.csv "$data"/indices/yahoo_*.csv; do n=$(basename "$f" .csv); imp "${f#$data/}" --kind stock --symbol "$(echo "$n" | cut -d_ -f2)"; done
  imp indices/sp500_daily_fred_2016-2026.csv --kind index --symbol SPX
  imp indices/sp500_monthly_shiller_1871-2026.csv --kind index --symbol SPX_M --skip-zero
  imp indices/vix_daily_ohlc_1990-2026.csv --kind index --symbol VIX
  imp indices/vix_monthly_1990-2026.csv --kind index --symbol VIX_M
  imp fx/fx_annual_long.csv --kind currency --layout long --symbol-prefix USDA_
  imp fx/fx_monthly_long_1971-2026.csv --kind currency --layout long --symbol-prefix USDM_
  imp fx/fx_daily_wide_per_usd_1971-2017.csv --kind currency --layout wide --symbol-prefix USD_
} >"$work/import.log"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
total_points=$(awk '{ s += $2 } END { print s }' "$work/import.log")
awk -v n="$total_points" -v s="$secs" 'BEGIN { printf "%d points from %d files in %.2f s: %.0f points/s (target: all under 5 s)\n", n, 0, s, n / s }' | sed "s/from 0 files/from $(wc -l < "$work/import.log") files/"

echo "== 2. a 5-year chart"
cargo run --release --locked -q -p broadsheet-render --example chart_bench

echo "== 3. the strip on a cached page"
"$bin" demo --data "$work/with" >/dev/null
"$bin" demo --data "$work/without" >/dev/null
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE instruments SET in_ticker = 0'); c.commit()" "$work/without/broadsheet.db"
# Both with a built search index, so the pages differ by the strip alone.
"$bin" search reindex --data "$work/with" >/dev/null 2>&1
"$bin" search reindex --data "$work/without" >/dev/null 2>&1
"$bin" serve --data "$work/with" --listen 127.0.0.1:18191 2>/dev/null &
"$bin" serve --data "$work/without" --listen 127.0.0.1:18192 2>/dev/null &
for p in 18191 18192; do for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done; done
page=/article/copper-hits-18-month-high-on-supply-worries
for p in 18191 18192; do curl -fs "http://127.0.0.1:$p$page" >/dev/null; done
wrk -t2 -c32 -d"$duration" --latency "http://127.0.0.1:18191$page" >"$work/with.txt"
wrk -t2 -c32 -d"$duration" --latency "http://127.0.0.1:18192$page" >"$work/without.txt"
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
bytes() { curl -fs "http://127.0.0.1:$1$page" | wc -c; }
p50() { awk '$1 == "50%" { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v); if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.3f", v }' "$1"; }
printf '%-16s %10s %10s %8s\n' page req/s "p50 ms" bytes
printf '%-16s %10s %10s %8s\n' "with strip" "$(rps "$work/with.txt")" "$(p50 "$work/with.txt")" "$(bytes 18191)"
printf '%-16s %10s %10s %8s\n' "without strip" "$(rps "$work/without.txt")" "$(p50 "$work/without.txt")" "$(bytes 18192)"
awk -v a="$(rps "$work/with.txt")" -v b="$(rps "$work/without.txt")" 'BEGIN { printf "cost of the strip per request: %.4f ms of server time (1/req/s difference x 2 cores)\n", (1000 / a - 1000 / b) * 2 }'
