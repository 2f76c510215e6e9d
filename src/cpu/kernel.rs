//! The CPU hot loop: every inner value of a range of mid values, `Lanes::WIDTH` candidates
//! at a time, one partial MD5 compression each.
//!
//! Per mid value (amortised over the inner table, 3125 candidates for whitespace): the mid
//! digits are advanced like an odometer, steps before the first inner word `W` run once in
//! scalar code, and every constant message word is folded into its step constant.
//! Per candidate: steps `W..=60` only (49 to 61 of them, see Layout::steps_per_candidate),
//! each 5 operations on AVX-512: an add of the folded constant, the round function (one
//! vpternlogd), an add, a rotate and an add; plus one add in the steps that read an inner word.

use crate::cpu::lanes::Lanes;
use crate::hash::HashKind;
use crate::layout::{Layout, Segment, MAX_INNER_WORDS};
use crate::steps::{self, message_index, StepState, LAST_STEP_UPDATING_A, S};
use std::ops::Range;

/// What a kernel needs besides the mid range: prepared once per search and segment.
pub struct KernelInput<'a> {
    /// The search's layout.
    pub layout: &'a Layout,
    /// The segment the mid values belong to.
    pub segment: &'a Segment,
    /// The inner table, as columns.
    pub columns: &'a InnerColumns,
    /// The final state word the kernel tests: the first word the prefix fixes (MD5's A,
    /// after step 60, unless the prefix starts with eight `_`).
    pub match_word: usize,
    /// The target's bits in that word.
    pub a_mask: u32,
    /// The target's value in those bits.
    pub a_value: u32,
}

impl<'a> KernelInput<'a> {
    /// The input for one segment of `job`, with its prefix's bits in state word A.
    pub fn new(job: &crate::device::work::Job<'a>, columns: &'a InnerColumns) -> Self {
        let masks = &job.prefix.word_masks;
        let match_word = job.prefix.first_fixed_word();
        KernelInput {
            layout: job.layout,
            segment: job.segment,
            columns,
            match_word,
            a_mask: masks[match_word],
            a_value: job.prefix.word_values[match_word],
        }
    }
}

/// The inner table transposed, one column per inner word, padded by 64 values (repeats of
/// the last) so that a lane group of any width up to 64 loads whole vectors past the end.
pub struct InnerColumns {
    /// One column per inner word.
    pub columns: Vec<Vec<u32>>,
    /// Inner values (before padding).
    pub count: u32,
    /// SHA-1 only: per inner value, what its bytes alone give schedule words 16..80 (the
    /// schedule is linear: a candidate's word is the mid value's xor this). Empty otherwise.
    pub sha1_schedule: Vec<[u32; 64]>,
    /// A split layout only: [`Layout::final_schedules`] ([`crate::cpu::sha_split`]). Empty
    /// otherwise.
    pub split_schedule: Vec<[u32; 80]>,
}

impl InnerColumns {
    /// The columns of `layout`'s inner table.
    pub fn new(layout: &Layout) -> Self {
        let count = layout.inner_count();
        let padded = count as usize + 64;
        let columns = (0..layout.inner_word_count)
            .map(|j| (0..padded).map(|v| layout.inner_table[v.min(count as usize - 1)][j]).collect())
            .collect();
        let sha1_schedule = match layout.hash {
            HashKind::Sha1 if !layout.is_split() => sha1_inner_schedules(layout),
            _ => Vec::new(),
        };
        let split_schedule = layout.final_schedules();
        InnerColumns { columns, count, sha1_schedule, split_schedule }
    }
}

