#!/usr/bin/env bash
# `--repeat` overhead (issue 22): `ptest test --repeat 3` against three plain `ptest test`
# runs of the same suite, interleaved ROUNDS times. Each of the N tests writes an output
# of ~14 MB with awk (real work, ~0.3 s); the repeat adds, per test, keeping each run's
# folder, comparing the runs with each other and copying one run back to tmpout/.
# Usage: benches/repeat_overhead.sh [N_TESTS=8] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-8}
rounds=${2:-3}
cargo build --release --quiet --bin ptest
ptest=$PWD/target/release/ptest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/suite"
: >"$work/suite/config.testing"
for i in $(seq 1 "$n"); do
  mkdir -p "$work/suite/t$i"
  echo "t$i" >>"$work/suite/config.testing"
  printf '#!/bin/sh\nseq 1 600000 | awk '"'"'{print "line", $1, $1*$1, "ok"}'"'"' >"$PTEST_TMPOUT_DIR/out.txt"\n' \
    >"$work/suite/t$i/t$i-test.sh"
  chmod +x "$work/suite/t$i/t$i-test.sh"
done
export PANDA_REGRESSION_DIR=$work/reg
"$ptest" --suite "$work/suite" bless -j 2 >/dev/null

. "$(dirname "$0")/timing.sh"
three_plain() { for _ in 1 2 3; do "$ptest" --suite "$work/suite" test -j 2; done; }
repeat3() { "$ptest" --suite "$work/suite" test -j 2 --repeat 3; }

total_plain=0
total_repeat=0
for r in $(seq 1 "$rounds"); do
  p=$(seconds three_plain)
  q=$(seconds repeat3)
  printf 'round %d: 3 × test %6.2f s   test --repeat 3 %6.2f s   ratio %.3f\n' "$r" "$p" "$q" "$(echo "$q / $p" | bc -l)"
  total_plain=$(echo "$total_plain + $p" | bc -l)
  total_repeat=$(echo "$total_repeat + $q" | bc -l)
done
printf 'all rounds: 3 × test %.2f s, test --repeat 3 %.2f s, ratio %.3f (%d tests, -j 2)\n' \
  "$total_plain" "$total_repeat" "$(echo "$total_repeat / $total_plain" | bc -l)" "$n"
