//! Generates the WGSL for one search from shaders/search.wgsl: what every hash shares (the
//! bindings, the mid digits, the inner-table loads, the hit test) here, the steps from the
//! hash's own generator ([`super::md5_kernel`], [`super::sha_kernel`]), each from its one
//! table of constants.

use super::{md5_kernel, sha_kernel};
use crate::hash::HashKind;
use crate::layout::Layout;
use std::fmt::Write;

/// shaders/search.wgsl, with `{{...}}` parts to fill in.
pub const TEMPLATE: &str = include_str!("../../shaders/search.wgsl");

/// What the generated code depends on: pipelines are cached by this.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShaderShape {
    /// The hash searched.
    pub hash: HashKind,
    /// Alphabet size.
    pub radix: u32,
    /// Bytes per symbol.
    pub width: usize,
    /// End of the data in the final block.
    pub data_end: usize,
    /// Inner digits.
    pub inner_digits: usize,
    /// Mid digits.
    pub mid_digits: usize,
    /// First message word an inner digit touches.
    pub first_inner_word: usize,
    /// How many words the inner digits touch.
    pub inner_word_count: usize,
    /// Inner values.
    pub inner_count: u32,
    /// The final state word the kernel tests: the first one the prefix fixes
    /// ([`crate::target::Prefix::first_fixed_word`]).
    pub match_word: usize,
    /// Invocations per workgroup.
    pub workgroup_size: u32,
    /// Two loops instead of one (SHA only; see [`Nest`]).
    pub nest: Option<Nest>,
    /// A split layout's final block ([`Layout::final_block_words`]): the mid digits end the
    /// block before it, and the inner table holds each inner value's constants plus schedule
    /// ([`Layout::final_schedules`]), so the pipeline, which holds that table, is its own.
    pub final_block_words: Option<[u32; 16]>,
    /// Where the mid digits end in their block ([`Layout::mid_digits_end`]).
    pub mid_digits_end: usize,
}

/// A SHA kernel's two loops, when the inner digits span more than one word and one word's
/// digits alone take at least [`Nest::MIN_LOOP`] values: the outer loop runs over the digits
/// in the other words, the loop inside over that one word's, so that per candidate one
/// message word changes. What the other words reach is computed once per outer pass, the
/// steps between the first inner word and the loop's word too, and SHA-1's schedule takes
/// its linear form ([`super::sha_kernel`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Nest {
    /// The word the inner loop changes.
    pub loop_word: usize,
    /// Values of the loop word's digits.
    pub loop_count: u32,
    /// Values of the other inner digits.
    pub outer_count: u32,
    /// Values of the inner digits below the loop word's (they lie after it in the block):
    /// inner value = low + low_count * (loop + loop_count * high).
    pub low_count: u32,
}

impl Nest {
    /// Fewest values the inner loop may run over, so that an outer pass (about 400 of
    /// naga's operations for SHA-1, fewer machine instructions) stays a small share of a
    /// candidate ([`ops_per_candidate`] counts it). 16 is a word of space-tab digits,
    /// git-commit's alphabet: on lavapipe nesting over 16 values made SHA-1 13% and
    /// SHA-256 12% faster (BENCHMARKS.md).
    pub const MIN_LOOP: u32 = 16;

    /// The two loops for `layout`'s SHA kernel, or None: MD5, one inner word, a digit that
    /// straddles two words, or no word whose digits take [`Nest::MIN_LOOP`] values.
    fn of(layout: &Layout) -> Option<Nest> {
        if layout.hash == HashKind::Md5 || layout.inner_word_count < 2 || layout.is_split() {
            return None;
        }
        let (w, e) = (layout.alphabet.width(), layout.data_end);
        // Digit j's bytes end j symbols before the data's end (digit 0 is the lowest).
        let words: Option<Vec<usize>> = (0..layout.inner_digits)
            .map(|j| {
                let (start, last) = (e - (j + 1) * w, e - j * w - 1);
                (start / 4 == last / 4).then_some(start / 4)
            })
            .collect();
        let words = words?;
        let digits_in = |word: usize| words.iter().filter(|&&x| x == word).count() as u32;
        // The word with the most digits; of equals the later, whose earlier steps then run
        // once per outer pass.
        let loop_word = (layout.first_inner_word..layout.first_inner_word + layout.inner_word_count)
            .max_by_key(|&word| (digits_in(word), word))?;
        let radix = layout.alphabet.radix();
        let loop_count = radix.checked_pow(digits_in(loop_word))?;
        let below = words.iter().take_while(|&&x| x != loop_word).count() as u32;
        (loop_count >= Self::MIN_LOOP).then(|| Nest {
            loop_word,
            loop_count,
            outer_count: layout.inner_count() / loop_count,
            low_count: radix.pow(below),
        })
    }
}

