#!/usr/bin/env python3
"""How much sooner a sharded search ends when the first shard to find a hit ends the job.

For each prefix, runs the unsharded search and every shard of N (ghostsum search --shard
k/N --json) and compares the candidates each needed: the unsharded search needs index + 1,
shard k needs (index - its slice start + 1) to reach its own first hit. With the shards
side by side at equal speed, the job ends when the shard needing the fewest candidates gets
there: that minimum against the unsharded count is the gain (expected 1/N, since hits are
spread evenly and each shard starts at the beginning of its own slice).

Usage: benches/shard_gain.py [prefixes] [digits]   (needs cargo build --release)
"""
import json
import random
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "ghostsum"
INPUT = ROOT / "examples" / "notes.txt"


def run(prefix, shard=None):
    args = [str(BIN), "search", str(INPUT), "-p", prefix, "-q", "--json", "-b", "cpu", "-o", "/dev/null"]
    if shard:
        args += ["--shard", shard]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode not in (0, 3):
        sys.exit(f"ghostsum failed: {out.stderr}")
    return json.loads(out.stdout)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    digits = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    rng = random.Random(2026)
    prefixes = ["".join(rng.choice("0123456789abcdef") for _ in range(digits)) for _ in range(count)]
    shard_counts = (4, 16)
    rows = []
    for prefix in prefixes:
        unsharded = run(prefix)["index"] + 1
        row = {"prefix": prefix, "unsharded": unsharded}
        for n in shard_counts:
            needs = [r["shard"]["searched"] for r in (run(prefix, f"{k}/{n}") for k in range(n)) if r["status"] == "found"]
            row[n] = min(needs)
        rows.append(row)
        print(f"{prefix}  unsharded {unsharded:>12,}  " + "  ".join(f"N={n}: {row[n]:>12,} ({row[n] / unsharded:6.3f})" for n in shard_counts), flush=True)
    print()
    total = sum(r["unsharded"] for r in rows)
    for n in shard_counts:
        first = sum(r[n] for r in rows)
        median = statistics.median(r[n] / r["unsharded"] for r in rows)
        print(f"N={n:>2}: first shard to finish needs {first / total:.3f} of the unsharded candidates "
              f"(sum over {len(rows)} prefixes; median ratio {median:.3f}); expected 1/N = {1 / n:.3f}")


if __name__ == "__main__":
    main()
