//! SHA-1 with its lanes over mid values instead of inner values: each lane one mid value,
//! and the loop over the inner values the same for every lane, so what the inner digits
//! contribute is one word per schedule word, shared by all lanes.
//!
//! SHA-1's schedule is linear: a candidate's schedule word is the mid value's (the block
//! with the inner digits' bytes zeroed, computed per lane once per group of mid values) xor
//! the inner value's (its bytes alone, a per-search table: [`InnerColumns::sha1_schedule`]).
//! Per candidate that is one xor with a broadcast word where the recurrence costs three
//! operations; the schedule's 16-word window leaves the registers.
//!
//! The loop over groups of mid values, and the order matches are handed over in, are
//! [`crate::cpu::mid_lanes`]'.

use crate::cpu::kernel::KernelInput;
use crate::cpu::lanes::Lanes;
use crate::cpu::sha::{Sha, Sha1, Vars};
use std::ops::Range;

/// The kernel, specialised on `W`, the first inner word rounded down to a multiple of 4
/// ([`crate::cpu::sha::first_word_bucket`]).
///
/// # Safety
/// The CPU must have `V`'s instruction set (checked before a kernel is offered).
#[inline(always)]
pub(super) unsafe fn search_mids<V: Lanes, const W: usize>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    let layout = input.layout;
    let count = input.columns.count as usize;
    let table = &input.columns.sha1_schedule;
    let (first_inner, inner_words) = (layout.first_inner_word, layout.inner_word_count);
    let midstate = input.segment.midstate;
    let mut groups = crate::cpu::mid_lanes::MidGroups::<V>::new(input, mids);
    while let Some(columns) = groups.next_group() {
        let mut c = [V::splat(0); 80];
        c[..16].copy_from_slice(&columns);
        for t in 16..80 {
            c[t] = c[t - 3].xor(c[t - 8]).xor(c[t - 14]).xor(c[t - 16]).rotl::<1>();
        }
        let mut start = Vars::<V>(midstate.map(|x| V::splat(x)));
        for (t, &word) in c.iter().enumerate().take(W) {
            Sha1::step(&mut start, t, word);
        }
        for (inner, (own, entry)) in table.iter().zip(&layout.inner_table).enumerate().take(count) {
            let mut v = start;
            // Unrolled, so that each step's function and constant are known.
            macro_rules! run {
                ($($t:literal)*) => {$(
                    if $t >= W {
                        let x = if $t >= 16 {
                            c[$t].xor(V::splat(own[$t - 16]))
                        } else {
                            let j = ($t as usize).wrapping_sub(first_inner);
                            if j < inner_words { c[$t].xor(V::splat(entry[j])) } else { c[$t] }
                        };
                        Sha1::step(&mut v, $t, x);
                    }
                )*};
            }
            run!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
                 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57
                 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
            // A constant index each: read by a variable one, the state would live in memory.
            let word = match input.match_word {
                0 => v.0[0],
                1 => v.0[1],
                2 => v.0[2],
                3 => v.0[3],
                _ => v.0[4],
            };
            let out = word.add(V::splat(midstate[input.match_word]));
            let lanes_hit = out.match_mask(input.a_mask, input.a_value);
            groups.hit(inner, lanes_hit);
        }
        if let Some(tested) = groups.finish_group(on_match) {
            return tested;
        }
    }
    groups.tested()
}
