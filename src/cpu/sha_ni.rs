//! SHA-1 and SHA-256 on x86's SHA extensions (SHA-NI): `sha1rnds4` runs four SHA-1 steps,
//! `sha256rnds2` two SHA-256 steps, and `sha1msg1/2`, `sha256msg1/2` the schedule, four
//! words at a time, on one block per register.
//!
//! One block at a time a step waits on the one before (`sha1rnds4` takes several cycles to
//! give its result), so [`BLOCKS`] candidates run interleaved, each its own registers. As in
//! the lane kernels ([`crate::cpu::sha`]), the steps before the first inner word run once
//! per mid value ([`super::sha::first_word_bucket`] rounds that word down to a multiple of
//! 4, which is where a group of four steps begins), and every match is re-checked in full
//! by the caller.

#![cfg(target_arch = "x86_64")]

use crate::cpu::kernel::{first_real_hit, KernelInput, MidOdometer};
use crate::cpu::sha::{state_after, Sha, Sha1, Sha256};
use crate::hash::SHA256_K;
use std::arch::x86_64::*;
use std::ops::Range;

/// Candidates in flight: enough independent chains to cover the round instructions' latency.
pub const BLOCKS: usize = 8;

/// One block's message, four words a register: SHA-1 wants word `4g` in the highest lane,
/// SHA-256 in the lowest.
type Message = [__m128i; 4];

/// Packs words `4g..4g + 4` of `w` as SHA-1 (`sha1`) or SHA-256 wants them.
#[inline(always)]
unsafe fn pack(w: &[u32; 16], g: usize, sha1: bool) -> __m128i {
    let [a, b, c, d] = [w[4 * g], w[4 * g + 1], w[4 * g + 2], w[4 * g + 3]].map(|x| x as i32);
    if sha1 {
        _mm_set_epi32(a, b, c, d)
    } else {
        _mm_set_epi32(d, c, b, a)
    }
}

/// SHA-1's steps `W..80` (`W` a multiple of 4) on [`BLOCKS`] messages from the state `start`
/// (the state after steps `0..W`), and each block's final word `word` (with the initial state
/// `midstate` added back, as the compression's feed-forward does).
#[inline(always)]
unsafe fn sha1_blocks<const W: usize>(
    start: &[u32; 8],
    messages: &mut [Message; BLOCKS],
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
    let mut out = [0u32; BLOCKS];
    for i in 0..BLOCKS {
        // E is the rotated A of the state before the last group: sha1nexte with a zero
        // message gives exactly that.
        let lanes: [u32; 4] = std::mem::transmute(if word == 4 {
            _mm_sha1nexte_epu32(previous[i], _mm_setzero_si128())
        } else {
            abcd[i]
        });
        out[i] = if word == 4 { lanes[3] } else { lanes[3 - word] }.wrapping_add(midstate[word]);
    }
    out
}

/// SHA-256's steps `W..64` on [`BLOCKS`] messages, as [`sha1_blocks`].
#[inline(always)]
unsafe fn sha256_blocks<const W: usize>(
    start: &[u32; 8],
    messages: &mut [Message; BLOCKS],
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

/// The kernel for hash `H` (SHA-1 or SHA-256) whose inner words start at word `W` rounded
/// down to a multiple of 4, as [`crate::cpu::sha::search_mids`] is for lanes.
///
/// # Safety
/// The CPU must have SHA-NI and SSE4.1 (checked before the kernel is offered).
#[inline(always)]
pub(super) unsafe fn search_mids<H: Sha, const W: usize>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    let sha1 = H::STEPS == 80;
    let layout = input.layout;
    let (first_inner, inner_words) = (layout.first_inner_word, layout.inner_word_count);
    let columns = &input.columns.columns;
    let count = input.columns.count as usize;
    let midstate = input.segment.midstate;
    // Each inner value's words, packed into the (at most two) registers they fall in: per
    // candidate then one add a register onto the mid value's packed message.
    let (low, high) = (first_inner / 4, (first_inner + inner_words - 1) / 4);
    let packed_inner: Vec<[__m128i; 2]> = (0..count + BLOCKS)
        .map(|v| {
            let mut w = [0u32; 16];
            for (j, column) in columns.iter().enumerate().take(inner_words) {
                w[first_inner + j] = column[v];
            }
            [low, high].map(|g| pack(&w, g, sha1))
        })
        .collect();
    let mut odometer = MidOdometer::new(layout, input.segment, mids.start);
    let mut tested = 0u64;
    for mid in mids.clone() {
        let words = odometer.words_for(mid);
        let start = state_after::<H>(&midstate, &words, W);
        let base: Message = std::array::from_fn(|g| pack(&words, g, sha1));
        let mut chunk = 0;
        while chunk < count {
            let mut messages = [base; BLOCKS];
            for (i, message) in messages.iter_mut().enumerate() {
                // The inner words' bytes go where the mid words hold zeros: add is or.
                let inner = &packed_inner[chunk + i];
                message[low] = _mm_add_epi32(message[low], inner[0]);
                if high != low {
                    message[high] = _mm_add_epi32(message[high], inner[1]);
                }
            }
            let out = if sha1 {
                sha1_blocks::<W>(&start, &mut messages, &midstate, input.match_word)
            } else {
                sha256_blocks::<W>(&start, &mut messages, &midstate, input.match_word)
            };
            let hits = out
                .iter()
                .enumerate()
                .filter(|(_, &x)| x & input.a_mask == input.a_value)
                .fold(0u64, |bits, (i, _)| bits | 1 << i);
            if let Some(inner) = first_real_hit(hits, chunk, input.columns.count, mid, on_match) {
                return tested + inner as u64 + 1;
            }
            chunk += BLOCKS;
        }
        tested += input.columns.count as u64;
    }
    tested
}

/// The SHA-1 kernel's versions, by first inner word (see [`super::sha::first_word_bucket`]).
///
/// # Safety
/// The CPU must have SHA-NI and SSE4.1.
#[target_feature(enable = "sha,sse4.1")]
pub(super) unsafe fn sha1_at<const W: usize>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    search_mids::<Sha1, W>(input, mids, on_match)
}

/// The SHA-256 kernel's versions, by first inner word.
///
/// # Safety
/// The CPU must have SHA-NI and SSE4.1.
#[target_feature(enable = "sha,sse4.1")]
pub(super) unsafe fn sha256_at<const W: usize>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    search_mids::<Sha256, W>(input, mids, on_match)
}
