//! SHA-1 and SHA-256 on x86's SHA extensions (SHA-NI): `sha1rnds4` runs four SHA-1 steps,
//! `sha256rnds2` two SHA-256 steps, and `sha1msg1/2`, `sha256msg1/2` the schedule, four
//! words at a time, on one block per register. The loop around them is
//! [`crate::cpu::sha_blocks`]'s, shared with ARM's SHA instructions.

#![cfg(target_arch = "x86_64")]

use crate::cpu::sha_blocks::{Message, ShaInstructions, BLOCKS};
use crate::hash::SHA256_K;
use std::arch::x86_64::*;

/// x86's SHA extensions, with SSE4.1.
pub(super) struct ShaNi;

/// Each block's final SHA-1 state word `word` plus `initial` (the feed-forward), from its
/// ABCD after the last group and before it. A macro, written out in each kernel: a function
/// without the kernel's target features kept its SHA-NI call out of line (SHA-1 137 to 98
/// M/s), and one with them could not be inlined into the trait's methods, which have none.
macro_rules! sha1_words {
    ($abcd:expr, $previous:expr, $word:expr, $initial:expr) => {{
        let mut out = [0u32; BLOCKS];
        for i in 0..BLOCKS {
            // E is the rotated A of the state before the last group: sha1nexte with a zero
            // message gives exactly that.
            let lanes: [u32; 4] = std::mem::transmute(if $word == 4 {
                _mm_sha1nexte_epu32($previous[i], _mm_setzero_si128())
            } else {
                $abcd[i]
            });
            out[i] = if $word == 4 { lanes[3] } else { lanes[3 - $word] }.wrapping_add($initial);
        }
        out
    }};
}

impl ShaInstructions for ShaNi {
    type Reg = __m128i;

    /// SHA-1 wants word `4g` in the highest lane, SHA-256 in the lowest.
    #[inline(always)]
    unsafe fn pack(w: &[u32; 16], g: usize, sha1: bool) -> __m128i {
        let [a, b, c, d] = [w[4 * g], w[4 * g + 1], w[4 * g + 2], w[4 * g + 3]].map(|x| x as i32);
        if sha1 {
            _mm_set_epi32(a, b, c, d)
        } else {
            _mm_set_epi32(d, c, b, a)
        }
    }

    #[inline(always)]
    unsafe fn add(a: __m128i, b: __m128i) -> __m128i {
        _mm_add_epi32(a, b)
    }

    #[inline(always)]
    unsafe fn sha1_blocks<const W: usize>(
        start: &[u32; 8],
        messages: &mut [Message<Self::Reg>; BLOCKS],
        midstate: &[u32; 8],
        word: usize,
    ) -> [u32; BLOCKS] {
        let abcd0 = _mm_set_epi32(start[0] as i32, start[1] as i32, start[2] as i32, start[3] as i32);
        let e0 = _mm_set_epi32(start[4] as i32, 0, 0, 0);
        let mut abcd = [abcd0; BLOCKS];
        let mut previous = [abcd0; BLOCKS];
        macro_rules! group {
            ($g:literal, $func:literal) => {
                if 4 * $g >= W {
                    for (i, m) in messages.iter_mut().enumerate() {
                        if $g >= 4 {
                            // x[g] from the four groups before it: W[t-16] ^ W[t-14] (msg1),
                            // ^ W[t-8], then ^ W[t-3] and the rotation (msg2).
                            let x = _mm_sha1msg1_epu32(m[$g % 4], m[($g + 1) % 4]);
                            m[$g % 4] = _mm_sha1msg2_epu32(_mm_xor_si128(x, m[($g + 2) % 4]), m[($g + 3) % 4]);
                        }
                        let e = if 4 * $g == W {
                            _mm_add_epi32(e0, m[$g % 4])
                        } else {
                            _mm_sha1nexte_epu32(previous[i], m[$g % 4])
                        };
                        previous[i] = abcd[i];
                        abcd[i] = _mm_sha1rnds4_epu32(abcd[i], e, $func);
                    }
                }
            };
        }
        group!(0, 0);
        group!(1, 0);
        group!(2, 0);
        group!(3, 0);
        group!(4, 0);
        group!(5, 1);
        group!(6, 1);
        group!(7, 1);
        group!(8, 1);
        group!(9, 1);
        group!(10, 2);
        group!(11, 2);
        group!(12, 2);
        group!(13, 2);
        group!(14, 2);
        group!(15, 3);
        group!(16, 3);
        group!(17, 3);
        group!(18, 3);
        group!(19, 3);
        sha1_words!(abcd, previous, word, midstate[word])
    }

