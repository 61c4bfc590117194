#!/usr/bin/env bash
# The daily digest to N subscribers (100,000 by default) through a local SMTP sink
# (crates/smtp-bench: records each message before its 250, like an MTA), loopback only:
#   1. `broadsheet newsletter send-digest --now`: messages per second and peak RSS;
#   2. the reference: a raw SMTP client (`smtp-bench blast`) sending as many pre-built messages
#      of the same average size over as many connections into the same kind of sink;
#   3. the same again, killed (SIGKILL) at a random point and restarted: copies per recipient.
#
#   bash bench/newsletter.sh          (N=100000 CONCURRENCY=8 KILLS=3 by default)
#   BIN=/path/to/broadsheet ...       (that binary instead of this checkout's release build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=${N:-100000}
conc=${CONCURRENCY:-8}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
if [ -n "${BIN:-}" ]; then
  # Another build of Broadsheet (bench/compare-newsletter.sh runs a "before" and an "after").
  bin=$BIN
  cargo build --release --locked -p smtp-bench >&2
else
  cargo build --release --locked -p broadsheet -p smtp-bench >&2
  bin=$root/target/release/broadsheet
fi
smtp=$root/target/release/smtp-bench
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; pkill -f "smtp-bench sink --dir $work" 2>/dev/null || true; rm -rf "$work"' EXIT

start_sink() { # dir -> port
  "$smtp" sink --dir "$1" > "$1.port" &
  for _ in $(seq 50); do grep -q READY "$1.port" 2>/dev/null && break; sleep 0.1; done
  awk '/READY/ { print $2 }' "$1.port"
}

prepare() { # data dir, sink port
  local data=$1 port=$2
  mkdir -p "$data"
  "$bin" user list --data "$data" >/dev/null   # creates the database
  printf '{"id":"bench-1","title":"Central bank holds rates as inflation eases","body":"The bank held rates.","section":"economy","published_at":"%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$work/story.jsonl"
  "$bin" import "$work/story.jsonl" --data "$data" >/dev/null
  python3 - "$data/broadsheet.db" "$n" <<'PY'
import sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
now = int(time.time())
c.executemany(
    "INSERT INTO subscribers (email, status, created_at, confirmed_at, updated_at) VALUES (?, 'active', ?, ?, ?)",
    ((f"reader-{i}@example.com", now, now, now) for i in range(n)))
c.commit()
PY
  cat > "$data.toml" <<TOML
[site]
base_url = "http://127.0.0.1:8080"

[mail]
host = "127.0.0.1"
port = $port
tls = "none"
from = "The Ledger <news@example.com>"
pool_size = $conc

[newsletter]
concurrency = $conc
lease_secs = 5
TOML
}

copies() { # sink dir -> "transactions recipients twice distinct_twice"
  # twice: recipients whose message arrived in more than one SMTP transaction;
  # distinct_twice: recipients who got two different messages (different Message-IDs), which is
  # what a reader whose mailbox folds identical Message-IDs together would see.
  python3 - "$1/received.jsonl" <<'PY'
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
c = collections.Counter(r["rcpt"] for r in rows)
ids = collections.defaultdict(set)
for r in rows:
    ids[r["rcpt"]].add(r["message_id"])
print(sum(c.values()), len(c), sum(1 for v in c.values() if v > 1), sum(1 for v in ids.values() if len(v) > 1))
PY
}

echo "== 1. broadsheet newsletter send-digest --now"
mkdir -p "$work/s1"
port=$(start_sink "$work/s1")
prepare "$work/d1" "$port"
/usr/bin/time -f "%e %M" -o "$work/time1" "$bin" --config "$work/d1.toml" newsletter send-digest --now --data "$work/d1" > "$work/out1" 2>"$work/log1"
read -r secs rss_kb < "$work/time1"
cat "$work/out1"
read -r delivered unique dups _ <<<"$(copies "$work/s1")"
echo "copies: $delivered delivered to $unique recipients, $dups with more than one"
size=$(python3 -c "import json,sys; b=[json.loads(l)['bytes'] for l in open(sys.argv[1])]; print(sum(b)//len(b))" "$work/s1/received.jsonl")

echo "== 2. reference: a raw SMTP client into the same sink ($n messages of $size bytes, $conc connections)"
mkdir -p "$work/ref"
port=$(start_sink "$work/ref")
ref=$("$smtp" blast --port "$port" --count "$n" --connections "$conc" --size "$size")
echo "$ref"
ref_rate=$(echo "$ref" | awk '{ print $1 }')

awk -v n="$delivered" -v s="$secs" -v r="$rss_kb" -v ref="$ref_rate" 'BEGIN {
  rate = n / s
  printf "broadsheet: %d messages in %.1f s: %.0f messages/s, %.2f of the raw client into the same sink; peak RSS %.0f MB (targets: >= 1000/s, < 200 MB)\n", n, s, rate, rate / ref, r / 1024 }'

kills=${KILLS:-3}
echo "== 3. killed at a random point, then restarted ($kills runs)"
for run in $(seq "$kills"); do
  rm -rf "$work/s2" "$work/d2"
  mkdir -p "$work/s2"
  port=$(start_sink "$work/s2")
  prepare "$work/d2" "$port"
  "$bin" --config "$work/d2.toml" newsletter send-digest --now --data "$work/d2" > /dev/null 2>"$work/log2" &
  pid=$!
  kill_after=$(python3 -c "import random; print(round(random.uniform(0.2, 0.8) * $secs, 2))")
  sleep "$kill_after"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  read -r at_kill _ _ _ <<<"$(copies "$work/s2")"
  "$bin" --config "$work/d2.toml" newsletter send-digest --now --data "$work/d2" > "$work/out2" 2>>"$work/log2"
  read -r delivered unique dups distinct <<<"$(copies "$work/s2")"
  echo "run $run: killed after ${kill_after} s with $at_kill delivered; after the restart: $delivered transactions to $unique of $n recipients; $dups recipients got their message in two transactions (same Message-ID), $distinct got two different messages (target: $n, zero duplicates)"
  pkill -f "smtp-bench sink --dir $work/s2" 2>/dev/null || true
done
