#!/usr/bin/env bash
# `ptest test --changed` (issue 23) on a real example suite:
#   panda: examples/panda on real PANDA (PANDA_BUILD, else scripts/build-panda). The build
#          is a shadow of the real one (links to every file but panda_stringsearch.so, a
#          copy) so the plugin can be "rebuilt" (a trailing byte) without touching the cache.
#   qemu:  examples/qemu on Debian's QEMU, run from a copy on PATH (a prefix linking to
#          /usr/share and /usr/lib), so the emulator can be "rebuilt" the same way.
# Prints: the full `test`; `test --changed` with nothing changed (median of ROUNDS); and
# after one change, what ran and how long it took.
# Usage: benches/changed.sh panda|qemu [ROUNDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:?usage: benches/changed.sh panda|qemu [ROUNDS]}
rounds=${2:-5}
cargo build --release --quiet --bin ptest
ptest=$PWD/target/release/ptest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/timing.sh"

append_byte() { printf '\0' >>"$1"; }

case $which in
panda)
  real=${PANDA_BUILD:-$(scripts/build-panda)}
  # Mirror PANDA's checkout (the build's parent: the image builder reads its source) by
  # links, making folders only along the path to the plugin, which is copied.
  mirror() {
    local from=$1 to=$2 next=${3%%/*} rest=${3#*/} name
    [ "$rest" = "$3" ] && rest=
    mkdir -p "$to"
    for entry in "$from"/*; do
      name=$(basename "$entry")
      if [ -z "$3" ] && [ "$name" = panda_stringsearch.so ]; then
        cp "$entry" "$to/$name"
      elif [ -n "$3" ] && [ "$name" = "$next" ]; then
        mirror "$entry" "$to/$name" "$rest"
      else
        ln -s "$entry" "$to/$name"
      fi
    done
  }
  mirror "$(dirname "$real")" "$work/panda" "$(basename "$real")/x86_64-softmmu/panda/plugins"
  export PANDA_BUILD=$work/panda/$(basename "$real")
  # PANDA looks for plugins beside its binary's real path: the binary is copied too.
  rm "$PANDA_BUILD/x86_64-softmmu/panda-system-x86_64"
  cp "$real/x86_64-softmmu/panda-system-x86_64" "$PANDA_BUILD/x86_64-softmmu/"
  suite=examples/panda
  change() { append_byte "$PANDA_BUILD/x86_64-softmmu/panda/plugins/panda_stringsearch.so"; }
  what="rebuilt plugin panda_stringsearch.so"
  ;;
qemu)
  mkdir -p "$work/prefix/bin"
  cp "$(command -v qemu-system-x86_64)" "$work/prefix/bin/"
  ln -s /usr/share "$work/prefix/share"
  ln -s /usr/lib "$work/prefix/lib"
  export PATH=$work/prefix/bin:$PATH
  suite=examples/qemu
  change() { append_byte "$work/prefix/bin/qemu-system-x86_64"; }
  what="rebuilt qemu-system-x86_64"
  ;;
*)
  echo "benches/changed.sh: unknown suite $which (panda or qemu)" >&2
  exit 2
  ;;
esac

export PANDA_REGRESSION_DIR=$work/reg
run() { "$ptest" --suite "$suite" -j 2 "$@"; }
run init >/dev/null 2>&1
run bless >/dev/null 2>&1
full=$(seconds run test)
cached=$(for _ in $(seq 1 "$rounds"); do seconds run test --changed; done | median)
printf '%s: full test %.2f s; test --changed, nothing changed: %.3f s (median of %d) = %.0fx faster\n' \
  "$which" "$full" "$cached" "$rounds" "$(echo "$full / $cached" | bc -l)"
run list --changed | tail -n +2

change
start=$(date +%s.%N)
out=$(run test --changed 2>&1) || { echo "$out" >&2; exit 1; }
after=$(echo "$(date +%s.%N) - $start" | bc -l)
# "   PASS [ 41.210s] name: …" → "PASS name"
lines=$(echo "$out" | sed -n 's/^ *\([A-Z]*\) \[[^]]*\] \([^: ]*\).*/\1 \2/p')
ran=$(echo "$lines" | awk '$1 != "CACHED" {print $2}' | xargs)
reused=$(echo "$lines" | awk '$1 == "CACHED" {print $2}' | xargs)
printf '%s: after the %s: test --changed %.2f s; ran: %s; cached: %s\n' \
  "$which" "$what" "$after" "${ran:-none}" "${reused:-none}"
echo "$out" | grep -- '--changed: .* runs:' || true
