#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One (suite, kernel) pair of `kdio hosts`, run on the host GNU parallel gave
# it: finds the pair's line in OUT/plan.tsv (run id, checkout, suite, kernel,
# then bench options, tab-separated), installs the checkout's dependencies
# (ci/bootstrap.sh, idempotent) and runs kdio bench with --results-dir
# OUT/results. On a remote host OUT is the job's own folder, which parallel
# returns and removes; on this machine (sshlogin ':') it is the merged folder.
# Exit: bench's status (0 ok, 1 run failed, 2 refused), 3 no kdio checkout,
# 4 no such job in the plan.
set -eu

usage() {
	echo "usage: hostjob.sh RUN_ID OUT_DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
run_id=$1
out=$(cd "$2" && pwd)
line=$(grep "^$run_id	" "$out/plan.tsv") || {
	echo "kdio-hosts: error: no job $run_id in $out/plan.tsv" >&2
	exit 4
}
IFS='	'
set -f
# shellcheck disable=SC2086
set -- $line
set +f
unset IFS
checkout=$2 suite=$3 kernel=$4
shift 4
if [ ! -f "$checkout/harness/kdio/cli.py" ]; then
	echo "kdio-hosts: error: no kdio checkout at $checkout on $(hostname)" \
		"(clone kdio there, or give this host's checkout in the hosts file)" >&2
	exit 3
fi
echo "kdio-hosts: $run_id: suite $suite, kernel $kernel, checkout $checkout on $(hostname)"
cd "$checkout"
sh ci/bootstrap.sh bench
cd harness
exec /usr/bin/python3 -m kdio bench --suite "$suite" --kernel "$kernel" --run-id "$run_id" \
	--results-dir "$out/results" "$@"
