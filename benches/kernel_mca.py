#!/usr/bin/env python3
"""The CPU kernel's hot loop as the machine sees it: pulls one kernel instance's inner chunk
loop out of the release binary and asks llvm-mca what it should cost on several CPUs.

The kernels are generic over (first inner word W, inner word count C); the binary must carry
v0 symbol names so each instance can be found (`ghostsum::cpu::kernel::avx2::at::<2, 2>`):

    RUSTFLAGS="-C symbol-mangling-version=v0" cargo build --release --target-dir target/mca
    benches/kernel_mca.py [--kernel avx2] [--first-word 2] [--words 2] [--cpus znver3,skylake,alderlake]
    benches/kernel_mca.py --hash sha1 --kernel avx512 --first-word 12 --cpus znver4

ARM (64-bit): the same, cross-built, and --arch aarch64 (kernels neon, portable and
arm-sha; CPUs such as neoverse-n2,cortex-a78,apple-latest):

    RUSTFLAGS="-C symbol-mangling-version=v0" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    cargo build --release --target aarch64-unknown-linux-gnu --target-dir target/mca
    benches/kernel_mca.py --arch aarch64 --hash sha256 --kernel arm-sha --first-word 12

The chunk loop is the backward branch whose body is densest in vector instructions (the
mid-value loop around it also holds scalar set-up; the hit loop inside is tiny). Prints the
loop's size, its vector and stack instructions, and per CPU llvm-mca's cycles per iteration
and per candidate (candidates per iteration: LANES below).
"""
import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# llvm-mca 15 where Debian has it beside the default (14 lacks some of the CPUs' models).
MCA = "llvm-mca-15" if shutil.which("llvm-mca-15") else "llvm-mca"
# Candidates a kernel's chunk loop handles per iteration, per architecture (src/cpu/kernel.rs's
# kernel_set! lines): MD5's lane type's WIDTH, which SHA-1's lanes over mid values share;
# SHA-256's own grouping; the SHA instructions' interleaved blocks (src/cpu/sha_blocks.rs,
# BLOCKS) for either SHA.
LANES = {
    "x86_64": {
        "md5": {"avx512": 64, "avx2": 24, "portable": 12},
        "sha256": {"avx512": 32, "avx2": 8, "portable": 4},
        "blocks": {"sha-ni": 8},
    },
    "aarch64": {
        "md5": {"neon": 16, "portable": 4},
        "sha256": {"neon": 4, "portable": 4},
        "blocks": {"arm-sha": 4},
    },
}


def lanes_of(arch, hash_name, kernel):
    table = LANES[arch]
    if kernel in table["blocks"]:
        return table["blocks"][kernel]
    return table["sha256" if hash_name == "sha256" else "md5"][kernel]
# Per architecture: the tools that read its binary, its branches (a backward one closes a
# loop; group 1 is the target address), its vector registers, and llvm-mca's triple.
ARCHES = {
    "x86_64": {
        "nm": "nm",
        "objdump": ["objdump", "-M", "att"],
        "branch": re.compile(r"j\w+\s+([0-9a-f]+)"),
        "vector": re.compile(r"%[xyz]mm"),
        "stack": re.compile(r"\(%r[sb]p\)"),
        "comment": "#",
        "triple": "x86_64-unknown-linux-gnu",
        "binary": "target/mca/release/ghostsum",
        "cpus": "znver3,skylake,alderlake",
    },
    "aarch64": {
        "nm": "aarch64-linux-gnu-nm",
        "objdump": ["aarch64-linux-gnu-objdump"],
        "branch": re.compile(r"(?:b(?:\.\w+)?|cbn?z\s+\w+,|tbn?z\s+\w+,\s*#\w+,)\s+([0-9a-f]+)"),
        "vector": re.compile(r"\bv\d+\.|\bq\d+\b"),
        "stack": re.compile(r"\[sp"),
        "comment": "//",
        "triple": "aarch64-unknown-linux-gnu",
        "binary": "target/mca/aarch64-unknown-linux-gnu/release/ghostsum",
        "cpus": "neoverse-n2,cortex-a78,apple-latest",
    },
}


