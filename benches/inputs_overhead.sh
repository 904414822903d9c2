#!/usr/bin/env bash
# What keeping each passing test's inputs (for `test --changed`, issue 23) costs a plain
# `ptest test`: N trivial Python tests (`from ptest_utils import *`, write tmpoutfile: the
# helper reports ~90 imported modules, each an input to hash) and N trivial shell tests,
# run by this tree's ptest and by BASE (a ptest from before issue 23), interleaved ROUNDS
# times, each on its own blessed regression directory.
# Usage: BASE=/path/to/old/ptest benches/inputs_overhead.sh [N=200] [ROUNDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE:?set BASE to a ptest built before issue 23 (e.g. git worktree add /tmp/base 10bd2f1 && cargo build --release there)}"
n=${1:-200}
rounds=${2:-5}
cargo build --release --quiet --bin ptest
now=$PWD/target/release/ptest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/timing.sh"

mkdir -p "$work/suite"
: >"$work/suite/config.testing"
for i in $(seq -w 1 "$n"); do
  for kind in py sh; do
    t=$kind$i
    mkdir -p "$work/suite/$t"
    echo "$t" >>"$work/suite/config.testing"
    if [ "$kind" = py ]; then
      printf 'from ptest_utils import *\nopen(tmpoutfile, "w").write("ok\\n")\n' >"$work/suite/$t/$t-test.py"
    else
      printf '#!/bin/sh\necho ok >"$PTEST_OUTFILE"\n' >"$work/suite/$t/$t-test.sh"
      chmod +x "$work/suite/$t/$t-test.sh"
    fi
  done
done
for who in base now; do
  bin=$BASE
  [ "$who" = now ] && bin=$now
  "$bin" --suite "$work/suite" --regression-dir "$work/reg-$who" bless -j 2 >/dev/null
  # One test run first: it hashes every input once (then the stamps remember them).
  "$bin" --suite "$work/suite" --regression-dir "$work/reg-$who" test -j 2 >/dev/null
done
base_times=()
now_times=()
for _ in $(seq "$rounds"); do
  base_times+=("$(seconds "$BASE" --suite "$work/suite" --regression-dir "$work/reg-base" test -j 2)")
  now_times+=("$(seconds "$now" --suite "$work/suite" --regression-dir "$work/reg-now" test -j 2)")
done
b=$(printf '%s\n' "${base_times[@]}" | median)
c=$(printf '%s\n' "${now_times[@]}" | median)
printf 'ptest test, %d tests (%d Python, %d shell), -j 2, median of %d: base %.2f s, now %.2f s (keeps inputs), ratio %.3f\n' \
  "$((2 * n))" "$n" "$n" "$rounds" "$b" "$c" "$(echo "$c / $b" | bc -l)"
