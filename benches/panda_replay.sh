#!/usr/bin/env bash
# A real PANDA replay through `ptest replay` against the same panda-system-x86_64 command run
# bare (issue 7). Records examples/panda once in a temporary regression directory, then
# replays asidstory1's recording with asidstory + OS introspection, interleaving the two
# ways ROUNDS times (default 5), and prints each time and the medians.
# Usage: PANDA_BUILD=$(scripts/build-panda) benches/panda_replay.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
: "${PANDA_BUILD:?set PANDA_BUILD (PANDA_BUILD=\$(scripts/build-panda))}"
cargo build --release --quiet --bin ptest
ptest=$PWD/target/release/ptest
reg=$(mktemp -d)
trap 'rm -rf "$reg"' EXIT
"$ptest" --suite examples/panda --regression-dir "$reg/r" init >/dev/null
"$ptest" --suite examples/panda --regression-dir "$reg/r" bless asidstory1 >/dev/null

# The exact command ptest ran, from the first line of its replay log: "$ cd DIR && BIN ARGS".
line=$(head -n 1 "$reg/r/logs/asidstory1/netstat-replay.log")
dir=${line#'$ cd '}
dir=${dir%% && *}
bin_args=${line#* && }
read -r -a bare <<<"$bin_args"
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
engine_args=("${bare[@]}")
for i in "${!engine_args[@]}"; do
  if [ "${engine_args[$i]}" = "-os" ]; then
    engine_args=("${engine_args[@]:$i}")
    break
  fi
done

. "$(dirname "$0")/timing.sh"

bare_times=()
ptest_times=()
for _ in $(seq "$rounds"); do
  bare_times+=("$(cd "$dir" && seconds "${bare[@]}")")
  ptest_times+=("$(seconds env PTEST_TEST=asidstory1 "$ptest" --suite examples/panda \
    --regression-dir "$reg/r" replay --arch x86_64 netstat -- "${engine_args[@]}")")
done
printf 'bare:  %s\n' "${bare_times[*]}"
printf 'ptest: %s\n' "${ptest_times[*]}"
b=$(printf '%s\n' "${bare_times[@]}" | median)
p=$(printf '%s\n' "${ptest_times[@]}" | median)
printf 'median bare %.3f s, through ptest %.3f s: overhead %+.1f%%\n' "$b" "$p" "$(echo "($p - $b) / $b * 100" | bc -l)"
