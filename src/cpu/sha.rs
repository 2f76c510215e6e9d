//! SHA-1's and SHA-256's steps on the lane types the MD5 kernel uses
//! ([`crate::cpu::lanes`]), and SHA-256's CPU hot loop: every inner value of a range of mid
//! values, `Lanes::WIDTH` candidates at a time, one compression each. (SHA-1's loop puts its
//! lanes over mid values instead: [`crate::cpu::sha1_by_mid`].)
//!
//! As for MD5 (see [`crate::cpu::kernel`]), per mid value the steps before the first inner
//! word run once in scalar code, and the message words the inner digits do not touch are
//! splatted constants; the compiler folds them into the steps and hoists what depends on
//! them alone out of the inner loop. Per candidate: the remaining steps and the 48 expanded
//! schedule words, then the final state word the prefix fixes first is tested, and the
//! caller re-checks every match in full.

use crate::cpu::kernel::{first_real_hit, KernelInput, MidOdometer};
use crate::cpu::lanes::{Lanes, Portable};
use crate::hash::{SHA1_K, SHA256_K};
use std::ops::Range;

/// The working variables (SHA-1 uses the first five).
#[derive(Clone, Copy)]
pub struct Vars<V>(pub(super) [V; 8]);

/// SHA-1 step `t` reading message word `w`.
#[inline(always)]
unsafe fn sha1_step<V: Lanes>(v: &mut Vars<V>, t: usize, w: V) {
    sha1_step_kw(v, t, V::splat(SHA1_K[t / 20]).add(w))
}

/// SHA-1 step `t` reading `kw`, its constant plus its message word.
#[inline(always)]
unsafe fn sha1_step_kw<V: Lanes>(v: &mut Vars<V>, t: usize, kw: V) {
    let [a, b, c, d, e, ..] = v.0;
    let f = match t / 20 {
        0 => V::f(b, c, d),
        2 => V::maj(b, c, d),
        _ => V::h(b, c, d),
    };
    let temp = a.rotl::<5>().add(f).add(e).add(kw);
    v.0[..5].copy_from_slice(&[temp, a, b.rotl::<30>(), c, d]);
}

/// SHA-256 step `t` reading message word `w`.
#[inline(always)]
unsafe fn sha256_step<V: Lanes>(v: &mut Vars<V>, t: usize, w: V) {
    sha256_step_kw(v, t, V::splat(SHA256_K[t]).add(w))
}

/// SHA-256 step `t` reading `kw`, its constant plus its message word.
#[inline(always)]
unsafe fn sha256_step_kw<V: Lanes>(v: &mut Vars<V>, _t: usize, kw: V) {
    let [a, b, c, d, e, f, g, h] = v.0;
    let big_sigma1 = V::h(e.rotl::<26>(), e.rotl::<21>(), e.rotl::<7>());
    let t1 = h.add(big_sigma1).add(V::f(e, f, g)).add(kw);
    let big_sigma0 = V::h(a.rotl::<30>(), a.rotl::<19>(), a.rotl::<10>());
    let t2 = big_sigma0.add(V::maj(a, b, c));
    v.0 = [t1.add(t2), a, b, c, d.add(t1), e, f, g];
}

/// SHA-1's schedule: word `t >= 16` from the 16 before it, in place (`w[t % 16]`).
#[inline(always)]
unsafe fn sha1_schedule<V: Lanes>(w: &mut [V; 16], t: usize) -> V {
    let x = w[(t - 3) % 16].xor(w[(t - 8) % 16]).xor(w[(t - 14) % 16]).xor(w[t % 16]).rotl::<1>();
    w[t % 16] = x;
    x
}

/// SHA-256's schedule: word `t >= 16` from the 16 before it, in place (`w[t % 16]`).
#[inline(always)]
unsafe fn sha256_schedule<V: Lanes>(w: &mut [V; 16], t: usize) -> V {
    let (w2, w15) = (w[(t - 2) % 16], w[(t - 15) % 16]);
    let sigma1 = V::h(w2.rotl::<15>(), w2.rotl::<13>(), w2.shr::<10>());
    let sigma0 = V::h(w15.rotl::<25>(), w15.rotl::<14>(), w15.shr::<3>());
    let x = sigma1.add(w[(t - 7) % 16]).add(sigma0).add(w[t % 16]);
    w[t % 16] = x;
    x
}

