//! SHA-1's and SHA-256's kernel for a split layout ([`crate::layout::Layout::final_block_words`]):
//! the mid digits end the block before the final one, and the final block differs from
//! candidate to candidate only by its inner value, whatever the mid value.
//!
//! So the lanes run over mid values, each with its own state after the block before
//! (computed in lanes once per group of mid values, its own schedule and all), and the loop
//! over the inner values reads each step's constant plus message word from a per-search
//! table ([`crate::layout::Layout::final_schedules`]), one word a step shared by every lane: per
//! candidate, a compression's steps with one add fewer each and no schedule at all. SHA-256's
//! 48 schedule words cost about as much as 25 of its steps (BENCHMARKS.md).
//!
//! The loop over groups of mid values, and the order matches are handed over in, are
//! [`crate::cpu::mid_lanes`]'.

use crate::cpu::kernel::KernelInput;
use crate::cpu::lanes::Lanes;
use crate::cpu::sha::{Sha, Vars};
use std::ops::Range;

/// The kernel for hash `H` on lanes `V`.
///
/// # Safety
/// The CPU must have `V`'s instruction set (checked before a kernel is offered).
#[inline(always)]
pub(super) unsafe fn search_mids<V: Lanes, H: Sha>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    let table = &input.columns.split_schedule;
    debug_assert!(input.layout.is_split() && table.len() == input.columns.count as usize);
    let midstate = input.segment.midstate;
    let mut groups = crate::cpu::mid_lanes::MidGroups::<V>::new(input, mids);
    while let Some(columns) = groups.next_group() {
        // The block before the final one, each lane its own.
        let mut w = columns;
        let mut v = Vars::<V>(midstate.map(|x| V::splat(x)));
        for t in 0..H::STEPS {
            let x = if t < 16 { w[t] } else { H::schedule(&mut w, t) };
            H::step(&mut v, t, x);
        }
        let mut entry = v;
        for (word, &initial) in entry.0.iter_mut().zip(&midstate) {
            *word = word.add(V::splat(initial));
        }
        // A constant index each: read by a variable one, the state would live in memory.
        macro_rules! tested_word {
            ($vars:expr) => {
                match input.match_word {
                    0 => $vars.0[0],
                    1 => $vars.0[1],
                    2 => $vars.0[2],
                    3 => $vars.0[3],
                    4 => $vars.0[4],
                    5 => $vars.0[5],
                    6 => $vars.0[6],
                    _ => $vars.0[7],
                }
            };
        }
        let base = tested_word!(entry);
        for (inner, kw) in table.iter().enumerate() {
            let mut v = entry;
            // Unrolled, so that each step's function is known.
            macro_rules! run {
                ($($t:literal)*) => {$(
                    if $t < H::STEPS {
                        H::step_kw(&mut v, $t, V::splat(kw[$t]));
                    }
                )*};
            }
            run!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29
                 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57
                 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
            let lanes_hit = tested_word!(v).add(base).match_mask(input.a_mask, input.a_value);
            groups.hit(inner, lanes_hit);
        }
        if let Some(tested) = groups.finish_group(on_match) {
            return tested;
        }
    }
    groups.tested()
}
