//! The hot loop of the kernels on a CPU's own SHA instructions (x86's SHA-NI:
//! [`crate::cpu::sha_ni`]; ARMv8's SHA1 and SHA2 instructions: [`crate::cpu::sha_arm`]).
//! Both run one block per 128-bit register, four message words a register, so one loop serves
//! both; what differs (the lane order each wants, the round and schedule instructions) is the
//! [`ShaInstructions`] an architecture implements.
//!
//! One block at a time a step waits on the one before (a round instruction takes several
//! cycles to give its result), so [`BLOCKS`] candidates run interleaved, each its own
//! registers. As in the lane kernels ([`crate::cpu::sha`]), the steps before the first inner
//! word run once per mid value ([`super::sha::first_word_bucket`] rounds that word down to a
//! multiple of 4, which is where a group of four steps begins), and every match is re-checked
//! in full by the caller. A split layout's kernel ([`search_split`]) runs no schedule: its
//! rounds read each step's constant plus word from the search's table.

use crate::cpu::kernel::{first_real_hit, KernelInput, MidOdometer};
use crate::cpu::sha::{state_after, Sha};
use std::ops::Range;

/// Candidates in flight: enough independent chains to cover the round instructions' latency.
/// 4 on ARM, whose 32 registers 8 blocks' 48 overflow (llvm-mca's ARM models gave the same
/// cycles a candidate with 4x fewer stack accesses; BENCHMARKS.md, "ARM").
pub(super) const BLOCKS: usize = if cfg!(target_arch = "aarch64") { 4 } else { 8 };

/// One block's message, four words a register, in the order the instructions want them.
pub(super) type Message<R> = [R; 4];

/// A CPU's SHA instructions on 128-bit registers `Reg`.
pub(super) trait ShaInstructions {
    /// A 128-bit register of four message or state words.
    type Reg: Copy;

    /// Words `4g..4g + 4` of `w` as SHA-1's (`sha1`) or SHA-256's rounds want them.
    ///
    /// # Safety
    /// The CPU must have the instructions.
    unsafe fn pack(w: &[u32; 16], g: usize, sha1: bool) -> Self::Reg;

    /// Lane-wise wrapping add.
    ///
    /// # Safety
    /// The CPU must have the instructions.
    unsafe fn add(a: Self::Reg, b: Self::Reg) -> Self::Reg;

    /// SHA-1's steps `W..80` (`W` a multiple of 4) on [`BLOCKS`] messages from the state
    /// `start` (the state after steps `0..W`), and each block's final state word `word` with
    /// the initial state `midstate` added back (the compression's feed-forward).
    ///
    /// # Safety
    /// The CPU must have the instructions.
    unsafe fn sha1_blocks<const W: usize>(
        start: &[u32; 8],
        messages: &mut [Message<Self::Reg>; BLOCKS],
        midstate: &[u32; 8],
        word: usize,
    ) -> [u32; BLOCKS];

    /// SHA-256's steps `W..64`, as [`sha1_blocks`](Self::sha1_blocks).
    ///
    /// # Safety
    /// The CPU must have the instructions.
    unsafe fn sha256_blocks<const W: usize>(
        start: &[u32; 8],
        messages: &mut [Message<Self::Reg>; BLOCKS],
        midstate: &[u32; 8],
        word: usize,
    ) -> [u32; BLOCKS];

    /// A split layout's final block: SHA-1's 80 steps on [`BLOCKS`] rows of each step's
    /// constant plus schedule word ([`crate::layout::Layout::final_schedules`]), all from the
    /// state `entry`, and each block's final state word `word` with `entry` added back.
    ///
    /// # Safety
    /// The CPU must have the instructions.
    unsafe fn sha1_rows(entry: &[u32; 8], rows: &[&[u32; 80]; BLOCKS], word: usize) -> [u32; BLOCKS];

    /// SHA-256's 64 steps, as [`sha1_rows`](Self::sha1_rows).
    ///
    /// # Safety
    /// The CPU must have the instructions.
    unsafe fn sha256_rows(entry: &[u32; 8], rows: &[&[u32; 80]; BLOCKS], word: usize) -> [u32; BLOCKS];
}

/// The kernel for hash `H` (SHA-1 or SHA-256) on the instructions `I`, whose inner words start
/// at word `W` rounded down to a multiple of 4, as [`crate::cpu::sha::search_mids`] is for
/// lanes.
///
/// # Safety
/// The CPU must have `I`'s instructions (checked before the kernel is offered).
#[inline(always)]
pub(super) unsafe fn search_mids<I: ShaInstructions, H: Sha, const W: usize>(
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
    let packed_inner: Vec<[I::Reg; 2]> = (0..count + BLOCKS)
        .map(|v| {
            let mut w = [0u32; 16];
            for (j, column) in columns.iter().enumerate().take(inner_words) {
                w[first_inner + j] = column[v];
            }
            [low, high].map(|g| I::pack(&w, g, sha1))
        })
        .collect();
    let mut odometer = MidOdometer::new(layout, input.segment, mids.start);
    let mut tested = 0u64;
    for mid in mids.clone() {
        let words = odometer.words_for(mid);
        let start = state_after::<H>(&midstate, &words, W);
        let base: Message<I::Reg> = std::array::from_fn(|g| I::pack(&words, g, sha1));
        let mut chunk = 0;
        while chunk < count {
            let mut messages = [base; BLOCKS];
            for (i, message) in messages.iter_mut().enumerate() {
                // The inner words' bytes go where the mid words hold zeros: add is or.
                let inner = &packed_inner[chunk + i];
                message[low] = I::add(message[low], inner[0]);
                if high != low {
                    message[high] = I::add(message[high], inner[1]);
                }
            }
            let out = if sha1 {
                I::sha1_blocks::<W>(&start, &mut messages, &midstate, input.match_word)
            } else {
                I::sha256_blocks::<W>(&start, &mut messages, &midstate, input.match_word)
            };
            let hits = matching_blocks(&out, input);
            if let Some(inner) = first_real_hit(hits, chunk, input.columns.count, mid, on_match) {
                return tested + inner as u64 + 1;
            }
            chunk += BLOCKS;
        }
        tested += input.columns.count as u64;
    }
    tested
}

