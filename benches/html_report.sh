#!/usr/bin/env bash
# HTML report benchmark (issue 12): a real `ptest test --html` over 200 shell tests, 20 of
# which differ from their blessed reference (each a 300-line output with 5 changed lines),
# then the report opened in headless Chromium (Debian's `chromium`) several times:
#   * the page's own time to interactive: its script stores performance.now() in
#     <body data-rendered-ms> once it has filtered and laid out the table (read back from
#     --dump-dom, i.e. after the script ran);
#   * the wall time of the whole headless run (browser start included);
#   * the file's size.
# Nothing is fetched: the page is self-contained.
# Usage: benches/html_report.sh [RUNS=5]   (PTEST=path/to/ptest to skip the release build;
# KEEP=FILE to keep a copy of the report)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
if [ -z "${PTEST:-}" ]; then
  cargo build --release --quiet --bin ptest
  PTEST=$PWD/target/release/ptest
fi
command -v chromium >/dev/null || { echo "html_report: chromium not found; install Debian's chromium (scripts/install-deps)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
suite=$work/suite
mkdir -p "$suite"
: >"$suite/config.testing"
for i in $(seq -w 1 200); do
  name=t$i
  mkdir -p "$suite/$name"
  echo "$name" >>"$suite/config.testing"
  changed=0
  [ $((10#$i % 10)) -eq 0 ] && changed=1
  cat >"$suite/$name/$name-test.sh" <<SH
#!/bin/sh
set -e
i=0
while [ \$i -lt 300 ]; do
  if [ $changed = 1 ] && [ -e "$work/changed" ] && [ \$((i % 60)) = 7 ]; then
    echo "line \$i value=\$((i * 3 + 1)) state=changed"
  else
    echo "line \$i value=\$((i * 3)) state=ok"
  fi
  i=\$((i + 1))
done > "\$PTEST_OUTFILE"
SH
  chmod +x "$suite/$name/$name-test.sh"
done
export PANDA_REGRESSION_DIR=$work/reg
(cd "$suite" && "$PTEST" bless >/dev/null)
touch "$work/changed"
status=0
(cd "$suite" && "$PTEST" test --html "$work/report.html" >/dev/null) || status=$?
[ "$status" = 100 ] || { echo "html_report: expected exit 100 (20 failed), got $status" >&2; exit 1; }
size=$(stat -c %s "$work/report.html")
gz=$(gzip -c "$work/report.html" | wc -c)
[ -n "${KEEP:-}" ] && cp "$work/report.html" "$KEEP"
echo "report: 200 tests, 20 differing; $size bytes ($gz gzipped)"
for r in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  HOME=$work/home timeout 120 chromium --headless=new --no-sandbox --disable-gpu \
    --user-data-dir="$work/profile" --no-first-run --disable-background-networking \
    --dump-dom "file://$work/report.html" >"$work/dom.html" 2>/dev/null
  end=$(date +%s.%N)
  ms=$(grep -o 'data-rendered-ms="[0-9.]*"' "$work/dom.html" | grep -o '[0-9.]*')
  [ -n "$ms" ] || { echo "html_report: the page's script did not run" >&2; exit 1; }
  printf 'run %d: page ready at %s ms (performance.now()), headless run %.2f s wall\n' \
    "$r" "$ms" "$(echo "$end - $start" | bc -l)"
done
