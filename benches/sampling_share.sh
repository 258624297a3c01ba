#!/usr/bin/env bash
# Shares of CPU time that small-block churn spends in memtrack's out-of-line code
# (sampling, checks) and in its inlined fast paths, from a software-clock profile of
# the alloc_memtrack benchmark binary's fixed run. A share of one profile of a long
# run resolves differences of a few tenths of a percent of the time, which the
# paired bench's process-to-process spread (see BENCHMARKS.md) cannot.
#
# Usage: benches/sampling_share.sh [threads] [batches]   (default 2 and 10000; needs perf)
set -euo pipefail

threads="${1:-2}"
batches="${2:-10000}"

if ! command -v perf >/dev/null; then
    echo "perf is needed (Debian: apt-get install linux-perf)" >&2
    exit 1
fi

cd "$(dirname "$0")/.."

executable=$(
    CARGO_PROFILE_BENCH_DEBUG=true cargo bench --no-run --message-format=json --bench alloc_memtrack 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable"):
        print(message["executable"])
'
)

data=$(mktemp)
trap 'rm -f "$data"' EXIT
ALLOC_WORKLOAD_BATCHES="$batches" ALLOC_WORKLOAD_SHAPE=churn ALLOC_WORKLOAD_THREADS="$threads" \
    perf record -q -F 20000 -e cpu-clock -o "$data" "$executable" >/dev/null 2>&1
perf report -i "$data" --no-children --stdio 2>/dev/null |
    awk '
        /^#/ || !/%/ { next }
        { share = $1; sub("%", "", share) }
        /memtrack_runtime::|libm/ { slow += share }
        /alloc_workload::Pool::batch/ { loop += share }
        /\[\.\] (malloc|_int_free|cfree|free|_int_malloc)/ { libc += share }
        END {
            printf "memtrack out of line (sampling, checks): %5.2f %%\n", slow
            printf "workload loop with inlined fast paths:   %5.2f %%\n", loop
            printf "glibc malloc and free:                   %5.2f %%\n", libc
        }
    '