/// What each inner value's bytes alone give SHA-1's schedule words 16..80. Built a digit at
/// a time, since the schedule is linear and digits' bytes do not overlap: the entry of a
/// value is that of the value without its highest digit xor what that digit's symbol adds,
/// one xor a word (a search builds it again, so it must cost less than a short page).
fn sha1_inner_schedules(layout: &Layout) -> Vec<[u32; 64]> {
    let schedule_of = |entry: &[u32; MAX_INNER_WORDS]| {
        let mut block = [0u32; 16];
        for (j, &word) in entry.iter().enumerate().take(layout.inner_word_count) {
            block[layout.first_inner_word + j] = word;
        }
        let tail: [u32; 64] = HashKind::Sha1.schedule(&block)[16..].try_into().unwrap();
        tail
    };
    let (count, radix) = (layout.inner_count() as usize, layout.alphabet.radix() as usize);
    let mut schedules = Vec::with_capacity(count);
    schedules.push(schedule_of(&layout.inner_table[0]));
    let mut place = 1;
    while place < count {
        for digit in 1..radix {
            let mut delta = schedule_of(&layout.inner_table[digit * place]);
            for (d, base) in delta.iter_mut().zip(&schedules[0]) {
                *d ^= base;
            }
            for v in 0..place {
                let entry: [u32; 64] = std::array::from_fn(|t| schedules[v][t] ^ delta[t]);
                schedules.push(entry);
            }
        }
        place *= radix;
    }
    schedules
}

/// A kernel reports each candidate whose A word matches through `on_match(mid, inner)`;
/// returning true (a real hit) stops it. Returns the number of candidates it tested.
pub type KernelFn = fn(&KernelInput, Range<u32>, &mut dyn FnMut(u32, u32) -> bool) -> u64;

/// Walks mid values in order, updating only the words whose digits changed.
pub(super) struct MidOdometer<'a> {
    layout: &'a Layout,
    digits: Vec<u32>,
    words: [u32; 16],
    /// The mid value it starts at.
    start: u32,
}

impl<'a> MidOdometer<'a> {
    pub(super) fn new(layout: &'a Layout, segment: &Segment, mid: u32) -> Self {
        let k = layout.radix() as u32;
        let digits =
            (0..layout.mid_digits).map(|j| (mid as u64 / (k as u64).pow(j as u32) % k as u64) as u32).collect();
        MidOdometer { layout, digits, words: layout.mid_words(segment, mid), start: mid }
    }

    /// The message words of mid value `mid`: the kernels ask for each of a range in order,
    /// from the one it was made at.
    pub(super) fn words_for(&mut self, mid: u32) -> [u32; 16] {
        if mid != self.start {
            self.advance();
        }
        self.words
    }

    fn advance(&mut self) {
        let k = self.layout.radix() as u32;
        for (j, digit) in self.digits.iter_mut().enumerate() {
            let table = &self.layout.mid_symbol_words[j];
            let next = if *digit + 1 == k { 0 } else { *digit + 1 };
            // Symbol bytes never overlap other bytes, so xor swaps one symbol for another.
            for (&(word, old), &(_, new)) in table[*digit as usize].iter().zip(&table[next as usize]) {
                self.words[word] ^= old ^ new;
            }
            *digit = next;
            if next != 0 {
                return;
            }
        }
    }
}

#[derive(Clone, Copy)]
struct VState<V> {
    a: V,
    b: V,
    c: V,
    d: V,
}

/// One MD5 step on every lane. `shared` carries `b ^ c` from an even round-3 step to the odd
/// one after it, where it is `c ^ d`: without three-input logic, H then costs one xor in
/// every other step instead of two.
///
/// # Safety
/// The CPU must have the instruction set `V`'s operations use: a kernel is only offered on
/// a CPU that does ([`available_kernels`]).
#[inline(always)]
unsafe fn step<V: Lanes, const R: u32>(s: &mut VState<V>, i: usize, x: V, shared: &mut V) {
    let sum = match i / 16 {
        0 => s.a.add(x).add(V::f(s.b, s.c, s.d)),
        1 => s.a.add(x).add(V::g(s.b, s.c, s.d)),
        2 if V::TERNARY_LOGIC => s.a.add(x).add(V::h(s.b, s.c, s.d)),
        2 if i.is_multiple_of(2) => {
            *shared = s.b.xor(s.c);
            s.a.add(x).add(shared.xor(s.d))
        }
        2 => s.a.add(x).add(s.b.xor(*shared)),
        _ if V::TERNARY_LOGIC => s.a.add(x).add(V::i(s.b, s.c, s.d)),
        // a + x + I = a + (x - 1) - !I: no NOT, and the caller put the -1 into x.
        _ => s.a.add(x).sub(V::i_complement(s.b, s.c, s.d)),
    };
    let new_b = s.b.add(sum.rotl::<R>());
    *s = VState { a: s.d, b: new_b, c: s.b, d: s.c };
}