impl ShaderShape {
    /// The shape of `layout`'s kernel testing state word `match_word`.
    pub fn of(layout: &Layout, match_word: usize, workgroup_size: u32) -> Self {
        ShaderShape {
            hash: layout.hash,
            radix: layout.alphabet.radix(),
            width: layout.alphabet.width(),
            data_end: layout.data_end,
            inner_digits: layout.inner_digits,
            mid_digits: layout.mid_digits,
            first_inner_word: layout.first_inner_word,
            inner_word_count: layout.inner_word_count,
            inner_count: layout.inner_count(),
            match_word,
            workgroup_size,
            nest: Nest::of(layout),
            final_block_words: layout.final_block_words,
            mid_digits_end: layout.mid_digits_end(),
        }
    }

    /// Steps the kernel runs per candidate: from the first inner word (a nested kernel's
    /// loop word) to the last step that changes the tested word (MD5's early exit) or to a
    /// SHA's last step.
    pub fn steps_per_candidate(&self) -> usize {
        match self.hash {
            HashKind::Md5 => md5_kernel::last_step_for(self.match_word) + 1 - self.first_inner_word,
            hash if self.final_block_words.is_some() => hash.steps(),
            hash => hash.steps() - self.nest.as_ref().map_or(self.first_inner_word, |n| n.loop_word),
        }
    }

    /// Does an inner digit write into word `t`? (Then its value differs per candidate.)
    pub(super) fn is_inner_word(&self, t: usize) -> bool {
        (self.first_inner_word..self.first_inner_word + self.inner_word_count).contains(&t)
    }

    /// Does a mid digit write into word `t`? (Then its value differs per invocation.)
    pub(super) fn is_mid_word(&self, t: usize) -> bool {
        let end = self.mid_digits_end;
        let start = end - self.mid_digits * self.width;
        start < end && (start / 4..=(end - 1) / 4).contains(&t)
    }

    /// A shape with no digits, whose steps all run outside the loop: the test shader's.
    pub(super) fn without_digits(hash: HashKind) -> Self {
        ShaderShape {
            hash,
            radix: 2,
            width: 1,
            data_end: 0,
            inner_digits: 0,
            mid_digits: 0,
            first_inner_word: 16,
            inner_word_count: 0,
            inner_count: 0,
            match_word: 0,
            workgroup_size: 64,
            nest: None,
            final_block_words: None,
            mid_digits_end: 0,
        }
    }
}

/// A hash's part of the kernel.
pub(super) struct StepCode {
    /// WGSL helper functions the steps call.
    pub functions: &'static str,
    /// Steps before the first inner word, on `a, b, ...`, once per invocation.
    pub shared_steps: String,
    /// `let` bindings computed once per invocation for the loop.
    pub hoisted: String,
    /// A nested kernel's outer pass: its bindings, then the steps before the loop's word on
    /// `ua, ub, ...` (empty without a [`Nest`]).
    pub outer: String,
    /// The loop's steps on `sa, sb, ...`, up to the last one the tested word needs.
    pub loop_steps: String,
}

/// The working variables' names.
const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

/// The shader source for `shape`.
pub fn generate(shape: &ShaderShape) -> String {
    let code = match shape.hash {
        HashKind::Md5 => md5_kernel::code(shape),
        _ if shape.final_block_words.is_some() => sha_kernel::split_code(shape),
        HashKind::Sha1 | HashKind::Sha256 => sha_kernel::code(shape),
    };
    let match_base = match shape.final_block_words {
        Some(_) => sha_kernel::entry_name(shape.match_word),
        None => midstate_word(shape.match_word),
    };
    let names = &NAMES[..shape.hash.state_words()];
    let state_init: String =
        names.iter().enumerate().map(|(j, n)| format!("    var {n} = {};\n", midstate_word(j))).collect();
    TEMPLATE
        .replace("{{ROUND_FUNCTIONS}}", code.functions)
        .replace("{{INNER_COUNT}}", &shape.inner_count.to_string())
        .replace("{{INNER_WORDS}}", &shape.inner_word_count.to_string())
        .replace("{{INNER_TABLE_ELEMENT}}", if shape.final_block_words.is_some() { "vec4<u32>" } else { "u32" })
        .replace("{{RADIX}}", &shape.radix.to_string())
        .replace("{{WORKGROUP_SIZE}}", &shape.workgroup_size.to_string())
        .replace("{{MID_DIGITS}}", &mid_digits(shape))
        .replace("{{STATE_INIT}}", &state_init)
        .replace("{{SHARED_STEPS}}", &code.shared_steps)
        .replace("{{HOISTED_CONSTANTS}}", &code.hoisted)
        .replace("{{MATCH_BASE}}", &match_base)
        .replace("{{LOOP}}", &loops(shape, &code))
}

