#!/usr/bin/env python3
"""Times the allocator benchmark binaries as whole processes, in turn.

This is how a user meets the allocator: the same program linked with `System`, and
with memtrack's counting allocator as its global allocator (two binaries, each with
its own code layout and inlining). Each binary runs a fixed number of batches of one
workload shape on one thread (ALLOC_WORKLOAD_BATCHES, ALLOC_WORKLOAD_SHAPE); the
runs alternate, System then memtrack, and each pair gives a ratio of CPU time (user +
system, from the kernel's accounting of the finished child), so that drift of the
machine hits both sides of a pair alike. The `passthrough-alloc` build (the same
counting allocator compiled down to forwarding) is timed the same way, as a control:
its ratio shows what code layout alone does to the figure.

Usage: benches/alternate_processes.py [pairs] [batches]   (default 25 pairs, 2000 batches)
"""

import os
import statistics
import subprocess
import sys

from bench_executable import executable


def cpu_seconds(path, shape, batches):
    """CPU seconds (user + system) of one fixed run."""
    env = dict(os.environ, ALLOC_WORKLOAD_BATCHES=str(batches), ALLOC_WORKLOAD_SHAPE=shape)
    child = subprocess.Popen([path], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit(f"{path} failed with status {status}")
    return usage.ru_utime + usage.ru_stime


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    if pairs < 2 or batches < 1:
        sys.exit("usage: benches/alternate_processes.py [pairs (at least 2)] [batches (at least 1)]")
    system = executable("--bench", "alloc_system")
    counted = {
        "memtrack": executable("--bench", "alloc_memtrack"),
        "passthrough (control)": executable(
            "--bench", "alloc_memtrack", "--features", "passthrough-alloc"
        ),
    }
    for shape in ("mixed", "churn"):
        for name, path in counted.items():
            cpu_seconds(system, shape, batches)  # warm-up, not counted
            ratios = []
            for _ in range(pairs):
                base = cpu_seconds(system, shape, batches)
                ratios.append(cpu_seconds(path, shape, batches) / base)
            q1, median, q3 = statistics.quantiles(ratios, n=4)
            print(
                f"{shape:>5} {name:<22} / System over {pairs} pairs: "
                f"median {median:.3f}, quartiles {q1:.3f} to {q3:.3f}"
            )


if __name__ == "__main__":
    main()
