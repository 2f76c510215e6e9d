//! SIMD lane types for the CPU kernel: AVX-512, AVX2, SSE2, ARM's NEON and a portable
//! fallback, each with the handful of operations an MD5 step needs. [`Pair`] and [`Triple`]
//! put two or three independent lane groups in flight, so one group's dependency chain hides
//! another's latency.
//!
//! Methods are `unsafe` because the x86 ones need their CPU feature: callers check it at run
//! time ([`super::kernel::available_kernels`]) before entering a kernel compiled with it.

#[cfg(target_arch = "aarch64")]
use std::arch::aarch64::*;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

// Every method's safety condition is the one in the module documentation: the CPU feature.
#[allow(clippy::missing_safety_doc)]
/// A group of SIMD lanes of 32-bit words, with what an MD5 step needs.
pub trait Lanes: Copy {
    /// Candidates per value.
    const WIDTH: usize;
    /// Any three-input logic is one instruction (AVX-512's `vpternlogd`). Without it the
    /// kernel computes I by subtraction and shares half of H's work between steps.
    const TERNARY_LOGIC: bool = false;
    /// Every lane `x`.
    unsafe fn splat(x: u32) -> Self;
    /// Loads `WIDTH` consecutive words.
    unsafe fn load(words: &[u32]) -> Self;
    /// Lane-wise wrapping add.
    unsafe fn add(self, other: Self) -> Self;
    /// Lane-wise wrapping subtract.
    unsafe fn sub(self, other: Self) -> Self;
    /// Lane-wise xor.
    unsafe fn xor(self, other: Self) -> Self;
    /// Lane-wise rotate left by `R`.
    unsafe fn rotl<const R: u32>(self) -> Self;
    /// `(b & c) | (!b & d)`
    unsafe fn f(b: Self, c: Self, d: Self) -> Self;
    /// `(b & d) | (c & !d)`
    unsafe fn g(b: Self, c: Self, d: Self) -> Self;
    /// `b ^ c ^ d`
    unsafe fn h(b: Self, c: Self, d: Self) -> Self;
    /// `c ^ (b | !d)`
    unsafe fn i(b: Self, c: Self, d: Self) -> Self;
    /// `c ^ (!b & d)`, which is `!i(b, c, d)`: I without its NOT, which x86 has no single
    /// instruction for. `a + i = a - 1 - i_complement`, and the -1 goes into the step constant.
    unsafe fn i_complement(b: Self, c: Self, d: Self) -> Self;
    /// Bit `l` set when lane `l` satisfies `x & mask == value`.
    unsafe fn match_mask(self, mask: u32, value: u32) -> u64;
    /// Lane-wise logical shift right by `R` (SHA-256's message schedule).
    unsafe fn shr<const R: u32>(self) -> Self;
    /// SHA's majority `(x & y) | (x & z) | (y & z)`: where x and y differ, z decides, which
    /// is [`Lanes::f`] on `x ^ y` (two operations; one with three-input logic).
    #[inline(always)]
    unsafe fn maj(x: Self, y: Self, z: Self) -> Self {
        Self::f(x.xor(y), z, y)
    }
}

/// `N` portable lanes: a plain array, each operation a simple loop the compiler vectorises for
/// whatever the target has (SSE2, NEON, ...).
#[derive(Clone, Copy)]
pub struct Portable<const N: usize>(pub [u32; N]);

macro_rules! portable_lanewise {
    (|$($x:ident),+| $body:expr) => {{
        let mut out = [0u32; N];
        for l in 0..N {
            $(let $x = $x.0[l];)+
            out[l] = $body;
        }
        Portable(out)
    }};
}

