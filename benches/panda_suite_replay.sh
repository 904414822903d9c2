#!/usr/bin/env bash
# PANDA's own suite (panda/testing of PANDA_SRC) on real PANDA i386: asidstory1's replay
# through `ptest replay` (the suite's own arguments, `-os linux-32-debian:…` mapped by
# --image-map i386=panda-busybox-i386) against the exact panda-system-i386 command ptest
# ran (first line of its replay log) run bare, interleaved ROUNDS times (default 5).
# Usage: PANDA_BUILD=$(scripts/build-panda) [PTEST=path/to/ptest] benches/panda_suite_replay.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
: "${PANDA_BUILD:?set PANDA_BUILD (PANDA_BUILD=\$(scripts/build-panda))}"
src=$(scripts/panda-src)
# PTEST: a ptest binary to measure instead of a fresh release build.
ptest=${PTEST:-}
if [ -z "$ptest" ]; then
  cargo build --release --quiet --bin ptest
  ptest=$PWD/target/release/ptest
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -d "$src" ]; then
  mkdir -p "$work/panda/panda" && cp -R "$src/panda/testing" "$work/panda/panda/"
else
  tar -xf "$src" -C "$work" panda/panda/testing
fi
suite=$work/panda/panda/testing/tests
run_ptest() { "$ptest" --suite "$suite" --regression-dir "$work/r" --image-map i386=panda-busybox-i386 "$@"; }
run_ptest init asidstory1 >/dev/null
run_ptest bless asidstory1 >/dev/null

line=$(head -n 1 "$work/r/logs/asidstory1/netstat-replay.log")
dir=${line#'$ cd '}
dir=${dir%% && *}
read -r -a bare <<<"${line#* && }"
mkdir -p "$dir" # bless renamed it into blessed/
# `-append` takes one argument with spaces; the log shows it unquoted.
for i in "${!bare[@]}"; do
  if [ "${bare[$i]}" = "-append" ]; then
    bare[i + 1]="${bare[i + 1]} ${bare[i + 2]} ${bare[i + 3]}"
    unset 'bare[i + 2]' 'bare[i + 3]'
    bare=("${bare[@]}")
    break
  fi
done
echo "bare: ${bare[*]}"

. "$(dirname "$0")/timing.sh"

bare_times=()
ptest_times=()
for _ in $(seq "$rounds"); do
  bare_times+=("$(cd "$dir" && seconds "${bare[@]}")")
  ptest_times+=("$(seconds env PTEST_TEST=asidstory1 "$ptest" --suite "$suite" --regression-dir \
    "$work/r" --image-map i386=panda-busybox-i386 replay --arch i386 netstat -- \
    -panda asidstory -os linux-32-debian:3.2.0-4-686-pae)")
done
printf 'bare:  %s\n' "${bare_times[*]}"
printf 'ptest: %s\n' "${ptest_times[*]}"
b=$(printf '%s\n' "${bare_times[@]}" | median)
p=$(printf '%s\n' "${ptest_times[@]}" | median)
printf 'median bare %.3f s, through ptest %.3f s: overhead %+.1f%%\n' "$b" "$p" "$(echo "($p - $b) / $b * 100" | bc -l)"