/// The generic kernel, specialised on the layout's inner words: `W` is the first word an
/// inner digit touches (steps before it run once per mid value) and `C` how many words
/// they touch, so which steps add an inner word is known at compile time.
///
/// # Safety
/// As for [`step`]: the CPU must have `V`'s instruction set.
#[inline(always)]
unsafe fn search_mids<V: Lanes, const W: usize, const C: usize>(
    input: &KernelInput,
    mids: Range<u32>,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> u64 {
    // Hits come back as one bit per lane in a u64.
    const { assert!(V::WIDTH <= 64) };
    let layout = input.layout;
    debug_assert_eq!((layout.first_inner_word, layout.inner_word_count), (W, C));
    let columns = &input.columns.columns;
    let count = input.columns.count as usize;
    let mut odometer = MidOdometer::new(layout, input.segment, mids.start);
    let mut tested = 0u64;
    for mid in mids.clone() {
        let words = &odometer.words_for(mid);
        let midstate: [u32; 4] = input.segment.midstate[..4].try_into().unwrap();
        let mut shared = StepState::from_state(midstate);
        steps::run_steps(&mut shared, words, 0..W);
        let folded = steps::folded_constants(words);
        // For I computed by subtraction (see `step`).
        let folded_minus_one = folded.map(|k| k.wrapping_sub(1));
        let start =
            VState { a: V::splat(shared.a), b: V::splat(shared.b), c: V::splat(shared.c), d: V::splat(shared.d) };
        let mut chunk = 0;
        // Whole lane groups: the last one runs past `count` into the padding, whose
        // matches are skipped below. The hot loop: `61 - W` steps a candidate, each about 5
        // instructions for 16 lanes with AVX-512 and 9 for 8 lanes with AVX2; measured on a
        // Xeon at W = 2, about 10.5 and 25 cycles a candidate (BENCHMARKS.md, "AVX2 kernel").
        while chunk < count {
            let inner: [V; MAX_INNER_WORDS] =
                std::array::from_fn(|j| if j < C { V::load(&columns[j][chunk..]) } else { V::splat(0) });
            let mut s = start;
            let mut h_shared = V::splat(0);
            macro_rules! run {
                ($($i:literal)*) => {$(
                    if $i >= W {
                        let t = message_index($i);
                        let slot = (t >= W && t < W + C).then(|| t - W);
                        let mut x = V::splat(if V::TERNARY_LOGIC || $i < 48 { folded[$i] } else { folded_minus_one[$i] });
                        if let Some(slot) = slot {
                            x = x.add(inner[slot]);
                        }
                        step::<V, { S[$i] }>(&mut s, $i, x, &mut h_shared);
                    }
                )*};
            }
            run!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
                 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60);
            const _: () = assert!(LAST_STEP_UPDATING_A == 60);
            // After step 60 the register it wrote is `b` (see steps::a_after_step_60). A
            // prefix whose digits start past A (eight `_` first) needs the last three steps,
            // after which the registers are A, B, C, D in order; the branch is the same for
            // every chunk of a search.
            let out = if input.match_word == 0 {
                s.b
            } else {
                run!(61 62 63);
                match input.match_word {
                    1 => s.b,
                    2 => s.c,
                    _ => s.d,
                }
            };
            let out = out.add(V::splat(input.segment.midstate[input.match_word]));
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

/// Hands each matching lane of `hits` (lane `l` is inner value `chunk + l`; those past the
/// inner count are padding) to `on_match`; the inner value of the first it calls real,
/// which stops the kernel.
#[inline(always)]
pub(super) fn first_real_hit(
    mut hits: u64,
    chunk: usize,
    count: u32,
    mid: u32,
    on_match: &mut dyn FnMut(u32, u32) -> bool,
) -> Option<u32> {
    while hits != 0 {
        let inner_value = (chunk + hits.trailing_zeros() as usize) as u32;
        hits &= hits - 1;
        if inner_value < count && on_match(mid, inner_value) {
            return Some(inner_value);
        }
    }
    None
}

/// One match arm per (first inner word, inner word count) a layout can have.
macro_rules! layout_table {
    ($at:ident, $first:expr, $count:expr; $($w:literal)*) => {
        match ($first, $count) {
            // SAFETY (every arm): the caller checked the CPU feature, if any (`available_kernels`).
            $(
                ($w, 1) => |i, m, f| unsafe { $at::<$w, 1>(i, m, f) },
                ($w, 2) => |i, m, f| unsafe { $at::<$w, 2>(i, m, f) },
                ($w, 3) => |i, m, f| unsafe { $at::<$w, 3>(i, m, f) },
                ($w, 4) => |i, m, f| unsafe { $at::<$w, 4>(i, m, f) },
            )*
            _ => unreachable!("layouts keep inner words within 0..14, at most 4 of them"),
        }
    };
}

/// One match arm per version of a SHA kernel ([`crate::cpu::sha::first_word_bucket`]).
macro_rules! first_word_table {
    ($at:ident, $first:expr; $($w:literal)*) => {
        match crate::cpu::sha::first_word_bucket($first) {
            // SAFETY (every arm): the caller checked the CPU feature, if any (`available_kernels`).
            $($w => |i, m, f| unsafe { $at::<$w>(i, m, f) },)*
            _ => unreachable!("layouts keep inner words within 0..14"),
        }
    };
}

/// One match arm per version of SHA-256's lane kernel: the first inner word's bucket and
/// where its inner words may end ([`crate::cpu::sha::inner_end_bound`]).
macro_rules! sha256_table {
    ($at:ident, $first:expr, $count:expr; $(($w:literal, $e:literal))*) => {
        match (crate::cpu::sha::first_word_bucket($first), crate::cpu::sha::inner_end_bound($first, $count)) {
            // SAFETY (every arm): the caller checked the CPU feature, if any (`available_kernels`).
            $(($w, $e) => |i, m, f| unsafe { $at::<$w, $e>(i, m, f) },)*
            _ => unreachable!("layouts keep inner words within 0..14"),
        }
    };
}

macro_rules! kernel_set {
    ($name:ident, $lanes:ty, $sha256_lanes:ty, $sha256_split_lanes:ty, $($feature:literal)?) => {
        mod $name {
            use super::*;
            use crate::cpu::sha;
            /// # Safety
            /// The CPU must have this kernel set's target feature, if it names one:
            /// [`available_kernels`] checks it before offering the kernel.
            $(#[target_feature(enable = $feature)])?
            unsafe fn at<const W: usize, const C: usize>(input: &KernelInput, mids: Range<u32>, on_match: &mut dyn FnMut(u32, u32) -> bool) -> u64 {
                search_mids::<$lanes, W, C>(input, mids, on_match)
            }
            /// # Safety
            /// As for `at`.
            $(#[target_feature(enable = $feature)])?
            unsafe fn sha1_at<const W: usize>(input: &KernelInput, mids: Range<u32>, on_match: &mut dyn FnMut(u32, u32) -> bool) -> u64 {
                crate::cpu::sha1_by_mid::search_mids::<$lanes, W>(input, mids, on_match)
            }
            /// # Safety
            /// As for `at`.
            $(#[target_feature(enable = $feature)])?
            unsafe fn sha256_at<const W: usize, const E: usize>(input: &KernelInput, mids: Range<u32>, on_match: &mut dyn FnMut(u32, u32) -> bool) -> u64 {
                sha::search_mids::<$sha256_lanes, W, E>(input, mids, on_match)
            }
            /// # Safety
            /// As for `at`.
            $(#[target_feature(enable = $feature)])?
            unsafe fn sha1_split(input: &KernelInput, mids: Range<u32>, on_match: &mut dyn FnMut(u32, u32) -> bool) -> u64 {
                crate::cpu::sha_split::search_mids::<$lanes, sha::Sha1>(input, mids, on_match)
            }
            /// # Safety
            /// As for `at`.
            $(#[target_feature(enable = $feature)])?
            unsafe fn sha256_split(input: &KernelInput, mids: Range<u32>, on_match: &mut dyn FnMut(u32, u32) -> bool) -> u64 {
                crate::cpu::sha_split::search_mids::<$sha256_split_lanes, sha::Sha256>(input, mids, on_match)
            }
            /// The instantiation for a layout: its hash, whether it is split, and where its
            /// inner words lie.
            pub(super) fn for_layout(layout: &Layout) -> KernelFn {
                let (hash, first_word, word_count) = (layout.hash, layout.first_inner_word, layout.inner_word_count);
                match hash {
                    // SAFETY (both): the caller checked the CPU feature, if any (`available_kernels`).
                    HashKind::Sha1 if layout.is_split() => |i, m, f| unsafe { sha1_split(i, m, f) },
                    HashKind::Sha256 if layout.is_split() => |i, m, f| unsafe { sha256_split(i, m, f) },
                    HashKind::Md5 => layout_table!(at, first_word, word_count; 0 1 2 3 4 5 6 7 8 9 10 11 12 13),
                    HashKind::Sha1 => first_word_table!(sha1_at, first_word; 0 4 8 12),
                    HashKind::Sha256 => sha256_table!(sha256_at, first_word, word_count;
                        (0, 2) (0, 3) (0, 16) (4, 6) (4, 7) (4, 16) (8, 10) (8, 11) (8, 16) (12, 14) (12, 15)),
                }
            }
        }
    };
}

// The fallback for architectures without lanes of their own here (64-bit ARM has NEON's,
// below): one group of four lanes, which the compiler maps to whatever the target has.
#[cfg(not(target_arch = "x86_64"))]
kernel_set!(portable, crate::cpu::lanes::Portable<4>, crate::cpu::lanes::Portable<4>, crate::cpu::lanes::Portable<4>,);
// On x86-64, for CPUs without AVX2: SSE2 written out, since the compiler left SHA-256's
// portable kernel in scalar registers. Three groups for MD5 and SHA-1, as AVX2 (16 registers
// either way): MD5 176 M/s on 2 threads against 141 with two groups and 89 with one; four
// groups ran MD5 6% faster but spilled SHA-1's state and halved it. SHA-256 one group, as
// AVX2. BENCHMARKS.md, "SSE2". SHA-256's split kernel one group too: a pair ran 27.0 M/s
// against 41.0 (SSE2's two-operand forms copy registers).
#[cfg(target_arch = "x86_64")]
kernel_set!(
    portable,
    crate::cpu::lanes::Triple<crate::cpu::lanes::Sse2>,
    crate::cpu::lanes::Sse2,
    crate::cpu::lanes::Sse2,
);
// Three groups of eight lanes: four groups' sixteen state registers fill every AVX2
// register, so the compiler spilled state to the stack (540 stack accesses in the 59-step
// loop against 116 with three groups, for the same llvm-mca throughput and the same measured
// speed on the Xeon; the loop is also a third smaller for a CPU's op cache). Two groups ran
// 13% slower. See BENCHMARKS.md, "AVX2".
#[cfg(target_arch = "x86_64")]
// SHA-256's kernel holds 16 schedule words beside the state, per lane group: one group of
// AVX2 (three spilled; SHA-256 ran 59.5 M/s against 44.2 with a pair) and a pair of AVX-512
// (its 32 registers; four groups spilled: 116.8 against 99.8, one group 111.1). SHA-1's,
// with its lanes over mid values, reads its schedule from memory, one word a step shared by
// every group, and takes MD5's groups: 3 of AVX2 (225.9 M/s against 196.0 with one,
// `--fast-layout`), 4 of AVX-512 (361.6 against 347.3). BENCHMARKS.md, "git's addresses".
// SHA-256's split kernel ([`crate::cpu::sha_split`]) holds no schedule, only its state and
// the entry state: a pair of AVX2 (92.9 M/s against 85.8 with one), three groups of AVX-512
// (186.4 against 182.9 with a pair and 175.8 with four). BENCHMARKS.md, "The split layout".
kernel_set!(
    avx2,
    crate::cpu::lanes::Triple<crate::cpu::lanes::Avx2>,
    crate::cpu::lanes::Avx2,
    crate::cpu::lanes::Pair<crate::cpu::lanes::Avx2>,
    "avx2"
);
// ARM's NEON, explicitly (the portable lanes ran SHA-256 in scalar registers there): four
// groups for MD5 and SHA-1 (32 registers hold their state), one for SHA-256 (8 state and 16
// schedule words), a pair for SHA-256's split kernel (no schedule words; not measured on a
// real ARM core). BENCHMARKS.md, "ARM".
#[cfg(target_arch = "aarch64")]
kernel_set!(
    neon,
    crate::cpu::lanes::Pair<crate::cpu::lanes::Pair<crate::cpu::lanes::Neon>>,
    crate::cpu::lanes::Neon,
    crate::cpu::lanes::Pair<crate::cpu::lanes::Neon>,
);
#[cfg(target_arch = "x86_64")]
kernel_set!(
    avx512,
    crate::cpu::lanes::Pair<crate::cpu::lanes::Pair<crate::cpu::lanes::Avx512>>,
    crate::cpu::lanes::Pair<crate::cpu::lanes::Avx512>,
    crate::cpu::lanes::Triple<crate::cpu::lanes::Avx512>,
    "avx512f"
);

/// The CPU kernel sets, fastest first (for MD5; for SHA, SHA-NI may be faster: see
/// [`KernelKind::fastest_for`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    /// AVX-512F: `vprold` rotations, `vpternlogd` round functions, 64 lanes in flight.
    Avx512,
    /// AVX2: 24 lanes in three groups.
    Avx2,
    /// 64-bit ARM's NEON: 16 lanes in four groups.
    Neon,
    /// x86's SHA extensions for SHA-1 and SHA-256, eight blocks interleaved; MD5, which they
    /// do not compute, runs on the fastest lane kernel.
    ShaNi,
    /// ARMv8's SHA1 and SHA256 instructions, as [`KernelKind::ShaNi`] is x86's.
    ArmSha,
    /// Four lanes for any CPU: SSE2 on x86-64 (24 lanes in three groups for MD5 and SHA-1),
    /// plain Rust on u32 lanes elsewhere.
    Portable,
}

impl KernelKind {
    /// Every kernel set, fastest first for MD5.
    pub const ALL: [KernelKind; 6] = [
        KernelKind::Avx512,
        KernelKind::Avx2,
        KernelKind::Neon,
        KernelKind::ShaNi,
        KernelKind::ArmSha,
        KernelKind::Portable,
    ];

    /// Its name (`GHOSTSUM_CPU_KERNEL`, the device's description).
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Avx512 => "avx512",
            KernelKind::Avx2 => "avx2",
            KernelKind::Neon => "neon",
            KernelKind::ShaNi => "sha-ni",
            KernelKind::ArmSha => "arm-sha",
            KernelKind::Portable => "portable",
        }
    }

    /// Does this CPU have the instructions it needs? (Checked at run time.)
    pub fn runs_here(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            KernelKind::ShaNi => {
                std::arch::is_x86_feature_detected!("sha") && std::arch::is_x86_feature_detected!("sse4.1")
            }
            #[cfg(not(target_arch = "x86_64"))]
            KernelKind::Avx512 | KernelKind::Avx2 | KernelKind::ShaNi => false,
            #[cfg(target_arch = "aarch64")]
            KernelKind::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            #[cfg(target_arch = "aarch64")]
            KernelKind::ArmSha => std::arch::is_aarch64_feature_detected!("sha2"),
            #[cfg(not(target_arch = "aarch64"))]
            KernelKind::Neon | KernelKind::ArmSha => false,
            KernelKind::Portable => true,
        }
    }

    /// Is it a CPU's own SHA instructions (which compute SHA-1 and SHA-256, not MD5)?
    pub fn is_sha_instructions(self) -> bool {
        matches!(self, KernelKind::ShaNi | KernelKind::ArmSha)
    }

    /// The kernel set on this CPU's own SHA instructions, if it has them.
    pub fn sha_instructions() -> Option<KernelKind> {
        KernelKind::available().into_iter().find(|k| k.is_sha_instructions())
    }

    /// The kernel sets this CPU can run, fastest first for MD5.
    pub fn available() -> Vec<KernelKind> {
        KernelKind::ALL.into_iter().filter(|k| k.runs_here()).collect()
    }

    /// The fastest lane kernel this CPU runs (every kernel set but the SHA instructions).
    pub fn fastest_lanes() -> KernelKind {
        KernelKind::available().into_iter().find(|k| !k.is_sha_instructions()).unwrap_or(KernelKind::Portable)
    }

    /// The kernel set that searches `hash` fastest here, in a `split` layout or not: for MD5
    /// the widest lanes; for SHA, where the CPU has SHA instructions (SHA-NI, ARM's),
    /// whichever of them and the widest lanes ran a short sample of that kind of layout
    /// faster (measured once per process, hash and kind: AVX-512's lanes beat SHA-NI on a
    /// Zen 4, SHA-NI may beat AVX2's, and a split layout, which spares both the schedule,
    /// spares SHA-NI more of its time).
    pub fn fastest_for(hash: HashKind, split: bool) -> KernelKind {
        let lanes = KernelKind::fastest_lanes();
        let Some(instructions) = KernelKind::sha_instructions().filter(|_| hash != HashKind::Md5) else {
            return lanes;
        };
        static MEASURED: [std::sync::OnceLock<KernelKind>; 6] = [const { std::sync::OnceLock::new() }; 6];
        *MEASURED[hash as usize * 2 + usize::from(split)]
            .get_or_init(|| crate::cpu::sample::faster(hash, split, lanes, instructions))
    }

    /// Its instantiation for `layout`'s inner words; only for a kind that [`runs_here`](Self::runs_here).
    fn for_layout(self, layout: &Layout) -> KernelFn {
        let (hash, w) = (layout.hash, layout.first_inner_word);
        assert!(self.runs_here(), "the {self} kernel needs instructions this CPU lacks");
        match self {
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx512 => avx512::for_layout(layout),
            #[cfg(target_arch = "x86_64")]
            KernelKind::Avx2 => avx2::for_layout(layout),
            #[cfg(target_arch = "aarch64")]
            KernelKind::Neon => neon::for_layout(layout),
            #[cfg(not(target_arch = "aarch64"))]
            KernelKind::Neon => unreachable!("no NEON kernels on this architecture"),
            // Each architecture has one of the two (the module `sha_instructions` names).
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            KernelKind::ShaNi | KernelKind::ArmSha => {
                use crate::cpu::sha_instructions::{sha1_at, sha1_split, sha256_at, sha256_split};
                match hash {
                    // MD5 has no kernel on the SHA instructions.
                    HashKind::Md5 => KernelKind::fastest_lanes().for_layout(layout),
                    // SAFETY (every arm): runs_here checked the SHA instructions above.
                    HashKind::Sha1 if layout.is_split() => |i, m, f| unsafe { sha1_split(i, m, f) },
                    HashKind::Sha256 if layout.is_split() => |i, m, f| unsafe { sha256_split(i, m, f) },
                    HashKind::Sha1 => first_word_table!(sha1_at, w; 0 4 8 12),
                    HashKind::Sha256 => first_word_table!(sha256_at, w; 0 4 8 12),
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            KernelKind::Avx512 | KernelKind::Avx2 => unreachable!("no x86 kernels on this architecture"),
            #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
            KernelKind::ShaNi | KernelKind::ArmSha => unreachable!("no SHA instructions on this architecture"),
            KernelKind::Portable => portable::for_layout(layout),
        }
    }
}

impl std::fmt::Display for KernelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The kernels this CPU can run for `layout`, fastest first.
pub fn available_kernels(layout: &Layout) -> Vec<(KernelKind, KernelFn)> {
    KernelKind::available().into_iter().map(|kind| (kind, kind.for_layout(layout))).collect()
}

/// The kernel `wanted` (see [`crate::tuning::Tuning::cpu_kernel`]) if this CPU runs it, else
/// the fastest this CPU has for the layout's hash.
pub fn select(layout: &Layout, wanted: Option<KernelKind>) -> (KernelKind, KernelFn) {
    let wanted = wanted.filter(|k| k.runs_here());
    let kind = wanted.unwrap_or_else(|| KernelKind::fastest_for(layout.hash, layout.is_split()));
    (kind, kind.for_layout(layout))
}
