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
        }
    }

    /// Does an inner digit write into word `t`? (Then its value differs per candidate.)
    pub(super) fn is_inner_word(&self, t: usize) -> bool {
        (self.first_inner_word..self.first_inner_word + self.inner_word_count).contains(&t)
    }

    /// Does a mid digit write into word `t`? (Then its value differs per invocation.)
    pub(super) fn is_mid_word(&self, t: usize) -> bool {
        let start = self.data_end - (self.inner_digits + self.mid_digits) * self.width;
        let end = self.data_end - self.inner_digits * self.width;
        start < end && (start / 4..=(end - 1) / 4).contains(&t)
    }

    /// A shape with no digits, whose steps all run outside the loop: the test shader's.
    fn without_digits(hash: HashKind) -> Self {
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
    /// The loop's steps on `sa, sb, ...`, up to the last one the tested word needs.
    pub loop_steps: String,
}

/// The working variables' names.
const NAMES: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

/// The shader source for `shape`.
pub fn generate(shape: &ShaderShape) -> String {
    let code = match shape.hash {
        HashKind::Md5 => md5_kernel::code(shape),
        HashKind::Sha1 | HashKind::Sha256 => sha_kernel::code(shape),
    };
    let names = &NAMES[..shape.hash.state_words()];
    let state_init: String =
        names.iter().enumerate().map(|(j, n)| format!("    var {n} = {};\n", midstate_word(j))).collect();
    let loop_state: String = names.iter().map(|n| format!("        var s{n} = {n};\n")).collect();
    TEMPLATE
        .replace("{{ROUND_FUNCTIONS}}", code.functions)
        .replace("{{INNER_COUNT}}", &shape.inner_count.to_string())
        .replace("{{INNER_WORDS}}", &shape.inner_word_count.to_string())
        .replace("{{RADIX}}", &shape.radix.to_string())
        .replace("{{WORKGROUP_SIZE}}", &shape.workgroup_size.to_string())
        .replace("{{MID_DIGITS}}", &mid_digits(shape))
        .replace("{{STATE_INIT}}", &state_init)
        .replace("{{SHARED_STEPS}}", &code.shared_steps)
        .replace("{{HOISTED_CONSTANTS}}", &code.hoisted)
        .replace("{{MATCH_BASE}}", &midstate_word(shape.match_word))
        .replace("{{INNER_WORDS_LOAD}}", &inner_loads(shape))
        .replace("{{LOOP_STATE}}", &loop_state)
        .replace("{{STEPS}}", &code.loop_steps)
        .replace("{{MATCH_VAR}}", &format!("s{}", NAMES[shape.match_word]))
}

/// Word `j` of the parameter block's midstate.
fn midstate_word(j: usize) -> String {
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
        let offset = shape.data_end - (shape.inner_digits + j + 1) * shape.width;
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

fn inner_loads(shape: &ShaderShape) -> String {
    let mut code = String::new();
    for j in 0..shape.inner_word_count {
        let t = shape.first_inner_word + j;
        // Or-ed with the word's constant bytes (mid digits or padding sharing the word).
        let _ = writeln!(code, "        let x{t} = inner_table[inner * INNER_WORDS + {j}u] | m{t};");
    }
    code
}

/// Integer operations the generated kernel spends per candidate: the arithmetic and logic
/// naga sees in one pass of the inner loop (helper functions counted at each call), and
/// the same count for a full compression of the shape's hash from the same generator. Checkable
/// without a GPU; BENCHMARKS.md records it.
pub fn ops_per_candidate(shape: &ShaderShape) -> Result<(usize, usize), String> {
    let search = naga::front::wgsl::parse_str(&generate(shape)).map_err(|e| e.to_string())?;
    let entry = &search.entry_points[0].function;
    let loop_body = find_loop(&entry.body).ok_or("the search shader has no inner loop")?;
    let per_candidate = count_ops(&search, entry, loop_body);
    let full = naga::front::wgsl::parse_str(&compress_test_shader(shape.hash)).map_err(|e| e.to_string())?;
    let compress = &full.entry_points[0].function;
    Ok((per_candidate, count_ops(&full, compress, &compress.body)))
}

fn find_loop(block: &naga::Block) -> Option<&naga::Block> {
    block.iter().find_map(|statement| match statement {
        naga::Statement::Loop { body, .. } => Some(body),
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
