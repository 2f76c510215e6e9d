//! SHA-1's and SHA-256's part of the generated kernel: steps and message schedule as
//! straight-line WGSL, with FIPS 180-4's constants from src/hash.rs.
//!
//! Which schedule words vary per candidate is known when the shader is generated: word `t`
//! of the block varies if an inner digit writes into it, and schedule word `t >= 16` if any
//! word it is made from varies. Every word that does not vary is computed once per
//! invocation, and its step constant added to it there (`k{t}`); of a word that varies,
//! the terms that do not vary are combined once per invocation too (`p{t}`), so the loop
//! computes only what the inner digits reach. That is the precomputation hashcat's SHA
//! kernels do by hand for their one varying word, here for any layout.

use super::shader::{ShaderShape, StepCode};
use crate::hash::{HashKind, SHA1_K, SHA256_K};
use std::fmt::Write;

/// shaders/sha_functions.wgsl: Ch, Maj, Parity and SHA-256's sigmas.
pub const FUNCTIONS: &str = include_str!("../../shaders/sha_functions.wgsl");

/// The working variables' names, a to e or a to h.
const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
/// The loop's copies of them.
const LOOP_NAMES: [&str; 8] = ["sa", "sb", "sc", "sd", "se", "sf", "sg", "sh"];

/// SHA-1's or SHA-256's steps for `shape`. Every step runs: the final state word the test
/// reads may need all of them (A does), and a GPU compiler drops those it does not need.
pub(super) fn code(shape: &ShaderShape) -> StepCode {
    let first = shape.first_inner_word;
    let varies = Varies::of(shape);
    StepCode {
        functions: FUNCTIONS,
        shared_steps: steps_code(shape.hash, &varies, 0..first, &NAMES, "    ", first),
        hoisted: hoisted(shape.hash, &varies, first),
        loop_steps: steps_code(shape.hash, &varies, first..shape.hash.steps(), &LOOP_NAMES, "        ", first),
    }
}

/// The full compression on `m0..m15` and the working variables, for the test shader.
pub(super) fn compression(shape: &ShaderShape) -> String {
    let varies = Varies::of(shape);
    hoisted(shape.hash, &varies, 0) + &steps_code(shape.hash, &varies, 0..shape.hash.steps(), &NAMES, "    ", 0)
}

/// Which of the schedule's words change from candidate to candidate.
struct Varies(Vec<bool>);

impl Varies {
    fn of(shape: &ShaderShape) -> Self {
        let mut varies: Vec<bool> = (0..16).map(|t| shape.is_inner_word(t)).collect();
        for t in 16..shape.hash.steps() {
            let any = sources(shape.hash, t).iter().any(|&(s, _)| varies[s]);
            varies.push(any);
        }
        Varies(varies)
    }
}

/// How schedule word `t >= 16` uses an earlier word.
#[derive(Clone, Copy, PartialEq)]
enum Term {
    /// As it is.
    Plain,
    /// Through SHA-256's σ0.
    Sigma0,
    /// Through SHA-256's σ1.
    Sigma1,
}

/// The earlier words schedule word `t` is made from: SHA-1 xors four and rotates the result
/// by one; SHA-256 adds four, two of them through a σ.
fn sources(hash: HashKind, t: usize) -> [(usize, Term); 4] {
    match hash {
        HashKind::Sha1 => [(t - 3, Term::Plain), (t - 8, Term::Plain), (t - 14, Term::Plain), (t - 16, Term::Plain)],
        _ => [(t - 2, Term::Sigma1), (t - 7, Term::Plain), (t - 15, Term::Sigma0), (t - 16, Term::Plain)],
    }
}

/// The name of word `t` where it is read: the block's words are `m{t}` (`x{t}` for the
/// inner words, loaded in the loop), the schedule's `w{t}`.
fn word(varies: &Varies, t: usize) -> String {
    match (t < 16, varies.0[t]) {
        (true, false) => format!("m{t}"),
        (true, true) => format!("x{t}"),
        (false, _) => format!("w{t}"),
    }
}

fn term(varies: &Varies, (t, how): (usize, Term)) -> String {
    let w = word(varies, t);
    match how {
        Term::Plain => w,
        Term::Sigma0 => format!("small_sigma0({w})"),
        Term::Sigma1 => format!("small_sigma1({w})"),
    }
}

/// Combines terms: SHA-1 xors, SHA-256 adds.
fn combine(hash: HashKind, terms: &[String]) -> String {
    terms.join(if hash == HashKind::Sha1 { " ^ " } else { " + " })
}