impl<const N: usize> Lanes for Portable<N> {
    const WIDTH: usize = N;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Portable([x; N])
    }
    #[inline(always)]
    unsafe fn load(words: &[u32]) -> Self {
        Portable(words[..N].try_into().unwrap())
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        let a = self;
        portable_lanewise!(|a, o| a.wrapping_add(o))
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        let a = self;
        portable_lanewise!(|a, o| a.wrapping_sub(o))
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        let a = self;
        portable_lanewise!(|a, o| a ^ o)
    }
    #[inline(always)]
    unsafe fn rotl<const R: u32>(self) -> Self {
        let a = self;
        portable_lanewise!(|a| a.rotate_left(R))
    }
    #[inline(always)]
    unsafe fn f(b: Self, c: Self, d: Self) -> Self {
        portable_lanewise!(|b, c, d| d ^ (b & (c ^ d)))
    }
    #[inline(always)]
    unsafe fn g(b: Self, c: Self, d: Self) -> Self {
        portable_lanewise!(|b, c, d| c ^ (d & (b ^ c)))
    }
    #[inline(always)]
    unsafe fn h(b: Self, c: Self, d: Self) -> Self {
        portable_lanewise!(|b, c, d| b ^ c ^ d)
    }
    #[inline(always)]
    unsafe fn i(b: Self, c: Self, d: Self) -> Self {
        portable_lanewise!(|b, c, d| c ^ (b | !d))
    }
    #[inline(always)]
    unsafe fn i_complement(b: Self, c: Self, d: Self) -> Self {
        portable_lanewise!(|b, c, d| c ^ (!b & d))
    }
    #[inline(always)]
    unsafe fn shr<const R: u32>(self) -> Self {
        let a = self;
        portable_lanewise!(|a| a >> R)
    }
    #[inline(always)]
    unsafe fn match_mask(self, mask: u32, value: u32) -> u64 {
        let mut bits = 0u64;
        for (l, &x) in self.0.iter().enumerate() {
            bits |= ((x & mask == value) as u64) << l;
        }
        bits
    }
}

