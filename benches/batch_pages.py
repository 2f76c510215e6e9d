#!/usr/bin/env python3
"""Pages per second of `ghostsum batch` (issue 19), side by side for one or more binaries.

Makes two sites in a temporary folder (200 pages of 4 digits, 40 pages of 6, each page
linking to the next), then runs every binary on every site and device choice in turn,
round-robin, so a noisy neighbour hits them all alike; prints medians and pages per second.
One core each: the CPU device with -j 1, lavapipe with LP_NUM_THREADS=1; `--cpu-threads
default` leaves the CPU's thread count to ghostsum (every core, less one per GPU while a GPU
takes part in a page), as a user who gives no -j gets.

    benches/batch_pages.py [--rounds 5] [--backends cpu,gpu:0,cpu+gpu:0] [--sites 200x4,40x6]
                           [--cpu-threads 1|default] BINARY [BINARY...]

Two pseudo-backends tell what the machine charges for work beside a batch from what the
batch itself does: `cpu+check` runs `-b cpu` with `ghostsum devices --check gpu:0` beside it
as a separate process at nice 19 (the work a `cpu,gpu:0` batch of short pages adds), and
`cpu+busy` with a 50 ms busy loop at nice 19 instead.
"""
import argparse, os, statistics, subprocess, tempfile, time

BUSY_50_MS = "import time\nt = time.perf_counter()\nwhile time.perf_counter() - t < 0.05: pass"

def site(root, pages, digits):
    folder = os.path.join(root, f"{pages}x{digits}")
    os.makedirs(folder)
    manifest = f'url = "https://pages.example/{{prefix}}"\ndigits = {digits}\nseed = 7\n'
    for n in range(pages):
        with open(os.path.join(folder, f"p{n}.txt"), "w") as f:
            f.write(f"page {n} links to {{{{url:p{(n + 1) % pages}}}}}\n")
        manifest += f'[[page]]\nname = "p{n}"\nfile = "p{n}.txt"\n'
    with open(os.path.join(folder, "site.toml"), "w") as f:
        f.write(manifest)
    return folder

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="cpu,gpu:0,cpu+gpu:0", help="comma-separated; + joins devices")
    parser.add_argument("--sites", default="200x4,40x6", help="comma-separated PAGESxDIGITS")
    parser.add_argument("--cpu-threads", default="1", help="-j for the CPU device, or 'default' for none")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    args.binaries = [os.path.abspath(b) for b in args.binaries]
    env = dict(os.environ, LP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as root:
        shapes = [tuple(int(n) for n in shape.split("x")) for shape in args.sites.split(",")]
        sites = [(pages, digits, site(root, pages, digits)) for pages, digits in shapes]
        times = {}
        runs = 0
        for _ in range(args.rounds):
            for pages, digits, folder in sites:
                for backend in args.backends.split(","):
                    for binary in args.binaries:
                        # A fresh folder each run, deleted only at the end: on ext4 without a
                        # journal (these machines' root), inodes deleted in the last 30 s are
                        # skipped one by one when a file is created, which made a run after
                        # the last one's rmtree pay for its files again.
                        runs += 1
                        out = f"out{runs}"
                        beside_only = backend in ("cpu+check", "cpu+busy")
                        devices = "cpu" if beside_only else backend.replace("+", ",")
                        command = [binary, "batch", "site.toml", "--out-dir", out, "-b", devices, "-q"]
                        if "cpu" in backend and args.cpu_threads != "default":
                            command += ["-j", args.cpu_threads]
                        began = time.perf_counter()
                        beside = None
                        if backend == "cpu+check":
                            beside = subprocess.Popen(["nice", "-n", "19", binary, "devices", "--check", "gpu:0"],
                                                      env=env, stdout=subprocess.DEVNULL)
                        if backend == "cpu+busy":
                            beside = subprocess.Popen(["nice", "-n", "19", "python3", "-c", BUSY_50_MS])
                        subprocess.run(command, cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL)
                        if beside:
                            beside.wait()
                        times.setdefault((pages, digits, backend, binary), []).append(time.perf_counter() - began)
        print(f"{'pages':>6} {'digits':>6} {'backend':<10} {'median s':>9} {'pages/s':>8}  binary")
        for (pages, digits, backend, binary), runs in times.items():
            median = statistics.median(runs)
            print(f"{pages:>6} {digits:>6} {backend:<10} {median:>9.3f} {pages / median:>8.1f}  {binary}")

if __name__ == "__main__":
    main()