/// `let w{t} = ...;` for schedule word `t`, from `terms` (all of them, or those that vary
/// and `p{t}`).
fn schedule_word(hash: HashKind, t: usize, terms: &[String], indent: &str) -> String {
    let sum = combine(hash, terms);
    match hash {
        HashKind::Sha1 => format!("{indent}let q{t} = {sum}; let w{t} = (q{t} << 1u) | (q{t} >> 31u);\n"),
        _ => format!("{indent}let w{t} = {sum};\n"),
    }
}

/// The step constant of step `t`.
fn constant(hash: HashKind, t: usize) -> u32 {
    match hash {
        HashKind::Sha1 => SHA1_K[t / 20],
        _ => SHA256_K[t],
    }
}

/// Once per invocation, for the loop's steps from `first`: the schedule words no inner
/// digit reaches, their step constants added (`k{t}`), and for those it reaches, the part
/// of the sum that it does not (`p{t}`).
fn hoisted(hash: HashKind, varies: &Varies, first: usize) -> String {
    let mut code = String::new();
    for t in first..hash.steps() {
        if t >= 16 {
            let (fixed, _): (Vec<_>, Vec<_>) = sources(hash, t).into_iter().partition(|&(s, _)| !varies.0[s]);
            let fixed: Vec<String> = fixed.into_iter().map(|s| term(varies, s)).collect();
            if !varies.0[t] {
                code += &schedule_word(hash, t, &fixed, "    ");
            } else if fixed.len() > 1 || fixed.iter().any(|f| f.contains('(')) {
                let _ = writeln!(code, "    let p{t} = {};", combine(hash, &fixed));
            }
        }
        if !varies.0[t] {
            let _ = writeln!(code, "    let k{t} = 0x{:08x}u + {};", constant(hash, t), word(varies, t));
        }
    }
    code
}

/// Steps `range` on the working variables `names`, with the schedule words that vary
/// computed just before the step that first reads them. Steps from `hoisted_from` read the
/// hoisted `k{t}` for words that do not vary.
fn steps_code(
    hash: HashKind,
    varies: &Varies,
    range: std::ops::Range<usize>,
    names: &[&str; 8],
    indent: &str,
    hoisted_from: usize,
) -> String {
    let mut code = String::new();
    let n = hash.state_words();
    for t in range {
        if t >= 16 && varies.0[t] {
            let (fixed, varying): (Vec<_>, Vec<_>) = sources(hash, t).into_iter().partition(|&(s, _)| !varies.0[s]);
            let mut terms: Vec<String> = varying.into_iter().map(|s| term(varies, s)).collect();
            let fixed: Vec<String> = fixed.into_iter().map(|s| term(varies, s)).collect();
            if fixed.len() > 1 || fixed.iter().any(|f| f.contains('(')) {
                terms.push(format!("p{t}"));
            } else {
                terms.extend(fixed);
            }
            code += &schedule_word(hash, t, &terms, indent);
        }
        let addend = if t >= hoisted_from && !varies.0[t] {
            format!("k{t}")
        } else {
            format!("(0x{:08x}u + {})", constant(hash, t), word(varies, t))
        };
        // Step t's roles (A, B, ...) are the names rotated by t: each step writes its new
        // A into the variable that held the old last word, so no variable is copied.
        let role = |j: usize| names[(j + n - t % n) % n];
        match hash {
            HashKind::Sha1 => {
                let f = ["ch", "parity", "maj", "parity"][t / 20];
                let _ = writeln!(
                    code,
                    "{indent}{e} = (({a} << 5u) | ({a} >> 27u)) + {f}({b}, {c}, {d}) + {e} + {addend}; \
                     {b} = ({b} << 30u) | ({b} >> 2u);",
                    a = role(0),
                    b = role(1),
                    c = role(2),
                    d = role(3),
                    e = role(4),
                );
            }
            _ => {
                let _ = writeln!(
                    code,
                    "{indent}{{ let t1 = {h} + big_sigma1({e}) + ch({e}, {f}, {g}) + {addend}; {d} = {d} + t1; \
                     {h} = t1 + big_sigma0({a}) + maj({a}, {b}, {c}); }}",
                    a = role(0),
                    b = role(1),
                    c = role(2),
                    d = role(3),
                    e = role(4),
                    f = role(5),
                    g = role(6),
                    h = role(7),
                );
            }
        }
    }
    code
}
