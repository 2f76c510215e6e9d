//! The MD5 compression function as RFC 1321 states it: the one place that holds the step
//! constants, the rotation amounts and the order in which the 64 steps read message words.
//!
//! Every backend is built from, or tested against, these tables: the CPU kernels run the
//! steps shared by a mid value's candidates with [`run_steps`] and their vector steps with
//! these constants, rotations and message order (picking the round function by `i / 16`
//! themselves), and the WGSL step code is generated from them ([`crate::gpu::shader`]), so
//! a typo cannot hide in one backend alone.

/// Per-step additive constants, `floor(abs(sin(i + 1)) * 2^32)`, four steps a line as RFC 1321
/// lists them.
#[rustfmt::skip]
pub const K: [u32; 64] = [
    // round 1 (F)
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
    0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    // round 2 (G)
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
    0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    // round 3 (H)
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
    0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    // round 4 (I)
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
    0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// Left-rotation amount of each step, one round a line.
#[rustfmt::skip]
pub const S: [u32; 64] = [
    7, 12, 17, 22,  7, 12, 17, 22,  7, 12, 17, 22,  7, 12, 17, 22,
    5,  9, 14, 20,  5,  9, 14, 20,  5,  9, 14, 20,  5,  9, 14, 20,
    4, 11, 16, 23,  4, 11, 16, 23,  4, 11, 16, 23,  4, 11, 16, 23,
    6, 10, 15, 21,  6, 10, 15, 21,  6, 10, 15, 21,  6, 10, 15, 21,
];

/// The initial state A, B, C, D.
pub const INITIAL_STATE: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/// The last step that updates state word A (steps 61..63 update D, C, B). A search whose
/// target lies in A alone stops here: the early exit.
pub const LAST_STEP_UPDATING_A: usize = 60;

/// Which message word step `i` reads: round 1 `i`, round 2 `1+5i`, round 3 `5+3i`, round 4 `7i`.
pub const fn message_index(step: usize) -> usize {
    match step / 16 {
        0 => step,
        1 => (1 + 5 * step) % 16,
        2 => (5 + 3 * step) % 16,
        _ => (7 * step) % 16,
    }
}

/// The round function of step `i`, as the boolean function of (b, c, d).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundFunction {
    /// `(b & c) | (!b & d)`
    F,
    /// `(b & d) | (c & !d)`
    G,
    /// `b ^ c ^ d`
    H,
    /// `c ^ (b | !d)`
    I,
}

/// The round function step `step` uses.
pub const fn round_function(step: usize) -> RoundFunction {
    match step / 16 {
        0 => RoundFunction::F,
        1 => RoundFunction::G,
        2 => RoundFunction::H,
        _ => RoundFunction::I,
    }
}

impl RoundFunction {
    #[inline(always)]
    /// The function on scalar words.
    pub fn apply(self, b: u32, c: u32, d: u32) -> u32 {
        match self {
            RoundFunction::F => (b & c) | (!b & d),
            RoundFunction::G => (b & d) | (c & !d),
            RoundFunction::H => b ^ c ^ d,
            RoundFunction::I => c ^ (b | !d),
        }
    }
}

/// The working registers in the rotating order RFC 1321 names them. After step `i`,
/// the value just computed is the register that step `i` updated; [`StepState::rotate`]
/// keeps "a" as the next one to update, so a step is always `a = b + rotl(a + f + x, s)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepState {
    /// Register a.
    pub a: u32,
    /// Register b.
    pub b: u32,
    /// Register c.
    pub c: u32,
    /// Register d.
    pub d: u32,
}

impl StepState {
    /// The registers from a state (A, B, C, D).
    pub fn from_state(state: [u32; 4]) -> Self {
        StepState { a: state[0], b: state[1], c: state[2], d: state[3] }
    }
}