/// Bit `i` set for each block `i` whose tested word has the target's bits.
#[inline(always)]
fn matching_blocks(out: &[u32; BLOCKS], input: &KernelInput) -> u64 {
    out.iter().enumerate().filter(|(_, &x)| x & input.a_mask == input.a_value).fold(0, |bits, (i, _)| bits | 1 << i)
}

/// The kernel for a split layout ([`crate::cpu::sha_split`] is the lanes' one): per mid value
/// the block before the final one (RustCrypto's compression, once per mid value), then
/// [`BLOCKS`] inner values at a time through their table rows, no schedule run.
///
/// # Safety
/// The CPU must have `I`'s instructions (checked before the kernel is offered).
#[inline(always)]
pub(super) unsafe fn search_split<I: ShaInstructions, H: Sha>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    let layout = input.layout;
    let table = &input.columns.split_schedule;
    let count = input.columns.count;
    debug_assert!(layout.is_split() && table.len() == count as usize);
    let mut odometer = MidOdometer::new(layout, input.segment, mids.start);
    let mut tested = 0u64;
    for mid in mids.clone() {
        let mut entry = input.segment.midstate;
        layout.hash.compress_words(&mut entry, &odometer.words_for(mid));
        let mut chunk = 0;
        while chunk < count as usize {
            // Past the last inner value, the last again (its hits are not reported).
            let rows: [&[u32; 80]; BLOCKS] = std::array::from_fn(|i| &table[(chunk + i).min(count as usize - 1)]);
            let out = if H::STEPS == 80 {
                I::sha1_rows(&entry, &rows, input.match_word)
            } else {
                I::sha256_rows(&entry, &rows, input.match_word)
            };
            let hits = matching_blocks(&out, input);
            if let Some(inner) = first_real_hit(hits, chunk, count, mid, on_match) {
                return tested + inner as u64 + 1;
            }
            chunk += BLOCKS;
        }
        tested += count as u64;
    }
    tested
}

/// The kernels' entry points on the instructions `$unit` (target features `$features`,
/// checked before a kernel is offered): `sha1_at::<W>` and `sha256_at::<W>`, one version per
/// first inner word's bucket (see [`super::sha::first_word_bucket`]).
macro_rules! entry_points {
    ($unit:ty, $features:literal) => {
        /// The SHA-1 kernel's versions, by first inner word.
        ///
        /// # Safety
        #[doc = concat!("The CPU must have the target features `", $features, "`.")]
        #[target_feature(enable = $features)]
        pub(in crate::cpu) unsafe fn sha1_at<const W: usize>(
            input: &crate::cpu::kernel::KernelInput,
            mids: std::ops::Range<u32>,
            on_match: &mut dyn FnMut(u32, u32) -> bool,
        ) -> u64 {
            crate::cpu::sha_blocks::search_mids::<$unit, crate::cpu::sha::Sha1, W>(input, mids, on_match)
        }

        /// The SHA-256 kernel's versions, by first inner word.
        ///
        /// # Safety
        #[doc = concat!("The CPU must have the target features `", $features, "`.")]
        #[target_feature(enable = $features)]
        pub(in crate::cpu) unsafe fn sha256_at<const W: usize>(
            input: &crate::cpu::kernel::KernelInput,
            mids: std::ops::Range<u32>,
            on_match: &mut dyn FnMut(u32, u32) -> bool,
        ) -> u64 {
            crate::cpu::sha_blocks::search_mids::<$unit, crate::cpu::sha::Sha256, W>(input, mids, on_match)
        }

        /// The SHA-1 kernel for a split layout.
        ///
        /// # Safety
        #[doc = concat!("The CPU must have the target features `", $features, "`.")]
        #[target_feature(enable = $features)]
        pub(in crate::cpu) unsafe fn sha1_split(
            input: &crate::cpu::kernel::KernelInput,
            mids: std::ops::Range<u32>,
            on_match: &mut dyn FnMut(u32, u32) -> bool,
        ) -> u64 {
            crate::cpu::sha_blocks::search_split::<$unit, crate::cpu::sha::Sha1>(input, mids, on_match)
        }

        /// The SHA-256 kernel for a split layout.
        ///
        /// # Safety
        #[doc = concat!("The CPU must have the target features `", $features, "`.")]
        #[target_feature(enable = $features)]
        pub(in crate::cpu) unsafe fn sha256_split(
            input: &crate::cpu::kernel::KernelInput,
            mids: std::ops::Range<u32>,
            on_match: &mut dyn FnMut(u32, u32) -> bool,
        ) -> u64 {
            crate::cpu::sha_blocks::search_split::<$unit, crate::cpu::sha::Sha256>(input, mids, on_match)
        }
    };
}
pub(super) use entry_points;
