#!/bin/sh
# Submit a ptest suite to Slurm as N shards (a job array) and a merge that runs when they
# have all ended, however they ended.
#   examples/slurm/submit.sh N [SBATCH-OPTION...]     (options go to the shards' sbatch)
# Environment: as shards.sbatch; PTEST_MAX_PARALLEL=M runs at most M shards at once.
set -eu
n=${1:?usage: submit.sh N [SBATCH-OPTION...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --array="1-$n${PTEST_MAX_PARALLEL:+%$PTEST_MAX_PARALLEL}" "$@" "$here/shards.sbatch")
array=${array%%;*} # --parsable prints "id;cluster" on multi-cluster setups
merge=$(sbatch --parsable --dependency="afterany:$array" --export="ALL,PTEST_SHARDS_JOB=$array" "$here/merge.sbatch")
merge=${merge%%;*}
echo "submitted shards as job array $array (1-$n) and the merge as job $merge"
echo "merged reports: ${PTEST_REPORTS:-$PWD/ptest-reports}/$array/all.json and all.xml; verdict: ptest-merge-$merge.out"
