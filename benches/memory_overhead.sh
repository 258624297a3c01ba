#!/usr/bin/env bash
# Peak resident memory (the kernel's high-water mark, from GNU time) of the same
# work with and without memtrack's owner tags and sampled pages:
#
# - the allocation workload (benches/common/alloc_workload.rs), mixed and churn
#   shapes, with its own pool and with 200,000 live objects so that the heap
#   dominates;
# - the example service's scenario.
#
# Each is built twice: with the counting allocator, and with the `passthrough-alloc`
# feature (the same program, linking the same code, forwarding every call
# untouched), so the difference is what counting and owners cost in memory.
#
# A process's peak moves by a few percent from run to run (where the kernel maps
# things), so each figure is the median of `runs` processes.
#
# Usage: benches/memory_overhead.sh [batches] [runs]   (default 200 and 9; needs /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
batches="${1:-200}"
runs="${2:-9}"
export CARGO_TERM_COLOR=never

exe() {
    cargo bench --no-run --message-format=json "$@" 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])
' | tail -n 1
}

# The median over `runs` processes of the peak RSS, in KiB, of a command (its own
# output discarded).
peak_kib() {
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%M' -o /dev/stdout "$@" 2>/dev/null | tail -n 1
    done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio() {
    python3 -c "print(f'{$2 / $1:.3f}')"
}

system=$(exe --bench alloc_memtrack --features passthrough-alloc)
memtrack=$(exe --bench alloc_memtrack)
printf '%-34s %12s %12s %8s\n' "run" "pass-thru KiB" "counting KiB" "ratio"
for shape in mixed churn; do
    for pool in default 200000; do
        vars=(ALLOC_WORKLOAD_BATCHES="$batches" ALLOC_WORKLOAD_SHAPE="$shape")
        if [[ "$pool" != default ]]; then
            vars+=(ALLOC_WORKLOAD_POOL="$pool")
        fi
        a=$(peak_kib env "${vars[@]}" "$system")
        b=$(peak_kib env "${vars[@]}" "$memtrack")
        printf '%-34s %12s %12s %8s\n' "workload $shape, pool $pool" "$a" "$b" "$(ratio "$a" "$b")"
    done
done

# The service's scenario, built (release) with the given cargo flags.
scenario_peak() {
    cargo build --release --example service "$@" >/dev/null 2>&1
    local exe
    exe="${CARGO_TARGET_DIR:-target}/release/examples/service"
    peak_kib "$exe" --scenario
}
a=$(scenario_peak --features passthrough-alloc)
b=$(scenario_peak)
printf '%-34s %12s %12s %8s\n' "service --scenario (pass-through)" "$a" "$b" "$(ratio "$a" "$b")"