/// The candidate loop: one over every inner value, or with a [`Nest`] an outer loop over
/// the other words' digits around one over the loop word's. Each reads its words from the
/// inner table (`y{t}`, the inner digits' bytes alone, or-ed into `x{t}` with the word's
/// constant bytes), tests the word the prefix fixes first and records (mid, inner value).
fn loops(shape: &ShaderShape, code: &StepCode) -> String {
    let names = &NAMES[..shape.hash.state_words()];
    let copy = |to: &str, from: &str, indent: &str| -> String {
        names.iter().map(|n| format!("{indent}var {to}{n} = {from}{n};\n")).collect()
    };
    let load = |t: usize, index: &str, indent: &str| {
        let j = t - shape.first_inner_word;
        format!("{indent}let y{t} = inner_table[({index}) * INNER_WORDS + {j}u]; let x{t} = y{t} | m{t};\n")
    };
    let test = |var: &str, inner: &str, indent: &str| {
        format!(
            "{indent}if ((({var} + match_base) & match_mask) == match_value) {{\n{indent}    record_hit(mid, {inner});\n{indent}}}\n"
        )
    };
    let inner_words = shape.first_inner_word..shape.first_inner_word + shape.inner_word_count;
    let tested = format!("s{}", NAMES[shape.match_word]);
    if shape.final_block_words.is_some() {
        // A split layout: the steps read their words from the table row, from the state the
        // invocation's own block gave.
        return format!(
            "    for (var inner = 0u; inner < INNER_COUNT; inner++) {{\n        let row = inner * {loads}u;\n{state}{code}{test}    }}\n",
            loads = shape.hash.steps() / 4,
            state = copy("s", sha_kernel::ENTRY_PREFIX, "        "),
            code = code.loop_steps,
            test = test(&tested, "inner", "        "),
        );
    }
    let Some(nest) = &shape.nest else {
        let loads: String = inner_words.map(|t| load(t, "inner", "        ")).collect();
        return format!(
            "    for (var inner = 0u; inner < INNER_COUNT; inner++) {{\n{loads}{state}{steps}{test}    }}\n",
            state = copy("s", "", "        "),
            steps = code.loop_steps,
            test = test(&tested, "inner", "        "),
        );
    };
    // The outer pass's inner value: its low digits, then its high ones above the loop's.
    let (low, span) = (nest.low_count, nest.low_count * nest.loop_count);
    let outer_loads: String =
        inner_words.filter(|&t| t != nest.loop_word).map(|t| load(t, "outer_value", "        ")).collect();
    format!(
        "    for (var outer = 0u; outer < {outer_count}u; outer++) {{\n\
         \x20       let outer_value = outer % {low}u + outer / {low}u * {span}u;\n{outer_loads}{outer_state}{outer_code}\
         \x20       for (var l = 0u; l < {loop_count}u; l++) {{\n{loop_load}{state}{steps}{test}        }}\n    }}\n",
        outer_count = nest.outer_count,
        outer_state = copy("u", "", "        "),
        outer_code = code.outer,
        loop_count = nest.loop_count,
        loop_load = load(nest.loop_word, &format!("l * {low}u"), "            "),
        state = copy("s", "u", "            "),
        steps = code.loop_steps,
        test = test(&tested, &format!("outer_value + l * {low}u"), "            "),
    )
}

/// Word `j` of the parameter block's midstate.
pub(super) fn midstate_word(j: usize) -> String {
    format!("params.midstate[{}].{}", j / 4, ["x", "y", "z", "w"][j % 4])
}

/// A test-only shader: the full compression of `hash` on arbitrary (state, block) pairs,
/// from the same step generator, so the generated steps are checked on their own. Each pair
/// is 24 words of `input` (8 state words, of which the hash uses the first 4, 5 or 8, then
/// the 16 message words); each result is 8 words of `output`.
pub fn compress_test_shader(hash: HashKind) -> String {
    let shape = ShaderShape::without_digits(hash);
    let (functions, steps) = match hash {
        HashKind::Md5 => (md5_kernel::ROUND_FUNCTIONS, md5_kernel::compression(&shape)),
        _ => (sha_kernel::FUNCTIONS, sha_kernel::compression(&shape)),
    };
    let words: String = (0..16).map(|t| format!("    var m{t} = input[base + 8u + {t}u];\n")).collect();
    let names = &NAMES[..hash.state_words()];
    let state: String = names.iter().enumerate().map(|(j, n)| format!("    var {n} = input[base + {j}u];\n")).collect();
    let out: String = names
        .iter()
        .enumerate()
        .map(|(j, n)| format!("    output[n * 8u + {j}u] = input[base + {j}u] + {n};\n"))
        .collect();
    format!(
        "@group(0) @binding(0) var<storage, read> input: array<u32>;\n\
         @group(0) @binding(1) var<storage, read_write> output: array<u32>;\n\
         {functions}\n\
         @compute @workgroup_size(64)\n\
         fn compress(@builtin(global_invocation_id) gid: vec3<u32>) {{\n\
         let n = gid.x; if (n >= arrayLength(&output) / 8u) {{ return; }}\n\
         let base = n * 24u;\n{words}{state}{steps}{out}}}\n"
    )
}

