# Shared by the benchmark scripts (sourced, not run): wall time of one command, and the
# median of numbers on standard input.

# Runs a command (its output discarded) and prints its wall time in seconds; a failing
# command stops the benchmark, since its time would mean nothing.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

# The median of the numbers on standard input, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
