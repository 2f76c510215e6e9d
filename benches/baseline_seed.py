#!/usr/bin/env python3
"""The seed's original approach, kept as a baseline: copy the MD5 object of the content and
append a base-5 whitespace counter, one process per core. Prints candidates per second.

    python3 benches/baseline_seed.py [seconds] [processes]
"""
import hashlib
import multiprocessing
import os
import sys
import time

ALPHABET = [b" ", b"\t", b"\n", b"\x0b", b"\x0c"]


def suffix(index, length=16):
    digits = []
    for _ in range(length):
        index, d = divmod(index, 5)
        digits.append(ALPHABET[d])
    return b"".join(reversed(digits))


def worker(args):
    start, seconds = args
    base = hashlib.md5(b"x" * 1000)
    deadline = time.perf_counter() + seconds
    tested, index = 0, start
    while time.perf_counter() < deadline:
        for _ in range(10000):
            h = base.copy()
            h.update(suffix(index))
            if h.hexdigest().startswith("c0ffee00"):
                pass
            index += 1
        tested += 10000
    return tested


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    with multiprocessing.Pool(processes) as pool:
        started = time.perf_counter()
        tested = sum(pool.map(worker, [(i << 40, seconds) for i in range(processes)]))
        elapsed = time.perf_counter() - started
    print(f"seed-style python: {tested / elapsed / 1e6:.2f} M candidates/s ({processes} processes, {elapsed:.1f} s)")


if __name__ == "__main__":
    main()
