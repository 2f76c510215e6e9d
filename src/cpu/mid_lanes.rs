//! The loop shared by the kernels whose lanes run over mid values (SHA-1's
//! [`crate::cpu::sha1_by_mid`] and the split layouts' [`crate::cpu::sha_split`]): each lane one
//! mid value, and the loop over the inner values the same for every lane.
//!
//! Candidates are visited inner value by inner value across the lanes, not in index order:
//! a group's matches are gathered and handed over in index order at its end, so the first
//! real hit is still the lowest, and the count of candidates tested ends at it.
//!
//! A kernel drives it as `while let Some(columns) = groups.next_group() { ...;
//! groups.finish_group(on_match) }`, its own loop in its own function: a closure would not
//! take the kernel's target features, and its lane operations would each become a call
//! (measured: 7.5 M/s for SHA-1 on AVX-512 against 320).

use crate::cpu::kernel::{KernelInput, MidOdometer};
use crate::cpu::lanes::Lanes;
use std::marker::PhantomData;
use std::ops::Range;

/// Groups of `V::WIDTH` mid values of a range, and the matches of the one being searched.
pub(super) struct MidGroups<'a, V> {
    odometer: MidOdometer<'a>,
    mids: Range<u32>,
    /// Mid values in the current group (the last mid again in the unused lanes).
    lanes: usize,
    count: u64,
    tested: u64,
    /// (inner value, lanes that matched) of the current group.
    hits: Vec<(u32, u64)>,
    matches: Vec<(u32, u32)>,
    lane_type: PhantomData<V>,
}

impl<'a, V: Lanes> MidGroups<'a, V> {
    /// The groups of `mids`.
    #[inline(always)]
    pub(super) fn new(input: &'a KernelInput, mids: Range<u32>) -> Self {
        const { assert!(V::WIDTH <= 64) };
        MidGroups {
            odometer: MidOdometer::new(input.layout, input.segment, mids.start),
            mids,
            lanes: 0,
            count: input.columns.count as u64,
            tested: 0,
            hits: Vec::new(),
            matches: Vec::new(),
            lane_type: PhantomData,
        }
    }

    /// The next group's block words as columns (word `t` of lane `l` in lane `l` of entry
    /// `t`), or None after the last.
    ///
    /// # Safety
    /// The CPU must have `V`'s instruction set.
    #[inline(always)]
    pub(super) unsafe fn next_group(&mut self) -> Option<[V; 16]> {
        let mid = self.mids.start;
        if mid >= self.mids.end {
            return None;
        }
        self.lanes = ((self.mids.end - mid) as usize).min(V::WIDTH);
        let mut rows = [[0u32; 16]; 64];
        for l in 0..V::WIDTH {
            rows[l] = if l < self.lanes { self.odometer.words_for(mid + l as u32) } else { rows[self.lanes - 1] };
        }
        // Loops, not closures: a closure would not take the caller's target features.
        let (mut column, mut columns) = ([0u32; 64], [V::splat(0); 16]);
        for (t, word) in columns.iter_mut().enumerate() {
            for l in 0..V::WIDTH {
                column[l] = rows[l][t];
            }
            *word = V::load(&column);
        }
        Some(columns)
    }

    /// Notes that the lanes in `lanes_hit` matched at inner value `inner`.
    #[inline(always)]
    pub(super) fn hit(&mut self, inner: usize, lanes_hit: u64) {
        if lanes_hit != 0 {
            self.hits.push((inner as u32, lanes_hit));
        }
    }

    /// Hands the group's matches over in index order, and moves on to the next group: the
    /// candidates tested when `on_match` took one as real (then the search stops).
    #[inline(always)]
    pub(super) fn finish_group(&mut self, on_match: &mut dyn FnMut(u32, u32) -> bool) -> Option<u64> {
        let mid = self.mids.start;
        for &(inner, mut lanes_hit) in &self.hits {
            while lanes_hit != 0 {
                let lane = lanes_hit.trailing_zeros();
                lanes_hit &= lanes_hit - 1;
                if (lane as usize) < self.lanes {
                    self.matches.push((mid + lane, inner));
                }
            }
        }
        self.hits.clear();
        // Index order: mid first, then inner value.
        self.matches.sort_unstable();
        for &(m, inner) in &self.matches {
            if on_match(m, inner) {
                return Some(self.tested + (m - mid) as u64 * self.count + inner as u64 + 1);
            }
        }
        self.matches.clear();
        self.tested += self.lanes as u64 * self.count;
        self.mids.start += self.lanes as u32;
        None
    }

    /// Candidates tested so far.
    pub(super) fn tested(&self) -> u64 {
        self.tested
    }
}
