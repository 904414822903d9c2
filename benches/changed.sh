#!/usr/bin/env bash
# `ptest test --changed` (issue 23) on a real suite:
#   panda: examples/panda on real PANDA x86_64 (PANDA_BUILD, else scripts/build-panda). The
#          build is a shadow of the real one (links to every file but the emulator and
#          panda_stringsearch.so, copies) so the plugin can be "rebuilt" (a trailing byte)
#          without touching the cache.
#   panda-suite: PANDA's own suite (panda/testing of PANDA_SRC) on real PANDA i386, with
#          --image-map i386=panda-busybox-i386, the same shadow build.
#   qemu:  examples/qemu on Debian's QEMU, run from a copy on PATH (a prefix linking to
#          /usr/share and /usr/lib), so the emulator can be "rebuilt" the same way.
# Prints: the full `test`; `test --changed` with nothing changed (median of ROUNDS); and
# after one change, what ran and how long it took.
# Usage: benches/changed.sh panda|panda-suite|qemu [ROUNDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:?usage: benches/changed.sh panda|panda-suite|qemu [ROUNDS]}
rounds=${2:-5}
cargo build --release --quiet --bin ptest
ptest=$PWD/target/release/ptest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/timing.sh"

append_byte() { printf '\0' >>"$1"; }

# A shadow of the PANDA build for ARCH under $work/panda, exported as PANDA_BUILD.
shadow_panda() {
  local arch=$1 real
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
  mirror "$(dirname "$real")" "$work/panda" "$(basename "$real")/$arch-softmmu/panda/plugins"
  export PANDA_BUILD=$work/panda/$(basename "$real")
  # PANDA looks for plugins beside its binary's real path: the binary is copied too.
  rm "$PANDA_BUILD/$arch-softmmu/panda-system-$arch"
  cp "$real/$arch-softmmu/panda-system-$arch" "$PANDA_BUILD/$arch-softmmu/"
  plugin=$PANDA_BUILD/$arch-softmmu/panda/plugins/panda_stringsearch.so
  change() { append_byte "$plugin"; }
  what="rebuilt plugin panda_stringsearch.so"
}

options=()
case $which in
panda)
  shadow_panda x86_64
  suite=examples/panda
  ;;
panda-suite)
  shadow_panda i386
  src=$(scripts/panda-src)
  if [ -d "$src" ]; then
    mkdir -p "$work/src/panda/panda" && cp -R "$src/panda/testing" "$work/src/panda/panda/"
  else
    mkdir -p "$work/src" && tar -xf "$src" -C "$work/src" panda/panda/testing
  fi
  suite=$work/src/panda/panda/testing/tests
  options=(--image-map i386=panda-busybox-i386)
  ;;
qemu)
  mkdir -p "$work/prefix/bin"
  cp "$(command -v qemu-system-x86_64)" "$work/prefix/bin/"
  ln -s /usr/share "$work/prefix/share"
  ln -s /usr/lib "$work/prefix/lib"
  export PATH=$work/prefix/bin:$PATH
  change() { append_byte "$work/prefix/bin/qemu-system-x86_64"; }
  what="rebuilt qemu-system-x86_64"
  # Then a test script edited: that test only.
  suite_copy=$work/suite
  cp -R examples/qemu "$suite_copy"
  suite=$suite_copy
  change2() { echo "# edited" >>"$suite_copy/insntrace/insntrace-test.py"; }
  what2="edited insntrace-test.py"
  ;;
*)
  echo "benches/changed.sh: unknown suite $which (panda, panda-suite or qemu)" >&2
  exit 2
  ;;
esac

export PANDA_REGRESSION_DIR=$work/reg
run() { "$ptest" --suite "$suite" -j 2 "${options[@]}" "$@"; }
run init >/dev/null 2>&1
run bless >/dev/null 2>&1
# PANDA's rr-file loses one of its record/replay rounds now and then (inside PANDA; see
# tests/panda_suite.rs): the full test is repeated, up to 3 tries, until one passes.
for try in 1 2 3; do
  if full=$( (seconds run test) 2>/dev/null); then
    break
  fi
  [ "$try" = 3 ] && { echo "$which: the full test failed 3 times" >&2; exit 1; }
  echo "$which: full test try $try failed; again"
done
cached=$(for _ in $(seq 1 "$rounds"); do seconds run test --changed; done | median)
printf '%s: full test %.2f s; test --changed, nothing changed: %.3f s (median of %d) = %.0fx faster\n' \
  "$which" "$full" "$cached" "$rounds" "$(echo "$full / $cached" | bc -l)"
run list --changed | tail -n +2

# Applies change function $1 (described by $2), runs `test --changed`, says what ran.
after() {
  local start out after lines ran reused
  "$1"
  start=$(date +%s.%N)
  out=$(run test --changed 2>&1) || { echo "$out" >&2; exit 1; }
  after=$(echo "$(date +%s.%N) - $start" | bc -l)
  # "   PASS [ 41.210s] name: …" → "PASS name"
  lines=$(echo "$out" | sed -n 's/^ *\([A-Z]*\) \[[^]]*\] \([^: ]*\).*/\1 \2/p')
  ran=$(echo "$lines" | awk '$1 != "CACHED" {print $2}' | xargs)
  reused=$(echo "$lines" | awk '$1 == "CACHED" {print $2}' | xargs)
  printf '%s: after the %s: test --changed %.2f s; ran: %s; cached: %s\n' \
    "$which" "$2" "$after" "${ran:-none}" "${reused:-none}"
  echo "$out" | grep -- '--changed: .* runs:' || true
}
after change "$what"
if declare -F change2 >/dev/null; then
  run test >/dev/null 2>&1 # the rebuilt QEMU's passes, then one edit
  after change2 "$what2"
fi