/// Which SHA a kernel runs: its steps and step count.
pub trait Sha {
    /// Steps in a compression: 80 or 64.
    const STEPS: usize;
    /// State words: 5 or 8.
    const WORDS: usize;
    /// Step `t`.
    ///
    /// # Safety
    /// The CPU must have `V`'s instruction set.
    unsafe fn step<V: Lanes>(v: &mut Vars<V>, t: usize, w: V);
    /// Step `t` reading its constant plus its message word (one add less).
    ///
    /// # Safety
    /// As for [`Sha::step`].
    unsafe fn step_kw<V: Lanes>(v: &mut Vars<V>, t: usize, kw: V);
    /// Schedule word `t >= 16` from the 16 before it, kept in place in `w[t % 16]`.
    ///
    /// # Safety
    /// As for [`Sha::step`].
    unsafe fn schedule<V: Lanes>(w: &mut [V; 16], t: usize) -> V;
}

/// SHA-1.
pub struct Sha1;
/// SHA-256.
pub struct Sha256;

impl Sha for Sha1 {
    const STEPS: usize = 80;
    const WORDS: usize = 5;
    #[inline(always)]
    unsafe fn step<V: Lanes>(v: &mut Vars<V>, t: usize, w: V) {
        sha1_step(v, t, w)
    }
    #[inline(always)]
    unsafe fn step_kw<V: Lanes>(v: &mut Vars<V>, t: usize, kw: V) {
        sha1_step_kw(v, t, kw)
    }
    #[inline(always)]
    unsafe fn schedule<V: Lanes>(w: &mut [V; 16], t: usize) -> V {
        sha1_schedule(w, t)
    }
}

impl Sha for Sha256 {
    const STEPS: usize = 64;
    const WORDS: usize = 8;
    #[inline(always)]
    unsafe fn step<V: Lanes>(v: &mut Vars<V>, t: usize, w: V) {
        sha256_step(v, t, w)
    }
    #[inline(always)]
    unsafe fn step_kw<V: Lanes>(v: &mut Vars<V>, t: usize, kw: V) {
        sha256_step_kw(v, t, kw)
    }
    #[inline(always)]
    unsafe fn schedule<V: Lanes>(w: &mut [V; 16], t: usize) -> V {
        sha256_schedule(w, t)
    }
}

/// The state after steps `0..first` of `words` from `midstate`: the steps before the first
/// inner word, run once per mid value, in one lane.
///
/// # Safety
/// None beyond the portable lanes' (plain integer code).
#[inline(always)]
pub(super) unsafe fn state_after<H: Sha>(midstate: &[u32; 8], words: &[u32; 16], first: usize) -> [u32; 8] {
    let mut shared = Vars::<Portable<1>>(midstate.map(|x| Portable([x])));
    for (t, &word) in words.iter().enumerate().take(first) {
        H::step(&mut shared, t, Portable([word]));
    }
    shared.0.map(|x| x.0[0])
}

/// The version of the kernel a layout whose inner words start at word `first` runs.
pub const fn first_word_bucket(first: usize) -> usize {
    first / 4 * 4
}

/// Where SHA-256's lane kernel may take the inner words to end (exclusive): 2 or 3 words past
/// the first inner word's [`first_word_bucket`], else anywhere (16). Words from there on are
/// the mid value's, constants the compiler knows as such: what of the schedule they alone
/// make is computed once per mid value (bench's 1000 bytes, inner words 4-5: 142.7 M/s
/// against 133.9 with the bound at 16; its `--fast-layout`, words 12-13: 153.9 against
/// 150.1).
pub const fn inner_end_bound(first: usize, count: usize) -> usize {
    let (bucket, end) = (first_word_bucket(first), first + count);
    if end <= bucket + 2 {
        bucket + 2
    } else if end <= bucket + 3 {
        bucket + 3
    } else {
        16
    }
}