/// One MD5 step on scalar words, with the message word and constant already summed
/// (`k_plus_m = K[i] + M[message_index(i)]`): the form every backend uses, since words that
/// do not vary are folded into the constant once per segment.
#[inline(always)]
pub fn step(s: &mut StepState, i: usize, k_plus_m: u32) {
    let f = round_function(i).apply(s.b, s.c, s.d);
    let new_b = s.b.wrapping_add(s.a.wrapping_add(f).wrapping_add(k_plus_m).rotate_left(S[i]));
    // Rotate the register names: (a, b, c, d) <- (d, new, b, c).
    *s = StepState { a: s.d, b: new_b, c: s.b, d: s.c };
}

/// Step `i`'s constant plus the message word it reads: what every backend adds in a step.
/// Words that no candidate of a segment (or a mid value) changes are folded in once this way.
#[inline(always)]
pub fn folded_constant(words: &[u32; 16], i: usize) -> u32 {
    K[i].wrapping_add(words[message_index(i)])
}

/// [`folded_constant`] of every step.
pub fn folded_constants(words: &[u32; 16]) -> [u32; 64] {
    std::array::from_fn(|i| folded_constant(words, i))
}

/// Runs steps `range` of the compression on `words`.
pub fn run_steps(s: &mut StepState, words: &[u32; 16], range: std::ops::Range<usize>) {
    for i in range {
        step(s, i, folded_constant(words, i));
    }
}

/// The value of state word A after the last step that updates it, before the final
/// addition of the incoming state. `A_out = a60 + state_in[0]`.
pub fn a_after_step_60(s: &StepState) -> u32 {
    // Step 60 is the 61st step; 61 rotations mod 4 == 1, so the register that step 60
    // wrote sits in `b` right after it.
    s.b
}

/// The full compression: the reference every kernel is tested against (itself tested
/// against the md-5 crate).
pub fn compress(state: &mut [u32; 4], block: &[u8; 64]) {
    compress_words(state, &block_words(block));
}

/// [`compress`] on a block already split into its 16 little-endian words.
pub fn compress_words(state: &mut [u32; 4], words: &[u32; 16]) {
    let mut s = StepState::from_state(*state);
    run_steps(&mut s, words, 0..64);
    // After 64 rotations the names line up with A, B, C, D again.
    state[0] = state[0].wrapping_add(s.a);
    state[1] = state[1].wrapping_add(s.b);
    state[2] = state[2].wrapping_add(s.c);
    state[3] = state[3].wrapping_add(s.d);
}

/// The 16 little-endian message words of a block.
pub fn block_words(block: &[u8; 64]) -> [u32; 16] {
    std::array::from_fn(|i| u32::from_le_bytes(block[4 * i..4 * i + 4].try_into().unwrap()))
}

/// A digest's 16 bytes from the final state, as md5sum prints them.
pub fn digest_bytes(state: &[u32; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, w) in state.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_sine_table() {
        for (i, k) in K.iter().enumerate() {
            let expected = ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32;
            assert_eq!(*k, expected, "K[{i}]");
        }
    }

    #[test]
    fn message_order_reads_each_word_once_per_round() {
        for round in 0..4 {
            let mut seen = [false; 16];
            for i in 16 * round..16 * round + 16 {
                seen[message_index(i)] = true;
            }
            assert!(seen.iter().all(|&s| s), "round {round}");
        }
    }

    #[test]
    fn compress_matches_md5_crate() {
        let mut block = [0u8; 64];
        for round in 0..200u32 {
            for (j, b) in block.iter_mut().enumerate() {
                *b = (round.wrapping_mul(2654435761).wrapping_add(j as u32 * 40503) >> 7) as u8;
            }
            let mut ours = [round, round ^ 0xdead_beef, round.rotate_left(7), !round];
            let mut theirs = ours;
            compress(&mut ours, &block);
            md5::block_api::compress(&mut theirs, &[block]);
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn early_exit_word_is_a() {
        let block = [0x5au8; 64];
        let words = block_words(&block);
        let mut full = INITIAL_STATE;
        compress(&mut full, &block);
        let mut s = StepState::from_state(INITIAL_STATE);
        run_steps(&mut s, &words, 0..LAST_STEP_UPDATING_A + 1);
        assert_eq!(a_after_step_60(&s).wrapping_add(INITIAL_STATE[0]), full[0]);
    }
}
