//! Generates the WGSL for one layout from shaders/search.wgsl and the step table in
//! src/steps.rs: the step constants, rotations and message order come from that one place.

use crate::layout::Layout;
use crate::steps::{message_index, round_function, RoundFunction, K, LAST_STEP_UPDATING_A, S};
use std::fmt::Write;

pub const TEMPLATE: &str = include_str!("../../shaders/search.wgsl");

/// What the generated code depends on: pipelines are cached by this.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShaderShape {
    pub radix: u32,
    pub width: usize,
    pub data_end: usize,
    pub inner_digits: usize,
    pub mid_digits: usize,
    pub first_inner_word: usize,
    pub inner_word_count: usize,
    pub inner_count: u32,
    pub workgroup_size: u32,
}

impl ShaderShape {
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
}

/// The shader source for `shape`.
pub fn generate(shape: &ShaderShape) -> String {
    TEMPLATE
        .replace("{{INNER_COUNT}}", &shape.inner_count.to_string())
        .replace("{{INNER_WORDS}}", &shape.inner_word_count.to_string())
        .replace("{{RADIX}}", &shape.radix.to_string())
        .replace("{{WORKGROUP_SIZE}}", &shape.workgroup_size.to_string())
        .replace("{{MID_DIGITS}}", &mid_digits(shape))
        .replace("{{SHARED_STEPS}}", &steps_code(shape, 0..shape.first_inner_word, ["a", "b", "c", "d"], "    "))
        .replace("{{INNER_WORDS_LOAD}}", &inner_loads(shape))
        .replace(
            "{{STEPS}}",
            &steps_code(shape, shape.first_inner_word..LAST_STEP_UPDATING_A + 1, ["sa", "sb", "sc", "sd"], "        "),
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
         fn rotl(x: u32, s: u32) -> u32 {{ return (x << s) | (x >> (32u - s)); }}\n\
         fn f(b: u32, c: u32, d: u32) -> u32 {{ return d ^ (b & (c ^ d)); }}\n\
         fn g(b: u32, c: u32, d: u32) -> u32 {{ return c ^ (d & (b ^ c)); }}\n\
         fn h(b: u32, c: u32, d: u32) -> u32 {{ return b ^ c ^ d; }}\n\
         fn i(b: u32, c: u32, d: u32) -> u32 {{ return c ^ (b | ~d); }}\n\
         @compute @workgroup_size(64)\n\
         fn compress(@builtin(global_invocation_id) gid: vec3<u32>) {{\n\
         let n = gid.x; if (n >= arrayLength(&output)) {{ return; }}\n\
         let base = n * 20u;\n{words}\
         var a = input[base]; var b = input[base + 1u]; var c = input[base + 2u]; var d = input[base + 3u];\n{steps}\
         output[n] = vec4<u32>(input[base] + a, input[base + 1u] + b, input[base + 2u] + c, input[base + 3u] + d);\n}}\n",
        steps = steps_code(&shape, 0..64, ["a", "b", "c", "d"], "    ")
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

/// Steps `range` as straight-line WGSL on registers named `names` (a, b, c, d).
fn steps_code(shape: &ShaderShape, range: std::ops::Range<usize>, names: [&str; 4], indent: &str) -> String {
    let mut code = String::new();
    for i in range {
        // Step i updates a, d, c, b in turn: its roles (A, B, C, D) are names rotated by i.
        let role = |j: usize| names[(j + 4 - i % 4) % 4];
        let t = message_index(i);
        let word = if shape.is_inner_word(t) { format!("x{t}") } else { format!("m{t}") };
        let f = match round_function(i) {
            RoundFunction::F => "f",
            RoundFunction::G => "g",
            RoundFunction::H => "h",
            RoundFunction::I => "i",
        };
        let _ = writeln!(
            code,
            "{indent}{a} = {b} + rotl({a} + {f}({b}, {c}, {d}) + 0x{k:08x}u + {word}, {s}u);",
            a = role(0),
            b = role(1),
            c = role(2),
            d = role(3),
            k = K[i],
            s = S[i]
        );
    }
    code
}
