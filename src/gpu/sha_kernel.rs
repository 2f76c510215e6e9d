//! SHA-1's and SHA-256's part of the generated kernel: steps and message schedule as
//! straight-line WGSL, with FIPS 180-4's constants from src/hash.rs.
//!
//! When each message word changes is known when the shader is generated ([`Level`]): per
//! invocation (constant words and mid digits), per pass of the outer loop (the inner words
//! other than the loop's, in a nested kernel: [`super::shader::Nest`]), or per candidate.
//! A schedule word `t >= 16` changes as often as the most often changing word it is made
//! from. Every word is computed where it last changes, with its step constant added there
//! (`k{t}`); of a word that changes more often, the terms that change less are combined
//! where they change (`p{t}`, `q{t}`), so the loop computes only what its digits reach. That
//! is the precomputation hashcat's SHA kernels do by hand for their one varying word, here
//! for any layout.
//!
//! SHA-1's schedule is linear: when one message word `x` alone changes per candidate, each
//! schedule word is its value with `x`'s bytes zeroed (`c{t}`, computed outside the loop)
//! xor some rotations of those bytes (`y`). Per word the generator takes whichever of that
//! and the recurrence costs fewer operations, counting each rotation of `y` once.

use super::shader::{ShaderShape, StepCode};
use crate::hash::{HashKind, SHA1_K, SHA256_K};
use std::fmt::Write;

/// shaders/sha_functions.wgsl: Ch, Maj, Parity and SHA-256's sigmas.
pub const FUNCTIONS: &str = include_str!("../../shaders/sha_functions.wgsl");

/// How often a value changes, least often first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// Once per invocation (mid value).
    Invocation,
    /// Once per pass of a nested kernel's outer loop.
    Outer,
    /// Per candidate.
    Candidate,
}

/// SHA-1's or SHA-256's steps for `shape`. Every step runs: the final state word the test
/// reads may need all of them (A does), and a GPU compiler drops those it does not need.
pub(super) fn code(shape: &ShaderShape) -> StepCode {
    let plan = Plan::of(shape);
    let first = shape.first_inner_word;
    let loop_start = shape.nest.as_ref().map_or(first, |n| n.loop_word);
    let mut sections = Sections::default();
    plan.schedule(&mut sections, first);
    let (outer_steps, loop_steps) = if shape.nest.is_some() {
        let outer = plan.steps(first..loop_start, &OUTER_NAMES, "        ", first, &mut Default::default());
        (outer, plan.steps(loop_start..shape.hash.steps(), &LOOP_NAMES, "            ", first, &mut sections))
    } else {
        (String::new(), plan.steps(first..shape.hash.steps(), &LOOP_NAMES, "        ", first, &mut sections))
    };
    let shared_steps = plan.steps(0..first, &NAMES, "    ", first, &mut Default::default());
    StepCode {
        functions: FUNCTIONS,
        shared_steps,
        hoisted: sections.invocation,
        outer: sections.outer + &outer_steps,
        loop_steps,
    }
}

/// A split layout's kernel ([`ShaderShape::final_block_words`]): per invocation, the whole
/// compression of the block its mid digits end and the state it leaves (`entry_a`, ...);
/// per candidate, every step from that state, each reading its constant plus schedule word
/// from the inner value's row of the table, four words a load: no schedule and no step
/// constant in the loop, and the row's words are the same for every invocation (uniform:
/// scalar registers on AMD).
pub(super) fn split_code(shape: &ShaderShape) -> StepCode {
    let names = &NAMES[..shape.hash.state_words()];
    let entry: String = names
        .iter()
        .enumerate()
        .map(|(j, n)| format!("    let {ENTRY_PREFIX}{n} = {} + {n};\n", super::shader::midstate_word(j)))
        .collect();
    // Four words a load: a quarter of the loads (lavapipe gathered each word per lane).
    let loop_steps = (0..shape.hash.steps())
        .map(|t| {
            let load = match t % 4 {
                0 => format!("        let r{} = inner_table[row + {}u];\n", t / 4, t / 4),
                _ => String::new(),
            };
            let addend = format!("r{}.{}", t / 4, ["x", "y", "z", "w"][t % 4]);
            load + &step_line(shape.hash, t, &LOOP_NAMES, "        ", &addend)
        })
        .collect();
    StepCode {
        functions: FUNCTIONS,
        shared_steps: compression(&ShaderShape::without_digits(shape.hash)) + &entry,
        hoisted: String::new(),
        outer: String::new(),
        loop_steps,
    }
}

