#!/usr/bin/env bash
# GPU machine instructions per candidate: ghostsum's search kernels (MD5, SHA-1, SHA-256)
# beside hashcat's brute-force kernels (-m 0, 100, 1400 -a 3, optimized) and lucky-commit's
# SHA-1 kernel, on real GPU instruction sets, with no GPU.
#
#   benches/gpu-isa.sh [--hashcat] [--newer-mesa] [--nvidia] [--input FILE] [--prefix HEX]
#                      [--hashes "md5 sha1 sha256"] [--alphabet NAME]
#
# Always: ghostsum's kernel for each hash (the default layout and --fast-layout), as wgpu hands it to Vulkan, compiled by Mesa's RADV on its null device
# (no GPU) for RDNA2 (navi21), RDNA3 (gfx1100) and GCN (vega10) with ACO, and for RDNA2 with
# RADV's LLVM backend (tool: benches/gpu_isa).
#   --hashcat     also hashcat's m00000, m00100 and m01400 _a3-optimized.cl compiled by
#                 clang-15 for the same chips (gfx1030, gfx1100, gfx900) with hashcat's build
#                 options for an AMD GPU, and lucky-commit 2.2.5's sha1_matcher.cl (from
#                 cargo's registry: cargo install lucky_commit --no-default-features puts it
#                 there) for gfx1030. Needs: apt-get install clang-15 llvm-15
#                 rocm-device-libs hashcat (root).
#   --newer-mesa  also RADV from bookworm-backports' Mesa (25.x), unpacked under $WORK, not
#                 installed.
#   --nvidia      also NVIDIA sm_90 SASS from ptxas (CUDA 11.8, Debian non-free, unpacked
#                 under $WORK): hashcat's CUDA path, and ghostsum's WGSL transliterated line
#                 for line into CUDA C. That row is ptxas on a transliteration, NOT NVIDIA's
#                 Vulkan compiler (which only a driver with a card has).
# WORK (default target/gpu-isa) keeps downloads, kernels and every ISA dump; the table at the
# end is also in $WORK/summary.txt. Instruction counts are deterministic for one compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mkdir -p "${WORK:-target/gpu-isa}" && cd "${WORK:-target/gpu-isa}" && pwd)
INPUT="" PREFIX=c0ffee HASHCAT=0 NEWER=0 NVIDIA=0 HASHES="md5 sha1 sha256" ALPHABET=whitespace
while [ $# -gt 0 ]; do
    case $1 in
        --hashcat) HASHCAT=1 ;;
        --newer-mesa) NEWER=1 ;;
        --nvidia) NVIDIA=1 ;;
        --input) INPUT=$2; shift ;;
        --prefix) PREFIX=$2; shift ;;
        --hashes) HASHES=$2; shift ;;
        # The suffix alphabet of ghostsum's kernels (the recorded counts: whitespace, the
        # original five; git-commit searches space-tab).
        --alphabet) ALPHABET=$2; shift ;;
        *) echo "gpu-isa.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$INPUT" ]; then INPUT=$WORK/hello.txt; printf 'hello world\n' > "$INPUT"; fi
say() { echo "== $*" >&2; }
ROWS=$WORK/rows.txt; : > "$ROWS"
# row TARGET KERNEL STEPS REPORT: one table row from a count's "summary:" line.
row() {
    local numbers; numbers=$(grep -o 'summary: .*' "$4" | head -1)
    [ -n "$numbers" ] || { echo "no count in $4" >&2; return 1; }
    echo "$1|$2|$3|$numbers" >> "$ROWS"
}

say "the gpu-isa tool"
cargo build -q --example gpu-isa
TOOL=$ROOT/target/debug/examples/gpu-isa
MESA=/usr/share/vulkan/icd.d/radeon_icd.x86_64.json
[ -f "$MESA" ] || { echo "no RADV: apt-get install mesa-vulkan-drivers" >&2; exit 1; }

# Debian's mirror, as this machine's apt already uses it (for backports and non-free).
mirror() {
    grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -v security | head -1 | tr -d ' '
}
# fetch SUITE_LINE PACKAGE...: downloads Debian packages into $WORK/debs with a private apt
# state, so nothing on the machine changes.
fetch() {
    local line=$1; shift
    local state=$WORK/apt-$(echo "$line" | md5sum | cut -c1-8)
    mkdir -p "$state/lists/partial" "$WORK/debs"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $line" > "$state/sources.list"
    local opts=(-o "Dir::Etc::sourcelist=$state/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$state/lists")
    apt-get "${opts[@]}" update -qq
    (cd "$WORK/debs" && apt-get "${opts[@]}" download -qq "$@")
}

