//! SHA-1 and SHA-256 on ARMv8's SHA instructions (`sha1c/p/m` four SHA-1 steps, `sha1h` the
//! next E, `sha256h/h2` four SHA-256 steps, `sha1su0/1` and `sha256su0/1` the schedule, four
//! words at a time), on one block per register. The loop around them is
//! [`crate::cpu::sha_blocks`]'s, shared with x86's SHA-NI. Unlike x86's, ARM's instructions
//! keep word 0 of the state and of the message in the lowest lane for both hashes, and take
//! SHA-1's E as a scalar beside the ABCD register.

use crate::cpu::sha_blocks::{Message, ShaInstructions, BLOCKS};
use crate::hash::{SHA1_K, SHA256_K};
use std::arch::aarch64::*;

/// ARMv8's SHA1 and SHA256 instructions (Rust's `sha2` target feature holds both).
pub(super) struct ArmSha;

/// The four lanes of `r`, lowest first.
#[inline(always)]
unsafe fn lanes(r: uint32x4_t) -> [u32; 4] {
    std::mem::transmute(r)
}

/// SHA-1's four steps of group `g` on `abcd` and `e` with `wk`, the constant plus the words.
#[inline]
#[target_feature(enable = "sha2")]
unsafe fn sha1_four(abcd: &mut uint32x4_t, e: &mut u32, wk: uint32x4_t, g: usize) {
    // E after these four steps is A before them, rotated: sha1h.
    let next_e = vsha1h_u32(vgetq_lane_u32::<0>(*abcd));
    *abcd = match g / 5 {
        0 => vsha1cq_u32(*abcd, *e, wk),
        2 => vsha1mq_u32(*abcd, *e, wk),
        _ => vsha1pq_u32(*abcd, *e, wk),
    };
    *e = next_e;
}

impl ShaInstructions for ArmSha {
    type Reg = uint32x4_t;

    #[inline(always)]
    unsafe fn pack(w: &[u32; 16], g: usize, _sha1: bool) -> uint32x4_t {
        vld1q_u32(w[4 * g..].as_ptr())
    }

    #[inline(always)]
    unsafe fn add(a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        vaddq_u32(a, b)
    }

    // Its own target feature, not `inline(always)` as x86's: ARM's SHA intrinsics are
    // `inline(always)` themselves, which Rust allows only in a function with their feature.
    // Inlined all the same into the kernels, which have it.
    #[inline]
    #[target_feature(enable = "sha2")]
    unsafe fn sha1_blocks<const W: usize>(
        start: &[u32; 8],
        messages: &mut [Message<Self::Reg>; BLOCKS],
        midstate: &[u32; 8],
        word: usize,
    ) -> [u32; BLOCKS] {
        let abcd0 = vld1q_u32(start.as_ptr());
        let mut abcd = [abcd0; BLOCKS];
        let mut e = [start[4]; BLOCKS];
        macro_rules! group {
            ($($g:literal)*) => {$(
                if 4 * $g >= W {
                    let k = vdupq_n_u32(SHA1_K[$g / 5]);
                    for (i, m) in messages.iter_mut().enumerate() {
                        if $g >= 4 {
                            // x[g] from the four groups before it: W[t-16] ^ W[t-14] ^ W[t-8]
                            // (su0), then ^ W[t-3] and the rotation (su1).
                            let x = vsha1su0q_u32(m[$g % 4], m[($g + 1) % 4], m[($g + 2) % 4]);
                            m[$g % 4] = vsha1su1q_u32(x, m[($g + 3) % 4]);
                        }
                        sha1_four(&mut abcd[i], &mut e[i], vaddq_u32(m[$g % 4], k), $g);
                    }
                }
            )*};
        }
        group!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
        std::array::from_fn(|i| if word == 4 { e[i] } else { lanes(abcd[i])[word] }.wrapping_add(midstate[word]))
    }

    #[inline]
    #[target_feature(enable = "sha2")]
    unsafe fn sha256_blocks<const W: usize>(
        start: &[u32; 8],
        messages: &mut [Message<Self::Reg>; BLOCKS],
        midstate: &[u32; 8],
        word: usize,
    ) -> [u32; BLOCKS] {
        let mut abcd = [vld1q_u32(start.as_ptr()); BLOCKS];
        let mut efgh = [vld1q_u32(start[4..].as_ptr()); BLOCKS];
        macro_rules! group {
            ($($g:literal)*) => {$(
                if 4 * $g >= W {
                    let k = vld1q_u32(SHA256_K[4 * $g..].as_ptr());
                    for (i, m) in messages.iter_mut().enumerate() {
                        if $g >= 4 {
                            let x = vsha256su0q_u32(m[$g % 4], m[($g + 1) % 4]);
                            m[$g % 4] = vsha256su1q_u32(x, m[($g + 2) % 4], m[($g + 3) % 4]);
                        }
                        let wk = vaddq_u32(m[$g % 4], k);
                        let before = abcd[i];
                        abcd[i] = vsha256hq_u32(abcd[i], efgh[i], wk);
                        efgh[i] = vsha256h2q_u32(efgh[i], before, wk);
                    }
                }
            )*};
        }
        group!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        std::array::from_fn(|i| {
            let half = if word < 4 { abcd[i] } else { efgh[i] };
            lanes(half)[word % 4].wrapping_add(midstate[word])
        })
    }

    #[inline]
    #[target_feature(enable = "sha2")]
    unsafe fn sha1_rows(entry: &[u32; 8], rows: &[&[u32; 80]; BLOCKS], word: usize) -> [u32; BLOCKS] {
        let mut abcd = [vld1q_u32(entry.as_ptr()); BLOCKS];
        let mut e = [entry[4]; BLOCKS];
        macro_rules! group {
            ($($g:literal)*) => {$(
                for (i, row) in rows.iter().enumerate() {
                    // ARM's rounds take the constant plus the word, as the row holds them.
                    sha1_four(&mut abcd[i], &mut e[i], vld1q_u32(row[4 * $g..].as_ptr()), $g);
                }
            )*};
        }
        group!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
        std::array::from_fn(|i| if word == 4 { e[i] } else { lanes(abcd[i])[word] }.wrapping_add(entry[word]))
    }

    #[inline]
    #[target_feature(enable = "sha2")]
    unsafe fn sha256_rows(entry: &[u32; 8], rows: &[&[u32; 80]; BLOCKS], word: usize) -> [u32; BLOCKS] {
        let mut abcd = [vld1q_u32(entry.as_ptr()); BLOCKS];
        let mut efgh = [vld1q_u32(entry[4..].as_ptr()); BLOCKS];
        for g in 0..16 {
            for (i, row) in rows.iter().enumerate() {
                let wk = vld1q_u32(row[4 * g..].as_ptr());
                let before = abcd[i];
                abcd[i] = vsha256hq_u32(abcd[i], efgh[i], wk);
                efgh[i] = vsha256h2q_u32(efgh[i], before, wk);
            }
        }
        std::array::from_fn(|i| {
            let half = if word < 4 { abcd[i] } else { efgh[i] };
            lanes(half)[word % 4].wrapping_add(entry[word])
        })
    }
}

crate::cpu::sha_blocks::entry_points!(ArmSha, "sha2");