/// SHA-256's kernel, specialised on `W`, the first inner word rounded down to a multiple of
/// 4 ([`first_word_bucket`]): steps before `W` run once per mid value; and on `E`, the
/// [`inner_end_bound`] of its inner words (11 versions per lane type). MD5's kernel is
/// specialised on the exact first word and word count (56 versions per lane type); a SHA
/// kernel is several times larger, and 56 versions of each about doubled the release build's
/// time, so these run up to 3 steps of 64 more per candidate (4% at most) where the layout
/// could not start its inner words on a multiple of 4.
///
/// # Safety
/// The CPU must have `V`'s instruction set (checked before a kernel is offered).
#[inline(always)]
pub(super) unsafe fn search_mids<V: Lanes, const W: usize, const E: usize>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    const { assert!(V::WIDTH <= 64) };
    let layout = input.layout;
    let (first_inner, inner_words) = (layout.first_inner_word, layout.inner_word_count);
    debug_assert_eq!(first_word_bucket(first_inner), W);
    debug_assert_eq!(inner_end_bound(first_inner, inner_words), E);
    let columns = &input.columns.columns;
    let count = input.columns.count as usize;
    let midstate = input.segment.midstate;
    let mut odometer = MidOdometer::new(layout, input.segment, mids.start);
    let mut tested = 0u64;
    for mid in mids.clone() {
        let words = odometer.words_for(mid);
        let start = Vars::<V>(state_after::<Sha256>(&midstate, &words, W).map(|x| V::splat(x)));
        let constant: [V; 16] = words.map(|x| V::splat(x));
        let mut chunk = 0;
        while chunk < count {
            let mut w = constant;
            // The inner words' bytes go where the constant words hold zeros: add is or.
            for (p, word) in w.iter_mut().enumerate().take(E).skip(W) {
                let j = p.wrapping_sub(first_inner);
                if j < inner_words {
                    *word = word.add(V::load(&columns[j][chunk..]));
                }
            }
            let mut v = start;
            // Unrolled, so that each step's round function and constant are known.
            macro_rules! run {
                ($($t:literal)*) => {$(
                    if $t >= W {
                        let x = if $t < 16 { w[$t % 16] } else { sha256_schedule(&mut w, $t) };
                        Sha256::step(&mut v, $t, x);
                    }
                )*};
            }
            run!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
                 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57
                 58 59 60 61 62 63);
            let out = v.0[input.match_word].add(V::splat(midstate[input.match_word]));
            let hits = out.match_mask(input.a_mask, input.a_value);
            if let Some(inner) = first_real_hit(hits, chunk, input.columns.count, mid, on_match) {
                return tested + inner as u64 + 1;
            }
            chunk += V::WIDTH;
        }
        tested += input.columns.count as u64;
    }
    tested
}

#[cfg(test)]
mod tests {
    use super::{first_word_bucket, inner_end_bound};
    use crate::address::Address;
    use crate::alphabet::Alphabet;
    use crate::cpu::kernel::{available_kernels, InnerColumns, KernelInput, KernelKind};
    use crate::hash::HashKind;
    use crate::input::Content;
    use crate::layout::Layout;

    /// Every kernel reports exactly the candidates whose compression, by RustCrypto's
    /// crates, has the target's bits, for contents that put the inner words anywhere.
    #[test]
    fn kernels_find_what_the_crates_find() {
        // SHA-256's versions by where the inner words may end: 2 or 3 words on, or anywhere.
        let mut ends = std::collections::BTreeSet::new();
        for hash in [HashKind::Sha1, HashKind::Sha256] {
            for (len, alphabet) in [0usize, 5, 30, 50, 64, 100, 119]
                .into_iter()
                .map(|len| (len, Alphabet::whitespace()))
                .chain([(0, Alphabet::space_tab()), (21, Alphabet::space_tab()), (0, Alphabet::space_tab_lf())])
            {
                let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                let mut content = Content::from_bytes(&bytes);
                content.set_address(Address { hash, git_object: None });
                content.fold_for_suffix(0).unwrap();
                let layout = Layout::plan(&content, &alphabet, 24, 8).unwrap();
                let (first, count) = (layout.first_inner_word, layout.inner_word_count);
                ends.insert(inner_end_bound(first, count).saturating_sub(first_word_bucket(first)).min(4));
                let segment = layout.segment(content.midstate, &content.tail, 1);
                let columns = InnerColumns::new(&layout);
                // The prefix's first fixed word: each lies elsewhere in SHA-NI's and ARM's registers.
                let words: &[usize] = if hash == HashKind::Sha1 { &[0, 1, 3, 4] } else { &[0, 1, 2, 4, 5, 7] };
                for &word in words {
                    let (mask, value) = (0xff00_0000u32 >> (8 * (word % 4)), 0x1200_0000 >> (8 * (word % 4)));
                    let mut expected = Vec::new();
                    for mid in 0..3u32 {
                        for inner in 0..layout.inner_count() {
                            let state = layout.candidate_state(&segment, mid, inner);
                            if state[word] & mask == value {
                                expected.push((mid, inner));
                            }
                        }
                    }
                    let kernels = available_kernels(&layout);
                    for instructions in [KernelKind::ShaNi, KernelKind::ArmSha] {
                        assert_eq!(kernels.iter().any(|k| k.0 == instructions), instructions.runs_here());
                    }
                    for (kind, kernel) in kernels {
                        let input = KernelInput {
                            layout: &layout,
                            segment: &segment,
                            columns: &columns,
                            match_word: word,
                            a_mask: mask,
                            a_value: value,
                        };
                        let mut found = Vec::new();
                        let tested = kernel(&input, 0..3, &mut |mid, inner| {
                            found.push((mid, inner));
                            false
                        });
                        assert_eq!(tested, 3 * layout.inner_count() as u64);
                        assert_eq!(found, expected, "{hash} {kind} len {len} {alphabet} word {word}");
                    }
                }
            }
        }
        assert_eq!(ends.into_iter().collect::<Vec<_>>(), [2, 3, 4], "not every version of SHA-256's kernel ran");
    }
}
