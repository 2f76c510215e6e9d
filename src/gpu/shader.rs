//! Generates the WGSL for one layout from shaders/search.wgsl and the step table in
//! src/steps.rs: the step constants, rotations and message order come from that one place.

use crate::layout::Layout;
use crate::steps::{message_index, round_function, RoundFunction, K, LAST_STEP_UPDATING_A, S};
use std::fmt::Write;

/// shaders/search.wgsl, with `{{...}}` parts to fill in.
pub const TEMPLATE: &str = include_str!("../../shaders/search.wgsl");
/// shaders/md5_rounds.wgsl: the round functions, shared by the search and the test shader.
pub const ROUND_FUNCTIONS: &str = include_str!("../../shaders/md5_rounds.wgsl");

/// What the generated code depends on: pipelines are cached by this.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShaderShape {
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
    /// Invocations per workgroup.
    pub workgroup_size: u32,
}

impl ShaderShape {
    /// The shape of `layout`'s kernel.
    pub fn of(layout: &Layout, workgroup_size: u32) -> Self {
        ShaderShape {
            radix: layout.alphabet.radix(),
            width: layout.alphabet.width(),
            data_end: layout.data_end,
            inner_digits: layout.inner_digits,
            mid_digits: layout.mid_digits,
            first_inner_word: layout.first_inner_word,
            inner_word_count: layout.inner_word_count,
            inner_count: layout.inner_count(),
            workgroup_size,
        }
    }

    fn is_inner_word(&self, t: usize) -> bool {
        (self.first_inner_word..self.first_inner_word + self.inner_word_count).contains(&t)
    }

    /// Does a mid digit write into word `t`? (Then its value differs per invocation.)
    fn is_mid_word(&self, t: usize) -> bool {
        let start = self.data_end - (self.inner_digits + self.mid_digits) * self.width;
        let end = self.data_end - self.inner_digits * self.width;
        start < end && (start / 4..=(end - 1) / 4).contains(&t)
    }
}

/// The shader source for `shape`.
pub fn generate(shape: &ShaderShape) -> String {
    TEMPLATE
        .replace("{{ROUND_FUNCTIONS}}", ROUND_FUNCTIONS)
        .replace("{{INNER_COUNT}}", &shape.inner_count.to_string())
        .replace("{{INNER_WORDS}}", &shape.inner_word_count.to_string())
        .replace("{{RADIX}}", &shape.radix.to_string())
        .replace("{{WORKGROUP_SIZE}}", &shape.workgroup_size.to_string())
        .replace("{{MID_DIGITS}}", &mid_digits(shape))
        .replace(
            "{{SHARED_STEPS}}",
            &steps_code(shape, 0..shape.first_inner_word, ["a", "b", "c", "d"], "    ", Addend::Inline),
        )
        .replace("{{HOISTED_CONSTANTS}}", &hoisted_constants(shape))
        .replace("{{INNER_WORDS_LOAD}}", &inner_loads(shape))
        .replace(
            "{{STEPS}}",
            &steps_code(
                shape,
                shape.first_inner_word..LAST_STEP_UPDATING_A + 1,
                ["sa", "sb", "sc", "sd"],
                "        ",
                Addend::Hoisted,
            ),
        )
}

/// A test-only shader: the full 64-step compression of arbitrary (state, block) pairs,
/// from the same step generator, so the generated steps are checked on their own.
pub fn compress_test_shader() -> String {
    let shape = ShaderShape {
        radix: 2,
        width: 1,
        data_end: 0,
        inner_digits: 0,
        mid_digits: 0,
        first_inner_word: 16,
        inner_word_count: 0,
        inner_count: 0,
        workgroup_size: 64,
    };
    let words: String = (0..16).map(|t| format!("    let m{t} = input[base + 4u + {t}u];\n")).collect();
    format!(
        "@group(0) @binding(0) var<storage, read> input: array<u32>;\n\
         @group(0) @binding(1) var<storage, read_write> output: array<vec4<u32>>;\n\
         {ROUND_FUNCTIONS}\n\
         @compute @workgroup_size(64)\n\
         fn compress(@builtin(global_invocation_id) gid: vec3<u32>) {{\n\
         let n = gid.x; if (n >= arrayLength(&output)) {{ return; }}\n\
         let base = n * 20u;\n{words}\
         var a = input[base]; var b = input[base + 1u]; var c = input[base + 2u]; var d = input[base + 3u];\n{steps}\
         output[n] = vec4<u32>(input[base] + a, input[base + 1u] + b, input[base + 2u] + c, input[base + 3u] + d);\n}}\n",
        steps = steps_code(&shape, 0..64, ["a", "b", "c", "d"], "    ", Addend::Inline)
    )
}

fn mid_digits(shape: &ShaderShape) -> String {
    let mut code = String::new();
    for j in 0..shape.mid_digits {
        let offset = shape.data_end - (shape.inner_digits + j + 1) * shape.width;
        let _ = writeln!(code, "    {{ let symbol = symbols[rest % RADIX]; rest = rest / RADIX;");
        for byte in 0..shape.width {
            let pos = offset + byte;
            let _ = writeln!(code, "      m{} |= ((symbol >> {}u) & 0xffu) << {}u;", pos / 4, 8 * byte, 8 * (pos % 4));
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

/// `let k{i} = ...;` for each loop step whose word is constant in the loop: computed once
/// per invocation for words holding mid digits, read from the host-folded parameters otherwise.
fn hoisted_constants(shape: &ShaderShape) -> String {
    let mut code = String::new();
    for i in shape.first_inner_word..LAST_STEP_UPDATING_A + 1 {
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

/// Integer operations the generated kernel spends per candidate: the arithmetic and logic
/// naga sees in one pass of the inner loop (helper functions counted at each call), and
/// the same count for a full 64-step MD5 compression from the same generator. Checkable
/// without a GPU; BENCHMARKS.md records it.
pub fn ops_per_candidate(shape: &ShaderShape) -> Result<(usize, usize), String> {
    let search = naga::front::wgsl::parse_str(&generate(shape)).map_err(|e| e.to_string())?;
    let entry = &search.entry_points[0].function;
    let loop_body = find_loop(&entry.body).ok_or("the search shader has no inner loop")?;
    let per_candidate = count_ops(&search, entry, loop_body);
    let full = naga::front::wgsl::parse_str(&compress_test_shader()).map_err(|e| e.to_string())?;
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