/// The names of a split kernel's entry state: `entry_a`, ...
pub(super) const ENTRY_PREFIX: &str = "entry_";

/// The entry state's word `j` ([`split_code`]).
pub(super) fn entry_name(j: usize) -> String {
    format!("{ENTRY_PREFIX}{}", NAMES[j])
}

/// Step `t` on the working variables `names`, adding `addend` (its constant plus message
/// word). Step t's roles (A, B, ...) are the names rotated by t: each step writes its new A
/// into the variable that held the old last word, so no variable is copied.
fn step_line(hash: HashKind, t: usize, names: &[&str; 8], indent: &str, addend: &str) -> String {
    let n = hash.state_words();
    let role = |j: usize| names[(j + n - t % n) % n];
    match hash {
        HashKind::Sha1 => {
            let f = ["ch", "parity", "maj", "parity"][t / 20];
            format!(
                "{indent}{e} = (({a} << 5u) | ({a} >> 27u)) + {f}({b}, {c}, {d}) + {e} + {addend}; \
                 {b} = ({b} << 30u) | ({b} >> 2u);\n",
                a = role(0),
                b = role(1),
                c = role(2),
                d = role(3),
                e = role(4),
            )
        }
        _ => format!(
            "{indent}{{ let t1 = {h} + big_sigma1({e}) + ch({e}, {f}, {g}) + {addend}; {d} = {d} + t1; \
             {h} = t1 + big_sigma0({a}) + maj({a}, {b}, {c}); }}\n",
            a = role(0),
            b = role(1),
            c = role(2),
            d = role(3),
            e = role(4),
            f = role(5),
            g = role(6),
            h = role(7),
        ),
    }
}

/// The full compression on `m0..m15` and the working variables, for the test shader.
pub(super) fn compression(shape: &ShaderShape) -> String {
    let plan = Plan::of(shape);
    let mut sections = Sections::default();
    plan.schedule(&mut sections, 0);
    let steps = plan.steps(0..shape.hash.steps(), &NAMES, "    ", 0, &mut sections);
    sections.invocation + &steps
}

/// The working variables' names, a to e or a to h; their copies in a nested kernel's outer
/// loop; and in the candidate loop.
const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
const OUTER_NAMES: [&str; 8] = ["ua", "ub", "uc", "ud", "ue", "uf", "ug", "uh"];
const LOOP_NAMES: [&str; 8] = ["sa", "sb", "sc", "sd", "se", "sf", "sg", "sh"];

/// Code for each place a value can be computed, in order.
#[derive(Default)]
struct Sections {
    invocation: String,
    outer: String,
    /// Rotations of the candidate word already computed in the loop (SHA-1's linear schedule).
    rotations: std::collections::BTreeSet<u32>,
    /// Of each schedule word that changes per candidate, what [`Plan::schedule`] combined
    /// of its terms that do not (a `p` name, the one such term, or nothing).
    fixed_terms: std::collections::BTreeMap<usize, Vec<String>>,
}

impl Sections {
    fn at(&mut self, level: Level) -> &mut String {
        match level {
            Level::Invocation => &mut self.invocation,
            _ => &mut self.outer,
        }
    }

    fn indent(level: Level) -> &'static str {
        match level {
            Level::Invocation => "    ",
            _ => "        ",
        }
    }
}

