//! AMD GCN/RDNA dumps, read into basic blocks: RADV's (`RADV_DEBUG=shaders`: the listing
//! after `disasm:`, blocks `BB3:` from ACO or `BB0_3:` from its LLVM backend) and LLVM AMDGPU
//! assembly from `clang -S` (blocks `.LBB0_3:`, or only `; %bb.3:` when nothing jumps there;
//! kernels from `NAME:` to `.Lfunc_end`).

use crate::blocks::{mnemonic, push, Block, Classes};

pub(crate) const CLASSES: Classes = Classes {
    names: &["VALU", "SALU", "scalar memory", "vector memory", "LDS", "control"],
    main: "VALU",
    of: class_of,
};

pub(crate) fn blocks(dump: &str, function: Option<&str>) -> Result<(Vec<Block>, &'static Classes), String> {
    let mut blocks = if dump.lines().any(|l| l.trim() == "disasm:") { radv(dump) } else { llvm(dump, function)? };
    for b in 0..blocks.len() {
        blocks[b].next = successors(&blocks, b);
    }
    Ok((blocks, &CLASSES))
}

fn class_of(mnemonic: &str) -> &'static str {
    const CONTROL: [&str; 13] = [
        "s_waitcnt",
        "s_cbranch",
        "s_branch",
        "s_nop",
        "s_clause",
        "s_endpgm",
        "s_inst_prefetch",
        "s_delay_alu",
        "s_setprio",
        "s_sleep",
        "s_barrier",
        "s_code_end",
        "s_sendmsg",
    ];
    const SCALAR_MEMORY: [&str; 9] = [
        "s_load",
        "s_buffer_load",
        "s_store",
        "s_buffer_store",
        "s_dcache",
        "s_memtime",
        "s_memrealtime",
        "s_atomic",
        "s_buffer_atomic",
    ];
    const VECTOR_MEMORY: [&str; 6] = ["buffer_", "global_", "flat_", "scratch_", "image_", "tbuffer_"];
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| mnemonic.starts_with(p));
    if starts(&CONTROL) {
        "control"
    } else if starts(&SCALAR_MEMORY) {
        "scalar memory"
    } else if starts(&VECTOR_MEMORY) {
        "vector memory"
    } else if mnemonic.starts_with("ds_") {
        "LDS"
    } else if mnemonic.starts_with("v_") {
        "VALU"
    } else {
        "SALU"
    }
}

fn add(blocks: &mut Vec<Block>, split: &mut bool, code: &str) {
    push(blocks, split, code, mnemonic(code).starts_with("s_cbranch"));
}

fn label(blocks: &mut Vec<Block>, split: &mut bool, label: &str) {
    blocks.push(Block { label: label.to_string(), instructions: Vec::new(), next: Vec::new() });
    *split = false;
}

fn radv(dump: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut split = false;
    for line in dump.lines().skip_while(|l| l.trim() != "disasm:").skip(1) {
        let code = line.split(';').next().unwrap_or("").trim();
        if code.is_empty() {
            if blocks.is_empty() {
                continue;
            }
            break;
        }
        match code.strip_suffix(':') {
            Some(name) if name.starts_with("BB") || name == "main" => label(&mut blocks, &mut split, name),
            _ if line.starts_with(char::is_whitespace) => add(&mut blocks, &mut split, code),
            _ => break,
        }
    }
    blocks
}

fn llvm(dump: &str, function: Option<&str>) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut split = false;
    let mut inside = function.is_none();
    for line in dump.lines() {
        let (code, comment) = line.split_once(';').unwrap_or((line, ""));
        let code = code.trim();
        if let Some(name) = function {
            if code.strip_suffix(':') == Some(name) {
                inside = true;
                continue;
            }
            if inside && code.starts_with(".Lfunc_end") {
                break;
            }
        }
        if !inside {
            continue;
        }
        match code.strip_suffix(':') {
            Some(name) if name.starts_with(".LBB") => label(&mut blocks, &mut split, name),
            Some(_) => {}
            None if code.is_empty() => {
                if let Some(bb) = comment.trim().strip_prefix("%bb.") {
                    label(&mut blocks, &mut split, &format!("%bb.{}", bb.trim_end_matches(':')));
                }
            }
            None if !code.starts_with('.') => add(&mut blocks, &mut split, code),
            None => {}
        }
    }
    if let (Some(name), false) = (function, inside) {
        return Err(format!("no kernel {name} in the file"));
    }
    Ok(blocks)
}

/// Branch targets, and the next block unless the last instruction jumps or ends the program.
/// (RADV's LLVM listing labels `BB0_4:` what its branches call `.LBB0_4`.)
fn successors(blocks: &[Block], b: usize) -> Vec<usize> {
    let find = |target: &str| {
        let target = target.trim_start_matches(".L");
        blocks.iter().position(|x| x.label.trim_start_matches(".L") == target)
    };
    let mut next: Vec<usize> = blocks[b]
        .instructions
        .iter()
        .filter(|i| mnemonic(i).starts_with("s_cbranch") || mnemonic(i) == "s_branch")
        .filter_map(|i| i.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).nth(1))
        .filter_map(find)
        .collect();
    let last = blocks[b].instructions.last().map_or("", |i| mnemonic(i));
    if last != "s_branch" && last != "s_endpgm" && b + 1 < blocks.len() {
        next.push(b + 1);
    }
    next
}
