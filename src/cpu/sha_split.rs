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
//! Candidates are visited inner value by inner value across the lanes, not in index order:
//! a group's matches are gathered and handed over in index order at its end, so the first
//! real hit is still the lowest.

use crate::cpu::kernel::{KernelInput, MidOdometer};
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
    const { assert!(V::WIDTH <= 64) };
    let layout = input.layout;
    let count = input.columns.count as usize;
    let table = &input.columns.split_schedule;
    debug_assert!(layout.is_split() && table.len() == count);
    let midstate = input.segment.midstate;
    let mut odometer = MidOdometer::new(layout, input.segment, mids.start);
    let mut matches: Vec<(u32, u32)> = Vec::new();
    let mut tested = 0u64;
    let mut mid = mids.start;
    while mid < mids.end {
        let lanes = ((mids.end - mid) as usize).min(V::WIDTH);
        // Each lane's block words (the last mid again in unused lanes), as columns.
        let mut rows = [[0u32; 16]; 64];
        for l in 0..V::WIDTH {
            rows[l] = if l < lanes { odometer.words_for(mid + l as u32) } else { rows[lanes - 1] };
        }
        let mut w = [V::splat(0); 16];
        let mut column = [0u32; 64];
        for (t, word) in w.iter_mut().enumerate() {
            for l in 0..V::WIDTH {
                column[l] = rows[l][t];
            }
            *word = V::load(&column);
        }
        // The block before the final one, each lane its own.
        let mut v = Vars::<V>(midstate.map(|x| V::splat(x)));
        for t in 0..H::STEPS {
            let x = if t < 16 { w[t] } else { H::schedule(&mut w, t) };
            H::step(&mut v, t, x);
        }
        let entry = Vars::<V>(std::array::from_fn(|j| v.0[j].add(V::splat(midstate[j]))));
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
            let out = tested_word!(v).add(base);
            let mut hits = out.match_mask(input.a_mask, input.a_value);
            while hits != 0 {
                let lane = hits.trailing_zeros();
                hits &= hits - 1;
                if (lane as usize) < lanes {
                    matches.push((mid + lane, inner as u32));
                }
            }
        }
        // Index order: mid first, then inner value.
        matches.sort_unstable();
        for &(m, inner) in &matches {
            if on_match(m, inner) {
                return tested + (m - mid) as u64 * count as u64 + inner as u64 + 1;
            }
        }
        matches.clear();
        tested += (lanes * count) as u64;
        mid += lanes as u32;
    }
    tested
}
