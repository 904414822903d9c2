#!/usr/bin/env bash
# Scattered-changes diff benchmark (issue 19, item 1): `ptest test` on one test whose only
# output is N lines with every third line changed (each to a distinct line), next to GNU
# `diff -u` on the same files. Before the fix the histogram diff was quadratic here.
#   * N = 160,000 and N = 1,500,000 by default.
# Usage: benches/diff_scattered.sh [N…]   (PTEST=path/to/ptest to time another build)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PTEST:-}" ]; then
  cargo build --release --quiet --bin ptest
  PTEST=$PWD/target/release/ptest
fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(160000 1500000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/suite/t"
printf '#!/bin/sh\ncp "$SRC" "$PTEST_TMPOUT_DIR/out.txt"\n' >"$work/suite/t/t-test.sh"
chmod +x "$work/suite/t/t-test.sh"
echo t >"$work/suite/config.testing"
export PANDA_REGRESSION_DIR=$work/reg NO_COLOR=1
cd "$work/suite"
printf '| lines | ptest test (s) | ptest peak RSS (MiB) | GNU diff -u (s) |\n|---|---|---|---|\n'
for n in "${sizes[@]}"; do
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print "line " i }' >"$work/a.txt"
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) if (i % 3 == 0) print "changed " i; else print "line " i }' >"$work/b.txt"
  SRC=$work/a.txt "$PTEST" bless >/dev/null
  # exit 100: the test failed, as it should; anything else is an error.
  read -r secs rss < <(SRC=$work/b.txt /usr/bin/time -f '%e %M' "$PTEST" test 2>&1 >/dev/null | tail -1) || true
  read -r dsecs _ < <(/usr/bin/time -f '%e %M' diff -u "$work/a.txt" "$work/b.txt" 2>&1 >/dev/null | tail -1) || true
  printf '| %s | %s | %s | %s |\n' "$n" "$secs" "$((rss / 1024))" "$dsecs"
done
