"""The path of a benchmark executable of this workspace, built if needed (shared by
the scripts in `benches/` that run benchmark binaries themselves)."""

import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def executable(*cargo_args):
    """The path of the benchmark executable `cargo bench --no-run *cargo_args` builds
    (the last one, when it builds several), from cargo's build messages."""
    out = subprocess.run(
        ["cargo", "bench", "--no-run", "--message-format=json", *cargo_args],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    paths = [
        message["executable"]
        for message in map(json.loads, out.splitlines())
        if message.get("reason") == "compiler-artifact" and message.get("executable")
    ]
    return paths[-1]