MESAS=("debian:$MESA:")
if [ $NEWER = 1 ]; then
    say "newer Mesa from bookworm-backports, unpacked under $WORK/mesa-new"
    NEW=$WORK/mesa-new
    if [ ! -f "$NEW/radeon_icd.json" ]; then
        fetch "$(mirror) bookworm-backports main" mesa-vulkan-drivers/bookworm-backports \
            libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports
        for deb in "$WORK"/debs/mesa-vulkan-drivers_*bpo*.deb "$WORK"/debs/libdrm*bpo*.deb; do dpkg-deb -x "$deb" "$NEW"; done
        printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' \
            "$NEW/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so" > "$NEW/radeon_icd.json"
    fi
    MESAS+=("backports:$NEW/radeon_icd.json:$NEW/usr/lib/x86_64-linux-gnu")
fi

say "ghostsum on RADV's null device"
declare -A STEPS
# layouts HASH: the layouts measured for it (--fast-layout: what a user who wants speed
# picks; git's ids search the default layout, their suffix length fixed by the header).
layouts() { echo "default fast"; }
for mesa in "${MESAS[@]}"; do
    IFS=: read -r name icd libs <<< "$mesa"
    for hash in $HASHES; do
        for layout in $(layouts $hash); do
            flag=$([ $layout = fast ] && echo --fast-layout || true)
            # RDNA3 is "gfx1100" to Mesa 22 and "navi31" to Mesa 25.
            for family in navi21 gfx1100/navi31 vega10 navi21-llvm; do
                [ $name != debian ] && [ $family = navi21-llvm ] && continue
                out=$WORK/ghostsum-$hash-$layout-${family%%/*}-$name
                for chip in $(tr / ' ' <<< "${family%-llvm}"); do
                    "$TOOL" amd "$INPUT" "$PREFIX" $flag --hash $hash --alphabet "$ALPHABET" --family "$chip" --icd "$icd" \
                        ${libs:+--libraries "$libs"} $([ $family = navi21-llvm ] && echo --llvm || true) \
                        --dump "$out.dump" > "$out.txt" 2> "$out.err" && break
                done
                [ -s "$out.txt" ] || { cat "$out.err" >&2; exit 1; }
                device=$(sed -n 's/^  device: //p' "$out.txt")
                STEPS[$hash-$layout]=$(sed -n 's/^  steps: //p' "$out.txt")
                row "AMD $device" "ghostsum $hash $layout" "${STEPS[$hash-$layout]}" "$out.txt"
            done
        done
    done
done
for hash in $HASHES; do
    for layout in $(layouts $hash); do
        "$TOOL" shader "$INPUT" "$PREFIX" "$WORK/ghostsum-$hash-$layout" --hash $hash --alphabet "$ALPHABET" \
            $([ $layout = fast ] && echo --fast-layout || true) > /dev/null
    done
done

# hashcat's mode for each hash: its number, its digest's words in the order the kernel
# compares them (the module's DGST_POS0-3) and its digest's size in words.
declare -A MODE=([md5]="00000 0 0 3 2 1 4" [sha1]="00100 100 3 4 2 1 5" [sha256]="01400 1400 3 7 2 6 8")
declare -A HASH_STEPS=([md5]=64 [sha1]=80 [sha256]=64)
hashcat_kernel() { echo "/usr/share/hashcat/OpenCL/m${1}_a3-optimized.cl"; }
KERNEL=$(hashcat_kernel 00000)
# hashcat_options HASH VENDOR_ID CUDA_ARCH HAS...: into OPTIONS, what hashcat 6.2 passes its
# kernel compiler for an a3 attack on HASH's mode on one device of that vendor, with HAS_x=1
# for each instruction named (the device has it) and 0 for the rest.
hashcat_options() {
    local vendor=$2 arch=$3 has
    read -r _ kern r0 r1 r2 r3 elem <<< "${MODE[$1]}"
    shift 3
    OPTIONS=(-D KERNEL_STATIC -D INCLUDE_PATH=/usr/share/hashcat/OpenCL '-D XM2S(x)=#x' '-D M2S(x)=XM2S(x)'
        -D LOCAL_MEM_TYPE=1 -D VENDOR_ID="$vendor" -D CUDA_ARCH="$arch" -D VECT_SIZE=1 -D DEVICE_TYPE=4
        -D DGST_R0=$r0 -D DGST_R1=$r1 -D DGST_R2=$r2 -D DGST_R3=$r3 -D DGST_ELEM=$elem
        -D KERN_TYPE=$kern -D ATTACK_EXEC=11 -D ATTACK_KERN=3 -D ATTACK_MODE=3 -w)
    for has in ADD ADDC SUB SUBC VADD VADDC VADD_CO VADDC_CO VSUB VSUBB VSUB_CO VSUBB_CO \
        VPERM VADD3 VBFE BFE LOP3 MOV64 PRMT; do
        OPTIONS+=(-D "HAS_$has=$([[ " $* " == *" $has "* ]] && echo 1 || echo 0)")
    done
}
# lucky-commit's OpenCL kernel, from cargo's registry (empty when it is not there).
LUCKY=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/lucky_commit-2.2.5/src 2>/dev/null | head -1 || true)
if [ $HASHCAT = 1 ]; then
    say "hashcat's kernels for AMD chips (clang-15, hashcat's build options for ROCm OpenCL)"
    [ -f $KERNEL ] && command -v clang-15 > /dev/null \
        || { echo "--hashcat needs: apt-get install clang-15 llvm-15 rocm-device-libs hashcat" >&2; exit 1; }
    BITCODE=/usr/lib/x86_64-linux-gnu/amdgcn/bitcode
    CL=(clang-15 -x cl -cl-std=CL2.0 -target amdgcn-amd-amdhsa -O3 -cl-no-stdinc -Xclang -finclude-default-header
        -Xclang -cl-ext=+cl_amd_media_ops,+cl_amd_media_ops2)
    for chip in gfx1030 gfx1100 gfx900; do
        libs=(--rocm-device-lib-path=$BITCODE)
        if [ ! -f $BITCODE/oclc_isa_version_${chip#gfx}.bc ]; then
            # Debian's rocm-device-libs (5.2) predates this chip: link its libraries by hand,
            # gfx1030's ISA-version stub standing in (only ockl functions MD5 never calls read it).
            libs=(-nogpulib)
            for lib in opencl ocml ockl oclc_daz_opt_off oclc_unsafe_math_off oclc_finite_only_off \
                oclc_correctly_rounded_sqrt_on oclc_wavefrontsize64_off oclc_isa_version_1030 oclc_abi_version_400; do
                libs+=(-Xclang -mlink-builtin-bitcode -Xclang $BITCODE/$lib.bc)
            done
        fi
        for hash in $HASHES; do
            read -r mode _ <<< "${MODE[$hash]}"
            hashcat_options $hash 1 0 VPERM VADD3 VBFE
            "${CL[@]}" "${OPTIONS[@]}" "${libs[@]}" -mcpu=$chip -S -o "$WORK/hashcat-$mode-$chip.s" "$(hashcat_kernel $mode)"
            for kernel in m${mode}_m04 m${mode}_s04; do
                "$TOOL" count "$WORK/hashcat-$mode-$chip.s" --function $kernel > "$WORK/hashcat-$chip-$kernel.txt"
                steps=${HASH_STEPS[$hash]}$([ $kernel = m${mode}_s04 ] && echo '*' || true)
                row "AMD $chip (clang-15)" "hashcat $kernel" "$steps" "$WORK/hashcat-$chip-$kernel.txt"
            done
        done
    done
    if [[ " $HASHES " == *" sha1 "* ]]; then
        if [ -n "$LUCKY" ]; then
            say "lucky-commit's SHA-1 kernel for gfx1030 (clang-15)"
            "${CL[@]}" --rocm-device-lib-path=$BITCODE -mcpu=gfx1030 -S -o "$WORK/lucky-sha1-gfx1030.s" \
                "$LUCKY/sha1_matcher.cl"
            # One candidate an invocation: the kernel from entry to end, its loop over further
            # blocks run no times (a commit whose padding block is its last, as lucky's bench).
            "$TOOL" count "$WORK/lucky-sha1-gfx1030.s" --function scatter_padding_and_find_match --no-loop \
                > "$WORK/lucky-sha1-gfx1030.txt"
            row "AMD gfx1030 (clang-15)" "lucky-commit sha1" 80 "$WORK/lucky-sha1-gfx1030.txt"
        else
            echo "no lucky-commit source in cargo's registry: cargo install lucky_commit --no-default-features" >&2
        fi
    fi
fi

if [ $NVIDIA = 1 ]; then
    say "NVIDIA sm_90 SASS: ptxas and cuobjdump from CUDA 11.8 (Debian non-free), unpacked under $WORK/cuda"
    command -v clang-15 > /dev/null || { echo "--nvidia needs clang-15 (apt-get install clang-15)" >&2; exit 1; }
    CUDA=$WORK/cuda
    if [ ! -x "$CUDA/usr/bin/ptxas" ]; then
        fetch "$(mirror) bookworm main non-free" nvidia-cuda-toolkit
        mkdir -p "$CUDA"
        dpkg-deb --fsys-tarfile "$WORK"/debs/nvidia-cuda-toolkit_*.deb \
            | tar -x -C "$CUDA" ./usr/bin/ptxas ./usr/bin/cuobjdump ./usr/bin/nvdisasm
    fi
    export PATH=$CUDA/usr/bin:$PATH
    # clang makes PTX for sm_80 (the newest clang-15 knows); ptxas compiles it for sm_90.
    CU=(clang-15 -x cuda --cuda-device-only --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -O3 -S)
    sass() { ptxas -arch=sm_90 -O3 -o "$1.cubin" "$1.ptx" && cuobjdump -sass "$1.cubin" > "$1.sass"; }
    for hash in $HASHES; do
        for layout in $(layouts $hash); do
            stem=$WORK/ghostsum-$hash-$layout
            python3 benches/gpu_isa/wgsl_to_cuda.py "$stem.wgsl" > "$stem.cu"
            "${CU[@]}" -include benches/gpu_isa/cuda_prelude.h -o "$stem-sm90.ptx" "$stem.cu"
            sass "$stem-sm90"
            "$TOOL" count "$stem-sm90.sass" --function search > "$stem-sm90.txt"
            row "NVIDIA sm_90 (ptxas 11.8, transliterated)" "ghostsum $hash $layout" "${STEPS[$hash-$layout]}" "$stem-sm90.txt"
        done
    done
    if [ -f $KERNEL ]; then
        # hashcat's CUDA path, compiled as nvrtc would (every function inlined), with just
        # enough of the CUDA headers (benches/gpu_isa/cuda_prelude.h).
        for hash in $HASHES; do
            read -r mode _ <<< "${MODE[$hash]}"
            hashcat_options $hash 32 900 ADD ADDC SUB SUBC BFE LOP3 MOV64 PRMT
            "${CU[@]}" -mllvm -inline-threshold=100000 -std=c++14 -include benches/gpu_isa/cuda_prelude.h \
                "${OPTIONS[@]}" -o "$WORK/hashcat-$mode-sm90.ptx" "$(hashcat_kernel $mode)"
            sass "$WORK/hashcat-$mode-sm90"
            for kernel in m${mode}_m04 m${mode}_s04; do
                "$TOOL" count "$WORK/hashcat-$mode-sm90.sass" --function $kernel > "$WORK/hashcat-sm90-$kernel.txt"
                steps=${HASH_STEPS[$hash]}$([ $kernel = m${mode}_s04 ] && echo '*' || true)
                row "NVIDIA sm_90 (ptxas 11.8)" "hashcat $kernel" "$steps" "$WORK/hashcat-sm90-$kernel.txt"
            done
        done
    fi
    if [ -n "$LUCKY" ] && [[ " $HASHES " == *" sha1 "* ]]; then
        # lucky-commit's OpenCL kernel through clang's nvptx target (the built-ins it calls
        # from benches/gpu_isa/opencl_nvptx_prelude.cl), every function inlined.
        clang-15 -x cl -cl-std=CL2.0 -target nvptx64-nvidia-nvcl -march=sm_80 -O3 -Xclang -finclude-default-header \
            -include benches/gpu_isa/opencl_nvptx_prelude.cl -mllvm -inline-threshold=100000 -S \
            -o "$WORK/lucky-sha1-sm90.ptx" "$LUCKY/sha1_matcher.cl"
        sass "$WORK/lucky-sha1-sm90"
        "$TOOL" count "$WORK/lucky-sha1-sm90.sass" --function scatter_padding_and_find_match --no-loop \
            > "$WORK/lucky-sha1-sm90.txt"
        row "NVIDIA sm_90 (ptxas 11.8)" "lucky-commit sha1" 80 "$WORK/lucky-sha1-sm90.txt"
    fi
fi

say "instructions per candidate (one pass of each kernel's hot loop)"
{
    echo "| target | kernel | steps | main instructions | all instructions | main per step |"
    echo "| --- | --- | --- | --- | --- | --- |"
    while IFS='|' read -r target kernel steps numbers; do
        main=$(grep -oE '(valu|alu)=[0-9]+' <<< "$numbers" | cut -d= -f2)
        total=$(grep -oE 'total=[0-9]+' <<< "$numbers" | cut -d= -f2)
        per=$(awk -v m="$main" -v s="${steps%\*}" 'BEGIN { printf "%.2f", m / s }')
        echo "| $target | $kernel | $steps | $main | $total | $per |"
    done < "$ROWS"
    echo
    echo "main: VALU on AMD, ALU (without uniform-datapath instructions) on NVIDIA. steps: the hash's"
    echo "steps per candidate (MD5 and SHA-256 64, SHA-1 80). *: hashcat's single-hash kernel (s04,"
    echo "what 'hashcat -b' measures) runs that many less the ones it skips by reversing the last"
    echo "steps from the one target, which a prefix search cannot. lucky-commit: its kernel from"
    echo "entry to end (one candidate an invocation, the padding block the commit's last)."
} | tee "$WORK/summary.txt"