/// What the generator knows of one kernel.
struct Plan {
    hash: HashKind,
    /// When each schedule word (0..steps) changes.
    levels: Vec<Level>,
    /// Where what changes per outer pass is computed: the outer loop in a nested kernel,
    /// before the loop otherwise.
    outer: Level,
    /// SHA-1 with a single message word changing per candidate: that word, and for each
    /// schedule word the rotations of its bytes it holds (bit r: rotated left by r).
    linear: Option<(usize, Vec<u32>)>,
}

impl Plan {
    fn of(shape: &ShaderShape) -> Self {
        let hash = shape.hash;
        let block_level = |t: usize| match &shape.nest {
            Some(nest) if t == nest.loop_word => Level::Candidate,
            Some(_) if shape.is_inner_word(t) => Level::Outer,
            None if shape.is_inner_word(t) => Level::Candidate,
            _ => Level::Invocation,
        };
        let mut levels: Vec<Level> = (0..16).map(block_level).collect();
        for t in 16..hash.steps() {
            let level = sources(hash, t).iter().map(|&(s, _)| levels[s]).max().unwrap();
            levels.push(level);
        }
        let outer = if shape.nest.is_some() { Level::Outer } else { Level::Invocation };
        let candidates: Vec<usize> = (0..16).filter(|&t| levels[t] == Level::Candidate).collect();
        let linear = match (hash, candidates.as_slice()) {
            (HashKind::Sha1, &[x]) => {
                let mut masks: Vec<u32> = (0..16).map(|t| u32::from(t == x)).collect();
                for t in 16..80 {
                    masks.push((masks[t - 3] ^ masks[t - 8] ^ masks[t - 14] ^ masks[t - 16]).rotate_left(1));
                }
                Some((x, masks))
            }
            _ => None,
        };
        Plan { hash, levels, outer, linear }
    }

    /// The name of word `t` where it is read: the block's words are `m{t}` (`x{t}` for the
    /// inner words, loaded in a loop), the schedule's `w{t}`.
    fn word(&self, t: usize) -> String {
        match (t < 16, self.levels[t]) {
            (true, Level::Invocation) => format!("m{t}"),
            (true, _) => format!("x{t}"),
            (false, _) => format!("w{t}"),
        }
    }

    fn term(&self, (t, how): (usize, Term)) -> String {
        let w = self.word(t);
        match how {
            Term::Plain => w,
            Term::Sigma0 => format!("small_sigma0({w})"),
            Term::Sigma1 => format!("small_sigma1({w})"),
        }
    }

    /// Before the loop (and in the outer loop): for each schedule word from `first`, what
    /// of it changes no more often than each place, and the step constants added to the
    /// words that do not change per candidate; SHA-1's zeroed-word schedule `c{t}` where
    /// the linear form is used.
    fn schedule(&self, sections: &mut Sections, first: usize) {
        for t in first..self.hash.steps() {
            let level = self.levels[t];
            if t >= 16 {
                let mut carry: Vec<String> = Vec::new();
                for at in [Level::Invocation, Level::Outer, Level::Candidate] {
                    if at == Level::Candidate {
                        sections.fixed_terms.insert(t, carry.clone());
                    }
                    carry.extend(
                        sources(self.hash, t).into_iter().filter(|&(s, _)| self.levels[s] == at).map(|s| self.term(s)),
                    );
                    if at == level {
                        if level != Level::Candidate {
                            let indent = Sections::indent(at);
                            *sections.at(at) += &schedule_word(self.hash, t, &carry, indent);
                        }
                        break;
                    }
                    // Combined where they change, if that saves the loop an operation.
                    if carry.len() > 1 || carry.iter().any(|c| c.contains('(')) {
                        let name = format!("p{}{t}", if at == Level::Invocation { "" } else { "o" });
                        let _ = writeln!(
                            sections.at(at),
                            "{}let {name} = {};",
                            Sections::indent(at),
                            combine(self.hash, &carry)
                        );
                        carry = vec![name];
                    }
                }
            }
            if level != Level::Candidate {
                let (k, w) = (constant(self.hash, t), self.word(t));
                let _ = writeln!(sections.at(level), "{}let k{t} = 0x{k:08x}u + {w};", Sections::indent(level));
            }
        }
        if let Some((x, _)) = &self.linear {
            // The schedule with the candidate word's inner bytes zeroed: where it changes.
            let indent = Sections::indent(self.outer);
            for t in 16..80 {
                if self.levels[t] != Level::Candidate {
                    continue;
                }
                let terms: Vec<String> = sources(self.hash, t)
                    .iter()
                    .map(|&(s, _)| match (self.levels[s], s < 16) {
                        (Level::Candidate, true) => format!("m{x}"),
                        (Level::Candidate, false) => format!("c{s}"),
                        _ => self.word(s),
                    })
                    .collect();
                let sum = combine(self.hash, &terms);
                let _ = writeln!(
                    sections.at(self.outer),
                    "{indent}let cq{t} = {sum}; let c{t} = (cq{t} << 1u) | (cq{t} >> 31u);"
                );
            }
        }
    }

