#!/usr/bin/env python3
"""Transliterates ghostsum's generated search WGSL into CUDA C, line for line, so that ptxas
can show what NVIDIA's compiler makes of the same operations (benches/gpu-isa.sh --nvidia).

It knows only the WGSL the generator writes (src/gpu/shader.rs, shaders/search.wgsl): every
value is u32, the uniform Params becomes a __constant__ struct (a constant bank, as NVIDIA's
Vulkan driver places a uniform buffer), and each storage buffer a pointer in a constant bank.
This is ptxas on a transliteration, not NVIDIA's Vulkan compiler.

usage: wgsl_to_cuda.py KERNEL.wgsl > KERNEL.cu    (compile with -include cuda_prelude.h)
"""
import re
import sys

TYPES = {"u32": "unsigned int", "vec2<u32>": "uint2", "vec4<u32>": "uint4", "atomic<u32>": "unsigned int"}


def field(line):
    """`name: type,` inside a struct -> a C member."""
    m = re.match(r"(\s*)(\w+): (.+?),?\s*$", line)
    indent, name, ty = m.groups()
    array = re.match(r"array<(.+?)(?:, (\d+))?>$", ty)
    if array:
        element, count = array.groups()
        return f"{indent}{TYPES[element]} {name}[{count or 1}];"
    return f"{indent}{TYPES[ty]} {name};"


def params(text):
    """`b: u32, c: u32` -> `unsigned int b, unsigned int c`."""
    return ", ".join(f"{TYPES[t.strip()]} {n.strip()}" for n, t in (p.split(":") for p in text.split(",") if p.strip()))


def main(path):
    out = ['// Transliterated from ' + path + ' by benches/gpu_isa/wgsl_to_cuda.py']
    in_struct = False
    workgroup = "64"
    for line in open(path).read().splitlines():
        code = line.split("//")[0].rstrip()
        if in_struct:
            if code.strip() == "}":
                in_struct = False
                out.append("};")
            elif code.strip():
                out.append(field(code))
            continue
        if re.match(r"struct \w+ \{", code):
            in_struct = True
            out.append(code)
            continue
        binding = re.match(r"@group\(0\) @binding\(\d+\) var<(\w+)(?:, (\w+))?> (\w+): (.+);", code)
        if binding:
            space, access, name, ty = binding.groups()
            if space == "uniform":
                out.append(f"__constant__ {ty} {name};")
            else:
                # A storage buffer's address sits in a constant bank, as a Vulkan descriptor's.
                element = re.match(r"array<(.+)>$", ty)
                c_type = TYPES[element.group(1)] if element else ty
                const = "const " if access == "read" else ""
                out.append(f"__constant__ {const}{c_type}* {name}_binding;")
                out.append(f"#define {name} {name}_binding" if element else f"#define {name} (*{name}_binding)")
            continue
        constant = re.match(r"const (\w+): u32 = (.+);", code)
        if constant:
            out.append(f"static constexpr unsigned int {constant.group(1)} = {constant.group(2)};")
            continue
        size = re.match(r"@compute @workgroup_size\((\d+)\)", code)
        if size:
            workgroup = size.group(1)
            continue
        if code.startswith("fn search("):
            out.append(f'extern "C" __global__ void __launch_bounds__({workgroup}) search() {{')
            out.append(f"    const unsigned int gid_x = blockIdx.x * {workgroup}u + threadIdx.x, gid_y = blockIdx.y;")
            continue
        function = re.match(r"fn (\w+)\((.*)\)(?: -> (\S+))? \{(.*)$", code)
        if function:
            name, args, result, rest = function.groups()
            c_result = TYPES[result] if result else "void"
            out.append(f"__device__ __forceinline__ {c_result} {name}({params(args)}) {{{rest}")
            continue
        code = re.sub(r"\bvar (\w+) =", r"unsigned int \1 =", code)
        # `let`'s type is its value's: u32, or a split kernel's vec4<u32> table row (uint4).
        code = re.sub(r"\blet (\w+) =", r"const auto \1 =", code)
        code = code.replace("vec2<u32>(", "make_uint2(").replace("gid.x", "gid_x").replace("gid.y", "gid_y")
        out.append(code)
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
