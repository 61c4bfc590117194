#!/usr/bin/env bash
# Newsletter throughput of two builds of Broadsheet, in the same run: `bench/newsletter.sh`'s
# first two steps (the digest to N subscribers through the SMTP sink, and a raw SMTP client
# into the same kind of sink as the reference) for each binary, in alternating rounds so that
# drift on this machine falls on both sides. For a refactoring that must not cost speed.
#
#   BASE_BIN=/tmp/bin-base HEAD_BIN=/tmp/bin-head bash bench/compare-newsletter.sh
#   ROUNDS=5 N=20000 CONCURRENCY=8 ...
#
# Prints every round (messages/s and the ratio to the raw client), then the median and range of
# each and the median of head/base over the rounds. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${BASE_BIN:?set BASE_BIN to the "before" binary}
head=${HEAD_BIN:?set HEAD_BIN to the "after" binary}
rounds=${ROUNDS:-5}
export N=${N:-20000} CONCURRENCY=${CONCURRENCY:-8} KILLS=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() { # name binary
  local line
  line=$(BIN=$2 bash bench/newsletter.sh 2>/dev/null | grep '^broadsheet: ')
  [ -n "$line" ] || { echo "bench: $1 produced no result" >&2; exit 1; }
  # "broadsheet: N messages in S s: R messages/s, Q of the raw client ..."
  echo "$line" | awk -v who="$1" -v round="$3" '{ printf "%s %s %s %s\n", round, who, $7, $9 }' >> "$out"
  echo "round $3 $1: $line"
}

for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then
    run base "$base" "$r"; run head "$head" "$r"
  else
    run head "$head" "$r"; run base "$base" "$r"
  fi
done

python3 - "$out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for rnd, who, rate, ratio in rows:
    by.setdefault(who, {})[int(rnd)] = (float(rate), float(ratio))
for who in ("base", "head"):
    rates = [v[0] for v in by[who].values()]
    ratios = [v[1] for v in by[who].values()]
    print(f"{who}: median {statistics.median(rates):.0f} messages/s (range {min(rates):.0f}-{max(rates):.0f}), "
          f"median {statistics.median(ratios):.2f} of the raw client (range {min(ratios):.2f}-{max(ratios):.2f})")
paired = [by["head"][r][0] / by["base"][r][0] for r in by["base"] if r in by["head"]]
print(f"head/base, paired by round: median {statistics.median(paired):.3f} (range {min(paired):.3f}-{max(paired):.3f})")
PY
