// How many 512-bit integer operations this x86 CPU completes a cycle, per kind: the
// throughput model benches/kernel_mca.py --zmm-rates applies to the AVX-512 kernels' hot
// loops (no llvm-mca model has AMD's Zen 4, the CPU they were tuned on).
//
//   clang -O2 -mavx512f -mavx512vl benches/vector_throughput.c -o /tmp/vector_throughput
//   /tmp/vector_throughput
//
// Each row runs 12 independent chains of the operation (enough to hide its latency) and
// prints operations per core cycle. Core cycles come from a chain of dependent scalar adds
// (one cycle each) timed with the same time-stamp counter, since the TSC ticks at a fixed
// rate that is not the core's clock.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <x86intrin.h>

#define CHAINS 12
#define ITERATIONS 2000000L

static uint64_t ticks(void) {
    unsigned aux;
    return __rdtscp(&aux);
}

static double cycles_per_tick;

// Keeps the compiler from folding or dropping the chains.
#define OPAQUE(v)                                                                             \
    __asm__ volatile("" : "+v"(v[0]), "+v"(v[1]), "+v"(v[2]), "+v"(v[3]), "+v"(v[4]),         \
                     "+v"(v[5]), "+v"(v[6]), "+v"(v[7]), "+v"(v[8]), "+v"(v[9]), "+v"(v[10]), \
                     "+v"(v[11]))

#define ROW(name, ops, step)                                                                  \
    do {                                                                                      \
        __m512i v[CHAINS];                                                                    \
        for (int i = 0; i < CHAINS; i++) v[i] = _mm512_set1_epi32(i * 7 + 1);                 \
        __m512i k1 = _mm512_set1_epi32(0x5a827999), k2 = _mm512_set1_epi32(0x12345678);       \
        uint64_t start = ticks();                                                             \
        for (long n = 0; n < ITERATIONS; n++) {                                               \
            for (int i = 0; i < CHAINS; i++) v[i] = step;                                     \
            OPAQUE(v);                                                                        \
        }                                                                                     \
        double elapsed = (double)(ticks() - start) * cycles_per_tick;                         \
        printf("%-34s %.2f per cycle\n", name, (double)ITERATIONS * CHAINS * (ops) / elapsed); \
    } while (0)

int main(void) {
    uint64_t x = 1, start = ticks();
    for (long n = 0; n < 100000000L; n++) {
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
    }
    cycles_per_tick = 4e8 / (double)(ticks() - start);
    printf("core cycles per TSC tick: %.3f\n", cycles_per_tick);
    ROW("vpaddd", 1, _mm512_add_epi32(v[i], k1));
    ROW("vpternlogd", 1, _mm512_ternarylogic_epi32(v[i], k1, k2, 0x96));
    ROW("vprold", 1, _mm512_rol_epi32(v[i], 5));
    ROW("vpsrld", 1, _mm512_srli_epi32(v[i], 3));
    ROW("vprold then vpaddd", 2, _mm512_add_epi32(_mm512_rol_epi32(v[i], 5), k1));
    ROW("vpaddd then vpternlogd", 2, _mm512_ternarylogic_epi32(_mm512_add_epi32(v[i], k2), k1, k2, 0x96));
    ROW("vprold, vpaddd, vprold, vpternlogd", 4,
        _mm512_ternarylogic_epi32(_mm512_rol_epi32(_mm512_add_epi32(_mm512_rol_epi32(v[i], 5), k2), 3), k1, k2, 0x96));
    return (int)(x & 0);
}
