#!/usr/bin/env bash
# `memtrack report` against the original workflow's
#   grep "memory_operation" logs.json | jq 'select(.duration_ms > 5000)'
# on the same generated log, both pinned to one core, three runs each.
#
#   bash memtrack-cli/benches/report_vs_jq.sh [MEGABYTES]   (default 1024)
#
# Needs jq, GNU time (/usr/bin/time) and taskset. The log is written to
# ${TMPDIR:-/tmp}/memtrack-bench.log and left there for further runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

mb="${1:-1024}"
log="${TMPDIR:-/tmp}/memtrack-bench.log"
for tool in jq /usr/bin/time taskset; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 1; }
done

cargo build --quiet --release -p memtrack-cli --bin memtrack --example synth_log
target="${CARGO_TARGET_DIR:-target}/release"
if [ ! -f "$log" ] || [ "$(( $(stat -c %s "$log") >> 20 ))" -ne "$mb" ]; then
    "$target/examples/synth_log" --mb "$mb" > "$log"
fi
echo "log: $log, $(stat -c %s "$log") bytes, $(wc -l < "$log") lines"
cat "$log" > /dev/null   # both sides read from the page cache

for run in 1 2 3; do
    /usr/bin/time -f "memtrack report (1 core): %e s wall, %U s user, %S s sys, max RSS %M KB" \
        taskset -c 0 "$target/memtrack" report "$log" > /dev/null
done
for run in 1 2 3; do
    /usr/bin/time -f "grep | jq (1 core):      %e s wall, %U s user, %S s sys" \
        taskset -c 0 sh -c "grep memory_operation '$log' | jq 'select(.duration_ms > 5000)' > /dev/null"
done
for run in 1 2 3; do
    /usr/bin/time -f "grep | jq (2 cores):     %e s wall, %U s user, %S s sys" \
        sh -c "grep memory_operation '$log' | jq 'select(.duration_ms > 5000)' > /dev/null"
done
uptime
