#!/usr/bin/env bash
# Runner overhead benchmark (issue 2). Builds throwaway suites of trivial tests and times
# `ptest test` on them:
#   * 1000 trivial shell tests at -j 1 and -j 2: ptest's own per-test overhead;
#   * 200 trivial Python tests (`from ptest_utils import *`, write tmpoutfile), the
#     ptest.py workload, at -j 1 and -j 2;
#   * the same 200 Python tests under the original ptest.py, if PTEST_PY_DIR names a folder
#     holding a Python 3 ptest.py + ptest_utils.py (not shipped: PANDA's code is not ours).
# Usage: benches/runner_overhead.sh [N_SHELL=1000] [N_PY=200]
set -euo pipefail
cd "$(dirname "$0")/.."
n_shell=${1:-1000}
n_py=${2:-200}
cargo build --release --quiet --bin ptest
ptest=$PWD/target/release/ptest
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/timing.sh"

make_suite() { # dir n kind
  local dir=$1 n=$2 kind=$3
  mkdir -p "$dir/testing/tests"
  : >"$dir/testing/tests/config.testing"
  for i in $(seq -w 1 "$n"); do
    t=t$i
    mkdir -p "$dir/testing/tests/$t"
    echo "$t" >>"$dir/testing/tests/config.testing"
    if [ "$kind" = sh ]; then
      printf '#!/bin/sh\necho ok >"$PTEST_OUTFILE"\n' >"$dir/testing/tests/$t/$t-test.sh"
      chmod +x "$dir/testing/tests/$t/$t-test.sh"
    else
      for role in setup test; do
        cat >"$dir/testing/tests/$t/$t-$role.py" <<'PY'
#!/usr/bin/env python3
import os, sys
sys.path.append(os.path.realpath(os.path.dirname(os.path.realpath(__file__)) + "/../.."))
from ptest_utils import *
if "-test" in sys.argv[0]:
    with open(tmpoutfile, "w") as f:
        f.write("ok\n")
PY
        chmod +x "$dir/testing/tests/$t/$t-$role.py"
      done
    fi
  done
}

report() { printf '%-52s %8.2f s  %7.1f ms/test\n' "$1" "$2" "$(echo "$2 * 1000 / $3" | bc -l)"; }

make_suite "$work/sh" "$n_shell" sh
export PANDA_REGRESSION_DIR=$work/sh/reg
"$ptest" --suite "$work/sh/testing" bless -j 2 >/dev/null
for j in 1 2; do
  report "ptest test -j $j, $n_shell trivial shell tests" "$(seconds "$ptest" --suite "$work/sh/testing" test -j $j)" "$n_shell"
done

make_suite "$work/py" "$n_py" py
export PANDA_REGRESSION_DIR=$work/py/reg
"$ptest" --suite "$work/py/testing" bless -j 2 >/dev/null
for j in 1 2; do
  report "ptest test -j $j, $n_py trivial Python tests" "$(seconds "$ptest" --suite "$work/py/testing" test -j $j)" "$n_py"
done

if [ -n "${PTEST_PY_DIR:-}" ]; then
  cp "$PTEST_PY_DIR/ptest.py" "$PTEST_PY_DIR/ptest_utils.py" "$work/py/testing/"
  [ -d "$PTEST_PY_DIR/../panda" ] && cp -r "$PTEST_PY_DIR/../panda" "$work/py/"
  export PANDA_REGRESSION_DIR=$work/py/regpy
  for d in qcows replays blessed tmpout misc; do
    for i in $(seq -w 1 "$n_py"); do mkdir -p "$PANDA_REGRESSION_DIR/$d/t$i"; done
  done
  real=$(python3 -c 'import sys; print(sys.executable)')
  (cd "$work/py/testing" && "$real" ptest.py bless >/dev/null 2>&1)
  # As a user runs it: each script's `#!/usr/bin/env python3` resolves through PATH
  # (a version-manager shim, where there is one) ...
  report "ptest.py test, scripts via PATH's python3" \
    "$(cd "$work/py/testing" && seconds "$real" ptest.py test)" "$n_py"
  # ... and with the real interpreter first on PATH (no shim per script).
  report "ptest.py test, scripts via the real python3" \
    "$(cd "$work/py/testing" && PATH="$(dirname "$real"):$PATH" seconds "$real" ptest.py test)" "$n_py"
fi
