#!/usr/bin/env bash
# Counts the instructions each allocator benchmark binary executes for the same fixed
# amount of work (ALLOC_WORKLOAD_BATCHES batches of each workload shape, mixed and
# small-block churn, on one thread), under
# valgrind's callgrind. Unlike a timing, the count is the same from run to run and does
# not depend on what else the machine is doing, so it can resolve differences of a few
# percent that timings on a shared machine cannot.
#
# Usage: benches/count_instructions.sh [batches]   (default 200; needs valgrind)
set -euo pipefail

batches="${1:-200}"
benches=(alloc_system alloc_memtrack alloc_stats_alloc alloc_tracking_allocator)

if ! command -v valgrind >/dev/null; then
    echo "valgrind is needed (Debian: apt-get install valgrind)" >&2
    exit 1
fi

cd "$(dirname "$0")/.."

bench_args=()
for bench in "${benches[@]}"; do
    bench_args+=(--bench "$bench")
done

# The path of each benchmark executable, from cargo's build messages.
declare -A executable
while IFS=$'\t' read -r name path; do
    executable[$name]="$path"
done < <(
    cargo bench --no-run --message-format=json "${bench_args[@]}" 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") \
            and "bench" in message["target"]["kind"]:
        print(message["target"]["name"], message["executable"], sep="\t")
'
)

for shape in mixed churn; do
    printf '\n%-26s %16s %8s\n' "benchmark ($shape)" "instructions" "ratio"
    baseline=""
    for bench in "${benches[@]}"; do
        path="${executable[$bench]:-}"
        if [[ -z "$path" ]]; then
            echo "no executable built for $bench" >&2
            exit 1
        fi
        count=$(
            ALLOC_WORKLOAD_BATCHES="$batches" ALLOC_WORKLOAD_SHAPE="$shape" \
                valgrind --tool=callgrind --callgrind-out-file=/dev/null "$path" 2>&1 |
                sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
        )
        if [[ -z "$count" ]]; then
            echo "callgrind reported no count for $bench" >&2
            exit 1
        fi
        baseline="${baseline:-$count}"
        ratio=$(python3 -c "print(f'{$count / $baseline:.3f}')")
        printf '%-26s %16s %8s\n' "$bench" "$count" "$ratio"
    done
done