fn mid_digits(shape: &ShaderShape) -> String {
    let mut code = String::new();
    for j in 0..shape.mid_digits {
        let offset = shape.mid_digits_end - (j + 1) * shape.width;
        let _ = writeln!(code, "    {{ let symbol = symbols[rest % RADIX]; rest = rest / RADIX;");
        for byte in 0..shape.width {
            let pos = offset + byte;
            let shift = shape.hash.byte_shift(pos % 4);
            let _ = writeln!(code, "      m{} |= ((symbol >> {}u) & 0xffu) << {shift}u;", pos / 4, 8 * byte);
        }
        let _ = writeln!(code, "    }}");
    }
    code
}

/// Integer operations the generated kernel spends per candidate: the arithmetic and logic
/// naga sees in one pass of the inner loop (helper functions counted at each call), with a
/// nested kernel's outer pass shared out over the inner loop's candidates, and the same
/// count for a full compression of the shape's hash from the same generator. Checkable
/// without a GPU; BENCHMARKS.md records it.
pub fn ops_per_candidate(shape: &ShaderShape) -> Result<(usize, usize), String> {
    let search = naga::front::wgsl::parse_str(&generate(shape)).map_err(|e| e.to_string())?;
    let entry = &search.entry_points[0].function;
    let loop_body = find_loop(&entry.body).ok_or("the search shader has no inner loop")?;
    let outer_pass = outer_pass_ops(shape)?.map_or(0, |(ops, shared_by)| ops.div_ceil(shared_by as usize));
    let per_candidate = count_ops(&search, entry, loop_body) + outer_pass;
    let full = naga::front::wgsl::parse_str(&compress_test_shader(shape.hash)).map_err(|e| e.to_string())?;
    let compress = &full.entry_points[0].function;
    Ok((per_candidate, count_ops(&full, compress, &compress.body)))
}

/// A nested kernel's outer pass (everything in the outer loop but the inner one) in naga's
/// integer operations, and how many candidates share it; None for one loop.
pub fn outer_pass_ops(shape: &ShaderShape) -> Result<Option<(usize, u32)>, String> {
    let Some(nest) = &shape.nest else { return Ok(None) };
    let search = naga::front::wgsl::parse_str(&generate(shape)).map_err(|e| e.to_string())?;
    let entry = &search.entry_points[0].function;
    let outer = outer_loop(&entry.body).ok_or("the nested shader has no outer loop")?;
    Ok(Some((count_ops(&search, entry, outer), nest.loop_count)))
}

/// The outermost loop's body.
fn outer_loop(block: &naga::Block) -> Option<&naga::Block> {
    block.iter().find_map(|statement| match statement {
        naga::Statement::Loop { body, .. } => Some(body),
        naga::Statement::Block(inner) => outer_loop(inner),
        _ => None,
    })
}

/// The innermost loop's body: the candidate loop, inside a nested kernel's outer loop.
fn find_loop(block: &naga::Block) -> Option<&naga::Block> {
    block.iter().find_map(|statement| match statement {
        naga::Statement::Loop { body, .. } => find_loop(body).or(Some(body)),
        naga::Statement::Block(inner) => find_loop(inner),
        _ => None,
    })
}

fn count_ops(module: &naga::Module, function: &naga::Function, block: &naga::Block) -> usize {
    block
        .iter()
        .map(|statement| match statement {
            naga::Statement::Emit(range) => range
                .clone()
                .filter(|&e| {
                    matches!(
                        function.expressions[e],
                        naga::Expression::Binary { .. }
                            | naga::Expression::Unary { .. }
                            | naga::Expression::Select { .. }
                    )
                })
                .count(),
            naga::Statement::Call { function: callee, .. } => {
                let f = &module.functions[*callee];
                count_ops(module, f, &f.body)
            }
            naga::Statement::Block(inner) => count_ops(module, function, inner),
            // The hit branch runs for about one candidate in 2^bits: not per candidate.
            _ => 0,
        })
        .sum()
}
