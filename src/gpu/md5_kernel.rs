//! MD5's part of the generated kernel: its steps as straight-line WGSL from the one table
//! of constants, rotations and message order in src/steps.rs, and the step constants plus
//! message words computed once per invocation.

use super::shader::{ShaderShape, StepCode};
use crate::steps::{message_index, round_function, RoundFunction, K, LAST_STEP_UPDATING_A, S};
use std::fmt::Write;

/// shaders/md5_rounds.wgsl: the round functions, shared by the search and the test shader.
pub const ROUND_FUNCTIONS: &str = include_str!("../../shaders/md5_rounds.wgsl");

/// The last step that changes state word `word`: A's is step 60 (the early exit a prefix in
/// A alone allows), D's 61, C's 62, B's 63.
pub fn last_step_for(word: usize) -> usize {
    [LAST_STEP_UPDATING_A, 63, 62, 61][word]
}

/// MD5's steps for `shape`.
pub(super) fn code(shape: &ShaderShape) -> StepCode {
    let last = last_step_for(shape.match_word);
    StepCode {
        functions: ROUND_FUNCTIONS,
        shared_steps: steps_code(shape, 0..shape.first_inner_word, ["a", "b", "c", "d"], "    ", Addend::Inline),
        hoisted: hoisted_constants(shape, last),
        outer: String::new(),
        loop_steps: steps_code(
            shape,
            shape.first_inner_word..last + 1,
            ["sa", "sb", "sc", "sd"],
            "        ",
            Addend::Hoisted,
        ),
    }
}

/// The full 64-step compression on `m0..m15` and `a, b, c, d`, for the test shader.
pub(super) fn compression(shape: &ShaderShape) -> String {
    steps_code(shape, 0..64, ["a", "b", "c", "d"], "    ", Addend::Inline)
}

/// How a step's constant plus message word is written.
#[derive(Clone, Copy)]
enum Addend {
    /// `(K + m_t)` in place: outside the inner loop.
    Inline,
    /// `k{i}`, precomputed before the inner loop for words that do not vary in it
    /// ([`hoisted_constants`]); inner words are added in place.
    Hoisted,
}

/// Steps `range` as straight-line WGSL on registers named `names` (a, b, c, d).
fn steps_code(
    shape: &ShaderShape,
    range: std::ops::Range<usize>,
    names: [&str; 4],
    indent: &str,
    addend: Addend,
) -> String {
    let mut code = String::new();
    for i in range {
        // Step i updates a, d, c, b in turn: its roles (A, B, C, D) are names rotated by i.
        let role = |j: usize| names[(j + 4 - i % 4) % 4];
        let t = message_index(i);
        let constant_plus_word = match (addend, shape.is_inner_word(t)) {
            (Addend::Hoisted, false) => format!("k{i}"),
            (_, true) => format!("(0x{:08x}u + x{t})", K[i]),
            (Addend::Inline, false) => format!("(0x{:08x}u + m{t})", K[i]),
        };
        let f = match round_function(i) {
            RoundFunction::F => "f",
            RoundFunction::G => "g",
            RoundFunction::H => "h",
            RoundFunction::I => "i",
        };
        // The rotation is written out with literal shifts (GPUs fuse it into one funnel shift).
        let _ = writeln!(
            code,
            "{indent}{{ let t = {a} + {f}({b}, {c}, {d}) + {constant_plus_word}; {a} = {b} + ((t << {s}u) | (t >> {r}u)); }}",
            a = role(0),
            b = role(1),
            c = role(2),
            d = role(3),
            s = S[i],
            r = 32 - S[i]
        );
    }
    code
}

/// `let k{i} = ...;` for each loop step up to `last` whose word is constant in the loop:
/// computed once per invocation for words holding mid digits, read from the host-folded
/// parameters otherwise.
fn hoisted_constants(shape: &ShaderShape, last: usize) -> String {
    let mut code = String::new();
    for i in shape.first_inner_word..last + 1 {
        let t = message_index(i);
        if shape.is_inner_word(t) {
            continue;
        }
        if shape.is_mid_word(t) {
            let _ = writeln!(code, "    let k{i} = 0x{:08x}u + m{t};", K[i]);
        } else {
            let _ = writeln!(code, "    let k{i} = params.folded[{}].{};", i / 4, ["x", "y", "z", "w"][i % 4]);
        }
    }
    code
}
