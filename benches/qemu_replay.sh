#!/usr/bin/env bash
# A real QEMU replay through ptest against the same qemu-system-x86_64 command run bare
# (issue 10). Sets up examples/qemu's `console` test in a temporary regression directory
# (init + bless), then interleaves ROUNDS times (default 5):
#   bare   the exact emulator command ptest ran (first line of its replay log), run alone;
#   replay `ptest replay console` of the same recording (the engine's share);
#   test   `ptest test console` (the runner's share: the Python script, the compare).
# With PTEST_BASE=/path/to/an/older/ptest, that binary's `replay` and `test` are interleaved
# too (base-replay, base-test), so a change is measured against its baseline in one run.
# One untimed warm-up round first (page cache; ptest's remembered hashes, see stamp.rs).
# Prints each time (wall and user+sys CPU seconds), the medians and the overheads.
# Usage: [PTEST=ptest] [PTEST_BASE=old-ptest] benches/qemu_replay.sh [ROUNDS] [TEST]
# (needs qemu-system-x86; without PTEST, builds ptest in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
test=${2:-console}
if [ -z "${PTEST:-}" ]; then
  cargo build --release --quiet --bin ptest
  PTEST=${CARGO_TARGET_DIR:-$PWD/target}/release/ptest
fi
ptest=$PTEST
reg=$(mktemp -d)
trap 'rm -rf "$reg"' EXIT
suite=examples/qemu
"$ptest" --suite "$suite" --regression-dir "$reg/r" init "$test" >/dev/null
"$ptest" --suite "$suite" --regression-dir "$reg/r" bless "$test" >/dev/null

# The exact command ptest ran, from the first line of its replay log: "$ cd DIR && BIN ARGS"
# (arguments shell-quoted, so `eval` splits them back).
line=$(head -n 1 "$reg/r/logs/$test/$test-replay.log")
dir=${line#'$ cd '}
dir=${dir%% && *}
eval "bare=(${line#* && })"
mkdir -p "$dir"

# Wall seconds and user+sys CPU seconds of the children, "WALL CPU".
measure() {
  local t
  t=$(mktemp)
  /usr/bin/time -o "$t" -f '%e %U %S' "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; cat "$t" >&2; exit 1; }
  awk 'END {printf "%.3f %.3f\n", $1, $2 + $3}' "$t"
  rm -f "$t"
}
. "$(dirname "$0")/timing.sh"

declare -A wall cpu
kinds=(bare replay test)
[ -n "${PTEST_BASE:-}" ] && kinds+=(base-replay base-test)
run() { # KIND: one timed run, "WALL CPU"
  local bin=$ptest
  case $1 in base-*) bin=$PTEST_BASE ;; esac
  case $1 in
    bare) (cd "$dir" && measure "${bare[@]}") ;;
    *replay) measure env PTEST_TEST="$test" "$bin" --suite "$suite" --regression-dir "$reg/r" replay "$test" ;;
    *test) measure "$bin" --suite "$suite" --regression-dir "$reg/r" test "$test" ;;
  esac
}
for k in "${kinds[@]}"; do run "$k" >/dev/null; done
for _ in $(seq "$rounds"); do
  for k in "${kinds[@]}"; do
    read -r w c < <(run "$k")
    wall[$k]+="$w "
    cpu[$k]+="$c "
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for k in "${kinds[@]}"; do
  printf '%-11s wall: %s  cpu: %s\n' "$k" "${wall[$k]}" "${cpu[$k]}"
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
bw=$(med "${wall[bare]}")
bc_=$(med "${cpu[bare]}")
printf 'median bare: wall %.3f s, cpu %.3f s\n' "$bw" "$bc_"
for k in "${kinds[@]:1}"; do
  w=$(med "${wall[$k]}")
  c=$(med "${cpu[$k]}")
  printf '%-11s wall %.3f s (%+.1f%% over bare), cpu %.3f s (%+.1f%%)\n' "$k" \
    "$w" "$(echo "($w - $bw) / $bw * 100" | bc -l)" "$c" "$(echo "($c - $bc_) / $bc_ * 100" | bc -l)"
done