def inner_end_bound(first_word, words):
    """src/cpu/sha.rs's inner_end_bound: where SHA-256's lane kernel takes the inner words to end."""
    bucket, end = first_word // 4 * 4, first_word + words
    return bucket + 2 if end <= bucket + 2 else bucket + 3 if end <= bucket + 3 else 16


def symbol(kernel, hash_name, first_word, words):
    """The kernel instance's name: MD5's `at::<W, C>`, SHA-1's `sha1_at::<W>` (W a multiple of
    4), SHA-256's `sha256_at::<W, E>` (E its inner_end_bound)."""
    if hash_name == "md5":
        return f"ghostsum::cpu::kernel::{kernel}::at::<{first_word}, {words}>"
    bucket = first_word // 4 * 4
    if kernel in ("sha-ni", "arm-sha"):
        module = {"sha-ni": "sha_ni", "arm-sha": "sha_arm"}[kernel]
        return f"ghostsum::cpu::{module}::{hash_name}_at::<{bucket}>"
    if hash_name == "sha256":
        return f"ghostsum::cpu::kernel::{kernel}::sha256_at::<{bucket}, {inner_end_bound(first_word, words)}>"
    return f"ghostsum::cpu::kernel::{kernel}::{hash_name}_at::<{bucket}>"


def disassemble(arch, binary, wanted):
    symbols = subprocess.run([arch["nm"], "-C", str(binary)], capture_output=True, text=True, check=True).stdout
    address = None
    for line in symbols.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and parts[2].startswith(wanted) and not parts[2][len(wanted):].startswith("::"):
            address = int(parts[0], 16)
            break
    if address is None:
        sys.exit(f"{wanted} is not in {binary}: build it with v0 symbol names (see the top of this file)")
    dump = subprocess.run(
        [*arch["objdump"], "-d", "--no-show-raw-insn", f"--start-address={address:#x}", f"--stop-address={address + 200000:#x}", str(binary)],
        capture_output=True, text=True, check=True,
    ).stdout
    instructions = []
    for line in dump.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(.*)", line)
        if m:
            text = m.group(2).split(arch["comment"])[0].strip()
            instructions.append((int(m.group(1), 16), text))
            if text.startswith("ret") and len(instructions) > 50:
                break
        elif instructions and re.match(r"^[0-9a-f]+ <", line):
            break  # the next symbol
    return wanted, instructions


def hot_loop(arch, instructions):
    index = {addr: i for i, (addr, _) in enumerate(instructions)}
    best = None
    for i, (_, text) in enumerate(instructions):
        m = arch["branch"].fullmatch(re.sub(r"\s*<[^>]*>$", "", text))
        if not m:
            continue
        target = int(m.group(1), 16)
        if target not in index or index[target] >= i:
            continue
        body = instructions[index[target]: i + 1]
        if len(body) < 100:
            continue
        vector = sum(bool(arch["vector"].search(t)) for _, t in body)
        # The SHA kernels' chunk loops are long; a mid-value loop around them is longer still
        # and less dense: the densest loop of some size is the chunk loop.
        density = vector / len(body)
        if best is None or density > best[0]:
            best = (density, body)
    if best is None:
        sys.exit("no loop found")
    return best[1]


