/* The OpenCL built-ins lucky-commit's kernel calls, for clang's nvptx target, which links no
 * OpenCL library: the instructions NVIDIA's OpenCL compiler (or libclc) gives them.
 * benches/gpu-isa.sh passes it with -include; opencl-c.h has declared them already. */
uint __attribute__((overloadable, always_inline)) rotate(uint x, uint n) { return __builtin_rotateleft32(x, n); }
uint __attribute__((overloadable, always_inline)) bitselect(uint a, uint b, uint c) { return (a & ~c) | (b & c); }
size_t __attribute__((overloadable, always_inline)) get_global_id(uint dimension) {
    /* Lucky-commit asks for dimension 0 only. */
    return (size_t)__nvvm_read_ptx_sreg_ctaid_x() * __nvvm_read_ptx_sreg_ntid_x() + __nvvm_read_ptx_sreg_tid_x();
}
uint __attribute__((overloadable, always_inline)) atomic_cmpxchg(volatile __global uint *p, uint cmp, uint val) {
    return __nvvm_atom_cas_gen_i((volatile int *)p, (int)cmp, (int)val);
}