/// Implements [`Lanes`] for a tuple of independent lane groups, each operation applied to
/// every group in turn (field `$i` holds lanes `$i * V::WIDTH ..`). The compiler interleaves
/// the groups, so one group's dependency chain hides another's latency.
macro_rules! lane_groups {
    ($(#[$doc:meta])* $name:ident($($field:ident),+); $count:literal; $($i:tt)+) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<V>($($field),+);

        impl<V: Lanes> Lanes for $name<V> {
            const WIDTH: usize = $count * V::WIDTH;
            const TERNARY_LOGIC: bool = V::TERNARY_LOGIC;
            #[inline(always)]
            unsafe fn splat(x: u32) -> Self {
                let v = V::splat(x);
                $name($({ let _ = $i; v }),+)
            }
            #[inline(always)]
            unsafe fn load(words: &[u32]) -> Self {
                $name($(V::load(&words[$i * V::WIDTH..])),+)
            }
            #[inline(always)]
            unsafe fn add(self, o: Self) -> Self {
                $name($(self.$i.add(o.$i)),+)
            }
            #[inline(always)]
            unsafe fn sub(self, o: Self) -> Self {
                $name($(self.$i.sub(o.$i)),+)
            }
            #[inline(always)]
            unsafe fn xor(self, o: Self) -> Self {
                $name($(self.$i.xor(o.$i)),+)
            }
            #[inline(always)]
            unsafe fn rotl<const R: u32>(self) -> Self {
                $name($(self.$i.rotl::<R>()),+)
            }
            #[inline(always)]
            unsafe fn f(b: Self, c: Self, d: Self) -> Self {
                $name($(V::f(b.$i, c.$i, d.$i)),+)
            }
            #[inline(always)]
            unsafe fn g(b: Self, c: Self, d: Self) -> Self {
                $name($(V::g(b.$i, c.$i, d.$i)),+)
            }
            #[inline(always)]
            unsafe fn h(b: Self, c: Self, d: Self) -> Self {
                $name($(V::h(b.$i, c.$i, d.$i)),+)
            }
            #[inline(always)]
            unsafe fn i(b: Self, c: Self, d: Self) -> Self {
                $name($(V::i(b.$i, c.$i, d.$i)),+)
            }
            #[inline(always)]
            unsafe fn i_complement(b: Self, c: Self, d: Self) -> Self {
                $name($(V::i_complement(b.$i, c.$i, d.$i)),+)
            }
            #[inline(always)]
            unsafe fn match_mask(self, mask: u32, value: u32) -> u64 {
                0 $(| (self.$i.match_mask(mask, value) << ($i * V::WIDTH)))+
            }
            #[inline(always)]
            unsafe fn shr<const R: u32>(self) -> Self {
                $name($(self.$i.shr::<R>()),+)
            }
            #[inline(always)]
            unsafe fn maj(x: Self, y: Self, z: Self) -> Self {
                $name($(V::maj(x.$i, y.$i, z.$i)),+)
            }
        }
    };
}

lane_groups!(
    /// Two independent lane groups. The AVX-512 kernel nests two pairs (four groups): on the
    /// development machine that ran 10% faster than one pair, hiding the latency of each
    /// step's dependency chain (AVX2 takes a [`Triple`]).
    Pair(V, V); 2; 0 1
);
lane_groups!(
    /// Three independent lane groups: with AVX2's 16 registers, three groups' four state
    /// words leave four registers for temporaries, where four groups fill all sixteen and spill.
    Triple(V, V, V); 3; 0 1 2
);

/// 16 lanes of AVX-512: one-instruction rotates and three-input logic.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx512(__m512i);

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx512 {
    const WIDTH: usize = 16;
    const TERNARY_LOGIC: bool = true;
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn splat(x: u32) -> Self {
        Avx512(_mm512_set1_epi32(x as i32))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn load(words: &[u32]) -> Self {
        assert!(words.len() >= 16);
        Avx512(_mm512_loadu_si512(words.as_ptr().cast()))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn add(self, o: Self) -> Self {
        Avx512(_mm512_add_epi32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn sub(self, o: Self) -> Self {
        Avx512(_mm512_sub_epi32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn xor(self, o: Self) -> Self {
        Avx512(_mm512_xor_si512(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn rotl<const R: u32>(self) -> Self {
        Avx512(_mm512_rolv_epi32(self.0, _mm512_set1_epi32(R as i32)))
    }
    // Truth tables for vpternlogd, inputs (b, c, d) as bits (4, 2, 1) of the index.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn f(b: Self, c: Self, d: Self) -> Self {
        Avx512(_mm512_ternarylogic_epi32::<0xca>(b.0, c.0, d.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn g(b: Self, c: Self, d: Self) -> Self {
        Avx512(_mm512_ternarylogic_epi32::<0xe4>(b.0, c.0, d.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn h(b: Self, c: Self, d: Self) -> Self {
        Avx512(_mm512_ternarylogic_epi32::<0x96>(b.0, c.0, d.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn i(b: Self, c: Self, d: Self) -> Self {
        Avx512(_mm512_ternarylogic_epi32::<0x39>(b.0, c.0, d.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn i_complement(b: Self, c: Self, d: Self) -> Self {
        Avx512(_mm512_ternarylogic_epi32::<0xc6>(b.0, c.0, d.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn shr<const R: u32>(self) -> Self {
        Avx512(_mm512_srlv_epi32(self.0, _mm512_set1_epi32(R as i32)))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn maj(x: Self, y: Self, z: Self) -> Self {
        Avx512(_mm512_ternarylogic_epi32::<0xe8>(x.0, y.0, z.0))
    }
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn match_mask(self, mask: u32, value: u32) -> u64 {
        let masked = _mm512_and_si512(self.0, _mm512_set1_epi32(mask as i32));
        _mm512_cmpeq_epi32_mask(masked, _mm512_set1_epi32(value as i32)) as u64
    }
}

/// 8 lanes of AVX2: rotates as two shifts and an or.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx2(__m256i);

#[cfg(target_arch = "x86_64")]
impl Lanes for Avx2 {
    const WIDTH: usize = 8;
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn splat(x: u32) -> Self {
        Avx2(_mm256_set1_epi32(x as i32))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load(words: &[u32]) -> Self {
        assert!(words.len() >= 8);
        Avx2(_mm256_loadu_si256(words.as_ptr().cast()))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn add(self, o: Self) -> Self {
        Avx2(_mm256_add_epi32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn sub(self, o: Self) -> Self {
        Avx2(_mm256_sub_epi32(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn xor(self, o: Self) -> Self {
        Avx2(_mm256_xor_si256(self.0, o.0))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn rotl<const R: u32>(self) -> Self {
        let left = _mm256_sllv_epi32(self.0, _mm256_set1_epi32(R as i32));
        let right = _mm256_srlv_epi32(self.0, _mm256_set1_epi32(32 - R as i32));
        Avx2(_mm256_or_si256(left, right))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn f(b: Self, c: Self, d: Self) -> Self {
        Avx2(_mm256_xor_si256(d.0, _mm256_and_si256(b.0, _mm256_xor_si256(c.0, d.0))))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn g(b: Self, c: Self, d: Self) -> Self {
        Avx2(_mm256_xor_si256(c.0, _mm256_and_si256(d.0, _mm256_xor_si256(b.0, c.0))))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn h(b: Self, c: Self, d: Self) -> Self {
        Avx2(_mm256_xor_si256(b.0, _mm256_xor_si256(c.0, d.0)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn i(b: Self, c: Self, d: Self) -> Self {
        let not_d = _mm256_xor_si256(d.0, _mm256_set1_epi32(-1));
        Avx2(_mm256_xor_si256(c.0, _mm256_or_si256(b.0, not_d)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn i_complement(b: Self, c: Self, d: Self) -> Self {
        // vpandn computes !b & d in one instruction.
        Avx2(_mm256_xor_si256(c.0, _mm256_andnot_si256(b.0, d.0)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn shr<const R: u32>(self) -> Self {
        Avx2(_mm256_srlv_epi32(self.0, _mm256_set1_epi32(R as i32)))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn match_mask(self, mask: u32, value: u32) -> u64 {
        let masked = _mm256_and_si256(self.0, _mm256_set1_epi32(mask as i32));
        let eq = _mm256_cmpeq_epi32(masked, _mm256_set1_epi32(value as i32));
        _mm256_movemask_ps(_mm256_castsi256_ps(eq)) as u32 as u64
    }
}

/// 4 lanes of SSE2, which every x86-64 CPU has: the portable kernel set on x86. Written out
/// rather than left to [`Portable`]: the compiler vectorised the portable lanes for MD5 and
/// SHA-1 but ran SHA-256's kernel in scalar registers (8.4 M/s on 2 threads of a Zen 4
/// against 34.1 with these; BENCHMARKS.md, "SSE2"). Rotates are two shifts and an or, by a
/// count in a register, which the compiler turns into immediate shifts.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Sse2(__m128i);

#[cfg(target_arch = "x86_64")]
impl Lanes for Sse2 {
    const WIDTH: usize = 4;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Sse2(_mm_set1_epi32(x as i32))
    }
    #[inline(always)]
    unsafe fn load(words: &[u32]) -> Self {
        assert!(words.len() >= 4);
        Sse2(_mm_loadu_si128(words.as_ptr().cast()))
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        Sse2(_mm_add_epi32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        Sse2(_mm_sub_epi32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        Sse2(_mm_xor_si128(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn rotl<const R: u32>(self) -> Self {
        let left = _mm_sll_epi32(self.0, _mm_cvtsi32_si128(R as i32));
        let right = _mm_srl_epi32(self.0, _mm_cvtsi32_si128(32 - R as i32));
        Sse2(_mm_or_si128(left, right))
    }
    #[inline(always)]
    unsafe fn f(b: Self, c: Self, d: Self) -> Self {
        Sse2(_mm_xor_si128(d.0, _mm_and_si128(b.0, _mm_xor_si128(c.0, d.0))))
    }
    #[inline(always)]
    unsafe fn g(b: Self, c: Self, d: Self) -> Self {
        Sse2(_mm_xor_si128(c.0, _mm_and_si128(d.0, _mm_xor_si128(b.0, c.0))))
    }
    #[inline(always)]
    unsafe fn h(b: Self, c: Self, d: Self) -> Self {
        Sse2(_mm_xor_si128(b.0, _mm_xor_si128(c.0, d.0)))
    }
    #[inline(always)]
    unsafe fn i(b: Self, c: Self, d: Self) -> Self {
        let not_d = _mm_xor_si128(d.0, _mm_set1_epi32(-1));
        Sse2(_mm_xor_si128(c.0, _mm_or_si128(b.0, not_d)))
    }
    #[inline(always)]
    unsafe fn i_complement(b: Self, c: Self, d: Self) -> Self {
        // pandn computes !b & d in one instruction.
        Sse2(_mm_xor_si128(c.0, _mm_andnot_si128(b.0, d.0)))
    }
    #[inline(always)]
    unsafe fn shr<const R: u32>(self) -> Self {
        Sse2(_mm_srl_epi32(self.0, _mm_cvtsi32_si128(R as i32)))
    }
    #[inline(always)]
    unsafe fn match_mask(self, mask: u32, value: u32) -> u64 {
        let masked = _mm_and_si128(self.0, _mm_set1_epi32(mask as i32));
        let eq = _mm_cmpeq_epi32(masked, _mm_set1_epi32(value as i32));
        _mm_movemask_ps(_mm_castsi128_ps(eq)) as u32 as u64
    }
}

/// 4 lanes of 64-bit ARM's NEON (every aarch64 CPU has it). Rotates are a shift and a
/// shift-right-accumulate, F and G one bit-select (`bsl`). Written out rather than left to
/// [`Portable`]: the compiler vectorised the portable lanes for MD5 and SHA-1 but not for
/// SHA-256's kernel, which ran in scalar registers (llvm-mca: BENCHMARKS.md, "ARM").
#[cfg(target_arch = "aarch64")]
#[derive(Clone, Copy)]
pub struct Neon(uint32x4_t);

#[cfg(target_arch = "aarch64")]
impl Lanes for Neon {
    const WIDTH: usize = 4;
    #[inline(always)]
    unsafe fn splat(x: u32) -> Self {
        Neon(vdupq_n_u32(x))
    }
    #[inline(always)]
    unsafe fn load(words: &[u32]) -> Self {
        assert!(words.len() >= 4);
        Neon(vld1q_u32(words.as_ptr()))
    }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self {
        Neon(vaddq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self {
        Neon(vsubq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn xor(self, o: Self) -> Self {
        Neon(veorq_u32(self.0, o.0))
    }
    #[inline(always)]
    unsafe fn rotl<const R: u32>(self) -> Self {
        // Shifts by a splatted count (negative: right), which the compiler turns into
        // immediate shifts; `vshlq_n_u32::<R>` would need R as an i32 const argument.
        let left = vshlq_u32(self.0, vdupq_n_s32(R as i32));
        let right = vshlq_u32(self.0, vdupq_n_s32(R as i32 - 32));
        Neon(vorrq_u32(left, right))
    }
    #[inline(always)]
    unsafe fn f(b: Self, c: Self, d: Self) -> Self {
        Neon(vbslq_u32(b.0, c.0, d.0))
    }
    #[inline(always)]
    unsafe fn g(b: Self, c: Self, d: Self) -> Self {
        Neon(vbslq_u32(d.0, b.0, c.0))
    }
    #[inline(always)]
    unsafe fn h(b: Self, c: Self, d: Self) -> Self {
        Neon(veorq_u32(b.0, veorq_u32(c.0, d.0)))
    }
    #[inline(always)]
    unsafe fn i(b: Self, c: Self, d: Self) -> Self {
        // orn: b | !d in one instruction.
        Neon(veorq_u32(c.0, vornq_u32(b.0, d.0)))
    }
    #[inline(always)]
    unsafe fn i_complement(b: Self, c: Self, d: Self) -> Self {
        // bic: d & !b in one instruction.
        Neon(veorq_u32(c.0, vbicq_u32(d.0, b.0)))
    }
    #[inline(always)]
    unsafe fn shr<const R: u32>(self) -> Self {
        Neon(vshlq_u32(self.0, vdupq_n_s32(-(R as i32))))
    }
    #[inline(always)]
    unsafe fn match_mask(self, mask: u32, value: u32) -> u64 {
        let eq = vceqq_u32(vandq_u32(self.0, vdupq_n_u32(mask)), vdupq_n_u32(value));
        // Lane l's all-ones word keeps bit l; the sum across lanes is the mask.
        let bits = vandq_u32(eq, vld1q_u32([1, 2, 4, 8].as_ptr()));
        vaddvq_u32(bits) as u64
    }
}