def mca(arch, body, cpu):
    # Branch targets are addresses: llvm-mca needs labels; the loop is simulated straight.
    lines = []
    for _, text in body:
        text = re.sub(r"\s*<[^>]*>", "", text)
        if arch["branch"].fullmatch(text) or text.startswith(("call", "bl\t", "bl ")):
            continue
        lines.append(text)
    source = "\n".join(lines) + "\n"
    command = [MCA, f"-mtriple={arch['triple']}", f"-mcpu={cpu}", "-iterations=200", "-"]
    out = subprocess.run(command, input=source, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip().splitlines()[:3]
    cycles = int(re.search(r"Total Cycles:\s+(\d+)", out.stdout).group(1))
    rthroughput = float(re.search(r"Block RThroughput:\s+([\d.]+)", out.stdout).group(1))
    return cycles / 200, rthroughput


def throughput_bound(body, any_rate, shift_rate):
    """Cycles an iteration needs at the given operations a cycle: `any_rate` vector ALU
    operations of any kind, of which at most `shift_rate` shifts or rotates (the rates
    benches/vector_throughput.c measures). Loads, stores and register moves are left out:
    they run on other ports, so this is a lower bound."""
    shifts = alu = 0
    for _, text in body:
        op = text.split()[0]
        if op.startswith(("vprol", "vpror", "vpsrl", "vpsll", "vpsra")):
            shifts += 1
        elif op.startswith(("vpadd", "vpsub", "vpternlog", "vpxor", "vpand", "vpor", "vpcmp")):
            alu += 1
        elif op.startswith("vpbroadcast") and "(" not in text:
            alu += 1  # from a register; from memory it is a load
    return shifts, alu, max(shifts / shift_rate, (shifts + alu) / any_rate)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="x86_64", choices=sorted(ARCHES))
    parser.add_argument("--binary", help="default: the --target-dir target/mca build for --arch")
    parser.add_argument("--kernel", default="avx2", help="avx512, avx2, portable, or sha-ni / arm-sha (SHA only)")
    parser.add_argument("--hash", default="md5", choices=["md5", "sha1", "sha256"])
    parser.add_argument("--first-word", type=int, default=2, help="2: the 59-step layout of bench's 1000 bytes; 11: its --fast-layout (50 steps)")
    parser.add_argument("--words", type=int, default=2)
    parser.add_argument("--symbol", help="the instance's symbol, where its name is a closure's: the portable kernels, which have no target feature of their own, are inlined into for_layout's closures (MD5's (W, C) is {closure#N} with N = 4W + C - 1, SHA-1's <0, 4, 8, 12> are #56..#59, SHA-256's 11 versions #60..#70, its (12, 14) #69); where the closure itself was inlined into its FnOnce shim, the start of the shim's name does: '<ghostsum::cpu::kernel::neon::for_layout::{closure#9} as'")
    parser.add_argument("--zmm-rates", metavar="ANY,SHIFTS", help="also the bound at these vector operations a cycle, any kind and shifts/rotates (measured by benches/vector_throughput.c; a Zen 4: 2,1)")
    parser.add_argument("--ghz", type=float, help="with --zmm-rates: the core clock, to give the bound in M candidates a second per core")
    parser.add_argument("--cpus", help="default: znver3,skylake,alderlake; on aarch64 neoverse-n2,cortex-a78,apple-latest")
    args = parser.parse_args()
    arch = ARCHES[args.arch]
    binary = Path(args.binary or ROOT / arch["binary"])
    wanted = args.symbol or symbol(args.kernel, args.hash, args.first_word, args.words)
    name, instructions = disassemble(arch, binary, wanted)
    body = hot_loop(arch, instructions)
    lanes = lanes_of(args.arch, args.hash, args.kernel)
    stack = sum(bool(arch["stack"].search(t)) for _, t in body)
    vector = sum(bool(arch["vector"].search(t)) for _, t in body)
    print(f"{name}: chunk loop of {len(body)} instructions ({vector} vector, {stack} touching the stack) for {lanes} candidates")
    for cpu in (args.cpus or arch["cpus"]).split(","):
        per_iteration, rthroughput = mca(arch, body, cpu)
        if per_iteration is None:
            print(f"  {cpu}: llvm-mca failed: {rthroughput}")
            continue
        print(f"  {cpu:10} {per_iteration:8.1f} cycles per iteration (block reciprocal throughput {rthroughput:.1f}) = {per_iteration / lanes:.2f} cycles per candidate")
    if args.zmm_rates:
        any_rate, shift_rate = (float(x) for x in args.zmm_rates.split(","))
        shifts, alu, cycles = throughput_bound(body, any_rate, shift_rate)
        rate = f" = {args.ghz * 1e3 / (cycles / lanes):.1f} M/s per core at {args.ghz} GHz" if args.ghz else ""
        print(f"  rates {args.zmm_rates}: {shifts} shifts/rotates, {alu} other vector ALU: {cycles:.1f} cycles per iteration = {cycles / lanes:.2f} cycles per candidate{rate}")


if __name__ == "__main__":
    main()
