/* The few parts of the CUDA headers that ghostsum's transliterated kernel and hashcat's CUDA
 * path use, for clang -x cuda -nocudainc (no CUDA SDK here; only ptxas is unpacked).
 * benches/gpu-isa.sh passes it with -include. __CUDACC__ is what nvrtc defines and what
 * hashcat's inc_vendor.h looks for; force_cuda_host_device stands in for nvrtc's
 * --device-as-default-execution-space. */
#define __CUDACC__ 1
#include <__clang_cuda_builtin_vars.h>
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __constant__ __attribute__((constant))
#define __shared__ __attribute__((shared))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
typedef unsigned long size_t;
struct __attribute__((aligned(8))) uint2 { unsigned int x, y; };
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
#pragma clang force_cuda_host_device begin
static inline uint2 make_uint2(unsigned int x, unsigned int y) { uint2 v = {x, y}; return v; }
static inline unsigned int atomicAdd(unsigned int *p, unsigned int v) { return __nvvm_atom_add_gen_i((int *)p, (int)v); }
static inline unsigned int atomicSub(unsigned int *p, unsigned int v) { return __nvvm_atom_add_gen_i((int *)p, -(int)v); }
static inline unsigned int atomicOr(unsigned int *p, unsigned int v) { return __nvvm_atom_or_gen_i((int *)p, (int)v); }
static inline unsigned int atomicMin(unsigned int *p, unsigned int v) { return __nvvm_atom_min_gen_ui(p, v); }
/* Reached only by hashcat code the MD5 kernels never run. */
static inline float log2(float x) { return __nvvm_lg2_approx_f(x); }
/* No "end": every function of the file that follows is a device function too. */