    #[inline(always)]
    unsafe fn sha256_blocks<const W: usize>(
        start: &[u32; 8],
        messages: &mut [Message<Self::Reg>; BLOCKS],
        midstate: &[u32; 8],
        word: usize,
    ) -> [u32; BLOCKS] {
        let s = start.map(|x| x as i32);
        // The state as the instructions hold it: A B E F and C D G H, A and C in the highest lane.
        let abef0 = _mm_set_epi32(s[0], s[1], s[4], s[5]);
        let cdgh0 = _mm_set_epi32(s[2], s[3], s[6], s[7]);
        let (mut abef, mut cdgh) = ([abef0; BLOCKS], [cdgh0; BLOCKS]);
        macro_rules! group {
            ($($g:literal)*) => {$(
                if 4 * $g >= W {
                    let k = _mm_loadu_si128(SHA256_K[4 * $g..].as_ptr() as *const __m128i);
                    for (i, m) in messages.iter_mut().enumerate() {
                        if $g >= 4 {
                            let x = _mm_sha256msg1_epu32(m[$g % 4], m[($g + 1) % 4]);
                            let x = _mm_add_epi32(x, _mm_alignr_epi8(m[($g + 3) % 4], m[($g + 2) % 4], 4));
                            m[$g % 4] = _mm_sha256msg2_epu32(x, m[($g + 3) % 4]);
                        }
                        let wk = _mm_add_epi32(m[$g % 4], k);
                        cdgh[i] = _mm_sha256rnds2_epu32(cdgh[i], abef[i], wk);
                        abef[i] = _mm_sha256rnds2_epu32(abef[i], cdgh[i], _mm_shuffle_epi32(wk, 0x0e));
                    }
                }
            )*};
        }
        group!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        // Where each state word lies: register (0: A B E F, 1: C D G H) and lane.
        const AT: [(usize, usize); 8] = [(0, 3), (0, 2), (1, 3), (1, 2), (0, 1), (0, 0), (1, 1), (1, 0)];
        let (register, lane) = AT[word];
        let mut out = [0u32; BLOCKS];
        for i in 0..BLOCKS {
            let lanes: [u32; 4] = std::mem::transmute(if register == 0 { abef[i] } else { cdgh[i] });
            out[i] = lanes[lane].wrapping_add(midstate[word]);
        }
        out
    }

    #[inline(always)]
    unsafe fn sha1_rows(entry: &[u32; 8], rows: &[&[u32; 80]; BLOCKS], word: usize) -> [u32; BLOCKS] {
        let abcd0 = _mm_set_epi32(entry[0] as i32, entry[1] as i32, entry[2] as i32, entry[3] as i32);
        let e0 = _mm_set_epi32(entry[4] as i32, 0, 0, 0);
        let (mut abcd, mut previous) = ([abcd0; BLOCKS], [abcd0; BLOCKS]);
        macro_rules! group {
            ($($g:literal $func:literal),*) => {$(
                // sha1rnds4 adds the constant itself, and wants word 4g in the highest lane.
                let k = _mm_set1_epi32(crate::hash::SHA1_K[$g / 5] as i32);
                for (i, row) in rows.iter().enumerate() {
                    let kw = _mm_loadu_si128(row[4 * $g..].as_ptr() as *const __m128i);
                    let w = _mm_shuffle_epi32(_mm_sub_epi32(kw, k), 0x1b);
                    let e = if $g == 0 { _mm_add_epi32(e0, w) } else { _mm_sha1nexte_epu32(previous[i], w) };
                    previous[i] = abcd[i];
                    abcd[i] = _mm_sha1rnds4_epu32(abcd[i], e, $func);
                }
            )*};
        }
        group!(0 0, 1 0, 2 0, 3 0, 4 0, 5 1, 6 1, 7 1, 8 1, 9 1, 10 2, 11 2, 12 2, 13 2, 14 2, 15 3, 16 3, 17 3, 18 3, 19 3);
        sha1_words!(abcd, previous, word, entry[word])
    }

    #[inline(always)]
    unsafe fn sha256_rows(entry: &[u32; 8], rows: &[&[u32; 80]; BLOCKS], word: usize) -> [u32; BLOCKS] {
        let s = entry.map(|x| x as i32);
        let (mut abef, mut cdgh) =
            ([_mm_set_epi32(s[0], s[1], s[4], s[5]); BLOCKS], [_mm_set_epi32(s[2], s[3], s[6], s[7]); BLOCKS]);
        for g in 0..16 {
            for (i, row) in rows.iter().enumerate() {
                // The row holds K + W in step order: word 4g in the lowest lane, as wanted.
                let wk = _mm_loadu_si128(row[4 * g..].as_ptr() as *const __m128i);
                cdgh[i] = _mm_sha256rnds2_epu32(cdgh[i], abef[i], wk);
                abef[i] = _mm_sha256rnds2_epu32(abef[i], cdgh[i], _mm_shuffle_epi32(wk, 0x0e));
            }
        }
        const AT: [(usize, usize); 8] = [(0, 3), (0, 2), (1, 3), (1, 2), (0, 1), (0, 0), (1, 1), (1, 0)];
        let (register, lane) = AT[word];
        std::array::from_fn(|i| {
            let lanes: [u32; 4] = std::mem::transmute(if register == 0 { abef[i] } else { cdgh[i] });
            lanes[lane].wrapping_add(entry[word])
        })
    }
}

crate::cpu::sha_blocks::entry_points!(ShaNi, "sha,sse4.1");