    /// Steps `range` on the working variables `names`, with the schedule words that change
    /// per candidate computed just before the step that first reads them. Steps from
    /// `hoisted_from` read the hoisted `k{t}` for words that do not.
    fn steps(
        &self,
        range: std::ops::Range<usize>,
        names: &[&str; 8],
        indent: &str,
        hoisted_from: usize,
        sections: &mut Sections,
    ) -> String {
        let mut code = String::new();
        for t in range {
            let candidate = self.levels[t] == Level::Candidate;
            if t >= 16 && candidate {
                code += &self.candidate_word(t, indent, sections);
            }
            let addend = if t >= hoisted_from && !candidate {
                format!("k{t}")
            } else {
                format!("(0x{:08x}u + {})", constant(self.hash, t), self.word(t))
            };
            code += &step_line(self.hash, t, names, indent, &addend);
        }
        code
    }

    /// `let w{t} = ...;` in the loop: from the terms that change per candidate and what was
    /// combined outside it, or (SHA-1, one changing word) as `c{t}` xor rotations of that
    /// word's bytes, whichever costs fewer operations.
    fn candidate_word(&self, t: usize, indent: &str, sections: &mut Sections) -> String {
        let mut terms: Vec<String> = sources(self.hash, t)
            .into_iter()
            .filter(|&(s, _)| self.levels[s] == Level::Candidate)
            .map(|s| self.term(s))
            .collect();
        terms.extend(sections.fixed_terms[&t].iter().cloned());
        if let Some((x, masks)) = &self.linear {
            // Three-input xors: n operands cost ceil((n - 1) / 2); the recurrence rotates once.
            // Ties go to the linear form: its rotations serve later words too (measured:
            // fewer instructions than ties to the recurrence, or than a margin either way).
            let xors = |operands: usize| operands.saturating_sub(1).div_ceil(2);
            let recurrence = xors(terms.len()) + 1;
            let rotations: Vec<u32> = (0..32).filter(|r| masks[t] >> r & 1 == 1).collect();
            let new = rotations.iter().filter(|&&r| r != 0 && !sections.rotations.contains(&r)).count();
            if new + xors(rotations.len() + 1) <= recurrence {
                let mut code = String::new();
                let mut operands = vec![format!("c{t}")];
                for r in rotations {
                    if r != 0 && sections.rotations.insert(r) {
                        let _ = writeln!(code, "{indent}let y{x}r{r} = (y{x} << {r}u) | (y{x} >> {}u);", 32 - r);
                    }
                    operands.push(if r == 0 { format!("y{x}") } else { format!("y{x}r{r}") });
                }
                let _ = writeln!(code, "{indent}let w{t} = {};", operands.join(" ^ "));
                return code;
            }
        }
        schedule_word(self.hash, t, &terms, indent)
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

/// Combines terms: SHA-1 xors, SHA-256 adds.
fn combine(hash: HashKind, terms: &[String]) -> String {
    terms.join(if hash == HashKind::Sha1 { " ^ " } else { " + " })
}

/// `let w{t} = ...;` for schedule word `t` from `terms`.
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
