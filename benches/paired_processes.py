#!/usr/bin/env python3
"""Runs the paired bench in many processes and summarises over them.

Each process of `alloc_paired` draws its own address layout, and on small-block
churn the layout moves the ratio memtrack / System by several points, while the
rounds within one process agree (see "Why churn's figure moves from process to
process" in BENCHMARKS.md). So one run says little about a build; the median over
many processes says what the layouts a deployment draws cost on average.

Every process prints, for each workload and thread count, the median ratio of its
rounds; this script prints, over the processes, the median of those medians and
their range.

With `--vs BINARY` (an `alloc_paired` executable built from another tree) the two
builds run in turn, one process each, and the script also prints the median of the
per-pair differences (this build less the other) and how many pairs went each way:
the way to tell whether a change to the allocator moved the figure by a point,
which a single run of each cannot.

Usage:
    benches/paired_processes.py [processes] [--only churn|mixed|handoff] [--vs BINARY]

Defaults: 9 processes, every workload. The environment variables of the paired
bench (`ALLOC_PAIRED_ROUNDS`, `ALLOC_PAIRED_SAMPLE_INTERVAL`) pass through.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

from bench_executable import executable

LINE = re.compile(r"^alloc_paired/(\w+/\d+): .* median ([0-9.]+),")


def medians(path, only):
    """One process: {"churn/1": median ratio, ...}."""
    env = dict(os.environ)
    if only:
        env["ALLOC_PAIRED_ONLY"] = only
    run = subprocess.run([path, "--bench"], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{path} failed:\n{run.stderr}")
    found = {}
    for line in (run.stdout + run.stderr).splitlines():
        match = LINE.match(line)
        if match:
            found[match.group(1)] = float(match.group(2))
    if not found:
        sys.exit(f"{path} printed no medians")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("processes", nargs="?", type=int, default=9)
    parser.add_argument("--only", choices=["churn", "mixed", "handoff"])
    parser.add_argument("--vs", metavar="BINARY", help="an alloc_paired executable of another build")
    args = parser.parse_args()
    if args.processes < 1:
        sys.exit("processes must be at least 1")

    this = executable("--bench", "alloc_paired")
    runs = {"this": [], "other": []}
    for _ in range(args.processes):
        runs["this"].append(medians(this, args.only))
        if args.vs:
            runs["other"].append(medians(args.vs, args.only))

    print(f"{args.processes} processes of {this}" + (f", in turn with {args.vs}" if args.vs else ""))
    for key in sorted(runs["this"][0]):
        ours = [run[key] for run in runs["this"] if key in run]
        line = (
            f"{key:>10}: median {statistics.median(ours):.3f}"
            f" (processes {min(ours):.3f} to {max(ours):.3f})"
        )
        if args.vs:
            theirs = [run[key] for run in runs["other"] if key in run]
            differences = [a - b for a, b in zip(ours, theirs)]
            lower = sum(d < 0 for d in differences)
            line += (
                f"; other {statistics.median(theirs):.3f};"
                f" this less other, median of pairs {statistics.median(differences):+.3f}"
                f" (lower in {lower} of {len(differences)})"
            )
        print(line)


if __name__ == "__main__":
    main()
